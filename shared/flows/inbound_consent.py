"""Consent from inbound messages: STOP / START keywords, and Meta's marketing preferences.

A keyword switches that channel (``notificationPreferences``; on the client record for a
walk-in without a profile; nowhere for a stranger), writes ``consent_events`` and confirms,
unless Twilio's Advanced Opt-Out already confirmed it. Meta's ``user_preferences`` (marketing
stop / resume) set ``marketingEnabled``, without a reply: WhatsApp confirms the choice in its
own interface, and the conversation window may be closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.flows.consent_state import keep_state_for
from shared.flows.inbound_context import Context, InboundOutcome
from shared.model.consent import ConsentAction, ConsentEvent, ConsentPurpose, ConsentSource
from shared.model.enums import Channel, Provider
from shared.model.ids import consent_event_id
from shared.model.inbound import PreferenceUpdate
from shared.model.record import NotificationRecord
from shared.platform.log import get_logger
from shared.platform.masking import mask_phone
from shared.platform.settings import Settings
from shared.rules import replies
from shared.rules.keywords import Intent
from shared.rules.replies import ReplyType
from shared.rules.whatsapp_ids import is_whatsapp_user_id, mask_user_id
from shared.store import claims, customers
from shared.store import consent as consent_store
from shared.store.lookup import Customer, Holders, find_customer, holders, normalize_sender
from shared.store.whatsapp_users import find_by_user_id

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)

LEASE = timedelta(seconds=60)
_SWITCH = {Channel.SMS: "smsEnabled", Channel.WHATSAPP: "whatsappEnabled"}
MARKETING_CATEGORIES = frozenset({"marketing_messages", "marketing"})
MARKETING_STOP = frozenset({"stop"})
MARKETING_RESUME = frozenset({"resume", "signup"})


def set_preference(db: Client, customer: Customer, switch: str, enabled: bool) -> None:
    """On the profile; on the client record for a walk-in without one; nowhere for a stranger."""
    if customer.customer_id and customer.profile is not None:
        customers.set_preferences(db, customer.customer_id, {switch: enabled})
    elif customer.client is not None and customer.client.id:
        customers.set_client_preferences(db, customer.client.id, {switch: enabled})


def opt_out_everywhere(db: Client, customer: Customer, switch: str) -> Holders:
    """A STOP is the number's: every profile and client record holding it is switched off,
    whoever the message was attributed to (an account claiming the number cannot keep the
    real owner receiving what they refused)."""
    found = holders(db, customer.phone, customer)
    for customer_id in found.profile_ids:
        customers.set_preferences(db, customer_id, {switch: False})
    for client_id in found.client_ids:
        customers.set_client_preferences(db, client_id, {switch: False})
    return found


def keyword_consent(
    ctx: Context, intent: Intent, keyword: str | None
) -> tuple[str, list[NotificationRecord]]:
    """STOP / START: switch the channel, record the consent change, confirm."""
    message, customer = ctx.message, ctx.customer
    enabled = intent is Intent.OPT_IN
    switch = _SWITCH.get(message.channel)
    if switch is not None and enabled:
        set_preference(ctx.db, customer, switch, True)
    elif switch is not None:
        opt_out_everywhere(ctx.db, customer, switch)
    _record_event(ctx, intent, keyword)
    if message.opt_out_type:  # Twilio's Advanced Opt-Out already confirmed it
        return intent.value, []
    texts = replies.opt_in_text if enabled else replies.opt_out_text
    body = texts(ctx.language, message.channel, ctx.shop.shop_name)
    kind = ReplyType.OPT_IN if enabled else ReplyType.OPT_OUT
    return intent.value, [ctx.reply(kind, body)]


def _record_event(ctx: Context, intent: Intent, keyword: str | None) -> bool:
    """A keyword changes the whole channel (``purpose: all``), as Twilio's STOP does."""
    customer, message = ctx.customer, ctx.message
    event = ConsentEvent(
        event_id=consent_event_id("inbound", ctx.key, intent.value),
        channel=message.channel,
        purpose=ConsentPurpose.ALL,
        action=ConsentAction(intent.value),
        source=ConsentSource.KEYWORD,
        to=customer.address,
        at=ctx.now,
        customer_id=customer.customer_id,
        client_id=customer.client.id if customer.client else None,
        keyword=keyword,
        provider=message.provider.value,
        extra={
            "providerMessageId": message.message_id,
            **({"editsMessageId": message.edits_message_id} if message.edits_message_id else {}),
        },
    )
    created = consent_store.record(ctx.db, event)
    keep_state_for(ctx.db, event, now=ctx.now)
    return created


def handle_preference(
    db: Client, preference: PreferenceUpdate, *, settings: Settings, now: datetime
) -> InboundOutcome:
    """Meta ``user_preferences``: marketing stop / resume sets ``marketingEnabled`` (once)."""
    if preference.category not in MARKETING_CATEGORIES:
        log.info("ignored a user preference of category %r", preference.category)
        return InboundOutcome(preference.who, "ignored")
    if preference.value in MARKETING_STOP:
        enabled = False
    elif preference.value in MARKETING_RESUME:
        enabled = True
    else:
        log.info("ignored a marketing preference %r", preference.value)
        return InboundOutcome(preference.who, "ignored")
    phone = (
        normalize_sender(preference.wa_id, settings.default_country) if preference.wa_id else None
    )
    user_id = preference.user_id if is_whatsapp_user_id(preference.user_id) else None
    if phone is not None:
        customer = find_customer(db, phone, now=now)
    elif user_id is not None:  # a username's preference: the number is withheld
        customer = find_by_user_id(db, user_id, now=now)
    else:
        return InboundOutcome(preference.who, "not_a_phone")
    to = phone.e164 if phone is not None else str(user_id)
    stamp = preference.at.isoformat() if preference.at else ""
    event_id = consent_event_id("meta_preference", to, preference.category, preference.value, stamp)
    ref = consent_store.event_ref(db, event_id)
    action = "opt_in" if enabled else "opt_out"
    event = ConsentEvent(
        event_id=event_id,
        channel=Channel.WHATSAPP,
        purpose=ConsentPurpose.MARKETING,
        action=ConsentAction.OPT_IN if enabled else ConsentAction.OPT_OUT,
        source=ConsentSource.PROVIDER,
        to=to,
        at=now,
        customer_id=customer.customer_id,
        client_id=customer.client.id if customer.client else None,
        keyword=preference.value,
        provider=Provider.META.value,
        extra={"detail": preference.detail, "reportedAt": preference.at, "processedAt": None},
    )
    claim = claims.claim(db, ref, now=now, lease=LEASE, create=event.to_document())
    if not claim.taken:
        return InboundOutcome(preference.who, "duplicate", customer.customer_id)
    try:
        set_preference(db, customer, "marketingEnabled", enabled)
        keep_state_for(db, event, now=now)
    except Exception:
        claims.release(ref, now)
        raise
    claims.complete(ref, now, {"processedAt": now})
    shown = mask_phone(phone.e164) if phone is not None else mask_user_id(to)
    log.info("marketing %s for %s", action, shown, extra={"known": customer.known})
    return InboundOutcome(preference.who, f"marketing_{action}", customer.customer_id)
