"""The plan of a deployment: every ``gcloud`` / ``firebase`` command, in order, as data.

Pure: computed from a ``Config``, the targets of ``functions/registry.py`` (each one's role,
trigger and Cloud Run settings) and the queues of ``shared/platform/queues.py``; nothing runs
here. A ``Step`` renders as one shell line, which is what ``--dry-run`` prints and what a real
run executes (``deploying.execute``).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace

from functions.registry import INTERNAL, TARGETS, TRIGGER, WEBHOOK, Target
from shared.platform.queues import CAMPAIGNS_QUEUE, QUEUES, QueueConfig
from shared.rules.campaign_pacing import campaign_rate

from .config import INVOKER_ACCOUNT, RUNTIME_ACCOUNT, Config, service_name

RUNTIME = "python312"
SCHEDULER_JOB = "cart-sweep"
SWEEP_SCHEDULE = "*/15 * * * *"
IAM_ATTEMPTS = 4  # IAM on a just-created account can take a minute to be accepted

APIS = (
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
    "firestore.googleapis.com",
    "cloudtasks.googleapis.com",
    "cloudscheduler.googleapis.com",
    "secretmanager.googleapis.com",
    "iam.googleapis.com",
    "fcm.googleapis.com",
)
RUNTIME_ROLES = (
    "roles/datastore.user",  # Firestore
    "roles/cloudtasks.enqueuer",  # notification tasks
    "roles/firebasecloudmessaging.admin",  # FCM sends (cloudmessaging.messages.create)
    "roles/logging.logWriter",
)
INVOKER_ROLES = ("roles/eventarc.eventReceiver",)  # as the Firestore triggers' identity


@dataclass
class Step:
    """One line of the plan: a command, or create-or-update guarded by an existence check."""

    command: list[str]
    exists: list[str] | None = None
    otherwise: list[str] | None = None  # run when ``exists`` fails; ``command`` when it succeeds
    expect_url: str | None = None  # a describe whose output must list this URL
    attempts: int = 1

    def render(self) -> str:
        q = shlex.join
        if self.exists is None:
            line = q(self.command)
            return f"{line}  # must list {self.expect_url}" if self.expect_url else line
        hush = ">/dev/null 2>&1"
        then = q(self.command) if self.command else ":"
        return f"if {q(self.exists)} {hush} ; then {then} ; else {q(self.otherwise or [])} ; fi"


def internal_url(cfg: Config, name: str) -> str:
    """A private target's URL: the env file's ``DEPLOY_*_URL`` if set, else the run.app one."""
    chosen = {"deliver_notification": cfg.deliver_url, "cart_sweep": cfg.sweep_url}.get(name)
    return chosen or cfg.url(name)


def deliver_url(cfg: Config) -> str:
    return internal_url(cfg, "deliver_notification")


def sweep_url(cfg: Config) -> str:
    return internal_url(cfg, "cart_sweep")


def function_env(cfg: Config, fn: Target) -> dict[str, str]:
    """The plain environment of one function: the env file plus what the deployment decides."""
    env = dict(cfg.env)
    env.update(
        GOOGLE_CLOUD_PROJECT=cfg.project,
        TASKS_LOCATION=cfg.tasks_location,
        DELIVER_URL=deliver_url(cfg),
        CAMPAIGN_STEP_URL=internal_url(cfg, "campaign_step"),
        CAMPAIGN_DISPATCH_RATE=f"{deployed_campaign_rate(cfg):g}",
        TASKS_SERVICE_ACCOUNT=cfg.invoker_sa,
        INTERNAL_INVOKERS=cfg.invoker_sa,
    )
    if env.get("TWILIO_ACCOUNT_SID") and not env.get("TWILIO_STATUS_CALLBACK_URL"):
        env["TWILIO_STATUS_CALLBACK_URL"] = cfg.url("twilio_status")
    if fn.role == INTERNAL:
        env["INTERNAL_AUDIENCE"] = internal_url(cfg, fn.name)
    if fn.name in TWILIO_WEBHOOKS:
        env["WEBHOOK_PUBLIC_URL"] = twilio_signed_url(cfg, fn.name, env)
    return dict(sorted(env.items()))


TWILIO_WEBHOOKS = ("twilio_inbound", "twilio_status")


def twilio_signed_url(cfg: Config, name: str, env: Mapping[str, str]) -> str:
    """The exact URL Twilio signs for this webhook (``functions/boundary/signatures.py``).

    The status callback URL is the one our messages name, so a custom one is the signed one;
    otherwise the shop's ``PUBLIC_BASE_URL`` (a custom domain) or the function's own URL.
    """
    if name == "twilio_status" and env.get("TWILIO_STATUS_CALLBACK_URL"):
        return env["TWILIO_STATUS_CALLBACK_URL"]
    base = env.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/{name}" if base else cfg.url(name)


def _env_flag(env: Mapping[str, str]) -> str:
    """``--set-env-vars`` with a delimiter no value contains (gcloud's ``^DELIM^`` escaping)."""
    pairs = [f"{k}={v}" for k, v in env.items()]
    joined = ",".join(pairs)
    if not any("," in p for p in pairs):
        return f"--set-env-vars={joined}"
    delimiter = next(d for d in "|~#;%!" if not any(d in p for p in pairs))
    return f"--set-env-vars=^{delimiter}^{delimiter.join(pairs)}"


def deploy_command(cfg: Config, fn: Target) -> list[str]:
    run = fn.deploy
    cmd = [
        "gcloud", "functions", "deploy", fn.name, "--gen2", f"--runtime={RUNTIME}",
        "--source=.", f"--entry-point={fn.name}", f"--region={cfg.region}",
        f"--project={cfg.project}", f"--service-account={cfg.runtime_sa}",
        f"--memory={run.memory}", f"--cpu={run.cpu}", f"--concurrency={run.concurrency}",
        f"--timeout={run.timeout}", f"--min-instances={run.min_instances}",
        f"--max-instances={run.max_instances}",
    ]  # fmt: skip
    if fn.trigger is not None:
        cmd += [
            f"--trigger-event-filters=type={fn.trigger.event_type}",
            "--trigger-event-filters=database=(default)",
            f"--trigger-event-filters-path-pattern=document={fn.trigger.document}",
            f"--trigger-location={cfg.firestore_location}",
            f"--trigger-service-account={cfg.invoker_sa}",
            "--retry",  # an exception means "transient, try again" (CONTRACT.md)
            "--no-allow-unauthenticated",
        ]
    elif fn.role == INTERNAL:
        cmd += ["--trigger-http", "--no-allow-unauthenticated"]
    else:
        cmd += ["--trigger-http", "--allow-unauthenticated"]  # they verify signatures
    cmd.append(_env_flag(function_env(cfg, fn)))
    if cfg.secrets:
        cmd.append("--set-secrets=" + ",".join(f"{s}={s}:latest" for s in cfg.secrets))
    return cmd


def _ensure(exists: list[str], create: list[str], update: list[str] | None = None) -> Step:
    return Step(command=update or [], exists=exists, otherwise=create)


def gcloud(verb: str, *args: str) -> list[str]:
    """``gcloud("tasks queues create", name, ...)`` -> the argv."""
    return ["gcloud", *verb.split(), *args]


def _accounts(cfg: Config, p: str) -> list[Step]:
    steps = [
        _ensure(
            gcloud(
                "iam service-accounts describe",
                f"{account}@{cfg.project}.iam.gserviceaccount.com",
                p,
            ),
            gcloud(
                "iam service-accounts create", account, p, f"--display-name=Notifications {title}"
            ),
        )
        for account, title in ((RUNTIME_ACCOUNT, "runtime"), (INVOKER_ACCOUNT, "invoker"))
    ]
    for sa, roles in ((cfg.runtime_sa, RUNTIME_ROLES), (cfg.invoker_sa, INVOKER_ROLES)):
        steps += [
            Step(
                gcloud(
                    "projects add-iam-policy-binding",
                    cfg.project,
                    f"--member=serviceAccount:{sa}",
                    f"--role={role}",
                    "--condition=None",
                ),
                attempts=IAM_ATTEMPTS,
            )
            for role in roles
        ]
    # The functions create tasks whose OIDC token is the invoker's: they must act as it.
    steps.append(
        Step(
            gcloud(
                "iam service-accounts add-iam-policy-binding",
                cfg.invoker_sa,
                p,
                f"--member=serviceAccount:{cfg.runtime_sa}",
                "--role=roles/iam.serviceAccountUser",
            ),
            attempts=IAM_ATTEMPTS,
        )
    )
    return steps


def _secrets(cfg: Config, p: str) -> list[Step]:
    steps: list[Step] = []
    for secret in cfg.secrets:
        steps += [
            _ensure(
                gcloud("secrets describe", secret, p),
                gcloud("secrets create", secret, p, "--replication-policy=automatic"),
            ),
            # Fails (and stops the run) while the secret has no value: docs/deploy.md says how.
            Step(
                gcloud(
                    "secrets versions describe latest",
                    f"--secret={secret}",
                    p,
                    "--format=value(name)",
                )
            ),
            Step(
                gcloud(
                    "secrets add-iam-policy-binding",
                    secret,
                    p,
                    f"--member=serviceAccount:{cfg.runtime_sa}",
                    "--role=roles/secretmanager.secretAccessor",
                ),
                attempts=IAM_ATTEMPTS,
            ),
        ]
    return steps


def deployed_campaign_rate(cfg: Config) -> float:
    """The ``campaigns`` queue's messages per second: the campaign pacing."""
    return campaign_rate(cfg.pacing, CAMPAIGNS_QUEUE.max_dispatches_per_second)


def deployed_queues(cfg: Config) -> tuple[QueueConfig, ...]:
    """The queues as deployed: the ``campaigns`` queue's rate is the campaign pacing."""
    rate = deployed_campaign_rate(cfg)
    return tuple(
        replace(q, max_dispatches_per_second=rate) if q.name == CAMPAIGNS_QUEUE.name else q
        for q in QUEUES
    )


def _queues(cfg: Config, p: str) -> list[Step]:
    steps = []
    for queue in deployed_queues(cfg):
        where = [queue.name, f"--location={cfg.tasks_location}", p]
        steps.append(
            _ensure(
                gcloud("tasks queues describe", *where),
                gcloud("tasks queues create", *where, *queue.gcloud_flags()),
                gcloud("tasks queues update", *where, *queue.gcloud_flags()),
            )
        )
    return steps


def _functions(cfg: Config, p: str) -> list[Step]:
    internal = [f for f in TARGETS if f.role == INTERNAL]
    steps = [Step(deploy_command(cfg, fn)) for fn in internal]
    # Tasks and the scheduler call the URLs computed before deploying: check they are real.
    steps += [
        Step(
            gcloud(
                "run services describe",
                service_name(fn.name),
                f"--region={cfg.region}",
                p,
                "--format=json",
            ),
            expect_url=internal_url(cfg, fn.name),
        )
        for fn in internal
    ]
    steps += [Step(deploy_command(cfg, fn)) for fn in TARGETS if fn.role != INTERNAL]
    steps += [
        Step(
            gcloud(
                "functions add-invoker-policy-binding",
                fn.name,
                f"--region={cfg.region}",
                p,
                f"--member=serviceAccount:{cfg.invoker_sa}",
            )
        )
        for fn in TARGETS
        if fn.role in {INTERNAL, TRIGGER}
    ]
    return steps


def _scheduler(cfg: Config, p: str) -> Step:
    where = [SCHEDULER_JOB, f"--location={cfg.region}", p]
    common = [
        f"--schedule={SWEEP_SCHEDULE}",
        "--time-zone=Etc/UTC",
        f"--uri={sweep_url(cfg)}",
        "--http-method=POST",
        "--message-body={}",
        "--attempt-deadline=540s",
        f"--oidc-service-account-email={cfg.invoker_sa}",
        f"--oidc-token-audience={sweep_url(cfg)}",
    ]
    header = "Content-Type=application/json"
    return _ensure(
        gcloud("scheduler jobs describe", *where),
        gcloud("scheduler jobs create http", *where, *common, f"--headers={header}"),
        gcloud("scheduler jobs update http", *where, *common, f"--update-headers={header}"),
    )


def build_plan(cfg: Config) -> list[Step]:
    """Every step of a deployment, in order."""
    p = f"--project={cfg.project}"
    plan: list[Step] = []
    if cfg.project_number is None:
        plan.append(Step(gcloud("projects describe", cfg.project, "--format=value(projectNumber)")))
    plan.append(Step(gcloud("services enable", *APIS, p)))
    plan += _accounts(cfg, p)
    plan += _secrets(cfg, p)
    plan += _queues(cfg, p)
    plan += _functions(cfg, p)
    plan.append(_scheduler(cfg, p))
    rules = ["firebase", "deploy", "--only", "firestore:rules,firestore:indexes"]
    plan.append(Step([*rules, "--project", cfg.project, "--non-interactive"]))
    return plan


def webhook_urls(cfg: Config) -> dict[str, str]:
    """The public targets and their URLs, to give the providers."""
    return {fn.name: cfg.url(fn.name) for fn in TARGETS if fn.role == WEBHOOK}
