"""Errors of the webhook layer; ``http`` maps each to a status code."""

from __future__ import annotations

from shared.platform.errors import InvalidInputError, PermanentError


class WebhookRejectedError(InvalidInputError):
    """A request refused before anything was parsed or written."""


class SignatureMissingError(WebhookRejectedError):
    """The request carries no signature header (Meta: 401, Twilio: 403)."""


class SignatureInvalidError(WebhookRejectedError):
    """The signature does not match the request (403)."""


class WebhookNotConfiguredError(WebhookRejectedError, PermanentError):
    """The secret needed to check a signature is not configured: every request is refused (403)."""


class VerificationFailedError(WebhookRejectedError):
    """Meta's GET handshake with a wrong mode or verify token (403)."""


class PayloadTooLargeError(WebhookRejectedError):
    """A body larger than any webhook we accept (413)."""
