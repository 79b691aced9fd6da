"""Inbound messages and consent changes: store, decide, act, answer.

For each message: normalize the sender, find the customer (``lookup``), store the message in
``conversations/{customerId or E164}/messages/{id}`` (the id derives from the provider's
message id, so a webhook delivered twice finds its own document), move
``lastInboundAt.{channel}`` forward (the 24-hour WhatsApp window), then act on what it says:

- an opt-out / opt-in keyword switches that channel (``notificationPreferences``; on the
  client record for a walk-in without a profile), writes ``consent_events`` and confirms;
- a status question (or a ticket number of theirs) is answered with their latest news;
- anything else for a person lands in ``inbox/{id}``; an unknown number gets a polite answer,
  a known one an auto-reply when the shop is closed (once per closing);
- reactions, unsupported and unknown types are stored and acknowledged, nothing more.

Exactly once: the message document is the claim (``create()``); it gets ``processedAt`` when
everything is done. A redelivery of a processed message does nothing; one of a message still
being handled (claimed less than ``LEASE`` ago) is answered 503 so the provider retries later;
a failed attempt gives its claim back, and an older unfinished one (a crash) is handled again:
every step is idempotent (deterministic ids and ``create()`` for consent records, inbox entries
and replies; plain sets for switches).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.flows.consent import CONSENT_EVENTS
from shared.flows.outbox import submit
from shared.model.enums import Channel, Provider
from shared.model.inbound import InboundMessage, PreferenceUpdate
from shared.model.record import Draft
from shared.model.shop import ShopSettings
from shared.platform.clock import as_datetime
from shared.platform.errors import TransientError
from shared.platform.log import get_logger
from shared.platform.masking import mask_phone
from shared.platform.settings import Settings
from shared.rules import replies
from shared.rules.keywords import Intent, detect, normalize_sentence, ticket_number_candidates
from shared.rules.replies import ReplyType
from shared.rules.timerules import in_business_hours, next_business_opening
from shared.store.client import create_if_absent, read
from shared.store.customers import CLIENTS, PROFILES
from shared.store.lookup import (
    Customer,
    Record,
    find_customer,
    latest_record,
    normalize_sender,
    ticket_by_number,
)
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)

CONVERSATIONS = "conversations"
MESSAGES = "messages"
INBOX = "inbox"
LEASE = timedelta(seconds=60)
STORE_ONLY_KINDS = frozenset({"reaction", "unsupported", "unknown", "system", "ephemeral"})
MAX_WORDS_BESIDE_TICKET = 3
_SWITCH = {Channel.SMS: "smsEnabled", Channel.WHATSAPP: "whatsappEnabled"}
MARKETING_CATEGORIES = frozenset({"marketing_messages", "marketing"})
MARKETING_STOP = frozenset({"stop"})
MARKETING_RESUME = frozenset({"resume", "signup"})


@dataclass(frozen=True)
class InboundOutcome:
    """What one inbound record led to (for the log line and the tests)."""

    message_id: str
    action: str  # duplicate, not_a_phone, opt_out, opt_in, status, inbox, stored, ignored...
    customer_id: str | None = None
    replies: tuple[str, ...] = ()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def inbound_doc_id(provider: Provider, message_id: str) -> str:
    """The stored message's id: deterministic from the provider's message id."""
    return f"{provider.value}_{_digest(provider.value, message_id)}"


def _claim(ref: DocumentReference, data: Mapping[str, Any], now: datetime) -> bool:
    """Create the claim document: True to go on, False when the record was handled already.

    Raises ``InProgressError`` while another request holds a fresh claim: the provider retries
    later, when that request has finished (or died and its claim expired).
    """
    if create_if_absent(ref, data):
        return True
    existing = read(ref) or {}
    if existing.get("processedAt") is not None:
        return False
    claimed = as_datetime(existing.get("claimedAt"))
    if claimed is not None and now - claimed < LEASE:
        raise InProgressError(f"{ref.path} is being handled by another request")
    ref.update({"claimedAt": now})  # an earlier attempt died half-way: finish its work
    return True


@contextmanager
def _releasing(ref: DocumentReference) -> Iterator[None]:
    """On failure, give the claim back so the provider's retry need not wait for the lease."""
    try:
        yield
    except Exception:
        try:
            ref.update({"claimedAt": None})
        except Exception as exc:  # the original error matters more; the lease expires anyway
            log.warning("could not release the claim on %s: %s", ref.path, exc)
        raise


