"""The fakes as the local stack runs them: ``python -m devstack.fakes``, driven over HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from devstack.fakes import FakeProvidersClient
from shared.adapters.channels.meta_whatsapp import MetaWhatsAppSender
from shared.adapters.channels.twilio_sms import TwilioSmsSender
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage
from shared.platform.settings import Settings
from shared.rules.provider_errors import TransientProviderError
from tests.integration.fakes_support import CallbackReceiver

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.integration.fakes_fixture"]

ROOT = Path(__file__).resolve().parents[2]
SID = "AC" + "0" * 30 + "01"
TOKEN = "cli-auth-token"


@pytest.fixture
def fake_process(callback_receiver: CallbackReceiver) -> Iterator[tuple[dict[str, Any], int]]:
    argv = [
        sys.executable, "-m", "devstack.fakes",
        "--host", "127.0.0.1", "--http-port", "0", "--smtp-port", "0",
        "--twilio-account-sid", SID, "--twilio-auth-token", TOKEN,
        "--meta-token", "cli-meta-token", "--meta-app-secret", "cli-app-secret",
        "--meta-webhook-url", f"{callback_receiver.url}/meta_webhook",
    ]  # fmt: skip
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        ready = json.loads(process.stdout.readline())
        yield ready, process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        process.stdout.close()
    assert code == 0


def test_the_cli_prints_its_urls_and_serves_the_real_sdks(
    fake_process: tuple[dict[str, Any], int], callback_receiver: CallbackReceiver
) -> None:
    ready, _pid = fake_process
    assert ready["twilio_base_url"] == ready["http_url"]
    assert ready["meta_graph_base_url"] == f"{ready['http_url']}/v21.0"
    assert ready["smtp_port"] > 0
    env = {
        **ready["env"],
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_STATUS_CALLBACK_URL": f"{callback_receiver.url}/twilio_status",
        "META_PHONE_NUMBER_ID": "106540352242922",
    }
    settings = Settings.from_env(env)
    assert settings.twilio.account_sid == SID
    control = FakeProvidersClient(ready["control_url"])
    assert control.health()

    sms = OutboundMessage("n-cli", Channel.SMS, "+33612345678", "Bonjour")
    sid = TwilioSmsSender(settings.twilio).send(sms).provider_message_id
    assert [r["params"]["Body"] for r in control.requests("twilio")] == ["Bonjour"]
    assert sid is not None

    control.set_faults([{"provider": "twilio", "status": 503}])
    with pytest.raises(TransientProviderError):
        TwilioSmsSender(settings.twilio).send(sms)

    control.send_twilio_status(sid, "delivered")
    wamid = (
        MetaWhatsAppSender(settings.meta)
        .send(OutboundMessage("n-cli-wa", Channel.WHATSAPP, "+33612345678", "Bonjour"))
        .provider_message_id
    )
    assert wamid is not None
    control.send_meta_status(wamid, "read")

    twilio_cb, meta_cb = callback_receiver.wait_for(2)
    url = f"{callback_receiver.url}/twilio_status"
    signature = twilio_cb.headers["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(url, twilio_cb.form, signature)
    assert json.loads(meta_cb.body)["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] == wamid

    control.reset()
    assert control.requests() == []
    assert control.messages("twilio") == []
    control.close()
