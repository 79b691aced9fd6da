"""Page 1, today / this week / this month: messages by channel and status, delivery and read
rates, SMS segments and cost by month, and the failures that need a look.

Days and months come from their cached rollups (``shared.rules.rollups``; today's at most a
minute old), so a view reads a few small documents and one page of failures, whatever the size
of the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from shared.model.enums import Channel, NotificationStatus
from shared.rules import rollups
from shared.store import console as store

if TYPE_CHECKING:
    from google.cloud.firestore import Client

S = NotificationStatus
Period = Literal["today", "week", "month"]
PERIODS: tuple[Period, ...] = ("today", "week", "month")
CHANNELS = tuple(c.value for c in Channel)
# The bars' stacks, bottom to top: each a few statuses.
GROUPS: Mapping[str, tuple[str, ...]] = {
    "read": (S.READ.value,),
    "delivered": (S.DELIVERED.value,),
    "sent": (S.SENT.value,),
    "waiting": (S.PENDING.value, S.SCHEDULED.value, S.SENDING.value),
    "failed": (S.FAILED.value, S.UNDELIVERED.value),
    "skipped": (S.SKIPPED.value, S.CANCELLED.value),
}
HANDED_OVER_GROUPS = ("read", "delivered", "sent", "failed")
NEEDS_A_LOOK = (S.FAILED.value, S.UNDELIVERED.value, S.SKIPPED.value)
MONTHS = 6


@dataclass(frozen=True)
class ChannelCounts:
    channel: str
    groups: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    @property
    def handed_over(self) -> int:
        return sum(self.groups.get(g, 0) for g in HANDED_OVER_GROUPS)

    @property
    def delivery_rate(self) -> float | None:
        """Delivered (or read) over handed to a provider; None for channels without receipts."""
        if self.channel not in (Channel.SMS.value, Channel.WHATSAPP.value) or not self.handed_over:
            return None
        return (self.groups.get("delivered", 0) + self.groups.get("read", 0)) / self.handed_over

    @property
    def read_rate(self) -> float | None:
        """Read over handed over: WhatsApp only (the one channel reporting reads)."""
        if self.channel != Channel.WHATSAPP.value or not self.handed_over:
            return None
        return self.groups.get("read", 0) / self.handed_over


@dataclass(frozen=True)
class MonthCost:
    month: str  # "2026-11"
    channel: str
    messages: int
    segments: int
    cost: float


@dataclass(frozen=True)
class Overview:
    period: Period
    start: datetime
    end: datetime
    channels: Sequence[ChannelCounts]
    months: Sequence[MonthCost]
    failures: store.Page

    @property
    def total(self) -> int:
        return sum(c.total for c in self.channels)


def period_start(period: Period, now: datetime, timezone: str) -> datetime:
    """Midnight today, Monday of this week, or the first of this month, in the shop's zone."""
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        midnight -= timedelta(days=midnight.weekday())
    elif period == "month":
        midnight = midnight.replace(day=1)
    return midnight.astimezone(UTC)


def _month_firsts(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months, oldest first (this month's last)."""
    firsts = [today.replace(day=1)]
    for _ in range(count - 1):
        firsts.insert(0, (firsts[0] - timedelta(days=1)).replace(day=1))
    return firsts


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _sms_totals(db: Client, start: datetime, end: datetime) -> store.Totals:
    return store.history_totals(
        db,
        start=start,
        end=end,
        channel=Channel.SMS.value,
        sums=("metadata.segments", "metadata.cost"),
    )


def overview(
    db: Client,
    period: Period,
    now: datetime,
    *,
    timezone: str = "Europe/Paris",
    cursor: str | None = None,
) -> Overview:
    """The page's numbers for ``period`` and one page of failures.

    Days and the months before this one come from their rollups (``shared.rules.rollups``);
    those missing or out of date are counted again (a query each, in parallel) and stored for
    the next view. The failures are one indexed page, always live.
    """
    start = period_start(period, now, timezone)
    today = now.astimezone(ZoneInfo(timezone)).date()
    firsts = _month_firsts(today, MONTHS)
    first_day = min(start.astimezone(ZoneInfo(timezone)).date(), firsts[-1])
    days = _days(first_day, today)
    past_months = firsts[:-1]
    day_ids = {d: rollups.day_id(d, timezone) for d in days}
    month_ids = {m: rollups.month_id(m, timezone) for m in past_months}
    stored = store.rollups(db, [*day_ids.values(), *month_ids.values()])

    def kept(rollup_id: str, fresh: timedelta = rollups.FRESH) -> bool:
        return rollups.usable(stored.get(rollup_id), timezone=timezone, now=now, fresh=fresh)

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = pool.submit(store.history_needing_a_look, db, NEEDS_A_LOOK, start, cursor)
        day_docs = {
            d: pool.submit(store.history_created, db, *rollups.day_span(d, timezone))
            for d in days
            if not kept(day_ids[d], rollups.TODAY_FRESH if d == today else rollups.FRESH)
        }
        month_totals = {
            m: pool.submit(_sms_totals, db, *rollups.month_span(m, timezone))
            for m in past_months
            if not kept(month_ids[m])
        }
        recounted: dict[str, dict[str, Any]] = {}
        for d, docs in day_docs.items():
            tally = rollups.Tally()
            for doc in docs.result():
                tally.add(doc)
            end = rollups.day_span(d, timezone)[1]
            recounted[day_ids[d]] = rollups.rollup_document(
                tally, span_end=end, timezone=timezone, now=now, days=True
            )
        for m, totals in month_totals.items():
            total = totals.result()
            tally = rollups.Tally(
                sms_messages=total.count,
                sms_segments=int(total.sums["metadata.segments"]),
                sms_cost=total.sums["metadata.cost"],
            )
            end = rollups.month_span(m, timezone)[1]
            recounted[month_ids[m]] = rollups.rollup_document(
                tally, span_end=end, timezone=timezone, now=now, days=False
            )
        page = failures.result()
    store.save_rollups(db, recounted)
    stored.update(recounted)

    def tally_of(rollup_id: str) -> rollups.Tally:
        return rollups.Tally.from_document(stored.get(rollup_id) or {})

    period_first = start.astimezone(ZoneInfo(timezone)).date()
    period_tally, this_month = rollups.Tally(), rollups.Tally()
    for d in days:
        tally = tally_of(day_ids[d])
        if d >= period_first:
            period_tally.merge(tally)
        if d >= firsts[-1]:
            this_month.merge(tally)
    channels = [
        ChannelCounts(c, {g: period_tally.count(c, statuses) for g, statuses in GROUPS.items()})
        for c in CHANNELS
    ]
    month_tallies = [*(tally_of(month_ids[m]) for m in past_months), this_month]
    months = [
        MonthCost(
            first.strftime("%Y-%m"),
            Channel.SMS.value,
            tally.sms_messages,
            tally.sms_segments,
            round(tally.sms_cost, 4),
        )
        for first, tally in zip(firsts, month_tallies, strict=True)
    ]
    return Overview(period, start, now, channels, months, page)