# --- messages ---------------------------------------------------------------------------------


def _message_data(message: InboundMessage, customer: Customer, now: datetime) -> dict[str, Any]:
    return {
        "direction": "inbound",
        "provider": message.provider.value,
        "channel": message.channel.value,
        "providerMessageId": message.message_id,
        "from": customer.phone.e164,
        "to": message.recipient,
        "kind": message.kind,
        "text": message.text,
        "media": [dict(m) for m in message.media],
        "profileName": message.profile_name,
        "details": dict(message.details),
        "customerId": customer.customer_id,
        "clientId": customer.client.id if customer.client else None,
        "sentAt": message.at,
        "receivedAt": now,
        "claimedAt": now,
        "processedAt": None,
    }


def _touch_conversation(
    db: Client, customer: Customer, message: InboundMessage, at: datetime, now: datetime
) -> None:
    db.collection(CONVERSATIONS).document(customer.conversation_id).set(
        {
            "customerId": customer.customer_id,
            "phone": customer.phone.e164,
            "name": customer.name or message.profile_name,
            "lastChannel": message.channel.value,
            "lastInboundAt": at,
            "updatedAt": now,
        },
        merge=True,
    )
    if customer.profile is None or not customer.customer_id:
        return
    current = as_datetime(customer.profile.last_inbound_at.get(message.channel.value))
    if current is None or at > current:
        db.collection(PROFILES).document(customer.customer_id).update(
            {f"lastInboundAt.{message.channel.value}": at}
        )


def handle_message(
    db: Client,
    message: InboundMessage,
    *,
    settings: Settings,
    now: datetime,
    queue: TaskQueue | None = None,
) -> InboundOutcome:
    """Store one inbound message, act on it and answer it (once)."""
    phone = normalize_sender(message.sender, settings.default_country)
    if phone is None:
        log.warning(
            "ignored a %s message from %s: not a phone number",
            message.channel.value,
            mask_phone(message.sender),
        )
        return InboundOutcome(message.message_id, "not_a_phone")
    customer = find_customer(db, phone, now=now)
    ref = (
        db.collection(CONVERSATIONS)
        .document(customer.conversation_id)
        .collection(MESSAGES)
        .document(inbound_doc_id(message.provider, message.message_id))
    )
    if not _claim(ref, _message_data(message, customer, now), now):
        return InboundOutcome(message.message_id, "duplicate", customer.customer_id)
    with _releasing(ref):
        at = min(message.at or now, now)
        _touch_conversation(db, customer, message, at, now)
        ctx = _Context(db, message, customer, ref, get_shop_settings(db), settings, now)
        action, drafts = _act(ctx)
        reply_ids = tuple(d.notification_id for d in drafts)
        if drafts:
            submit(drafts, db=db, queue=queue, now=now)
        ref.update({"processedAt": now, "action": action, "replyIds": list(reply_ids)})
    log.info(
        "inbound %s from %s: %s",
        message.channel.value,
        mask_phone(phone.e164),
        action,
        extra={"customerId": customer.customer_id, "known": customer.known},
    )
    return InboundOutcome(message.message_id, action, customer.customer_id, reply_ids)


@dataclass(frozen=True)
class _Context:
    """One message being handled, with who sent it and what the answers need."""

    db: Client
    message: InboundMessage
    customer: Customer
    ref: DocumentReference
    shop: ShopSettings
    settings: Settings
    now: datetime

    @property
    def key(self) -> str:
        return str(self.ref.id)

    @property
    def language(self) -> str:
        profile = self.customer.profile
        return replies.reply_language(
            profile.language if profile else None, self.customer.phone.region
        )

    def reply(
        self,
        reply_type: ReplyType,
        body: str,
        *,
        dedupe_key: str | None = None,
        refs: Mapping[str, str] | None = None,
    ) -> Draft:
        return replies.reply_draft(
            reply_type=reply_type,
            dedupe_key=dedupe_key or self.key,
            channel=self.message.channel,
            provider=self.message.provider,
            to=self.customer.phone.e164,
            customer_id=self.customer.customer_id,
            body=body,
            language=self.language,
            country=self.customer.phone.region,
            refs=refs,
        )


