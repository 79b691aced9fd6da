"""What the local stack starts and how: targets, ports, credentials of the fakes, options.

``StackConfig.from_env`` reads the ``DEVSTACK_*`` variables (``make dev`` sets none: every port
is a free one) and ``FIRESTORE_EMULATOR_HOST`` (a developer's own emulator, used instead of
starting one). Keyword arguments win over the environment.

The functions and the Firestore triggers are those of ``functions/registry.py``: ``TARGETS``,
``TRIGGERS`` and ``main_functions()`` derive from it and declare nothing of their own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack import firebase_json
from devstack.process import DEFAULT_HOST, ROOT
from functions import registry
from functions.registry import CLOUDEVENT, HTTP

__all__ = [
    "CLOUDEVENT",
    "DEFAULT_PROJECT",
    "FAKES_CREDENTIAL_VARIABLES",
    "FAKE_CREDENTIALS",
    "HTTP",
    "ROOT",
    "TARGETS",
    "TRIGGERS",
    "TRIGGER_DOCUMENTS",
    "FunctionSpec",
    "StackConfig",
    "fake_credential_env",
    "fakes_argv",
    "main_functions",
    "trigger_ids",
    "watched",
]

DEFAULT_PROJECT = "demo-shop"
DEFAULT_LOCATION = "europe-west1"

# Derived from functions/registry.py (the one list of targets), for the stack's callers:
# every target of main.py -> its signature type, and each Firestore collection -> its target.
TARGETS: dict[str, str] = {t.name: t.signature for t in registry.TARGETS}
CONCURRENCY: dict[str, int] = {t.name: t.deploy.concurrency for t in registry.TARGETS}
TRIGGERS: dict[str, str] = {
    t.trigger.collection: t.name for t in registry.TARGETS if t.trigger is not None
}
# collection -> the registry's trigger (event type and document pattern) on it.
TRIGGER_DOCUMENTS: dict[str, registry.Trigger] = {
    t.trigger.collection: t.trigger for t in registry.TARGETS if t.trigger is not None
}

# Credentials the fakes accept and the functions use: fixed, local, not secret.
FAKE_CREDENTIALS: dict[str, str] = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 30 + "01",
    "TWILIO_AUTH_TOKEN": "devstack-twilio-auth-token",
    "TWILIO_SMS_FROM": "+15005550006",
    "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
    "META_WHATSAPP_TOKEN": "devstack-meta-token",
    "META_PHONE_NUMBER_ID": "106540352242922",
    "META_APP_SECRET": "devstack-meta-app-secret",
    "META_VERIFY_TOKEN": "devstack-meta-verify-token",
    "SMTP_FROM": "Repair Shop <shop@example.com>",
}


# The fakes read the functions' credentials from these variables (``devstack/fakes/__main__``),
# so no credential is on a command line (``ps`` shows command lines to every local user).
FAKES_CREDENTIAL_VARIABLES = {
    "FAKES_TWILIO_ACCOUNT_SID": "TWILIO_ACCOUNT_SID",
    "FAKES_TWILIO_AUTH_TOKEN": "TWILIO_AUTH_TOKEN",
    "FAKES_META_TOKEN": "META_WHATSAPP_TOKEN",
    "FAKES_META_APP_SECRET": "META_APP_SECRET",
    "FAKES_META_PHONE_NUMBER_ID": "META_PHONE_NUMBER_ID",
}


def fake_credential_env() -> dict[str, str]:
    """The environment that gives ``python -m devstack.fakes`` the functions' credentials."""
    return {var: FAKE_CREDENTIALS[name] for var, name in FAKES_CREDENTIAL_VARIABLES.items()}


def fakes_argv(config: StackConfig, meta_webhook_url: str | None) -> list[str]:
    """``python -m devstack.fakes`` for this configuration (port 0: the fakes bind a free one
    and their ready line says which)."""
    argv = [
        sys.executable,
        "-m",
        "devstack.fakes",
        "--host",
        config.host,
        "--http-port",
        str(config.fakes_http_port),
        "--smtp-port",
        str(config.fakes_smtp_port),
        "--fcm-project",
        config.project,
    ]
    if meta_webhook_url:
        argv += ["--meta-webhook-url", meta_webhook_url]
    if config.fakes_auto_callbacks:
        argv.append("--auto-callbacks")
    return argv


@dataclass(frozen=True)
class FunctionSpec:
    """One functions-framework process."""

    name: str
    signature: str
    source: Path = ROOT / "main.py"
    target: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def entry_point(self) -> str:
        return self.target or self.name

    def argv(self, host: str, port: int) -> list[str]:
        """The functions-framework command line serving this target on ``host:port``."""
        return [
            str(Path(sys.executable).with_name("functions-framework")),
            "--source",
            str(self.source),
            "--target",
            self.entry_point,
            "--signature-type",
            self.signature,
            "--host",
            host,
            "--port",
            str(port),
        ]


