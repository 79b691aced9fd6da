"""What the stack's processes and the developer's shell see: environments, the env file, the table.

- ``base_env``: what every child inherits from the orchestrator, without anything that could
  reach a real project or provider (the developer's credentials, a production project id);
- ``function_env``: what every function process gets on top (the emulators, the queue, the
  other functions' URLs, the fakes' endpoints and credentials);
- ``developer_env`` and ``write_env_file``: the same plus the stack's own addresses, for a shell
  (``.devstack/env``);
- ``describe``: the table ``make dev`` prints.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from devstack.config import FAKE_CREDENTIALS, ROOT, StackConfig

# Variables a function must never inherit from the developer's shell (real credentials, a
# production project): the stack sets its own or leaves them unset.
SCRUBBED_PREFIXES = ("TWILIO_", "META_", "SMTP_", "TASKS_", "FCM_", "INTERNAL_")
SCRUBBED = frozenset(
    {
        "GOOGLE_CLOUD_PROJECT",
        "GCLOUD_PROJECT",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "FIRESTORE_EMULATOR_HOST",
        "FIREBASE_AUTH_EMULATOR_HOST",
        "FIREBASE_WEB_API_KEY",
        "CLOUD_TASKS_EMULATOR_HOST",
        "DELIVER_URL",
        "CAMPAIGN_STEP_URL",
        "PUBLIC_BASE_URL",
        "DEFAULT_COUNTRY",
        "REGISTRATION_URL",
        "WHATSAPP_PROVIDER",
    }
)
# The fakes' ready-line keys shown by ``describe``: label -> (key, note).
_FAKE_ROWS = {
    "fakes (control)": ("control_url", "/_fake/: recordings, faults, callbacks"),
    "fake twilio": ("twilio_base_url", "TWILIO_API_BASE_URL"),
    "fake meta graph": ("meta_graph_base_url", "META_GRAPH_BASE_URL"),
    "fake fcm": ("fcm_base_url", "FCM_API_BASE_URL"),
    "smtp capture": ("smtp_port", "SMTP_HOST:SMTP_PORT, no TLS"),
}


def base_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The orchestrator's environment minus the scrubbed variables, unbuffered, on ``ROOT``."""
    source = os.environ if environ is None else environ
    env = {
        k: v for k, v in source.items() if k not in SCRUBBED and not k.startswith(SCRUBBED_PREFIXES)
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("GRPC_VERBOSITY", "ERROR")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), source.get("PYTHONPATH", "")) if p)
    return env


def fakes_env(fakes: Mapping[str, Any]) -> dict[str, str]:
    """Provider variables pointing at the fakes: their ready line's ``env`` (URLs, SMTP), plus
    the senders and secrets the stack shares with them (nothing when no fakes run)."""
    if not fakes:
        return {}
    env = dict(FAKE_CREDENTIALS)
    env.update({str(k): str(v) for k, v in dict(fakes.get("env") or {}).items()})
    env["SMTP_STARTTLS"] = "false"
    return env


