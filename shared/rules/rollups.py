"""The console overview's counts of closed days and months, kept as small cached documents.

The overview (``shared.flows.console.overview``) shows messages by channel and status for a
period and SMS cost by month. Counting them with one aggregation query per (channel, status) is
a handful of index lookups on Firestore, but a scan of the whole collection per query on the
emulator, and ~30 of them per page. So each day is tallied into one rollup document (the counts
of the messages *created* that day, by channel and status, and the SMS segments and cost), and
each month before this one into one SMS total.

A rollup is used as long as it may still be true:

- **final**: its day (month) ended ``SETTLE`` ago and, for a day, none of its messages was still
  waiting (pending, scheduled, sending) when it was counted. Statuses only move forward and most
  receipts arrive within minutes, so a final rollup is never counted again; a receipt later
  than ``SETTLE`` (a WhatsApp read days later) is not counted, which ``docs/console.md`` says.
- otherwise it is counted again once older than ``FRESH`` (a message scheduled days ahead keeps
  its day open until it goes), today's once older than ``TODAY_FRESH``: the page's numbers for
  today are at most a minute old (its list of failures is always read live).

Pure: the store reads and writes the documents, the flow decides with these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.model.enums import Channel, NotificationStatus

SETTLE = timedelta(days=3)
FRESH = timedelta(minutes=10)
TODAY_FRESH = timedelta(seconds=60)
WAITING = frozenset(
    {
        NotificationStatus.PENDING.value,
        NotificationStatus.SCHEDULED.value,
        NotificationStatus.SENDING.value,
    }
)
_CHANNELS = frozenset(c.value for c in Channel)
_STATUSES = frozenset(s.value for s in NotificationStatus)
VERSION = 1  # bump when the shape or the meaning of a rollup changes: older ones are recounted


@dataclass
class Tally:
    """Messages counted by channel and status; SMS messages, segments and cost."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    sms_messages: int = 0
    sms_segments: int = 0
    sms_cost: float = 0.0

    def add(self, doc: Mapping[str, Any]) -> None:
        """Count one history document (its ``channel``, ``status`` and ``metadata``)."""
        channel, status = doc.get("channel"), doc.get("status")
        if channel not in _CHANNELS or status not in _STATUSES:
            return
        by_status = self.counts.setdefault(str(channel), {})
        by_status[str(status)] = by_status.get(str(status), 0) + 1
        if channel == Channel.SMS.value:
            metadata = doc.get("metadata")
            metadata = metadata if isinstance(metadata, Mapping) else {}
            self.sms_messages += 1
            self.sms_segments += _int(metadata.get("segments"))
            self.sms_cost += _number(metadata.get("cost"))

    def merge(self, other: Tally) -> None:
        for channel, statuses in other.counts.items():
            mine = self.counts.setdefault(channel, {})
            for status, n in statuses.items():
                mine[status] = mine.get(status, 0) + n
        self.sms_messages += other.sms_messages
        self.sms_segments += other.sms_segments
        self.sms_cost += other.sms_cost

    def count(self, channel: str, statuses: Iterable[str]) -> int:
        by_status = self.counts.get(channel, {})
        return sum(by_status.get(s, 0) for s in statuses)

    @property
    def waiting(self) -> int:
        return sum(self.count(c, WAITING) for c in self.counts)

    def to_document(self) -> dict[str, Any]:
        return {
            "counts": {c: dict(s) for c, s in self.counts.items()},
            "sms": {
                "messages": self.sms_messages,
                "segments": self.sms_segments,
                "cost": round(self.sms_cost, 6),
            },
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Tally:
        tally = cls()
        counts = doc.get("counts")
        if isinstance(counts, Mapping):
            for channel, statuses in counts.items():
                if channel in _CHANNELS and isinstance(statuses, Mapping):
                    tally.counts[str(channel)] = {
                        str(s): _int(n) for s, n in statuses.items() if s in _STATUSES
                    }
        sms = doc.get("sms")
        if isinstance(sms, Mapping):
            tally.sms_messages = _int(sms.get("messages"))
            tally.sms_segments = _int(sms.get("segments"))
            tally.sms_cost = _number(sms.get("cost"))
        return tally


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# -- which document, which span ----------------------------------------------------------------
def day_id(day: date, timezone: str) -> str:
    """``d_<zone>_<YYYY-MM-DD>``: a day of the shop's zone (a zone change counts anew)."""
    return f"d_{timezone.replace('/', '~')}_{day.isoformat()}"


def month_id(first: date, timezone: str) -> str:
    return f"m_{timezone.replace('/', '~')}_{first.strftime('%Y-%m')}"


def day_span(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where the zone's ``day`` starts and the next one starts."""
    zone = ZoneInfo(timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_span(first: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    nxt = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


# -- when a stored rollup may be used -----------------------------------------------------------
def rollup_document(
    tally: Tally, *, span_end: datetime, timezone: str, now: datetime, days: bool
) -> dict[str, Any]:
    """What is stored for a tally counted at ``now`` of a span ending at ``span_end``."""
    final = now >= span_end + SETTLE and (not days or tally.waiting == 0)
    return {
        **tally.to_document(),
        "timezone": timezone,
        "version": VERSION,
        "computedAt": now,
        "final": final,
    }


def usable(
    doc: Mapping[str, Any] | None, *, timezone: str, now: datetime, fresh: timedelta = FRESH
) -> bool:
    """Whether a stored rollup may stand for its span at ``now`` (a rollup not final for
    ``fresh`` after it was counted)."""
    if not doc or doc.get("version") != VERSION or doc.get("timezone") != timezone:
        return False
    if doc.get("final") is True:
        return True
    computed = doc.get("computedAt")
    if not isinstance(computed, datetime):
        return False
    if computed.tzinfo is None:
        computed = computed.replace(tzinfo=UTC)
    return now - computed < fresh