def _act(ctx: _Context) -> tuple[str, list[Draft]]:
    """Decide what the message asks for and do it; the action name and the answers to send."""
    message = ctx.message
    if message.kind in STORE_ONLY_KINDS and not message.text:
        return "stored", []
    detected = detect(message.text, opt_out_type=message.opt_out_type)
    if detected.intent in (Intent.OPT_OUT, Intent.OPT_IN):
        return _consent(ctx, detected.intent, detected.keyword)
    record = _named_ticket(ctx.db, ctx.customer, message.text) if ctx.customer.known else None
    if record is not None or detected.intent is Intent.STATUS:
        return _status(ctx, record)
    return _for_a_person(ctx)


def _consent(ctx: _Context, intent: Intent, keyword: str | None) -> tuple[str, list[Draft]]:
    """STOP / START: switch the channel, record the consent change, confirm."""
    message = ctx.message
    enabled = intent is Intent.OPT_IN
    switch = _SWITCH.get(message.channel)
    if switch is not None:
        _set_preference(ctx.db, ctx.customer, switch, enabled)
    _consent_event(
        ctx.db,
        _digest("inbound", ctx.key, intent.value),
        ctx.customer,
        channel=message.channel.value,
        source=message.provider.value,
        keyword=keyword,
        action=intent.value,
        scope="channel",
        message_id=message.message_id,
        now=ctx.now,
    )
    if message.opt_out_type:  # Twilio's Advanced Opt-Out already confirmed it
        return intent.value, []
    texts = replies.opt_in_text if enabled else replies.opt_out_text
    body = texts(ctx.language, message.channel, ctx.shop.shop_name)
    kind = ReplyType.OPT_IN if enabled else ReplyType.OPT_OUT
    return intent.value, [ctx.reply(kind, body)]


def _status(ctx: _Context, record: Record | None) -> tuple[str, list[Draft]]:
    """The named ticket's status, else the latest ticket's or order's, else "none found"."""
    if record is None and ctx.customer.known:
        record = latest_record(ctx.db, ctx.customer)
    if record is None:
        body = replies.status_text(ctx.language, None, None, {})
        return "status", [ctx.reply(ReplyType.STATUS, body)]
    ref_field = "ticketId" if record.collection == "tickets" else "orderId"
    body = replies.status_text(ctx.language, record.collection, record.id, record.data)
    return "status", [ctx.reply(ReplyType.STATUS, body, refs={ref_field: record.id})]


def _for_a_person(ctx: _Context) -> tuple[str, list[Draft]]:
    """Into the staff inbox; a polite answer to a stranger, an auto-reply when closed."""
    _to_inbox(ctx)
    customer, now = ctx.customer, ctx.now
    if not customer.known:
        log.info("message from an unknown number %s", mask_phone(customer.phone.e164))
        body = replies.unknown_sender_text(ctx.language, ctx.shop.shop_name)
        day_key = f"unknown:{customer.phone.e164}:{now.date().isoformat()}"
        return "inbox", [ctx.reply(ReplyType.UNKNOWN_SENDER, body, dedupe_key=day_key)]
    fallback = ctx.settings.default_country
    profile_country = customer.profile.country if customer.profile else None
    country = profile_country or customer.phone.region or fallback
    if in_business_hours(now, country, ctx.shop, fallback_country=fallback):
        return "inbox", []
    opening = next_business_opening(now, country, ctx.shop, fallback_country=fallback)
    hours = ctx.shop.business_hours_for(country, fallback)
    timezone = hours.timezone if hours else "UTC"
    body = replies.after_hours_text(ctx.language, opening, now, timezone, ctx.shop.shop_name)
    closing_key = f"after_hours:{customer.conversation_id}:{opening.isoformat()}"
    return "inbox", [ctx.reply(ReplyType.AFTER_HOURS, body, dedupe_key=closing_key)]


def _named_ticket(db: Client, customer: Customer, text: str | None) -> Record | None:
    """A ticket of this customer named in a short message (``"T123"``, ``"statut T123 ?"``)."""
    candidates = ticket_number_candidates(text)
    if not candidates:
        return None
    words = normalize_sentence(text).split()
    folded = {normalize_sentence(c) for c in candidates}
    others = [w for w in words if w not in folded and not any(w in f.split() for f in folded)]
    if len(others) > MAX_WORDS_BESIDE_TICKET:
        return None
    return ticket_by_number(db, customer, candidates)


