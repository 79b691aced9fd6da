"""A running campaign's health and results, decided from what its history says.

Pure. ``health`` looks at the campaign's last sends (the newest ``Limits.window`` messages that
reached an outcome) and says whether the campaign must pause itself, and why: too many failed
(``failure_rate``) or too many of those recipients opted out since (``opt_out_rate``). Fewer
than ``Limits.min_sends`` outcomes say nothing yet.

``Results`` is the ``results`` map of the campaign document, recomputed whole each time from
counts (so a refresh run twice, or two at once, writes the same numbers: idempotent by
construction).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.model.campaign import Limits

FAILED = frozenset({"failed", "undelivered"})
SENT = frozenset({"sent", "delivered", "read", "undelivered"})
DELIVERED = frozenset({"delivered", "read"})
WAITING = frozenset({"pending", "scheduled", "sending"})
OUTCOMES = SENT | FAILED


@dataclass(frozen=True)
class Send:
    """One recent message of the campaign: its status, its customer, when it went."""

    status: str
    customer_id: str | None
    at: datetime | None = None


@dataclass(frozen=True)
class Health:
    """``pause`` with a ``reason`` (``failure_rate``, ``opt_out_rate``) and a sentence."""

    pause: bool = False
    reason: str = ""
    detail: str = ""
    failure_rate: float = 0.0
    opt_out_rate: float = 0.0
    sample: int = 0


def health(recent: Iterable[Send], opted_out: Iterable[str], limits: Limits) -> Health:
    """Pause or not, from the last sends (newest first, any number) and the customers who
    opted out since the campaign started."""
    window = [s for s in recent if s.status in OUTCOMES][: limits.window]
    sample = len(window)
    if sample == 0:
        return Health()
    failed = sum(1 for s in window if s.status in FAILED)
    quitters = set(opted_out)
    left = sum(1 for s in window if s.customer_id and s.customer_id in quitters)
    failure_rate, opt_out_rate = failed / sample, left / sample
    base = Health(failure_rate=failure_rate, opt_out_rate=opt_out_rate, sample=sample)
    if sample < limits.min_sends:
        return base
    if failure_rate > limits.failure_rate:
        return Health(
            True,
            "failure_rate",
            f"{failed} of the last {sample} sends failed ({failure_rate:.0%}, limit "
            f"{limits.failure_rate:.0%})",
            failure_rate,
            opt_out_rate,
            sample,
        )
    if opt_out_rate > limits.opt_out_rate:
        return Health(
            True,
            "opt_out_rate",
            f"{left} of the last {sample} recipients opted out ({opt_out_rate:.0%}, limit "
            f"{limits.opt_out_rate:.0%})",
            failure_rate,
            opt_out_rate,
            sample,
        )
    return base


@dataclass(frozen=True)
class Results:
    """``campaigns.results``: every figure the console shows, recomputed whole."""

    audience: int = 0  # profiles the audience query matched
    planned: int = 0  # history documents of the campaign
    by_status: Mapping[str, int] = field(default_factory=dict)
    failed_by_reason: Mapping[str, int] = field(default_factory=dict)
    skipped_by_reason: Mapping[str, int] = field(default_factory=dict)
    opt_outs: int = 0
    orders: int = 0
    revenue: Mapping[str, float] = field(default_factory=dict)  # currency -> total
    cost: Mapping[str, float] = field(default_factory=dict)  # currency -> total

    def count(self, statuses: frozenset[str]) -> int:
        return sum(n for s, n in self.by_status.items() if s in statuses)

    @property
    def waiting(self) -> int:
        return self.count(WAITING)

    def as_document(self, now: datetime) -> dict[str, Any]:
        return {
            "audienceSize": self.audience,
            "planned": self.planned,
            "eligible": self.planned - self.by_status.get("skipped", 0),
            "waiting": self.waiting,
            "sent": self.count(SENT),
            "delivered": self.count(DELIVERED),
            "read": self.by_status.get("read", 0),
            "failed": self.count(FAILED),
            "failedByReason": dict(self.failed_by_reason),
            "skipped": self.by_status.get("skipped", 0),
            "skippedByReason": dict(self.skipped_by_reason),
            "cancelled": self.by_status.get("cancelled", 0),
            "optOuts": self.opt_outs,
            "ordersAttributed": self.orders,
            "revenue": {k: round(v, 2) for k, v in self.revenue.items()},
            "cost": {k: round(v, 4) for k, v in self.cost.items()},
            "updatedAt": now,
        }


def tally(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def add_money(totals: dict[str, float], amount: Any, currency: Any) -> None:
    """Add ``amount`` of ``currency`` (numbers only; unknown currency ``?``)."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return
    key = currency.strip().upper() if isinstance(currency, str) and currency.strip() else "?"
    totals[key] = totals.get(key, 0.0) + float(amount)


def attributed(sent_at: datetime | None, ordered_at: datetime | None, days: float) -> bool:
    """An order belongs to the campaign when placed after its message, within the window."""
    if sent_at is None or ordered_at is None:
        return False
    return sent_at <= ordered_at <= sent_at + timedelta(days=days)


def done(results: Results, *, planning_finished: bool) -> bool:
    """Every page planned and no message waiting: the campaign has completed."""
    return planning_finished and results.waiting == 0


def summary_line(doc: Mapping[str, Any]) -> str:
    """A one-line view of ``results`` (logs, CLI)."""
    keys = ("audienceSize", "planned", "sent", "delivered", "read", "failed", "optOuts")
    return ", ".join(f"{k} {doc.get(k, 0)}" for k in keys)
