"""What providers tell us, as typed records: delivery statuses, inbound messages, Meta's
marketing preferences and template updates. Built by ``functions.boundary.payloads``.

Moved from functions.boundary.payloads (issue 12); issue 14 added Meta's user ids, edits,
revokes, identity changes and template updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from shared.model.enums import Channel, NotificationStatus, Provider

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class StatusUpdate:
    """One delivery status reported for a message we sent."""

    provider: Provider
    message_id: str
    provider_status: str
    status: NotificationStatus
    at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    cost: float | None = None
    currency: str | None = None
    pricing: Mapping[str, Any] | None = None
    conversation: Mapping[str, Any] | None = None
    notification_hint: str | None = None  # Meta ``biz_opaque_callback_data``
    errors: tuple[Mapping[str, Any], ...] = ()  # Meta's error objects, for classification


@dataclass(frozen=True)
class IdentityChange:
    """A Meta ``system`` message: the customer's WhatsApp identity moved.

    ``kind`` is Meta's system type: ``user_changed_number`` (the customer's new phone is
    ``new_wa_id``; their old one was the message's sender), ``user_changed_user_id`` (a new
    business-scoped user id, no phone), ``customer_identity_changed`` (a new device or
    reinstall: same number and id), or whatever new type Meta sends.
    """

    kind: str
    old_wa_id: str | None = None
    new_wa_id: str | None = None
    previous_user_id: str | None = None
    new_user_id: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message a customer sent us.

    ``sender`` is the address the provider wrote (``whatsapp:+336...``, ``+336...``, a Meta
    ``wa_id``), or ``""`` when Meta withheld the phone number of a WhatsApp user with a
    username: ``user_id`` (Meta's business-scoped user id, ``"FR.1349..."``) is then the only
    way to know who wrote. Meta sends ``user_id`` with phone numbers too.

    ``kind`` is the provider's type: ``text``, ``image``, ``button``, ``interactive``,
    ``order``, ``contacts``, ``system``... For Meta, ``edit`` is a new version of the message
    ``edits_message_id`` (its new ``text`` / ``media``, ``details["editedKind"]`` its type) and
    ``revoke`` says the customer deleted ``revokes_message_id``; a type we do not know is kind
    ``unknown`` with ``details["rawType"]``.

    ``details`` keeps the small parts worth storing with the message (all JSON-friendly):
    ``reply`` (quick-reply button payload, button / list reply id and title, flow answers with
    ``response`` parsed), ``order`` (catalog and items), ``contacts`` (shared contact cards),
    ``system``, location, reaction, context (``inReplyTo``, ``forwarded``), Twilio's
    ``buttonPayload`` and ``waId``.
    """

    provider: Provider
    channel: Channel
    message_id: str
    sender: str
    kind: str
    text: str | None = None
    recipient: str | None = None
    profile_name: str | None = None
    at: datetime | None = None
    media: tuple[Mapping[str, str], ...] = ()
    opt_out_type: str | None = None  # Twilio Advanced Opt-Out: STOP / START / HELP
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    user_id: str | None = None  # Meta business-scoped user id (BSUID)
    parent_user_id: str | None = None  # Meta parent BSUID (several business portfolios)
    username: str | None = None  # Meta: the customer's WhatsApp username, when they set one
    edits_message_id: str | None = None  # kind "edit": the provider id of the original
    revokes_message_id: str | None = None  # kind "revoke": the provider id of the deleted one
    identity_change: IdentityChange | None = None  # kind "system"


@dataclass(frozen=True)
class PreferenceUpdate:
    """Meta ``user_preferences``: a customer stopped or resumed marketing messages (known by
    their number, ``wa_id``, or only by their business-scoped ``user_id``)."""

    wa_id: str | None
    category: str
    value: str
    at: datetime | None = None
    detail: str | None = None
    user_id: str | None = None

    @property
    def who(self) -> str:
        """The number, else the user id: what the outcome names."""
        return self.wa_id or self.user_id or ""


@dataclass(frozen=True)
class TemplateUpdate:
    """Meta ``message_template_status_update`` / ``..._quality_update`` /
    ``template_category_update``: what changed about one approved-or-not template.

    ``webhook_field`` is the webhook field it came in; each kind fills its own part:
    ``status`` (Meta's ``event``: APPROVED, REJECTED, PAUSED, DISABLED, PENDING_DELETION...)
    with ``reason``;
    ``quality_score`` (GREEN, YELLOW, RED, UNKNOWN) with the previous one; ``category``
    (MARKETING, UTILITY, AUTHENTICATION) with the previous one, or for an announced change the
    category Meta will move it to (``correct_category``). ``details`` keeps Meta's extra
    objects (``other_info``, ``disable_info``, ``rejection_info``) as sent.
    """

    webhook_field: str
    name: str
    language: str
    template_id: str | None = None
    at: datetime | None = None
    status: str | None = None
    reason: str | None = None
    quality_score: str | None = None
    previous_quality_score: str | None = None
    category: str | None = None
    previous_category: str | None = None
    correct_category: str | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class MetaBatch:
    """Everything one Meta webhook body carries.

    ``ignored`` counts what was left out; ``ignored_by`` says why (``calls``: call events,
    which are not message statuses; ``other_phone_number``: a change for another
    ``phone_number_id`` than ours; ``field:<name>``: a webhook field we do not handle;
    ``unusable``: a record without what it needs). ``unknown_kinds`` lists message types we do
    not know, kept as kind ``unknown``.
    """

    statuses: tuple[StatusUpdate, ...] = ()
    messages: tuple[InboundMessage, ...] = ()
    preferences: tuple[PreferenceUpdate, ...] = ()
    ignored: int = 0
    templates: tuple[TemplateUpdate, ...] = ()
    ignored_by: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    unknown_kinds: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing for a flow to do."""
        return not (self.statuses or self.messages or self.preferences or self.templates)
