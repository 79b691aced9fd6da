"""Deploy the notification backend to a Google Cloud / Firebase project, from this repository.

    python scripts/deploy.py --env-file deploy.env --dry-run   # print the plan, run nothing
    python scripts/deploy.py --env-file deploy.env             # run it, stop at the first failure

The plan (docs/deploy.md tells it in prose): enable the APIs; create the runtime and invoker
service accounts and their roles; make sure each secret exists, has a value, and is readable by
the runtime account; create or update the Cloud Tasks queues from ``shared/platform/queues.py``;
deploy the two private HTTP functions, check their URLs, deploy the three Firestore triggers and the
three public webhooks; let the invoker account call the private functions; create or update the
Cloud Scheduler job of ``cart_sweep``; deploy the Firestore rules and indexes.

Every step is idempotent: running the script again updates what exists. The dry run prints one
shell line per step (``if <exists>; then <update>; else <create>; fi`` where a resource may
exist already), which is also what a real run executes. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.platform.queues import QUEUES  # noqa: E402 - the repository's own queue facts

RUNTIME = "python312"
RUNTIME_ACCOUNT = "notify-runtime"  # the functions' identity
INVOKER_ACCOUNT = "notify-invoker"  # Cloud Tasks and Scheduler OIDC, Eventarc triggers
SCHEDULER_JOB = "cart-sweep"
SWEEP_SCHEDULE = "*/15 * * * *"
FIRESTORE_WRITTEN = "google.cloud.firestore.document.v1.written"

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
# Secret Manager secrets, mounted as environment variables of the same name.
SECRETS = (
    "TWILIO_AUTH_TOKEN",
    "META_WHATSAPP_TOKEN",
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "SMTP_PASSWORD",
)
# Set by this script; an env file that sets them would contradict it.
COMPUTED = (
    "GOOGLE_CLOUD_PROJECT",
    "DELIVER_URL",
    "TASKS_SERVICE_ACCOUNT",
    "INTERNAL_AUDIENCE",
    "INTERNAL_INVOKERS",
    "TASKS_LOCATION",
)
LOCAL_ONLY = ("FIRESTORE_EMULATOR_HOST", "CLOUD_TASKS_EMULATOR_HOST")
IAM_ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 15.0


@dataclass(frozen=True)
class Function:
    """One deployed target of main.py and how it runs."""

    name: str
    kind: str  # "internal" (private HTTP), "webhook" (public HTTP), "trigger" (Eventarc)
    memory: str = "512Mi"
    cpu: str = "1"
    concurrency: int = 20
    timeout: str = "60s"
    min_instances: int = 0
    max_instances: int = 10
    document: str | None = None  # trigger path pattern

    @property
    def service(self) -> str:
        """The Cloud Run service behind a gen2 function: lower case, ``_`` -> ``-``."""
        return self.name.lower().replace("_", "-")


FUNCTIONS = (
    Function("deliver_notification", "internal", timeout="120s", max_instances=20),
    Function("cart_sweep", "internal", concurrency=1, timeout="540s", max_instances=2),
    Function("on_ticket_written", "trigger", timeout="120s", document="tickets/{ticketId}"),
    Function("on_order_written", "trigger", timeout="120s", document="orders/{orderId}"),
    Function("on_cart_written", "trigger", timeout="120s", document="carts/{cartId}"),
    Function("twilio_inbound", "webhook", concurrency=40, timeout="30s", min_instances=1),
    Function("twilio_status", "webhook", concurrency=40, timeout="30s", min_instances=1),
    Function("meta_webhook", "webhook", concurrency=40, timeout="30s", min_instances=1),
)


class ConfigError(ValueError):
    """The env file or the flags cannot make a deployment (message says what to change)."""


@dataclass
class Config:
    project: str
    region: str
    project_number: str | None
    firestore_location: str
    tasks_location: str
    queue: str
    env: dict[str, str]  # the functions' plain environment, from the env file
    secrets: tuple[str, ...]
    deliver_url: str | None = None
    sweep_url: str | None = None

    @property
    def runtime_sa(self) -> str:
        return f"{RUNTIME_ACCOUNT}@{self.project}.iam.gserviceaccount.com"

    @property
    def invoker_sa(self) -> str:
        return f"{INVOKER_ACCOUNT}@{self.project}.iam.gserviceaccount.com"

    def url(self, fn: Function) -> str:
        """The function's deterministic run.app URL (what tasks and the scheduler call)."""
        number = self.project_number or "PROJECT_NUMBER"
        return f"https://{fn.service}-{number}.{self.region}.run.app"


