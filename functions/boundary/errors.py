"""The boundary's errors, and the one table that turns any error into an answer.

Errors raised before anything is parsed or written (the request is refused):

- ``RequestRejectedError``: the root; nothing was read for its meaning.
  - ``MethodNotAllowedError``: a method the target does not take (405).
  - ``PayloadTooLargeError``: a body over the target's limit (413; internal targets: 400).
  - ``CredentialsMissingError``: no signature / token at all (Meta and internal: 401; Twilio: 403,
    as its documentation says).
  - ``CredentialsInvalidError``: a signature or token that does not check out (403; internal
    targets: 401, the token was not made for them).
  - ``ForbiddenError``: a proven identity that is not allowed (403).
  - ``NotConfiguredError``: the secret needed to check the request is missing (403).
  - ``BadRequestError``: a body or parameter that cannot be understood (400).

Then what the work below raised: ``TransientError`` (or a library error ``is_transient`` calls
worth a retry), ``InvalidInputError`` (data that cannot be used), anything else (a bug).

``status_for(error, kind)`` is the table. Its columns are the kinds of caller: an internal
caller (Cloud Tasks, Cloud Scheduler) retries on 429/5xx by its queue's policy, so bad input is a
400 and a bug a 500; a webhook provider retries any non-2xx into the same bug forever, so once
its signature checked out, bad data and bugs are acknowledged (logged, 2xx).
"""

from __future__ import annotations

from enum import StrEnum

from shared.platform.errors import InvalidInputError, PermanentError, is_transient


class Caller(StrEnum):
    """Who calls a target, which decides how errors are answered."""

    INTERNAL = "internal"  # Cloud Tasks, Cloud Scheduler
    TWILIO = "twilio"
    META = "meta"


class RequestRejectedError(InvalidInputError):
    """A request refused before anything was parsed or written."""


class MethodNotAllowedError(RequestRejectedError):
    """The target does not take this HTTP method (405)."""


class PayloadTooLargeError(RequestRejectedError):
    """A body larger than the target accepts (413)."""


class CredentialsMissingError(RequestRejectedError):
    """No signature or bearer token on a request that needs one (401; Twilio: 403)."""


class CredentialsInvalidError(RequestRejectedError):
    """A signature or token that does not check out (403; internal targets: 401)."""


class ForbiddenError(RequestRejectedError):
    """A valid credential whose identity may not call this target (403)."""


class NotConfiguredError(RequestRejectedError, PermanentError):
    """The secret needed to check requests is not configured: every request is refused (403)."""


class BadRequestError(RequestRejectedError):
    """A body or parameter that cannot be understood (400)."""


# Refusals: the same for every caller but where a caller's column says otherwise.
_REFUSALS: dict[type[RequestRejectedError], int] = {
    MethodNotAllowedError: 405,
    PayloadTooLargeError: 413,
    CredentialsMissingError: 401,
    CredentialsInvalidError: 403,
    ForbiddenError: 403,
    NotConfiguredError: 403,
    BadRequestError: 400,
}
_BY_CALLER: dict[Caller, dict[type[RequestRejectedError], int]] = {
    # A body over our limit is a malformed task to Cloud Tasks (its own limit is larger).
    Caller.INTERNAL: {CredentialsInvalidError: 401, PayloadTooLargeError: 400},
    Caller.TWILIO: {CredentialsMissingError: 403},
    Caller.META: {},
}
# What the work raised, once the request was accepted: transient, bad data, a bug.
_AFTER: dict[Caller, tuple[int, int, int]] = {
    Caller.INTERNAL: (503, 400, 500),
    Caller.TWILIO: (503, 200, 200),
    Caller.META: (503, 200, 200),
}


def status_for(error: BaseException, caller: Caller) -> int:
    """The HTTP status that answers ``error`` for ``caller`` (see the module's table)."""
    if isinstance(error, RequestRejectedError):
        for cls in type(error).__mro__:
            if cls in _BY_CALLER[caller]:
                return _BY_CALLER[caller][cls]
            if cls in _REFUSALS:
                return _REFUSALS[cls]
        return 400
    transient, bad_data, bug = _AFTER[caller]
    if is_transient(error):
        return transient
    if isinstance(error, InvalidInputError):
        return bad_data
    return bug