def main_functions(names: Sequence[str] | None = None) -> tuple[FunctionSpec, ...]:
    """Specs for the targets of ``main.py`` (all of them by default)."""
    chosen = list(TARGETS) if names is None else list(names)
    unknown = [n for n in chosen if n not in TARGETS]
    if unknown:
        raise ValueError(f"unknown targets {unknown}; known: {sorted(TARGETS)}")
    # Requests at once per process as Cloud Run gives an instance (the registry's concurrency),
    # not functions-framework's default of 4 threads per core: locally, 10 campaign sends at
    # once could otherwise keep a "your phone is ready" waiting for a thread.
    return tuple(FunctionSpec(n, TARGETS[n], env={"THREADS": str(CONCURRENCY[n])}) for n in chosen)


def watched(collection: str) -> registry.Trigger:
    """The registry's trigger on ``collection``, or (a collection no target watches, a test's
    own) every document written there."""
    return TRIGGER_DOCUMENTS.get(collection) or registry.Trigger(f"{collection}/{{documentId}}")


def trigger_ids(triggers: Mapping[str, str]) -> dict[str, str]:
    """collection -> trigger id: the target's name (Eventarc's trigger is named after its
    function), suffixed by the collection when one target watches several."""
    targets = list(triggers.values())
    return {c: t if targets.count(t) == 1 else f"{t}.{c}" for c, t in triggers.items()}


def _env_int(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip()
    return int(value) if value else 0


@dataclass(frozen=True)
class StackConfig:
    """What to start and on which ports (0: a free port). ``from_env`` reads ``DEVSTACK_*``.

    ``triggers`` maps a collection to the function its writes go to; ``external_firestore`` is
    a developer's own emulator (its triggers reach the router only if it was started with
    ``--functions_emulator`` naming the router: ``router_port`` fixes the router's port for
    that). ``tasks_backoff_scale`` shortens the queues' retry backoff (tests use 0.05).
    """

    project: str = DEFAULT_PROJECT
    host: str = DEFAULT_HOST
    firestore_port: int = 0
    router_port: int = 0
    tasks_port: int = 0
    fakes_http_port: int = 0
    fakes_smtp_port: int = 0
    auth_port: int = 0
    function_ports: Mapping[str, int] = field(default_factory=dict)
    functions: tuple[FunctionSpec, ...] = field(default_factory=main_functions)
    triggers: Mapping[str, str] = field(default_factory=lambda: dict(TRIGGERS))
    rules: Path | None = field(default_factory=lambda: firebase_json.load().rules)
    tasks: bool = True
    tasks_backoff_scale: float = 1.0
    fakes: bool = True
    auth: bool = True  # the Firebase Auth emulator (the console's sign-in), a seeded staff user
    fakes_auto_callbacks: bool = False
    external_firestore: str | None = None
    tasks_location: str = DEFAULT_LOCATION
    whatsapp_provider: str = "twilio"
    default_country: str = "FR"
    registration_url: str = "https://shop.example.com/register"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    env_file: Path | None = None
    startup_timeout: float = 90.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> StackConfig:
        """Ports and options from ``DEVSTACK_*`` variables; an external emulator from
        ``FIRESTORE_EMULATOR_HOST``. Keyword arguments win over the environment."""
        env = os.environ if environ is None else environ
        ports: dict[str, int] = {}
        for item in env.get("DEVSTACK_FUNCTION_PORTS", "").split(","):
            if "=" in item:
                name, _, port = item.partition("=")
                ports[name.strip()] = int(port)
        names = [n.strip() for n in env.get("DEVSTACK_FUNCTIONS", "").split(",") if n.strip()]
        log_dir = env.get("DEVSTACK_LOG_DIR")
        values: dict[str, Any] = {
            "project": env.get("DEVSTACK_PROJECT") or DEFAULT_PROJECT,
            "host": env.get("DEVSTACK_HOST") or DEFAULT_HOST,
            "firestore_port": _env_int(env, "DEVSTACK_FIRESTORE_PORT"),
            "router_port": _env_int(env, "DEVSTACK_ROUTER_PORT"),
            "tasks_port": _env_int(env, "DEVSTACK_TASKS_PORT"),
            "fakes_http_port": _env_int(env, "DEVSTACK_FAKES_HTTP_PORT"),
            "fakes_smtp_port": _env_int(env, "DEVSTACK_FAKES_SMTP_PORT"),
            "auth_port": _env_int(env, "DEVSTACK_AUTH_PORT"),
            "function_ports": ports,
            "functions": main_functions(names or None),
            "external_firestore": env.get("FIRESTORE_EMULATOR_HOST") or None,
            "tasks_location": env.get("DEVSTACK_TASKS_LOCATION") or DEFAULT_LOCATION,
            "whatsapp_provider": env.get("DEVSTACK_WHATSAPP_PROVIDER") or "twilio",
            "log_dir": Path(log_dir) if log_dir else None,
        }
        values.update(overrides)
        return cls(**values)
