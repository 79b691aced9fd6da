"""Which sender carries each channel, created lazily and once; no SDK at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.adapters.channels.factory import Senders, senders_from_settings
from shared.adapters.channels.meta_whatsapp import MetaWhatsAppSender
from shared.adapters.channels.smtp_email import SmtpEmailSender
from shared.adapters.channels.twilio_sms import TwilioSmsSender
from shared.adapters.channels.twilio_whatsapp import TwilioWhatsAppSender
from shared.model.enums import Channel, Provider
from shared.platform.settings import Settings
from shared.rules.provider_errors import ProviderNotConfiguredError

ROOT = Path(__file__).resolve().parents[2]
FULL = {
    "GOOGLE_CLOUD_PROJECT": "demo-shop",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_SMS_FROM": "+15005550006",
    "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
    "META_WHATSAPP_TOKEN": "meta-token",
    "META_PHONE_NUMBER_ID": "106540352242922",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_FROM": "shop@example.com",
}


def test_importing_the_package_imports_no_provider_sdk() -> None:
    code = (
        "import sys, shared.adapters.channels.factory; "
        "print(sorted(m for m in ('twilio', 'firebase_admin', 'smtplib', 'requests') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_each_channel_gets_its_provider_and_the_same_sender_every_time() -> None:
    senders = Senders(Settings.from_env(FULL))
    sms = senders.for_channel(Channel.SMS)
    assert isinstance(sms, TwilioSmsSender)
    assert senders.for_channel(Channel.SMS) is sms
    whatsapp = senders.for_channel(Channel.WHATSAPP)
    assert isinstance(whatsapp, TwilioWhatsAppSender)
    assert whatsapp.client is sms.client  # one Twilio client per process
    assert isinstance(senders.for_channel(Channel.EMAIL), SmtpEmailSender)
    assert senders.provider_for(Channel.PUSH) is Provider.FCM


def test_whatsapp_provider_meta_selects_the_cloud_api_sender() -> None:
    senders = Senders(Settings.from_env({**FULL, "WHATSAPP_PROVIDER": "meta"}))
    assert senders.provider_for(Channel.WHATSAPP) is Provider.META
    assert isinstance(senders.for_channel(Channel.WHATSAPP), MetaWhatsAppSender)


@pytest.mark.parametrize(
    ("channel", "missing", "provider"),
    [
        (Channel.SMS, "TWILIO_SMS_FROM", Provider.TWILIO),
        (Channel.WHATSAPP, "TWILIO_WHATSAPP_FROM", Provider.TWILIO),
        (Channel.EMAIL, "SMTP_HOST", Provider.SMTP),
        (Channel.PUSH, "GOOGLE_CLOUD_PROJECT", Provider.FCM),
    ],
)
def test_a_provider_without_its_variables_is_not_configured_never_a_crash(
    channel: Channel, missing: str, provider: Provider
) -> None:
    env = {k: v for k, v in FULL.items() if k != missing}
    senders = Senders(Settings.from_env(env))
    assert not senders.is_configured(channel)
    with pytest.raises(ProviderNotConfiguredError) as caught:
        senders.for_channel(channel)
    assert caught.value.provider is provider


def test_senders_are_shared_per_settings_within_the_process() -> None:
    settings = Settings.from_env(FULL)
    assert senders_from_settings(settings) is senders_from_settings(Settings.from_env(FULL))
    assert senders_from_settings(settings) is not senders_from_settings(Settings.from_env({}))


def test_a_notification_keeps_the_provider_it_was_planned_with_while_configured() -> None:
    senders = Senders(Settings.from_env({**FULL, "WHATSAPP_PROVIDER": "meta"}))
    assert isinstance(senders.sender_for(Channel.WHATSAPP), MetaWhatsAppSender)
    planned_twilio = senders.sender_for(Channel.WHATSAPP, Provider.TWILIO)
    assert isinstance(planned_twilio, TwilioWhatsAppSender)
    assert senders.sender_for(Channel.WHATSAPP, Provider.TWILIO) is planned_twilio
    assert senders.sender_for(Channel.SMS, Provider.META) is None  # cannot carry SMS
    unconfigured = Senders(Settings.from_env({k: v for k, v in FULL.items() if "META" not in k}))
    assert unconfigured.sender_for(Channel.WHATSAPP, Provider.META) is None


def test_the_pipeline_registry_protocol_is_what_senders_provide() -> None:
    from shared.adapters.channels.senders import SenderRegistry  # noqa: PLC0415

    registry: SenderRegistry = Senders(Settings.from_env({}))
    assert registry.sender_for(Channel.EMAIL, None) is None


def test_adapters_wait_as_long_as_provider_timeout_seconds_says() -> None:
    senders = Senders(Settings.from_env({**FULL, "PROVIDER_TIMEOUT_SECONDS": "2.5"}))
    sms = senders.for_channel(Channel.SMS)
    assert isinstance(sms, TwilioSmsSender)
    assert sms.timeout == 2.5
    assert Settings.from_env(FULL).provider_timeout == 10.0
