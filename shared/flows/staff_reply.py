"""A staff member answers a customer from the inbox or the customer page (issue 18).

The console never calls a provider: a reply is a ``notification_history`` document of type
``reply.staff`` (the staff member's uid in ``staffId``, the inbox item it answers in
``inboxItemId``) submitted to the outbox like every message, so Cloud Tasks carries it, delivery
claims it, and opt-outs, the WhatsApp window and the SMS fallback apply at send time too.

``preview`` says which route the reply will take and why (``shared.rules.staff_reply``) before
anything is written; ``send`` records it once per click (its id derives from the click's own
id: a double click or a resent form sends one message) and, when it answers an inbox item,
marks that item handled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.outbox import Submitted, submit
from shared.flows.templates_status import template_usability
from shared.model.enums import Channel, Provider
from shared.model.ids import notification_id
from shared.model.record import STAFF_REPLY, NotificationRecord
from shared.model.shop import ShopSettings
from shared.platform.clock import as_datetime
from shared.platform.errors import InvalidInputError
from shared.platform.log import get_logger
from shared.platform.settings import Settings
from shared.rules.consent import ConsentFacts
from shared.rules.language import choose_language
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.rendering import sms_estimate
from shared.rules.staff_reply import (
    MAX_REPLY,
    STAFF_REPLY_TEMPLATE,
    ReplyFacts,
    ReplyRoute,
    choose_reply_route,
)
from shared.store import consent, customers, inbox
from shared.store.shop import read_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)


class ReplyRefusedError(InvalidInputError):
    """A reply that cannot go (empty, too long, no route); ``reason`` is machine-readable."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class ReplyTarget:
    """Whom the reply goes to: a customer, or a number that wrote in (a walk-in, a stranger)."""

    customer_id: str | None = None
    phone: str | None = None  # E.164, or as typed
    wrote_on: Channel | None = None
    inbox_item_id: str | None = None
    last_inbound_at: datetime | None = None  # when the answered message came in


@dataclass(frozen=True)
class StaffMember:
    uid: str
    email: str | None = None


@dataclass(frozen=True)
class SentReply:
    route: ReplyRoute
    submitted: Submitted


def target_of_inbox_item(db: Client, item_id: str) -> ReplyTarget | None:
    """The reply target of an inbox item (None when there is no such item)."""
    item = inbox.get(db, item_id)
    if item is None:
        return None
    channel = item.get("channel")
    return ReplyTarget(
        customer_id=item.get("customerId") if isinstance(item.get("customerId"), str) else None,
        phone=item.get("phone") if isinstance(item.get("phone"), str) else None,
        wrote_on=Channel(channel) if channel in {c.value for c in Channel} else None,
        inbox_item_id=item_id,
        last_inbound_at=as_datetime(item.get("receivedAt")),
    )


def _e164(raw: str | None, country: str) -> str | None:
    if not raw:
        return None
    try:
        return normalize_phone(raw, country).e164
    except PhoneError:
        return None


@dataclass(frozen=True)
class _Known:
    facts: ReplyFacts
    name: str | None
    language: str
    country: str | None


def _known(db: Client, target: ReplyTarget, *, settings: Settings, shop: ShopSettings) -> _Known:
    profile = customers.get_profile(db, target.customer_id) if target.customer_id else None
    country = (profile.country if profile else None) or settings.default_country
    phone = _e164(profile.phone_number if profile else None, country) or _e164(
        target.phone, country
    )
    whatsapp_to = phone or (profile.whatsapp_user_id if profile else None)
    events = consent.of_customer(db, profile.id) if profile else []
    if phone:
        events = [*events, *consent.of_address(db, phone)]
    last = as_datetime(profile.last_inbound_at.get("whatsapp")) if profile else None
    answered = target.last_inbound_at if target.wrote_on is Channel.WHATSAPP else None
    inbound = [t for t in (last, answered) if t is not None]
    configured = shop.whatsapp_templates.get(STAFF_REPLY_TEMPLATE)
    usable = True
    if configured and configured.meta_name and settings.whatsapp_provider == "meta":
        usable = template_usability(
            db, configured.meta_name, configured.meta_language or "en_US"
        ).usable
    prefs = profile.notification_preferences if profile else None
    facts = ReplyFacts(
        wrote_on=target.wrote_on,
        phone=phone,
        whatsapp_to=whatsapp_to,
        registered=profile is not None,
        sms_enabled=bool(prefs.sms_enabled) if prefs else True,
        whatsapp_enabled=bool(prefs.whatsapp_enabled) if prefs else False,
        last_whatsapp_inbound=max(inbound) if inbound else None,
        ledger=ConsentFacts.from_events(events),
        template_configured=configured is not None,
        template_usable=usable,
        sms_configured=settings.twilio.sms_configured,
        whatsapp_configured=settings.whatsapp_configured,
    )
    language = choose_language(profile.language if profile else None, country)
    return _Known(facts, profile.display_name if profile else None, language, country)


