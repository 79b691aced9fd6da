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