@dataclass
class Step:
    """One line of the plan: a command, or create-or-update guarded by an existence check."""

    command: list[str]
    exists: list[str] | None = None
    otherwise: list[str] | None = None  # run when ``exists`` fails; ``command`` when it succeeds
    expect_url: str | None = None  # a describe whose output must list this URL
    attempts: int = 1  # IAM on a just-created account can take a minute to be accepted

    def render(self) -> str:
        q = shlex.join
        if self.exists is None:
            line = q(self.command)
            return f"{line}  # must list {self.expect_url}" if self.expect_url else line
        hush = ">/dev/null 2>&1"
        then = q(self.command) if self.command else ":"
        return f"if {q(self.exists)} {hush} ; then {then} ; else {q(self.otherwise or [])} ; fi"


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments skipped; quotes around values removed."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _default_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """The secrets the configured providers need (``DEPLOY_SECRETS`` overrides)."""
    wanted = []
    if env.get("TWILIO_ACCOUNT_SID"):
        wanted.append("TWILIO_AUTH_TOKEN")
    if env.get("META_PHONE_NUMBER_ID"):
        wanted.append("META_WHATSAPP_TOKEN")
    if env.get("META_PHONE_NUMBER_ID") or env.get("WHATSAPP_PROVIDER", "").lower() == "meta":
        wanted += ["META_APP_SECRET", "META_VERIFY_TOKEN"]
    if env.get("SMTP_USERNAME"):
        wanted.append("SMTP_PASSWORD")
    return tuple(wanted)


def load_config(values: Mapping[str, str], overrides: Mapping[str, str | None]) -> Config:
    """Split the env file into deploy settings (``DEPLOY_*``) and the functions' environment."""
    deploy = {k: v for k, v in values.items() if k.startswith("DEPLOY_") and v}
    env = {k: v for k, v in values.items() if not k.startswith("DEPLOY_") and v}
    for key, value in overrides.items():
        if value:
            deploy[key] = value
    bad = sorted(set(env) & set(SECRETS))
    if bad:
        raise ConfigError(f"{bad}: secrets go to Secret Manager, not the env file (docs/deploy.md)")
    bad = sorted(set(env) & set(COMPUTED + LOCAL_ONLY))
    if bad:
        raise ConfigError(f"{bad}: set by the deploy script (or local only); remove them")
    project = deploy.get("DEPLOY_PROJECT")
    if not project:
        raise ConfigError("no project: pass --project or set DEPLOY_PROJECT")
    if project.startswith("demo-"):
        raise ConfigError(f"{project!r} is a local demo project id, not a real project")
    region = deploy.get("DEPLOY_REGION", "europe-west1")
    queue = env.setdefault("TASKS_QUEUE", "notifications")
    if queue not in {q.name for q in QUEUES}:
        raise ConfigError(f"TASKS_QUEUE={queue!r} is not a queue of shared/platform/queues.py")
    secrets = deploy.get("DEPLOY_SECRETS")
    chosen = (
        tuple(s.strip() for s in secrets.split(",") if s.strip())
        if secrets is not None
        else _default_secrets(env)
    )
    unknown = sorted(set(chosen) - set(SECRETS))
    if unknown:
        raise ConfigError(f"DEPLOY_SECRETS names unknown secrets {unknown}")
    return Config(
        project=project,
        region=region,
        project_number=deploy.get("DEPLOY_PROJECT_NUMBER"),
        firestore_location=deploy.get("DEPLOY_FIRESTORE_LOCATION", region),
        tasks_location=deploy.get("DEPLOY_TASKS_LOCATION", region),
        queue=queue,
        env=env,
        secrets=chosen,
        deliver_url=deploy.get("DEPLOY_DELIVER_URL"),
        sweep_url=deploy.get("DEPLOY_SWEEP_URL"),
    )


