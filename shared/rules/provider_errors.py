"""Provider errors: one small tree, and one classification function per provider.

Every adapter turns whatever its SDK raised into a ``ProviderError`` through the functions here,
so "is this worth a retry, and what should the pipeline do about it" is decided in one place,
from the tables of ``error_codes``:

- ``TransientProviderError``: retry with backoff (timeouts, connection errors, 429 / Twilio
  20429, 5xx, Meta 130429 / 131000 / 131016, SMTP 4xx, FCM UNAVAILABLE / INTERNAL / QUOTA).
- ``PermanentProviderError``: mark failed, maybe fall back. Its flags say what else to do:
  ``opt_out`` (Twilio 21610: opt the customer out), ``window_closed`` (Twilio 63016, Meta
  131047: resend as a template), ``invalid_recipient`` / ``landline`` (fall back to another
  channel), ``invalid_tokens`` (FCM: remove them from the profile).
- ``ProviderNotConfiguredError``: the deployment lacks the provider's variables; the pipeline
  records ``skipped`` / ``provider_not_configured``.

``ambiguous`` marks failures after which the provider may still have accepted the message (a
read timeout, a dropped connection): before resending, the pipeline asks the adapter's
``find_previous``. Nothing here imports an SDK; exceptions are recognised by their attributes
and class names, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from shared.model.enums import Provider
from shared.platform.errors import NotificationError, PermanentError, TransientError
from shared.rules import error_codes
from shared.rules.error_codes import ErrorKind

__all__ = [
    "TRANSIENT_KINDS",
    "ErrorKind",
    "PermanentProviderError",
    "ProviderError",
    "ProviderNotConfiguredError",
    "TransientProviderError",
    "classify_fcm",
    "classify_meta",
    "classify_smtp",
    "classify_transport",
    "classify_twilio",
    "provider_error",
]

TRANSIENT_KINDS = frozenset(
    {ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE, ErrorKind.TIMEOUT, ErrorKind.CONNECTION}
)
_RECIPIENT_KINDS = frozenset(
    {ErrorKind.INVALID_RECIPIENT, ErrorKind.LANDLINE, ErrorKind.INVALID_TOKEN}
)
_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


class ProviderError(NotificationError):
    """A provider refused or failed a send; ``kind`` says why, the subclass whether to retry."""

    def __init__(
        self,
        message: str,
        *,
        provider: Provider,
        kind: ErrorKind,
        code: str | None = None,
        http_status: int | None = None,
        ambiguous: bool = False,
        invalid_tokens: tuple[str, ...] = (),
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.kind = kind
        self.code = code
        self.http_status = http_status
        self.ambiguous = ambiguous
        self.invalid_tokens = invalid_tokens
        self.details: Mapping[str, Any] = details or _NO_DETAILS

    @property
    def opt_out(self) -> bool:
        """The customer unsubscribed from this sender: the pipeline opts them out."""
        return self.kind is ErrorKind.OPT_OUT

    @property
    def window_closed(self) -> bool:
        """WhatsApp refused free-form text outside the 24-hour window: resend as a template."""
        return self.kind is ErrorKind.WINDOW_CLOSED

    @property
    def invalid_recipient(self) -> bool:
        """The address cannot receive this channel (bad number, landline, not on WhatsApp,
        no valid push token left)."""
        return self.kind in _RECIPIENT_KINDS

    @property
    def landline(self) -> bool:
        """A valid phone number that cannot receive SMS."""
        return self.kind is ErrorKind.LANDLINE

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider.value!r}, kind={self.kind.value!r}, "
            f"code={self.code!r}, http_status={self.http_status!r}, message={self.message!r})"
        )


class TransientProviderError(ProviderError, TransientError):
    """A send that may succeed later: outage, timeout, rate limit. Retry with backoff."""


class PermanentProviderError(ProviderError, PermanentError):
    """A send that will fail the same way again: mark failed, then fall back if allowed."""


class ProviderNotConfiguredError(PermanentProviderError):
    """The deployment lacks this provider's variables; the message is skipped, not failed."""

    def __init__(self, message: str, *, provider: Provider) -> None:
        super().__init__(message, provider=provider, kind=ErrorKind.NOT_CONFIGURED)


def provider_error(
    provider: Provider,
    kind: ErrorKind,
    message: str,
    *,
    code: str | int | None = None,
    http_status: int | None = None,
    ambiguous: bool | None = None,
    invalid_tokens: tuple[str, ...] = (),
    details: Mapping[str, Any] | None = None,
) -> ProviderError:
    """The right subclass for ``kind``. Timeouts are ambiguous unless the caller knows better."""
    cls = TransientProviderError if kind in TRANSIENT_KINDS else PermanentProviderError
    return cls(
        message,
        provider=provider,
        kind=kind,
        code=None if code is None else str(code),
        http_status=http_status,
        ambiguous=(kind is ErrorKind.TIMEOUT) if ambiguous is None else ambiguous,
        invalid_tokens=invalid_tokens,
        details=details,
    )


def _kind_for_status(status: int | None) -> ErrorKind:
    if status is None:
        return ErrorKind.REJECTED
    if status >= 500:
        return ErrorKind.UNAVAILABLE
    return error_codes.HTTP_STATUS.get(status, ErrorKind.REJECTED)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def classify_twilio(status: int | None, code: int | str | None, message: str) -> ProviderError:
    """A Twilio REST error (HTTP ``status``, Twilio ``code``) or a callback's ``ErrorCode``."""
    number = _as_int(code)
    kind = error_codes.TWILIO.get(number) if number is not None else None
    if kind is None:
        kind = _kind_for_status(status)
    return provider_error(
        Provider.TWILIO, kind, message or f"Twilio error {code}", code=code, http_status=status
    )


