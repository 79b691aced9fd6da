"""Page 2, messages: find them by customer name, phone (typed any way), email, ticket, order or
cart; one message's timeline and what the customer saw.

A phone is normalized with the project's phone rules (``"06 12 34 56 78"`` is ``+33612345678``
in France) and matched on ``to`` (E.164 for SMS and WhatsApp); an id is tried as a ticket, an
order, then a cart; anything else is a name prefix on the customers' profiles. Each is one
indexed query, newest first, 50 a page; the id and name queries run side by side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import Channel
from shared.model.record import InvalidRecordError, NotificationRecord
from shared.platform.clock import as_datetime
from shared.platform.errors import InvalidInputError
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.rendering import build_message
from shared.rules.sms import analyze
from shared.store import console as store
from shared.store.customers import get_profile
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

_PHONE_LIKE = re.compile(r"^[+(]?[\d\s().\-/]{6,}$")
_EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REF_FIELDS = ("ticketId", "orderId", "cartId")


@dataclass(frozen=True)
class Search:
    """What was searched and how it was understood."""

    text: str
    kind: str  # "phone", "email", "ticketId", "orderId", "cartId", "name", "none"
    value: str  # the normalized phone, the id, the name...
    page: store.Page
    customers: Sequence[tuple[str, str]] = ()  # a name search: (id, name) of the matches


def search(db: Client, text: str, *, default_country: str, cursor: str | None = None) -> Search:
    """The messages ``text`` names, newest first."""
    text = (text or "").strip()[:100]
    if not text:
        return Search(text, "none", "", store.Page((), None))
    if _EMAIL_LIKE.match(text):
        email = text.lower()
        return Search(text, "email", email, store.history_where(db, "to", [email], cursor))
    if _PHONE_LIKE.match(text):
        try:
            phone = normalize_phone(text, None, default_country)
        except PhoneError:
            phone = None
        if phone is not None:
            page = store.history_where(db, "to", [phone.e164], cursor)
            return Search(text, "phone", phone.e164, page)
    # An id (ticket, order, cart, in that order) or else a name: the queries run side by side
    # (each scans on the emulator), the first that finds something wins.
    with ThreadPoolExecutor(max_workers=5) as pool:
        by_ref = [(f, pool.submit(store.history_where, db, f, [text], cursor)) for f in REF_FIELDS]
        as_typed = pool.submit(store.profiles_named, db, text)
        titled = pool.submit(store.profiles_named, db, text.title())
        for field, found in by_ref:
            if found.result().rows:
                return Search(text, field, text, found.result())
        names = as_typed.result() or titled.result()
    matches = [(customer_id, str(doc.get("displayName") or "")) for customer_id, doc in names]
    # The messages of the best match (an exact name first), one equality query; the others
    # are listed to pick from.
    exact = [m for m in matches if m[1].casefold() == text.casefold()]
    chosen = (exact or matches)[:1]
    page = store.history_where(db, "customerId", [c for c, _ in chosen], cursor)
    return Search(text, "name", chosen[0][1] if chosen else text, page, matches)


@dataclass(frozen=True)
class Step:
    """One moment of a message's life."""

    key: str  # planned, scheduled, sending, sent, delivered, read, failed, ...
    at: datetime | None
    detail: str = ""


# history field -> timeline step, in the order a message lives them.
_STEPS = (
    ("createdAt", "planned"),
    ("scheduledFor", "scheduled"),
    ("sendingAt", "sending"),
    ("sentAt", "sent"),
    ("deliveredAt", "delivered"),
    ("readAt", "read"),
    ("undeliveredAt", "undelivered"),
    ("failedAt", "failed"),
    ("skippedAt", "skipped"),
    ("cancelledAt", "cancelled"),
)


def timeline(doc: Mapping[str, Any]) -> list[Step]:
    """The steps the document records, in time order (a step without a time keeps its place)."""
    steps = [Step(key, as_datetime(doc.get(field))) for field, key in _STEPS if doc.get(field)]
    if doc.get("fallbackOf"):
        steps.insert(1, Step("replaces", None, str(doc["fallbackOf"])))
    if doc.get("fallbackId"):
        steps.append(Step("fallback", as_datetime(doc.get("failedAt")), str(doc["fallbackId"])))
    order = {key: i for i, (_, key) in enumerate(_STEPS)}
    return sorted(
        steps,
        key=lambda s: (
            s.at.timestamp() if s.at else float("inf"),
            order.get(s.key, len(order)),
        ),
    )


@dataclass(frozen=True)
class Seen:
    """What reached (or would reach) the customer."""

    text: str
    subject: str | None
    segments: int | None
    encoding: str | None
    template_used: bool


@dataclass(frozen=True)
class MessageView:
    notification_id: str
    doc: Mapping[str, Any]
    steps: Sequence[Step]
    seen: Seen | None


def what_the_customer_saw(
    db: Client, record: NotificationRecord, doc: Mapping[str, Any], now: datetime
) -> Seen | None:
    """The text delivery renders for this record (the stored body when it has one), with the
    SMS segments and encoding recorded at sending (else counted now)."""
    try:
        profile = get_profile(db, record.customer_id) if record.customer_id else None
        message = build_message(record, profile, now=now, shop=get_shop_settings(db))
    except (InvalidInputError, ValueError, KeyError):
        return None
    if message is None:
        return None
    metadata: Mapping[str, Any] = doc.get("metadata") or {}
    segments = metadata.get("segments")
    encoding = metadata.get("encoding")
    if record.channel is Channel.SMS and (segments is None or encoding is None):
        info = analyze(message.text)
        segments, encoding = info.segments, info.encoding
    return Seen(
        text=message.text,
        subject=message.subject,
        segments=int(segments) if isinstance(segments, int | float) else None,
        encoding=encoding if isinstance(encoding, str) else None,
        template_used=bool(metadata.get("whatsappTemplate")),
    )


def message_view(db: Client, notification_id: str, now: datetime) -> MessageView | None:
    """One message: its document, timeline and what the customer saw (None when absent)."""
    doc = store.history_document(db, notification_id)
    if doc is None:
        return None
    try:
        record = NotificationRecord.from_document(notification_id, doc)
    except InvalidRecordError:
        return MessageView(notification_id, doc, timeline(doc), None)
    return MessageView(
        notification_id, doc, timeline(doc), what_the_customer_saw(db, record, doc, now)
    )
