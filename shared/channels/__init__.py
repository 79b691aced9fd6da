"""Channel adapters (Twilio SMS and WhatsApp, Meta WhatsApp, SMTP, FCM) behind one protocol.

Importing this package imports no provider SDK: ``senders_from_settings(settings)`` creates each
adapter, and imports its SDK, the first time its channel is used.
"""

from shared.channels.base import OutboundMessage, Sender, SendResult, WhatsAppTemplate
from shared.channels.errors import (
    ErrorKind,
    PermanentProviderError,
    ProviderError,
    ProviderNotConfiguredError,
    TransientProviderError,
)
from shared.channels.factory import Senders, senders_from_settings

__all__ = [
    "ErrorKind",
    "OutboundMessage",
    "PermanentProviderError",
    "ProviderError",
    "ProviderNotConfiguredError",
    "SendResult",
    "Sender",
    "Senders",
    "TransientProviderError",
    "WhatsAppTemplate",
    "senders_from_settings",
]
