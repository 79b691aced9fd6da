"""The numbers a shop owner asks about cart reminders, for a date range.

Cohort: the reminder messages created in ``[start, end)``. Carts reminded are the carts with at
least one of those messages that reached the customer (``sent``, ``delivered``, ``read``);
recovered are those carts whose purchase was credited to a reminder (``recoveredOrderId``, even
if the order came after ``end``); revenue is those orders' ``total`` per ``currency`` (the
cart's when the order is gone). Delivery and read rates are over messages handed to a provider,
and only for channels that report them (SMS and WhatsApp delivery, WhatsApp reads): email and
push have no receipts, their rates are ``None`` rather than a misleading 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.enums import Channel, NotificationStatus
from shared.model.status import HANDED_OVER, REACHED
from shared.store.carts import Reads, get_carts, get_orders, reminders_created

if TYPE_CHECKING:
    from google.cloud.firestore import Client

S = NotificationStatus
DELIVERED = {S.DELIVERED, S.READ}
WAITING = {S.PENDING, S.SCHEDULED, S.SENDING}
DELIVERY_RECEIPTS = {Channel.SMS.value, Channel.WHATSAPP.value}
READ_RECEIPTS = {Channel.WHATSAPP.value}
GET_ALL_CHUNK = 300


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ChannelStats:
    """Reminder messages on one channel."""

    channel: str
    statuses: Mapping[str, int]
    cost: Mapping[str, float]

    def count(self, statuses: Iterable[NotificationStatus]) -> int:
        return sum(self.statuses.get(s.value, 0) for s in statuses)

    @property
    def messages(self) -> int:
        return sum(self.statuses.values())

    @property
    def sent(self) -> int:
        return self.count(HANDED_OVER)

    @property
    def delivered(self) -> int:
        return self.count(DELIVERED)

    @property
    def read(self) -> int:
        return self.count([S.READ])

    @property
    def delivery_rate(self) -> float | None:
        return _rate(self.delivered, self.sent) if self.channel in DELIVERY_RECEIPTS else None

    @property
    def read_rate(self) -> float | None:
        return _rate(self.read, self.sent) if self.channel in READ_RECEIPTS else None


@dataclass(frozen=True)
class Report:
    """``recovery_report``'s answer."""

    start: datetime
    end: datetime
    carts_reminded: int
    carts_recovered: int
    revenue: Mapping[str, float]
    discount_codes_used: int
    channels: Sequence[ChannelStats]
    reads: int = 0
    by_stage: Mapping[str, int] = field(default_factory=dict)
    # Distinct carts: with a reminder planned (abandoned long enough), and reached per stage.
    carts_planned: int = 0
    carts_reached_by_stage: Mapping[str, int] = field(default_factory=dict)

    @property
    def recovery_rate(self) -> float | None:
        return _rate(self.carts_recovered, self.carts_reminded)

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.channels)

    @property
    def delivery_rate(self) -> float | None:
        with_receipts = [c for c in self.channels if c.channel in DELIVERY_RECEIPTS]
        return _rate(sum(c.delivered for c in with_receipts), sum(c.sent for c in with_receipts))

    @property
    def read_rate(self) -> float | None:
        with_receipts = [c for c in self.channels if c.channel in READ_RECEIPTS]
        return _rate(sum(c.read for c in with_receipts), sum(c.sent for c in with_receipts))

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "cartsReminded": self.carts_reminded,
            "cartsRecovered": self.carts_recovered,
            "recoveryRate": self.recovery_rate,
            "revenueRecovered": dict(self.revenue),
            "discountCodesUsed": self.discount_codes_used,
            "messages": self.messages,
            "messagesByType": dict(self.by_stage),
            "deliveryRate": self.delivery_rate,
            "readRate": self.read_rate,
            "channels": {
                c.channel: {
                    "messages": c.messages,
                    "statuses": dict(c.statuses),
                    "sent": c.sent,
                    "delivered": c.delivered,
                    "read": c.read,
                    "deliveryRate": c.delivery_rate,
                    "readRate": c.read_rate,
                    "cost": dict(c.cost),
                }
                for c in self.channels
            },
        }


