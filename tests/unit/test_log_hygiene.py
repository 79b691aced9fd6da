"""What the functions print is fit for Cloud Logging: JSON with ``severity``, nothing personal.

Representative calls run with recognisable secrets configured and a customer's phone, email and
message in their inputs: webhooks rejected (bad signatures), the Meta verification handshake,
an SMS sent through the real Twilio adapter against a local fake API, the same adapter failing
on a permanent provider error logged with its exception, and a trigger giving up on an
unexpected exception. Every line they log is then grepped.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import functions_framework
import pytest

from functions.boundary import cloudevents
from shared.adapters.channels.twilio_sms import TwilioSmsSender
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage
from shared.platform.log import JsonFormatter, get_logger, log_context
from shared.platform.masking import mask_body
from shared.platform.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "TWILIO_AUTH_TOKEN": "tw-auth-7f3a9c0d1e2b",
    "META_WHATSAPP_TOKEN": "EAAGmetaToken91xQz",
    "META_APP_SECRET": "meta-app-secret-b81d",
    "META_VERIFY_TOKEN": "verify-me-4471",
    "SMTP_PASSWORD": "smtp-pass-5e2c",
}
PHONE = "+33612345678"
EMAIL = "marie.dupont@example.fr"
BODY = "Bonjour Marie, votre iPhone 13 est prêt à retirer"
ENV = {
    **SECRETS,
    "GOOGLE_CLOUD_PROJECT": "demo-logs",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_SMS_FROM": "MyShop",
    "META_PHONE_NUMBER_ID": "1098765432",
    "WHATSAPP_PROVIDER": "meta",
    "SMTP_HOST": "smtp.example.test",
    "SMTP_USERNAME": "notify@example.test",
    "SMTP_FROM": "notify@example.test",
}

log = get_logger("tests.log_hygiene")


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Every log line of the process, formatted as production formats it (DEBUG and up)."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    settings = Settings.from_env(ENV)
    secrets = (
        settings.twilio.auth_token,
        settings.meta.token,
        settings.meta.app_secret,
        settings.meta.verify_token,
        settings.smtp.password,
    )  # as shared.entry passes them
    handler.setFormatter(JsonFormatter("demo-logs", secrets))
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    root.handlers = [handler]  # a JsonFormatter handler: configure() leaves it in place
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.handlers, level = saved
        root.setLevel(level)
        get_settings.cache_clear()


class _FakeTwilio(BaseHTTPRequestHandler):
    """Messages API: 201 for one number, Twilio's 21211 error for any other."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = self.rfile.read(length).decode()
        payload: dict[str, object]
        if "To=%2B33612345678" in form:
            status, payload = 201, {
                "sid": "SM" + "a1" * 16, "status": "queued", "num_segments": "1", "to": PHONE,
                "body": BODY, "price": None, "price_unit": "EUR", "error_code": None,
            }  # fmt: skip
        else:
            status, payload = 400, {
                "code": 21211, "status": 400, "more_info": "https://www.twilio.com/docs/errors/21211",
                "message": "The 'To' number +33699999999 is not a valid phone number.",
            }  # fmt: skip
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def fake_twilio() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_create_app: Any = functions_framework.create_app  # untyped library


def _client(target: str) -> Any:
    return _create_app(target, str(ROOT / "main.py")).test_client()


def _run_representative_calls(twilio_url: str) -> None:
    form = {"From": f"whatsapp:{PHONE}", "To": "whatsapp:+33100000000", "Body": BODY,
            "MessageSid": "SM" + "b2" * 16, "AccountSid": ENV["TWILIO_ACCOUNT_SID"]}  # fmt: skip
    for target in ("twilio_inbound", "twilio_status"):
        response = _client(target).post("/", data=form, headers={"X-Twilio-Signature": "bad"})
        assert response.status_code == 403
    meta_event = {"entry": [{"changes": [{"value": {"messages": [
        {"from": PHONE[1:], "text": {"body": BODY}, "type": "text"}]}}]}]}  # fmt: skip
    meta = _client("meta_webhook")
    assert meta.post("/", json=meta_event).status_code == 401
    assert (
        meta.post("/", json=meta_event, headers={"X-Hub-Signature-256": "sha256=00"}).status_code
        == 403
    )
    verify = {"hub.mode": "subscribe", "hub.verify_token": SECRETS["META_VERIFY_TOKEN"],
              "hub.challenge": "1158201444"}  # fmt: skip
    assert meta.get("/", query_string=verify).status_code == 200

    settings = Settings.from_env({**ENV, "TWILIO_API_BASE_URL": twilio_url})
    sender = TwilioSmsSender(settings.twilio)
    with log_context(notificationId="n-1", trace="0af7651916cd43dd8448eb211c80319c"):
        result = sender.send(OutboundMessage("n-1", Channel.SMS, PHONE, BODY))
        # Free text is scrubbed of phones and emails; a body in it must be masked by the caller
        # (mask_body), while ``body``/``text`` fields are redacted whatever they hold.
        log.info("sent %s to %s: %s", result.provider_message_id, PHONE, mask_body(BODY),
                 extra={"to": PHONE, "email": EMAIL, "body": BODY, "text": BODY})  # fmt: skip
        try:
            sender.send(OutboundMessage("n-2", Channel.SMS, "+33699999999", BODY))
        except Exception:
            log.exception("send failed for %s (%s)", "+33699999999", EMAIL)

    class _Event:
        data = json.dumps({"value": {
            "name": "projects/demo-logs/databases/(default)/documents/tickets/T1",
            "fields": {"clientPhone": {"stringValue": PHONE}},
            "createTime": "2026-01-01T10:00:00Z", "updateTime": "2026-01-01T10:00:00Z",
        }}).encode()  # fmt: skip

        def get_attributes(self) -> dict[str, str]:
            return {"id": "evt-1", "type": "google.cloud.firestore.document.v1.written",
                    "subject": "documents/tickets/T1",
                    "datacontenttype": "application/json"}  # fmt: skip

    def crash(change: Any) -> None:
        # A library error quoting a credential and the customer (as some do in URLs).
        token = SECRETS["META_WHATSAPP_TOKEN"]
        raise RuntimeError(f"GET /v21.0/me?access_token={token} failed for {EMAIL} / {PHONE}")

    outcome = cloudevents.run(_Event(), crash)
    assert outcome is not None
    assert outcome.get("failed") == "RuntimeError", outcome


E164_PATTERN = re.compile(r"(?<!\w)\+\d{8,15}(?!\d)")
NATIONAL_DIGITS = ("612345678", "699999999")
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def test_logs_are_json_with_severity_and_nothing_personal_or_secret(
    captured: io.StringIO, fake_twilio: str
) -> None:
    _run_representative_calls(fake_twilio)
    lines = captured.getvalue().splitlines()
    assert len(lines) >= 5, lines
    for line in lines:
        entry = json.loads(line)
        assert entry["severity"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, line
        assert not E164_PATTERN.search(line), line
        assert not any(digits in line for digits in NATIONAL_DIGITS), line
        assert not EMAIL_PATTERN.search(line), line
        assert "iPhone 13 est prêt" not in line, line
        for name, secret in SECRETS.items():
            assert secret not in line, f"{name} leaked: {line}"
    text = captured.getvalue()
    assert '"notificationId": "n-1"' in text
    assert "projects/demo-logs/traces/0af7651916cd43dd8448eb211c80319c" in text
    assert any(json.loads(line).get("exception") for line in lines), "the failure's traceback"
    assert "access_token=<redacted>" in text  # the secret value itself, wherever it appears
