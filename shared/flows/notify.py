"""Firestore change handlers: a ticket or an order changed; tell the customer what it means."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from shared.adapters.tasks import TaskQueue
from shared.flows.consent import facts_for_plan
from shared.flows.customer_activity import keep_order_activity
from shared.flows.outbox import submit
from shared.model.change import DocumentChange
from shared.model.plan import Reason
from shared.model.shop import ShopSettings
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.platform.settings import get_settings
from shared.rules.changes import CustomerEvent, order_events, ticket_events
from shared.rules.planner import Source, plan_drafts
from shared.store.client import get_db
from shared.store.customers import load_customer
from shared.store.shop import get_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


def notify(
    events: list[CustomerEvent],
    change: DocumentChange,
    *,
    id_field: str,
    db: Client,
    queue: TaskQueue | None,
    now: datetime,
    shop: ShopSettings | None = None,
) -> dict[str, Any]:
    """Plan, record and enqueue the messages for each event of one document change (``shop``:
    the settings the caller already read for this change; read here otherwise)."""
    if not events:
        return {"path": change.path, "events": []}
    assert change.after is not None  # events only come from an existing document
    settings = get_settings()
    shop = shop or get_shop_settings(db)
    customer = load_customer(db, change.after)
    source = Source(id_field, change.document_id, change.after)
    keys = [event.key for event in events]
    consent = facts_for_plan(
        db, customer, change.after, keys, default_country=settings.default_country
    )
    plan = partial(
        plan_drafts,
        source=source,
        customer=customer,
        event_id=change.event_id,
        settings=settings,
        shop=shop,
        now=now,
    )
    why_not_read = False
    summary: list[dict[str, Any]] = []
    for event in events:
        drafts = plan(event, consent=consent)
        if (
            not why_not_read
            and customer.profile is not None
            and any(d.status_reason == Reason.SMS_NOT_OPTED_IN for d in drafts)
        ):
            # Nothing could go and SMS is off: a STOP in the ledger says why (a rare path, so
            # the registered customer's events are read only here, once per change).
            consent = facts_for_plan(
                db, customer, change.after, keys, default_country=settings.default_country,
                why_not=True,
            )  # fmt: skip
            why_not_read = True
            drafts = plan(event, consent=consent)
        results = submit(drafts, db=db, queue=queue, now=now)
        summary.append(
            {"type": event.key.value, "notifications": [r.notification_id for r in results]}
        )
    return {"path": change.path, "events": summary}


def handle_ticket_change(
    change: DocumentChange,
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> Mapping[str, Any]:
    db = db or get_db()
    now = now or utcnow()
    shop = get_shop_settings(db)
    events = ticket_events(
        change.before,
        change.after,
        completed_at=change.time or now,
        pickup_reminder_days=shop.pickup_reminder_days,
    )
    return notify(events, change, id_field="ticketId", db=db, queue=queue, now=now, shop=shop)


def handle_order_change(
    change: DocumentChange,
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
) -> Mapping[str, Any]:
    db = db or get_db()
    now = now or utcnow()
    shop = get_shop_settings(db)
    events = order_events(
        change.before,
        change.after,
        now=now,
        payment_reminder_hours_before=shop.payment_reminder_hours_before,
    )
    summary = notify(events, change, id_field="orderId", db=db, queue=queue, now=now, shop=shop)
    # After the customer's own messages, so a recovery problem never costs the order's email.
    from shared.flows.campaigns.attribution import attribute_order  # noqa: PLC0415 - orders only
    from shared.flows.carts.recovery import recover_cart  # noqa: PLC0415 - orders only

    recover_cart(change, db=db, now=now)
    attribute_order(change, db=db, now=now)  # a campaign's recipient bought: its result
    keep_order_activity(change, db=db, now=now)  # lastOrderAt, for campaign audiences
    return summary
