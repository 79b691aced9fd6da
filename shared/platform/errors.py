"""The root of the project's typed errors.

Each concern (phones, providers, events, webhooks...) defines its own small tree under these
roots, in its own module. What matters at a boundary is one question, answered by the class:
is it worth retrying (``TransientError``) or not (``PermanentError``)?
"""

from __future__ import annotations


class NotificationError(Exception):
    """Base of every error this project raises on purpose."""

    transient: bool = False


class TransientError(NotificationError):
    """A failure that may succeed if tried again later (outage, timeout, rate limit)."""

    transient = True


class PermanentError(NotificationError):
    """A failure that will not change on retry (bad data, rejected recipient, bad config)."""

    transient = False


class InvalidInputError(PermanentError):
    """Input (a document, a request body, an event) that cannot be understood."""


def is_transient(exc: BaseException) -> bool:
    """Whether an exception (ours or a library's) is worth a retry.

    Ours say so themselves; Google API errors are transient when their gRPC status is one a
    retry can fix; network timeouts and connection failures are transient. Anything else (a
    bug, bad data) is not: retrying it would only loop.
    """
    if isinstance(exc, NotificationError):
        return exc.transient
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    try:
        from google.api_core import exceptions as gexc  # noqa: PLC0415 - optional, cheap once loaded
    except ImportError:  # pragma: no cover - google-api-core is a runtime dependency
        return False
    return isinstance(
        exc,
        gexc.ServiceUnavailable
        | gexc.DeadlineExceeded
        | gexc.InternalServerError
        | gexc.TooManyRequests
        | gexc.ResourceExhausted
        | gexc.Aborted
        | gexc.RetryError,
    )