def _get_all(
    get: Callable[[Client, Sequence[str]], Iterable[Any]],
    db: Client,
    ids: Sequence[str],
    reads: Reads,
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for i in range(0, len(ids), GET_ALL_CHUNK):
        for snap in get(db, ids[i : i + GET_ALL_CHUNK]):
            reads.get()
            if snap.exists:
                found[snap.id] = snap.to_dict() or {}
    return found


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def recovery_report(db: Client, start: datetime, end: datetime) -> Report:
    """Carts reminded and recovered, revenue, messages, cost and rates for ``[start, end)``."""
    reads = Reads()
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    costs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_type: Counter[str] = Counter()
    reminded: set[str] = set()
    planned: set[str] = set()
    reached_by_stage: dict[str, set[str]] = defaultdict(set)
    for snap in reminders_created(db, start, end, reads=reads):
        doc = snap.to_dict() or {}
        channel = str(doc.get("channel") or "unknown")
        status = NotificationStatus(str(doc.get("status") or "unknown"))
        statuses[channel][status.value] += 1
        by_type[str(doc.get("type"))] += 1
        raw_metadata = doc.get("metadata")
        metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
        cost = _number(metadata.get("cost"))
        if cost is not None:
            costs[channel][str(metadata.get("currency") or "?")] += cost
        cart_id = doc.get("cartId")
        if isinstance(cart_id, str) and cart_id:
            planned.add(cart_id)
        if status in REACHED and isinstance(cart_id, str) and cart_id:
            reminded.add(cart_id)
            reached_by_stage[str(doc.get("type"))].add(cart_id)

    carts = _get_all(get_carts, db, sorted(reminded), reads)
    recovered = {cid: c for cid, c in carts.items() if c.get("recoveredOrderId")}
    order_ids = sorted({str(c["recoveredOrderId"]) for c in recovered.values()})
    orders = _get_all(get_orders, db, order_ids, reads)
    revenue: dict[str, float] = defaultdict(float)
    codes_used = 0
    for cart in recovered.values():
        order = orders.get(str(cart["recoveredOrderId"]), {})
        total = _number(order.get("total"))
        source = order if total is not None else cart
        amount = _number(source.get("total"))
        if amount is not None:
            revenue[str(source.get("currency") or "?").upper()] += amount
        if order.get("discountCode"):
            codes_used += 1
    channels = [
        ChannelStats(name, dict(statuses[name]), dict(costs.get(name, {})))
        for name in sorted(statuses)
    ]
    return Report(
        start=start,
        end=end,
        carts_reminded=len(reminded),
        carts_recovered=len(recovered),
        revenue=dict(revenue),
        discount_codes_used=codes_used,
        channels=channels,
        reads=reads.documents,
        by_stage=dict(by_type),
        carts_planned=len(planned),
        carts_reached_by_stage={k: len(v) for k, v in reached_by_stage.items()},
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _money(amounts: Mapping[str, float]) -> str:
    return ", ".join(f"{v:,.2f} {k}" for k, v in sorted(amounts.items())) or "0"


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """First column left-aligned (a label), the others right-aligned (numbers)."""
    return "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return [
        _row(headers, widths),
        "  ".join("-" * w for w in widths),
        *(_row(r, widths) for r in rows),
    ]


def format_report(report: Report) -> str:
    """The report as two plain-text tables (summary, then one row per channel)."""
    period = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} (UTC, end excluded)"
    summary = [
        ("Carts reminded", str(report.carts_reminded)),
        ("Carts recovered", str(report.carts_recovered)),
        ("Recovery rate", _pct(report.recovery_rate)),
        ("Revenue recovered", _money(report.revenue)),
        ("Discount codes used", str(report.discount_codes_used)),
        ("Reminder messages", str(report.messages)),
        ("Delivery rate (SMS, WhatsApp)", _pct(report.delivery_rate)),
        ("Read rate (WhatsApp)", _pct(report.read_rate)),
    ]
    rows = [
        (
            c.channel,
            str(c.messages),
            str(c.sent),
            str(c.delivered),
            str(c.read),
            str(c.count(WAITING)),
            str(c.count([S.FAILED])),
            str(c.count([S.SKIPPED])),
            str(c.count([S.CANCELLED])),
            _pct(c.delivery_rate),
            _pct(c.read_rate),
            _money(c.cost),
        )
        for c in report.channels
    ]
    headers = (
        "channel",
        "messages",
        "sent",
        "delivered",
        "read",
        "waiting",
        "failed",
        "skipped",
        "cancelled",
        "delivery",
        "read rate",
        "cost",
    )
    lines = [f"Cart recovery, {period}", ""]
    lines += _table(("metric", "value"), summary)
    lines += ["", *_table(headers, rows or [("-",) * len(headers)])]
    return "\n".join(lines)
