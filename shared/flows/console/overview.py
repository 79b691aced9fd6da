"""Page 1, today / this week / this month: messages by channel and status, delivery and read
rates, SMS segments and cost by month, and the failures that need a look.

Counts and sums are aggregation queries (no document read), run concurrently; the failures are
one indexed page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from shared.model.enums import Channel, NotificationStatus
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


def _month_starts(now: datetime, timezone: str, count: int) -> list[datetime]:
    """The first instants of the last ``count`` months, oldest first, then the next month's."""
    first = now.astimezone(ZoneInfo(timezone)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    starts = [first]
    for _ in range(count - 1):
        starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
    starts.append((first + timedelta(days=32)).replace(day=1))
    return [s.astimezone(UTC) for s in starts]


def overview(
    db: Client,
    period: Period,
    now: datetime,
    *,
    timezone: str = "Europe/Paris",
    cursor: str | None = None,
) -> Overview:
    """The page's numbers for ``period`` (aggregations in parallel) and one page of failures."""
    start = period_start(period, now, timezone)
    end = now + timedelta(seconds=1)
    bounds = _month_starts(now, timezone, MONTHS)
    paid = (Channel.SMS.value,)  # segments and a per-message cost: SMS only
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = {
            (c, g): pool.submit(
                store.history_totals, db, start=start, end=end, channel=c, statuses=statuses
            )
            for c in CHANNELS
            for g, statuses in GROUPS.items()
        }
        costs = {
            (c, i): pool.submit(
                store.history_totals,
                db,
                start=bounds[i],
                end=bounds[i + 1],
                channel=c,
                sums=("metadata.segments", "metadata.cost"),
            )
            for c in paid
            for i in range(MONTHS)
        }
        failures = pool.submit(store.history_needing_a_look, db, NEEDS_A_LOOK, start, cursor)
        channels = [
            ChannelCounts(c, {g: counts[(c, g)].result().count for g in GROUPS}) for c in CHANNELS
        ]
        months = []
        for c in paid:
            for i in range(MONTHS):
                totals = costs[(c, i)].result()
                month = bounds[i].astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
                months.append(
                    MonthCost(
                        month,
                        c,
                        totals.count,
                        int(totals.sums["metadata.segments"]),
                        round(totals.sums["metadata.cost"], 4),
                    )
                )
        return Overview(period, start, now, channels, months, failures.result())