def preview(
    db: Client, target: ReplyTarget, *, now: datetime, settings: Settings, shop: ShopSettings
) -> ReplyRoute:
    """The route a reply written now would take, and why (nothing is written)."""
    return choose_reply_route(_known(db, target, settings=settings, shop=shop).facts, now)


def send(
    db: Client,
    target: ReplyTarget,
    text: str,
    *,
    click_id: str,
    staff: StaffMember,
    now: datetime,
    settings: Settings,
    shop: ShopSettings,
    queue: TaskQueue | None = None,
) -> SentReply:
    """Submit the reply once per ``click_id``; ``ReplyRefusedError`` when it cannot go."""
    body = (text or "").strip()
    if not body:
        raise ReplyRefusedError("empty", "the reply is empty")
    if len(body) > MAX_REPLY:
        raise ReplyRefusedError("too_long", f"a reply holds at most {MAX_REPLY} characters")
    if not click_id or len(click_id) > 128:
        raise ReplyRefusedError("no_click_id", "the reply has no id of its own")
    known = _known(db, target, settings=settings, shop=shop)
    route = choose_reply_route(known.facts, now)
    if not route.possible or route.channel is None:
        raise ReplyRefusedError(route.reason, route.detail)
    draft = _draft(target, body, route, known, click_id=click_id, staff=staff, settings=settings)
    [submitted] = submit([draft], db=db, queue=queue, now=now)
    if target.inbox_item_id:
        inbox.amend(
            db,
            target.inbox_item_id,
            {"status": "handled", "handledBy": staff.uid, "handledAt": now,
             "replyId": draft.notification_id},
        )  # fmt: skip
    if submitted.created:
        log.info("staff reply %s by %s (%s)", draft.notification_id, staff.uid, route.kind.value)
    return SentReply(route, submitted)


def _draft(
    target: ReplyTarget,
    body: str,
    route: ReplyRoute,
    known: _Known,
    *,
    click_id: str,
    staff: StaffMember,
    settings: Settings,
) -> NotificationRecord:
    assert route.channel is not None
    source = f"staff:{click_id}"
    whatsapp_provider = Provider(settings.whatsapp_provider)
    provider = whatsapp_provider if route.channel is Channel.WHATSAPP else Provider.TWILIO
    refs = {"staffId": staff.uid}
    if target.inbox_item_id:
        refs["inboxItemId"] = target.inbox_item_id
    draft = NotificationRecord(
        notification_id=notification_id(source, STAFF_REPLY, route.channel.value),
        type=STAFF_REPLY,
        channel=route.channel,
        provider=provider,
        to=route.to,
        customer_id=target.customer_id,
        refs=refs,
        status_reason=route.reason,
        status_detail=route.detail,
        template=STAFF_REPLY_TEMPLATE,
        language=known.language,
        country=known.country,
        data=_data(known, body, staff),
        body=body,
        source_event_id=source,
        urgent=True,  # someone is waiting for this answer
        profile_at_plan=known.facts.registered,
        fallback_channel=route.fallback,
        fallback_to=route.fallback_to,
        fallback_provider=Provider.TWILIO if route.fallback else None,
    )
    if route.channel is Channel.SMS:
        draft = replace(draft, metadata=sms_estimate(body, known.country))
    return draft


def _data(known: _Known, body: str, staff: StaffMember) -> dict[str, object]:
    data: dict[str, object] = {"customerName": known.name, "replyText": body}
    if staff.email:
        data["staffEmail"] = staff.email
    if known.facts.last_whatsapp_inbound is not None:
        # The window delivery checks again: a walk-in has no profile to keep lastInboundAt.
        data["whatsappInboundAt"] = known.facts.last_whatsapp_inbound
    return data


def mark_handled(db: Client, item_id: str, staff: StaffMember, now: datetime) -> bool:
    """Staff dealt with an inbox item without replying here; False when there is none."""
    if not item_id or "/" in item_id:
        return False
    return inbox.amend(db, item_id, {"status": "handled", "handledBy": staff.uid, "handledAt": now})


def shop_settings(db: Client) -> ShopSettings:
    """The shop's settings as a reply is decided with them (read now, not cached)."""
    return read_shop_settings(db)