def function_env(
    config: StackConfig,
    *,
    firestore_host: str | None,
    tasks_host: str | None,
    urls: Mapping[str, str],
    fakes: Mapping[str, Any],
    auth_host: str | None = None,
) -> dict[str, str]:
    """What every function process gets (each adds its own ``PUBLIC_BASE_URL``)."""
    env: dict[str, str] = {
        "GOOGLE_CLOUD_PROJECT": config.project,
        "FIRESTORE_EMULATOR_HOST": firestore_host or "",
        "TASKS_LOCATION": config.tasks_location,
        "TASKS_QUEUE": "notifications",
        "DEFAULT_COUNTRY": config.default_country,
        "REGISTRATION_URL": config.registration_url,
        "WHATSAPP_PROVIDER": config.whatsapp_provider,
        # Tests change settings/notifications between writes: no stale copy in a process.
        "SHOP_SETTINGS_CACHE_SECONDS": "0",
    }
    if tasks_host:
        env["CLOUD_TASKS_EMULATOR_HOST"] = tasks_host
    if auth_host:
        env["FIREBASE_AUTH_EMULATOR_HOST"] = auth_host
    if "deliver_notification" in urls:
        env["DELIVER_URL"] = urls["deliver_notification"]
    if "campaign_step" in urls:
        env["CAMPAIGN_STEP_URL"] = urls["campaign_step"]
    if "twilio_status" in urls:
        env["TWILIO_STATUS_CALLBACK_URL"] = urls["twilio_status"]
    if "console" in urls:  # the customer's preference page, and a key for its links
        env["PREFERENCES_URL"] = urls["console"] + "/preferences"
        env["PREFERENCES_LINK_SECRET"] = LOCAL_PREFERENCES_SECRET
    env.update(fakes_env(fakes))
    env.update(config.extra_env)
    return {k: v for k, v in env.items() if v != ""}


def developer_env(
    env: Mapping[str, str],
    *,
    urls: Mapping[str, str],
    router_url: str | None,
    fakes: Mapping[str, Any],
) -> dict[str, str]:
    """The functions' environment plus the stack's addresses: what a shell needs."""
    out = dict(env)
    for name, url in urls.items():
        out[f"DEVSTACK_URL_{name.upper()}"] = url
    if router_url:
        out["DEVSTACK_TRIGGER_ROUTER_URL"] = router_url
    if fakes.get("control_url"):
        out["DEVSTACK_FAKES_CONTROL_URL"] = str(fakes["control_url"])
    return out


def write_env_file(path: Path, env: Mapping[str, str]) -> None:
    """``export KEY=value`` lines a shell can ``source``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by the local stack (devstack): `source` it to talk to the running stack."]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items())]
    path.write_text("\n".join(lines) + "\n")


def fake_rows(fakes: Mapping[str, Any], host: str) -> list[tuple[str, str, str]]:
    """The fakes' addresses as ``describe`` rows."""
    rows = []
    for label, (key, note) in _FAKE_ROWS.items():
        value = fakes.get(key)
        if value is not None:
            if key == "smtp_port":
                value = f"{fakes.get('smtp_host', host)}:{value}"
            rows.append((label, str(value), note))
    return rows


# Local only: the stack's preference links are signed with it (a deployment's is a secret).
LOCAL_PREFERENCES_SECRET = "local-stack-preference-links"

SECRET_VARIABLES = frozenset(
    {
        "TWILIO_AUTH_TOKEN",
        "TWILIO_WEBHOOK_SIGNING_KEY",
        "META_WHATSAPP_TOKEN",
        "META_APP_SECRET",
        "META_VERIFY_TOKEN",
        "SMTP_PASSWORD",
        "PREFERENCES_LINK_SECRET",
    }
)
HIDDEN = "<hidden: in the env file, or make dev SHOW_SECRETS=1>"


def describe(
    rows: Iterable[tuple[str, str, str]],
    env: Mapping[str, str],
    log_dir: Path,
    *,
    show_secrets: bool = False,
) -> str:
    """A table of (service, address, notes), then the environment and where the logs are.

    Secret values are printed only with ``show_secrets`` (a terminal is often shared or recorded).
    """
    rows = list(rows)
    width = max(len(r[0]) for r in rows)
    url_width = max(len(r[1]) for r in rows)
    out = [
        f"{'service':<{width}}  {'address':<{url_width}}  notes",
        "-" * (width + url_width + 20),
    ]
    out += [f"{a:<{width}}  {b:<{url_width}}  {c}" for a, b, c in rows]
    out.append("")
    out.append("environment:")
    out += [
        f"  {k}={v if show_secrets or k not in SECRET_VARIABLES or not v else HIDDEN}"
        for k, v in sorted(env.items())
    ]
    out.append(f"logs: {log_dir}")
    return "\n".join(out)
