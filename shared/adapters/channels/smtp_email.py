"""Email over SMTP: one connection per send, STARTTLS and login when configured.

The message is ``multipart/alternative`` (text, plus HTML when rendered). Its ``Message-ID`` is
derived from the notification id (``<{id}@{sender domain}>``) and returned as the provider
message id.

Lost responses: SMTP has no lookup, so ``find_previous`` answers ``None``; but a resend after a
lost ``250`` carries the same ``Message-ID``, which makes the duplicate recognisable (mail
clients and the capture in tests collapse or flag it) instead of silent.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from shared.model.enums import Provider
from shared.model.messages import OutboundMessage, SendResult
from shared.platform.settings import SmtpSettings
from shared.rules.provider_errors import ProviderNotConfiguredError, classify_smtp

DEFAULT_TIMEOUT = 10.0

SmtpFactory = Callable[[str, int, float], smtplib.SMTP]
# RFC 5322 dot-atom text, minus "=" which escapes everything else.
_UNSAFE_ID_CHAR = re.compile(r"[^A-Za-z0-9!#$%&'*+/?^_`{|}~.-]")


def default_smtp_factory(host: str, port: int, timeout: float) -> smtplib.SMTP:
    return smtplib.SMTP(host, port, timeout=timeout)


# Lines fold at 998 (RFC 5322's limit) rather than 78: a long List-Unsubscribe URL must stay one
# word in angle brackets (RFC 2369), never an encoded-word a mail client cannot follow.
_POLICY = policy.default.clone(max_line_length=998)
# The headers a message may add (nothing else: no header a template could smuggle in).
_EXTRA_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post"})


def message_id(notification_id: str, sender: str) -> str:
    """``<{notification id}@{sender's domain}>``: the same for every attempt of a notification."""
    local = _UNSAFE_ID_CHAR.sub(lambda m: f"={ord(m.group()):02X}", notification_id).strip(".")
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{local or 'notification'}@{domain}>"


def build_email(message: OutboundMessage, settings: SmtpSettings) -> EmailMessage:
    """The MIME message for ``message`` (pure, tested on its headers and parts)."""
    sender = settings.sender or ""
    email = EmailMessage(policy=_POLICY)
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject or message.title or ""
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.notification_id, sender)
    email["X-Notification-Id"] = message.notification_id
    for name, value in message.headers.items():
        if name in _EXTRA_HEADERS and "\r" not in value and "\n" not in value:
            email[name] = value
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


@dataclass
class SmtpEmailSender:
    """Sends mail through an SMTP connection from ``smtp_factory(host, port, timeout)``."""

    settings: SmtpSettings
    smtp_factory: SmtpFactory = default_smtp_factory
    timeout: float = DEFAULT_TIMEOUT
    tls_context: ssl.SSLContext | None = None
    provider: Provider = field(default=Provider.SMTP, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def _tls(self) -> ssl.SSLContext:
        if self.tls_context is None:
            with self._lock:
                if self.tls_context is None:
                    self.tls_context = ssl.create_default_context()
        return self.tls_context

    def send(self, message: OutboundMessage) -> SendResult:
        settings = self.settings
        if not settings.configured or settings.host is None:
            raise ProviderNotConfiguredError(
                "email needs SMTP_HOST and SMTP_FROM", provider=Provider.SMTP
            )
        email = build_email(message, settings)
        try:
            smtp = self.smtp_factory(settings.host, settings.port, self.timeout)
            try:
                if settings.starttls:
                    smtp.starttls(context=self._tls())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(email)
            finally:
                _close(smtp)
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_smtp(exc) from exc
        mid = str(email["Message-ID"])
        return SendResult(
            provider=Provider.SMTP,
            provider_message_id=mid,
            status="sent",
            raw={"message_id": mid, "html": bool(message.html)},
        )

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """Always ``None``: SMTP cannot be asked (see the module docstring)."""
        return None


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a failure here must not turn an accepted message into an error."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
