"""What logs hide (phones and emails, URL-encoded too) and what they keep readable."""

from __future__ import annotations

import json
import logging

import pytest

from shared.platform.log import JsonFormatter
from shared.platform.masking import scrub
from shared.platform.settings import Settings, SmtpSettings, TwilioSettings


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("To=%2B33612345678&Body=hi", "33612345678"),
        ("From=whatsapp%3A%2B254712345678", "254712345678"),
        ("email=marie.dupont%40example.fr", "marie.dupont"),
        ("call 06 12 34 56 78", "12 34 56"),
        ("06.12.34.56.78", "12.34.56"),
        ("whatsapp:+33612345678", "612345678"),
        ("marie.dupont@example.fr wrote", "marie.dupont"),
    ],
)
def test_numbers_and_addresses_are_masked_however_encoded(text: str, hidden: str) -> None:
    assert hidden not in scrub(text)


@pytest.mark.parametrize(
    "text",
    [
        "at 2026-12-01 10:00:00",
        "550 5.1.1 user unknown",
        "421 4.7.0 try again later",
        "connect to 192.168.100.200 failed",
        "attempt 3 of 8",
    ],
)
def test_dates_times_smtp_codes_and_addresses_stay_readable(text: str) -> None:
    assert scrub(text) == text


def test_every_secret_of_the_settings_is_redacted_wherever_it_appears() -> None:
    settings = Settings(
        twilio=TwilioSettings(auth_token="tw-secret-token-123"),
        smtp=SmtpSettings(password="smtp-password-456"),
    )
    formatter = JsonFormatter("demo", settings.secret_values())
    record = logging.makeLogRecord(
        {"msg": "auth failed with tw-secret-token-123 and smtp-password-456", "levelno": 40}
    )

    line = json.loads(formatter.format(record))

    assert "tw-secret-token-123" not in line["message"]
    assert "smtp-password-456" not in line["message"]
    assert line["message"].count("<redacted>") == 2


def test_every_target_process_redacts_the_same_secrets(tmp_path: object) -> None:
    """Security finding: the webhook processes set logging up without the secrets (first call
    wins); every target now starts through ``functions.boundary.runtime.init``."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "from functions.boundary.runtime import init; import logging; init(); "
        "logging.getLogger('x').error('token tw-secret-token-123 meta meta-app-secret-9')"
    )
    env = {
        **os.environ,
        "TWILIO_AUTH_TOKEN": "tw-secret-token-123",
        "META_APP_SECRET": "meta-app-secret-9",
        "GOOGLE_CLOUD_PROJECT": "demo-x",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "tw-secret-token-123" not in out
    assert "meta-app-secret-9" not in out
    assert out.count("<redacted>") == 2
