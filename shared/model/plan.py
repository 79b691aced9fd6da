"""What the cascade produces: a ``Plan`` of ``PlannedMessage`` entries, each with its reason.

Kept apart from the rules (``shared.cascade``) so that code which only reads plans (history,
delivery, fallback) does not depend on how they are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.model.enums import Channel, NotificationStatus, Provider

WALK_IN_TEMPLATE = "ticket.walk_in_welcome"


class Reason(StrEnum):
    """Why a channel was planned (pending) or not (skipped): ``statusReason`` in history."""

    EMAIL_PRIMARY = "email_primary"
    WHATSAPP_COMPLEMENT = "whatsapp_complement"
    PUSH_COMPLEMENT = "push_complement"
    WHATSAPP_NO_EMAIL = "whatsapp_no_email"
    SMS_NO_EMAIL = "sms_no_email"
    PUSH_FALLBACK = "push_fallback"
    WALK_IN_WELCOME = "walk_in_welcome"
    FALLBACK = "fallback"
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"
    MARKETING_NOT_ENABLED = "marketing_not_enabled"
    MARKETING_CONSENT_NOT_RECORDED = "marketing_consent_not_recorded"  # no proof in the ledger
    OPTED_OUT = "opted_out"  # the ledger or the client record: STOP on that channel
    WALK_IN_SMS_OFF = "walk_in_sms_off"  # the shop turned off SMS to walk-ins
    NO_OPT_OUT_MENTION = "no_opt_out_mention"  # a marketing SMS that could not say how to stop
    INVALID_PHONE = "invalid_phone"
    LANDLINE = "landline"
    NOT_MOBILE = "not_mobile"
    NO_PHONE = "no_phone"
    SMS_NOT_OPTED_IN = "sms_not_opted_in"
    EMAIL_DISABLED = "email_disabled"
    INVALID_EMAIL = "invalid_email"
    PUSH_DISABLED = "push_disabled"
    NO_CONTACT = "no_contact"
    # Only a WhatsApp user id (no phone) is known and the WhatsApp provider is Twilio, which
    # sends to phone numbers only (issue 14).
    WHATSAPP_USER_ID_UNSUPPORTED = "whatsapp_user_id_unsupported"
    WHATSAPP_DISABLED = "whatsapp_disabled"  # only a WhatsApp user id, and whatsappEnabled off


def provider_for(channel: Channel, whatsapp_provider: Provider = Provider.TWILIO) -> Provider:
    """Who carries ``channel``: Twilio for SMS, SMTP for email, FCM for push, and for WhatsApp
    the deployment's choice (``WHATSAPP_PROVIDER``)."""
    if channel is Channel.WHATSAPP:
        return whatsapp_provider
    return {Channel.SMS: Provider.TWILIO, Channel.EMAIL: Provider.SMTP, Channel.PUSH: Provider.FCM}[
        channel
    ]


@dataclass(frozen=True)
class ConfiguredProviders:
    """Which channels the deployment can send on, and who carries WhatsApp."""

    email: bool
    sms: bool
    whatsapp: bool
    push: bool
    whatsapp_provider: Provider = Provider.TWILIO

    def configured(self, channel: Channel) -> bool:
        return {
            Channel.EMAIL: self.email,
            Channel.SMS: self.sms,
            Channel.WHATSAPP: self.whatsapp,
            Channel.PUSH: self.push,
        }[channel]

    def provider_for(self, channel: Channel) -> Provider:
        return provider_for(channel, self.whatsapp_provider)


@dataclass(frozen=True)
class PlannedMessage:
    """One message to one channel: ``pending`` (to send) or ``skipped`` (recorded, not sent).

    ``to`` is an E.164 number for SMS/WhatsApp, an address for email, None for push (tokens are
    read from the profile at delivery). ``fallback*`` say what replaces it if it fails for good.
    """

    channel: Channel
    provider: Provider | None
    to: str | None
    status: NotificationStatus
    reason: str
    template: str
    fallback: Channel | None = None
    fallback_to: str | None = None
    fallback_provider: Provider | None = None
    detail: str = ""

    @property
    def is_pending(self) -> bool:
        return self.status is NotificationStatus.PENDING


@dataclass(frozen=True)
class Plan:
    """The ordered messages for one event (primary first) and notes on what was ruled out."""

    messages: tuple[PlannedMessage, ...]
    notes: tuple[str, ...] = ()

    @property
    def pending(self) -> tuple[PlannedMessage, ...]:
        return tuple(m for m in self.messages if m.is_pending)

    @property
    def primary(self) -> PlannedMessage | None:
        return next(iter(self.pending), None)


def select_fallback(message: PlannedMessage) -> PlannedMessage | None:
    """The message that replaces ``message`` after a permanent failure, if it has one."""
    if message.fallback is None or not message.fallback_to:
        return None
    return PlannedMessage(
        channel=message.fallback,
        provider=message.fallback_provider,
        to=message.fallback_to,
        status=NotificationStatus.PENDING,
        reason=Reason.FALLBACK,
        template=message.template,
        detail=f"{message.channel.value} failed permanently; falling back to "
        f"{message.fallback.value}",
    )
