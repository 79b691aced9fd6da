"""The deploy configuration: the env file (``DEPLOY_*`` for the script, the rest for the
functions) and the ``Config`` it makes, refused when it cannot make a deployment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.platform.queues import QUEUES
from shared.rules.campaign_pacing import Pacing

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_ACCOUNT = "notify-runtime"  # the functions' identity
INVOKER_ACCOUNT = "notify-invoker"  # Cloud Tasks and Scheduler OIDC, Eventarc triggers
DEFAULT_REGION = "europe-west1"
DEFAULT_QUEUE = "notifications"
# Secret Manager secrets, mounted as environment variables of the same name.
SECRETS = (
    "TWILIO_AUTH_TOKEN",
    "META_WHATSAPP_TOKEN",
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "SMTP_PASSWORD",
    "TWILIO_WEBHOOK_SIGNING_KEY",  # Twilio's SharedKey webhook signing, when the account uses it
    "PREFERENCES_LINK_SECRET",  # signs the customer's preference page links
)
# Set by the deployment; an env file that sets them would contradict it.
COMPUTED = (
    "GOOGLE_CLOUD_PROJECT",
    "DELIVER_URL",
    "CAMPAIGN_STEP_URL",
    "CAMPAIGN_DISPATCH_RATE",  # the campaigns queue's rate: DEPLOY_CAMPAIGN_* decide it
    "TASKS_SERVICE_ACCOUNT",
    "INTERNAL_AUDIENCE",
    "INTERNAL_INVOKERS",
    "TASKS_LOCATION",
    "WEBHOOK_PUBLIC_URL",  # per function: the exact URL Twilio signs
)
LOCAL_ONLY = ("FIRESTORE_EMULATOR_HOST", "CLOUD_TASKS_EMULATOR_HOST")


class ConfigError(ValueError):
    """The env file or the flags cannot make a deployment (message says what to change)."""


def service_name(target: str) -> str:
    """The Cloud Run service behind a gen2 function: lower case, ``_`` -> ``-``."""
    return target.lower().replace("_", "-")


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
    pacing: Pacing = field(default_factory=Pacing)

    @property
    def runtime_sa(self) -> str:
        return f"{RUNTIME_ACCOUNT}@{self.project}.iam.gserviceaccount.com"

    @property
    def invoker_sa(self) -> str:
        return f"{INVOKER_ACCOUNT}@{self.project}.iam.gserviceaccount.com"

    def url(self, target: str) -> str:
        """The target's deterministic run.app URL (what tasks and the scheduler call)."""
        number = self.project_number or "PROJECT_NUMBER"
        return f"https://{service_name(target)}-{number}.{self.region}.run.app"


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
    region = deploy.get("DEPLOY_REGION", DEFAULT_REGION)
    queue = env.setdefault("TASKS_QUEUE", DEFAULT_QUEUE)
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
        pacing=campaign_pacing(deploy, env),
    )


def _positive(deploy: Mapping[str, str], key: str, default: float | None) -> float | None:
    raw = deploy.get(key)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"{key} must be positive")
    return value


def campaign_pacing(deploy: Mapping[str, str], env: Mapping[str, str]) -> Pacing:
    """The campaign settings (``DEPLOY_CAMPAIGN_*``, docs/campaigns.md) and the providers the
    functions' environment configures: what the ``campaigns`` queue's rate derives from."""
    whatsapp = None
    if env.get("META_PHONE_NUMBER_ID") and env.get("WHATSAPP_PROVIDER", "").lower() == "meta":
        whatsapp = "meta"
    elif env.get("TWILIO_WHATSAPP_FROM"):
        whatsapp = "twilio"
    defaults = Pacing()
    tier = _positive(deploy, "DEPLOY_CAMPAIGN_META_TIER", defaults.meta_tier)
    cap = _positive(deploy, "DEPLOY_CAMPAIGN_DAILY_CAP", None)
    return Pacing(
        whatsapp_provider=whatsapp,
        sms=bool(env.get("TWILIO_SMS_FROM") or env.get("TWILIO_MESSAGING_SERVICE_SID")),
        meta_messages_per_second=_positive(
            deploy, "DEPLOY_CAMPAIGN_META_MPS", defaults.meta_messages_per_second
        )
        or defaults.meta_messages_per_second,
        meta_tier=int(tier) if tier else None,
        twilio_messages_per_second=_positive(
            deploy, "DEPLOY_CAMPAIGN_TWILIO_MPS", defaults.twilio_messages_per_second
        )
        or defaults.twilio_messages_per_second,
        twilio_senders=int(_positive(deploy, "DEPLOY_CAMPAIGN_TWILIO_SENDERS", 1) or 1),
        daily_cap=int(cap) if cap else None,
        sending_hours=_positive(deploy, "DEPLOY_CAMPAIGN_HOURS", defaults.sending_hours)
        or defaults.sending_hours,
    )
