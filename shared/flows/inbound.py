"""Inbound messages: store, decide, act, answer (once).

For each message: normalize the sender, find the customer (``shared.store.lookup``; a WhatsApp
user without a phone number by their user id, ``shared.store.whatsapp_users``), store the
message in ``conversations/{customerId or E164 or user id}/messages/{id}`` (the id derives from the
provider's message id, so a webhook delivered twice finds its own document), move
``lastInboundAt.{channel}`` forward (the 24-hour WhatsApp window), then act on what it says:

- an opt-out / opt-in keyword switches that channel (``shared.flows.inbound_consent``);
- a WhatsApp edit is a new version of the original, a deletion marks it deleted
  (``shared.flows.inbound_edits``); a changed number or user id moves the customer's
  WhatsApp identity (``shared.flows.inbound_identity``);
- a status question (or a ticket number of theirs) is answered with their latest news, anything
  else for a person lands in the staff inbox, with an answer to a stranger or an auto-reply when
  the shop is closed (``shared.flows.inbound_answers``);
- reactions, unsupported and unknown types are stored and acknowledged, nothing more.

Exactly once: the message document carries the step's claim (``shared.store.claims``). A
redelivery of a processed message does nothing; one of a message still being handled is
refused as busy (503: the provider retries later); a failed attempt gives its claim back, and
an older unfinished one (a crash) is handled again: every step is idempotent (deterministic ids
and ``create()`` for consent records, inbox entries and replies; plain sets for switches).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.flows.inbound_answers import for_a_person, named_ticket, status
from shared.flows.inbound_consent import keyword_consent
from shared.flows.inbound_context import Context, InboundOutcome
from shared.flows.inbound_edits import edit, revoke
from shared.flows.inbound_identity import identity_changed
from shared.flows.outbox import submit
from shared.model.ids import inbound_message_id
from shared.model.inbound import InboundMessage
from shared.model.record import NotificationRecord
from shared.platform.clock import as_datetime
from shared.platform.log import get_logger
from shared.platform.masking import mask_phone
from shared.platform.settings import Settings
from shared.rules.keywords import Intent, detect
from shared.store import claims, conversations, customers
from shared.store.lookup import Customer, find_customer, normalize_sender
from shared.store.shop import get_shop_settings
from shared.store.whatsapp_users import find_by_user_id, link_user_id

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

    from shared.adapters.tasks import TaskQueue

log = get_logger(__name__)

LEASE = timedelta(seconds=60)
STORE_ONLY_KINDS = frozenset({"reaction", "unsupported", "unknown", "system", "ephemeral"})


def _message_data(message: InboundMessage, customer: Customer, now: datetime) -> dict[str, Any]:
    return {
        "direction": "inbound",
        "provider": message.provider.value,
        "channel": message.channel.value,
        "providerMessageId": message.message_id,
        "from": customer.phone.e164 if customer.phone else None,
        "fromUserId": message.user_id,
        "to": message.recipient,
        "kind": message.kind,
        "text": message.text,
        "media": [dict(m) for m in message.media],
        "profileName": message.profile_name,
        "details": dict(message.details),
        "customerId": customer.customer_id,
        "clientId": customer.client.id if customer.client else None,
        "ambiguousContacts": list(customer.ambiguous),
        "sentAt": message.at,
        "receivedAt": now,
        "processedAt": None,
        **_whatsapp_fields(message),
    }


def _whatsapp_fields(message: InboundMessage) -> dict[str, Any]:
    """What Meta adds about who wrote and what the message does to earlier ones."""
    fields: dict[str, Any] = {
        "parentUserId": message.parent_user_id,
        "username": message.username,
        "editsMessageId": message.edits_message_id,
        "revokesMessageId": message.revokes_message_id,
    }
    change = message.identity_change
    if change is not None:
        fields["identityChange"] = {
            "kind": change.kind,
            "oldWaId": change.old_wa_id,
            "newWaId": change.new_wa_id,
            "previousUserId": change.previous_user_id,
            "newUserId": change.new_user_id,
        }
    return {k: v for k, v in fields.items() if v is not None}


def _touch_conversation(
    db: Client, customer: Customer, message: InboundMessage, at: datetime, now: datetime
) -> None:
    conversations.touch(
        db,
        customer.conversation_id,
        {
            "customerId": customer.customer_id,
            # merged: a message without a number never erases the one known
            **({"phone": customer.phone.e164} if customer.phone else {}),
            **({"whatsappUserId": customer.user_id} if customer.user_id else {}),
            "name": customer.name or message.profile_name,
            "lastChannel": message.channel.value,
            "lastInboundAt": at,
            "updatedAt": now,
        },
    )
    if customer.profile is None or not customer.customer_id:
        return
    current = as_datetime(customer.profile.last_inbound_at.get(message.channel.value))
    if current is None or at > current:
        customers.profile_ref(db, customer.customer_id).update(
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
    customer = _sender(db, message, settings=settings, now=now)
    if customer is None:
        log.warning(
            "ignored a %s message from %s: not a phone number",
            message.channel.value,
            mask_phone(message.sender),
        )
        return InboundOutcome(message.message_id, "not_a_phone")
    ref = conversations.message_ref(
        db, customer.conversation_id, inbound_message_id(message.provider.value, message.message_id)
    )
    claim = claims.claim(
        db, ref, now=now, lease=LEASE, create=_message_data(message, customer, now)
    )
    if not claim.taken:
        return InboundOutcome(message.message_id, "duplicate", customer.customer_id)
    try:
        at = min(message.at or now, now)
        _touch_conversation(db, customer, message, at, now)
        ctx = Context(db, message, customer, ref, get_shop_settings(db), settings, now)
        action, drafts = _act(ctx)
        reply_ids = tuple(d.notification_id for d in drafts)
        if drafts:
            submit(drafts, db=db, queue=queue, now=now)
    except Exception:
        _release(ref, now)
        raise
    claims.complete(ref, now, {"processedAt": now, "action": action, "replyIds": list(reply_ids)})
    log.info(
        "inbound %s from %s: %s",
        message.channel.value,
        customer.masked,
        action,
        extra={"customerId": customer.customer_id, "known": customer.known},
    )
    return InboundOutcome(message.message_id, action, customer.customer_id, reply_ids)


def _sender(
    db: Client, message: InboundMessage, *, settings: Settings, now: datetime
) -> Customer | None:
    """Who wrote: by phone number (the WhatsApp user id Meta sent with it is linked to them),
    else by WhatsApp user id alone; None when the message says neither."""
    phone = normalize_sender(message.sender, settings.default_country) if message.sender else None
    if phone is not None:
        customer = find_customer(db, phone, now=now)
        if not message.user_id:
            return customer
        link_user_id(db, customer, message.user_id, now=now)
        return replace(customer, user_id=message.user_id)
    if message.user_id:
        return find_by_user_id(db, message.user_id, now=now)
    return None


def _release(ref: DocumentReference, now: datetime) -> None:
    """On failure, give the claim back so the provider's retry need not wait for the lease."""
    try:
        claims.release(ref, now)
    except Exception as exc:  # the original error matters more; the lease expires anyway
        log.warning("could not release the claim on %s: %s", ref.path, exc)


def _act(ctx: Context) -> tuple[str, list[NotificationRecord]]:
    """Decide what the message asks for and do it; the action name and the answers to send."""
    message = ctx.message
    if message.kind == "revoke":
        return revoke(ctx)
    if message.kind == "edit":
        return edit(ctx)
    if message.kind == "system":
        return identity_changed(ctx)
    if message.kind in STORE_ONLY_KINDS and not message.text:
        return "stored", []
    detected = detect(message.text, opt_out_type=message.opt_out_type)
    if detected.intent in (Intent.OPT_OUT, Intent.OPT_IN):
        return keyword_consent(ctx, detected.intent, detected.keyword)
    record = named_ticket(ctx.db, ctx.customer, message.text) if ctx.customer.known else None
    if record is not None or detected.intent is Intent.STATUS:
        return status(ctx, record)
    return for_a_person(ctx)