def classify_meta(status: int | None, error_json: Mapping[str, Any] | None) -> ProviderError:
    """A Graph API error body (``{"error": {...}}`` or its inner object) with its HTTP status."""
    body: Mapping[str, Any] = error_json or {}
    inner = body.get("error")
    error: Mapping[str, Any] = inner if isinstance(inner, Mapping) else body
    code = _as_int(error.get("code"))
    kind = error_codes.META.get(code) if code is not None else None
    if kind is None and code is not None:
        kind = next((k for lo, hi, k in error_codes.META_RANGES if lo <= code <= hi), None)
    if kind is None:
        kind = _kind_for_status(status)
    message = str(error.get("message") or f"WhatsApp Cloud API error (HTTP {status})")
    error_data = error.get("error_data")
    if isinstance(error_data, Mapping) and error_data.get("details"):
        message = f"{message}: {error_data['details']}"
    details = {
        k: error[k]
        for k in ("type", "error_subcode", "fbtrace_id", "error_user_title")
        if k in error
    }
    return provider_error(
        Provider.META, kind, message, code=code, http_status=status, details=details
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and the errors wrapped in it (requests wraps urllib3's)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        nested = [*current.args, getattr(current, "reason", None), getattr(current, "cause", None)]
        nested += [current.__cause__, current.__context__]
        todo += [n for n in nested if isinstance(n, BaseException)]


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def classify_transport(provider: Provider, exc: BaseException) -> ProviderError:
    """A network failure (requests, urllib3, socket): always transient.

    Ambiguous unless the connection was never made (refused, DNS, connect timeout): a read
    timeout or a dropped connection may hide an accepted message.
    """
    names: set[str] = set()
    for item in _chain(exc):
        names |= _class_names(item)
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: test it first.
    if names & {"NewConnectionError", "gaierror", "ConnectionRefusedError"}:
        kind, never_sent = ErrorKind.CONNECTION, True
    elif names & {"ConnectTimeout", "ConnectTimeoutError"}:
        kind, never_sent = ErrorKind.TIMEOUT, True
    elif names & {"Timeout", "TimeoutError", "ReadTimeoutError", "timeout"}:
        kind, never_sent = ErrorKind.TIMEOUT, False
    else:
        kind, never_sent = ErrorKind.CONNECTION, False
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return provider_error(provider, kind, message, ambiguous=not never_sent)


def _smtp_kind(code: int) -> ErrorKind:
    known = error_codes.SMTP.get(code)
    if known is not None:
        return known
    if 400 <= code < 500:
        return ErrorKind.UNAVAILABLE
    if 500 <= code < 600:
        return ErrorKind.REJECTED
    return ErrorKind.CONNECTION


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def classify_smtp(exc: BaseException) -> ProviderError:
    """An ``smtplib`` or socket error: 4xx replies are transient, 5xx permanent."""
    import smtplib  # noqa: PLC0415 - already loaded whenever an SMTP error exists

    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, reply = next(iter(exc.recipients.values()))
        kind = _smtp_kind(code)
        return provider_error(Provider.SMTP, kind, f"{code} {_text(reply)}", code=code)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        kind = _smtp_kind(code)
        if isinstance(exc, smtplib.SMTPSenderRefused) and code >= 500:
            kind = ErrorKind.CONFIGURATION  # our SMTP_FROM is refused, not the customer
        message = f"{code} {_text(exc.smtp_error)}"
        return provider_error(Provider.SMTP, kind, message, code=code, ambiguous=code < 0)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return provider_error(Provider.SMTP, ErrorKind.CONFIGURATION, str(exc))
    if "SSLCertVerificationError" in _class_names(exc):
        return provider_error(Provider.SMTP, ErrorKind.CONFIGURATION, str(exc))
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        # smtplib reports a read timeout as "Connection unexpectedly closed: timed out",
        # with the TimeoutError as its context: the chain tells which it was.
        return classify_transport(Provider.SMTP, exc)
    return provider_error(Provider.SMTP, ErrorKind.REJECTED, f"{type(exc).__name__}: {exc}")


def classify_fcm(exc: BaseException) -> ProviderError:
    """A ``firebase_admin`` messaging error (whole call or one token's ``SendResponse``)."""
    fcm_code = next(
        (
            error_codes.FCM_EXCEPTION_NAMES[n]
            for n in _class_names(exc)
            if n in error_codes.FCM_EXCEPTION_NAMES
        ),
        None,
    )
    canonical = getattr(exc, "code", None)
    key = fcm_code or (canonical if isinstance(canonical, str) else None)
    message = str(exc) or type(exc).__name__
    response = getattr(exc, "http_response", None)
    status = getattr(response, "status_code", None)
    http_status = status if isinstance(status, int) else None
    cause = getattr(exc, "cause", None)
    if http_status is None and isinstance(cause, OSError):
        # No answer at all (firebase-admin wraps requests' error): classify the network failure.
        error = classify_transport(Provider.FCM, cause)
        error.code = key
        return error
    kind = error_codes.FCM.get(key) if key else None
    if key == "INVALID_ARGUMENT" and "token" in message.lower():
        kind = ErrorKind.INVALID_TOKEN  # "The registration token is not a valid FCM token"
    if kind is None:
        if http_status is not None:
            kind = _kind_for_status(http_status)
        elif isinstance(exc, OSError):
            return classify_transport(Provider.FCM, exc)
        else:
            kind = ErrorKind.REJECTED
    return provider_error(Provider.FCM, kind, message, code=key, http_status=http_status)
