"""SMTP email adapter through ``smtplib`` against the capturing fake server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from devstack.fakes import FakeProviders
from shared.adapters.channels.smtp_email import SmtpEmailSender
from shared.model.enums import Channel
from shared.model.messages import OutboundMessage
from shared.rules.provider_errors import ErrorKind, PermanentProviderError, TransientProviderError
from tests.integration.fakes_support import settings_for

pytestmark = pytest.mark.integration
pytest_plugins = ["tests.integration.fakes_fixture"]

TIMEOUT = 0.5
EMAIL = OutboundMessage(
    "tickets_T9_completed_email",
    Channel.EMAIL,
    "marie.dupont@example.fr",
    "Bonjour Marie, votre téléphone est prêt.",
    subject="Réparation terminée",
    html="<p>Bonjour Marie, votre téléphone est <b>prêt</b>.</p>",
)


def sender(fakes: FakeProviders, **env: str) -> SmtpEmailSender:
    return SmtpEmailSender(settings_for(fakes, **env).smtp, timeout=TIMEOUT)


def test_mail_is_text_and_html_with_a_message_id_from_the_notification(
    provider_fakes: FakeProviders,
) -> None:
    result = sender(provider_fakes).send(EMAIL)

    (email,) = provider_fakes.emails()
    assert result.provider_message_id == "<tickets_T9_completed_email@repar.example>"
    assert email["message_id"] == result.provider_message_id
    assert email["mail_from"] == "atelier@repar.example"
    assert email["rcpt_tos"] == ["marie.dupont@example.fr"]
    assert email["subject"] == "Réparation terminée"
    assert email["content_type"] == "multipart/alternative"
    assert email["text"].strip() == EMAIL.text
    assert email["html"].strip() == EMAIL.html
    assert email["headers"]["X-Notification-Id"] == EMAIL.notification_id
    assert not email["authenticated"]


def test_login_when_a_username_is_configured(provider_fakes: FakeProviders) -> None:
    sender(provider_fakes, SMTP_USERNAME="atelier", SMTP_PASSWORD="secret").send(EMAIL)
    assert provider_fakes.emails()[0]["authenticated"]


@pytest.fixture
def fakes_with_login(provider_fakes: FakeProviders) -> Iterator[FakeProviders]:
    provider_fakes.config.smtp_username = "atelier"
    provider_fakes.config.smtp_password = "secret"
    yield provider_fakes
    provider_fakes.config.smtp_username = provider_fakes.config.smtp_password = None


def test_wrong_login_is_a_permanent_auth_error(fakes_with_login: FakeProviders) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        sender(fakes_with_login, SMTP_USERNAME="atelier", SMTP_PASSWORD="wrong").send(EMAIL)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.AUTH, "535")
    assert fakes_with_login.emails() == []


@pytest.mark.parametrize(
    ("reply", "kind", "transient"),
    [
        (451, ErrorKind.UNAVAILABLE, True),
        (421, ErrorKind.UNAVAILABLE, True),
        (452, ErrorKind.RATE_LIMITED, True),
        (550, ErrorKind.INVALID_RECIPIENT, False),
        (554, ErrorKind.REJECTED, False),
    ],
)
def test_smtp_4xx_is_transient_and_5xx_permanent(
    provider_fakes: FakeProviders, reply: int, kind: ErrorKind, transient: bool
) -> None:
    provider_fakes.set_faults([{"provider": "smtp", "status": reply, "to": EMAIL.to}])
    expected = TransientProviderError if transient else PermanentProviderError
    with pytest.raises(expected) as caught:
        sender(provider_fakes).send(EMAIL)
    assert (caught.value.kind, caught.value.code) == (kind, str(reply))
    assert provider_fakes.emails() == []


def test_a_hanging_server_is_a_transient_timeout(provider_fakes: FakeProviders) -> None:
    provider_fakes.set_faults([{"provider": "smtp", "action": "timeout", "delay": 5}])
    started = time.monotonic()
    with pytest.raises(TransientProviderError) as caught:
        sender(provider_fakes).send(EMAIL)
    assert time.monotonic() - started < 3
    assert (caught.value.kind, caught.value.ambiguous) == (ErrorKind.TIMEOUT, True)
    assert provider_fakes.emails() == []


def test_a_resend_after_a_lost_reply_is_a_recognisable_duplicate(
    provider_fakes: FakeProviders,
) -> None:
    smtp = sender(provider_fakes)
    provider_fakes.set_faults([{"provider": "smtp", "action": "accept_then_timeout", "delay": 5}])
    with pytest.raises(TransientProviderError) as caught:
        smtp.send(EMAIL)
    assert caught.value.ambiguous
    assert smtp.find_previous(EMAIL, datetime.now(UTC)) is None  # SMTP cannot be asked

    smtp.send(EMAIL)  # so the retry sends again

    first, second = provider_fakes.emails()
    assert (
        first["message_id"] == second["message_id"] == "<tickets_T9_completed_email@repar.example>"
    )


def test_asking_for_starttls_from_a_server_without_it_is_a_configuration_error(
    provider_fakes: FakeProviders,
) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        sender(provider_fakes, SMTP_STARTTLS="true").send(EMAIL)
    assert caught.value.kind is ErrorKind.CONFIGURATION


def test_smtp_down_is_transient_and_certainly_not_sent(provider_fakes: FakeProviders) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    with pytest.raises(TransientProviderError) as caught:
        sender(provider_fakes, SMTP_PORT=port).send(replace(EMAIL, html=None))
    assert (caught.value.kind, caught.value.ambiguous) == (ErrorKind.CONNECTION, False)