def _fn(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


def deliver_url(cfg: Config) -> str:
    return cfg.deliver_url or cfg.url(_fn("deliver_notification"))


def sweep_url(cfg: Config) -> str:
    return cfg.sweep_url or cfg.url(_fn("cart_sweep"))


def function_env(cfg: Config, fn: Function) -> dict[str, str]:
    """The plain environment of one function: the env file plus what the deployment decides."""
    env = dict(cfg.env)
    env.update(
        GOOGLE_CLOUD_PROJECT=cfg.project,
        TASKS_LOCATION=cfg.tasks_location,
        DELIVER_URL=deliver_url(cfg),
        TASKS_SERVICE_ACCOUNT=cfg.invoker_sa,
        INTERNAL_INVOKERS=cfg.invoker_sa,
    )
    if env.get("TWILIO_ACCOUNT_SID") and not env.get("TWILIO_STATUS_CALLBACK_URL"):
        env["TWILIO_STATUS_CALLBACK_URL"] = cfg.url(_fn("twilio_status"))
    if fn.kind == "internal":
        env["INTERNAL_AUDIENCE"] = (
            deliver_url(cfg) if fn.name == "deliver_notification" else (sweep_url(cfg))
        )
    return dict(sorted(env.items()))


def _env_flag(env: Mapping[str, str]) -> str:
    """``--set-env-vars`` with a delimiter no value contains (gcloud's ``^DELIM^`` escaping)."""
    pairs = [f"{k}={v}" for k, v in env.items()]
    joined = ",".join(pairs)
    if not any("," in p for p in pairs):
        return f"--set-env-vars={joined}"
    delimiter = next(d for d in "|~#;%!" if not any(d in p for p in pairs))
    return f"--set-env-vars=^{delimiter}^{delimiter.join(pairs)}"


def deploy_command(cfg: Config, fn: Function) -> list[str]:
    cmd = [
        "gcloud", "functions", "deploy", fn.name, "--gen2", f"--runtime={RUNTIME}",
        "--source=.", f"--entry-point={fn.name}", f"--region={cfg.region}",
        f"--project={cfg.project}", f"--service-account={cfg.runtime_sa}",
        f"--memory={fn.memory}", f"--cpu={fn.cpu}", f"--concurrency={fn.concurrency}",
        f"--timeout={fn.timeout}", f"--min-instances={fn.min_instances}",
        f"--max-instances={fn.max_instances}",
    ]  # fmt: skip
    if fn.kind == "trigger":
        cmd += [
            f"--trigger-event-filters=type={FIRESTORE_WRITTEN}",
            "--trigger-event-filters=database=(default)",
            f"--trigger-event-filters-path-pattern=document={fn.document}",
            f"--trigger-location={cfg.firestore_location}",
            f"--trigger-service-account={cfg.invoker_sa}",
            "--retry",  # an exception means "transient, try again" (CONTRACT.md)
            "--no-allow-unauthenticated",
        ]
    elif fn.kind == "internal":
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


def _functions(cfg: Config, p: str) -> list[Step]:
    internal = [f for f in FUNCTIONS if f.kind == "internal"]
    steps = [Step(deploy_command(cfg, fn)) for fn in internal]
    # Tasks and the scheduler call the URLs computed before deploying: check they are real.
    steps += [
        Step(
            gcloud(
                "run services describe", fn.service, f"--region={cfg.region}", p, "--format=json"
            ),
            expect_url=deliver_url(cfg) if fn.name == "deliver_notification" else sweep_url(cfg),
        )
        for fn in internal
    ]
    steps += [Step(deploy_command(cfg, fn)) for fn in FUNCTIONS if fn.kind != "internal"]
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
        for fn in FUNCTIONS
        if fn.kind in {"internal", "trigger"}
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
    for queue in QUEUES:
        where = [queue.name, f"--location={cfg.tasks_location}", p]
        plan.append(
            _ensure(
                gcloud("tasks queues describe", *where),
                gcloud("tasks queues create", *where, *queue.gcloud_flags()),
                gcloud("tasks queues update", *where, *queue.gcloud_flags()),
            )
        )
    plan += _functions(cfg, p)
    plan.append(_scheduler(cfg, p))
    plan.append(
        Step(
            [
                "firebase",
                "deploy",
                "--only",
                "firestore:rules,firestore:indexes",
                "--project",
                cfg.project,
                "--non-interactive",
            ]
        )
    )
    return plan


class StepFailedError(RuntimeError):
    """A command of a real run failed; nothing after it ran."""


def _run(argv: Sequence[str], *, capture: bool = False) -> str:
    """Run one command (no stdin); a non-zero exit raises ``StepFailedError``."""
    result = subprocess.run(
        list(argv),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StepFailedError(f"failed ({result.returncode}): {shlex.join(argv)}")
    return result.stdout or ""


def _run_with_attempts(step: Step) -> str:
    for attempt in range(1, step.attempts + 1):
        try:
            return _run(step.command, capture=step.expect_url is not None)
        except StepFailedError:
            if attempt == step.attempts:
                raise
            print(f"  (attempt {attempt} failed; again in {RETRY_PAUSE_SECONDS:g}s)", flush=True)
            time.sleep(RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")


def _exists(argv: Sequence[str]) -> bool:
    """Whether a describe command succeeds (its output is not shown)."""
    result = subprocess.run(
        list(argv),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def _check_url(output: str, url: str) -> None:
    service = json.loads(output)
    annotations = service.get("metadata", {}).get("annotations", {})
    urls = set(json.loads(annotations.get("run.googleapis.com/urls", "[]")))
    urls.add(service.get("status", {}).get("url", ""))
    if url not in urls:
        raise StepFailedError(
            f"{url} is not a URL of this service ({sorted(u for u in urls if u)}): set "
            "DEPLOY_DELIVER_URL / DEPLOY_SWEEP_URL to one of them"
        )


def execute(cfg: Config, plan: list[Step]) -> Config:
    """Run the plan in order; the first failing step raises ``StepFailedError``."""
    for step in plan:
        print(f"+ {step.render()}", flush=True)
        if step.command[:3] == ["gcloud", "projects", "describe"]:
            number = _run(step.command, capture=True).strip()
            if not number.isdigit():
                raise StepFailedError(f"no project number for {cfg.project}: {number!r}")
            cfg.project_number = number
            return execute(cfg, build_plan(cfg))  # the URLs are known now
        if step.exists is None:
            output = _run_with_attempts(step)
            if step.expect_url:
                _check_url(output, step.expect_url)
            continue
        if not _exists(step.exists):
            _run(step.otherwise or [])
        elif step.command:
            _run(step.command)
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--env-file", type=Path, default=ROOT / "deploy.env")
    parser.add_argument("--project", help="overrides DEPLOY_PROJECT")
    parser.add_argument("--region", help="overrides DEPLOY_REGION (default europe-west1)")
    parser.add_argument("--project-number", help="overrides DEPLOY_PROJECT_NUMBER")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file) if args.env_file.exists() else {}
        if not args.env_file.exists() and not args.dry_run:
            raise ConfigError(f"{args.env_file} not found (copy deploy.env.example)")
        cfg = load_config(
            values,
            {
                "DEPLOY_PROJECT": args.project,
                "DEPLOY_REGION": args.region,
                "DEPLOY_PROJECT_NUMBER": args.project_number,
            },
        )
    except (ConfigError, OSError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    plan = build_plan(cfg)
    if args.dry_run:
        for step in plan:
            print(step.render())
        return 0
    try:
        cfg = execute(cfg, plan)
    except StepFailedError as exc:
        print(f"deploy: stopped: {exc}", file=sys.stderr)
        return 1
    print("deploy: done. Webhook URLs to give Twilio and Meta:")
    for fn in FUNCTIONS:
        if fn.kind == "webhook":
            print(f"  {fn.name}: {cfg.url(fn)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