def _to_inbox(ctx: _Context) -> None:
    message, customer = ctx.message, ctx.customer
    create_if_absent(
        ctx.db.collection(INBOX).document(ctx.key),
        {
            "customerId": customer.customer_id,
            "clientId": customer.client.id if customer.client else None,
            "name": customer.name or message.profile_name,
            "phone": customer.phone.e164,
            "channel": message.channel.value,
            "provider": message.provider.value,
            "text": message.text or "",
            "kind": message.kind,
            "mediaCount": len(message.media),
            "receivedAt": ctx.now,
            "status": "open",
            "conversationId": customer.conversation_id,
            "messagePath": ctx.ref.path,
        },
    )


# --- consent ----------------------------------------------------------------------------------


def _set_preference(db: Client, customer: Customer, switch: str, enabled: bool) -> None:
    """On the profile; on the client record for a walk-in without one; nowhere for a stranger."""
    value = {"notificationPreferences": {switch: enabled}}
    if customer.customer_id and customer.profile is not None:
        db.collection(PROFILES).document(customer.customer_id).set(value, merge=True)
    elif customer.client is not None and customer.client.id:
        db.collection(CLIENTS).document(customer.client.id).set(value, merge=True)


def _consent_event(
    db: Client,
    event_id: str,
    customer: Customer,
    *,
    channel: str,
    source: str,
    keyword: str | None,
    action: str,
    scope: str,
    message_id: str,
    now: datetime,
) -> bool:
    return create_if_absent(
        db.collection(CONSENT_EVENTS).document(f"c_{event_id}"),
        {
            "customerId": customer.customer_id,
            "clientId": customer.client.id if customer.client else None,
            "phone": customer.phone.e164,
            "channel": channel,
            "source": source,
            "keyword": keyword,
            "action": action,
            "scope": scope,
            "providerMessageId": message_id,
            "at": now,
        },
    )


def handle_preference(
    db: Client, preference: PreferenceUpdate, *, settings: Settings, now: datetime
) -> InboundOutcome:
    """Meta ``user_preferences``: marketing stop / resume sets ``marketingEnabled``.

    No reply: WhatsApp confirms the choice in its own interface, and the conversation window
    may be closed (a free-form answer would be refused).
    """
    if preference.category not in MARKETING_CATEGORIES:
        log.info("ignored a user preference of category %r", preference.category)
        return InboundOutcome(preference.wa_id, "ignored")
    if preference.value in MARKETING_STOP:
        enabled = False
    elif preference.value in MARKETING_RESUME:
        enabled = True
    else:
        log.info("ignored a marketing preference %r", preference.value)
        return InboundOutcome(preference.wa_id, "ignored")
    phone = normalize_sender(preference.wa_id, settings.default_country)
    if phone is None:
        return InboundOutcome(preference.wa_id, "not_a_phone")
    customer = find_customer(db, phone, now=now)
    stamp = preference.at.isoformat() if preference.at else ""
    event_id = _digest("meta_preference", phone.e164, preference.category, preference.value, stamp)
    ref = db.collection(CONSENT_EVENTS).document(f"c_{event_id}")
    action = "opt_in" if enabled else "opt_out"
    claimed = _claim(
        ref,
        {
            "customerId": customer.customer_id,
            "clientId": customer.client.id if customer.client else None,
            "phone": phone.e164,
            "channel": Channel.WHATSAPP.value,
            "source": Provider.META.value,
            "keyword": preference.value,
            "action": action,
            "scope": "marketing",
            "detail": preference.detail,
            "reportedAt": preference.at,
            "at": now,
            "claimedAt": now,
            "processedAt": None,
        },
        now,
    )
    if not claimed:
        return InboundOutcome(preference.wa_id, "duplicate", customer.customer_id)
    with _releasing(ref):
        _set_preference(db, customer, "marketingEnabled", enabled)
        ref.update({"processedAt": now})
    log.info("marketing %s for %s", action, mask_phone(phone.e164), extra={"known": customer.known})
    return InboundOutcome(preference.wa_id, f"marketing_{action}", customer.customer_id)


class InProgressError(TransientError):
    """A redelivered record another request is handling right now: answered 503, retried later."""
