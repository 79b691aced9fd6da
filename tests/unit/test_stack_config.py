"""The orchestrator's configuration: ports and targets from the environment, a clean child env."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.config import (
    FAKE_CREDENTIALS,
    TARGETS,
    TRIGGERS,
    StackConfig,
    fake_credential_env,
    fakes_argv,
    main_functions,
    watched,
)
from devstack.environment import describe
from devstack.fakes.__main__ import parse_args
from devstack.stack import Stack
from functions import registry


def test_defaults_pick_free_ports_and_every_target() -> None:
    config = StackConfig.from_env({})

    assert config.firestore_port == 0
    assert config.tasks_port == 0
    assert [f.name for f in config.functions] == list(TARGETS)
    assert config.external_firestore is None
    assert config.project.startswith("demo-")


def test_environment_sets_ports_targets_and_an_external_emulator() -> None:
    config = StackConfig.from_env(
        {
            "DEVSTACK_FIRESTORE_PORT": "8787",
            "DEVSTACK_FUNCTION_PORTS": "deliver_notification=9001, twilio_status=9002",
            "DEVSTACK_FUNCTIONS": "deliver_notification,twilio_status",
            "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080",
        },
        tasks=False,
    )

    assert config.firestore_port == 8787
    assert dict(config.function_ports) == {"deliver_notification": 9001, "twilio_status": 9002}
    assert [f.name for f in config.functions] == ["deliver_notification", "twilio_status"]
    assert config.external_firestore == "127.0.0.1:8080"
    assert config.tasks is False


def test_the_stack_runs_every_registry_target_and_registers_its_trigger_documents() -> None:
    assert {t.name: t.signature for t in registry.TARGETS} == TARGETS
    assert TRIGGERS == {
        "tickets": "on_ticket_written",
        "orders": "on_order_written",
        "carts": "on_cart_written",
        "campaigns": "on_campaign_written",
        "consent_events": "on_consent_written",
    }
    assert watched("tickets").document == "tickets/{ticketId}"
    assert watched("carts").event_type == "google.cloud.firestore.document.v1.written"
    assert watched("returns").document == "returns/{documentId}"  # a collection only a test uses


def test_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown targets"):
        main_functions(["on_everything"])


def test_functions_never_inherit_real_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-real-token")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG-real")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/secret.json")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "prod-shop")

    env = Stack(StackConfig())._base_env()

    assert "TWILIO_AUTH_TOKEN" not in env
    assert "TWILIO_MESSAGING_SERVICE_SID" not in env
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in env
    assert "GOOGLE_CLOUD_PROJECT" not in env
    assert env["PYTHONUNBUFFERED"] == "1"


def test_no_credential_is_on_the_fakes_command_line() -> None:
    argv = fakes_argv(StackConfig(), "http://127.0.0.1:1/meta_webhook")
    secrets = [FAKE_CREDENTIALS[k] for k in ("TWILIO_AUTH_TOKEN", "META_APP_SECRET")]
    assert not [a for a in argv if any(s in a for s in secrets)]
    # ...and the fakes still get them, from their environment
    env = fake_credential_env()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        args = parse_args(argv[3:])
    assert args.twilio_auth_token == FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"]
    assert args.meta_app_secret == FAKE_CREDENTIALS["META_APP_SECRET"]
    assert args.meta_phone_number_id == FAKE_CREDENTIALS["META_PHONE_NUMBER_ID"]


def test_make_dev_prints_secrets_only_when_asked(tmp_path: Path) -> None:
    env = {"TWILIO_AUTH_TOKEN": "tok-123", "META_APP_SECRET": "app-456", "TASKS_QUEUE": "q"}
    rows = [("fakes", "http://127.0.0.1:1", "providers")]
    hidden = describe(rows, env, tmp_path)
    assert "tok-123" not in hidden
    assert "app-456" not in hidden
    assert "TASKS_QUEUE=q" in hidden
    shown = describe(rows, env, tmp_path, show_secrets=True)
    assert "TWILIO_AUTH_TOKEN=tok-123" in shown
    assert "META_APP_SECRET=app-456" in shown


def test_each_function_serves_as_many_requests_at_once_as_its_deployed_instance() -> None:
    specs = {spec.name: spec for spec in main_functions()}
    for target in registry.TARGETS:
        assert specs[target.name].env["THREADS"] == str(target.deploy.concurrency), target.name
