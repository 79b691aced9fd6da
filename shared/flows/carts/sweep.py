"""``cart_sweep``: find the carts due for a reminder and remind each once.

Reads grow with the due carts, not with all carts: each stage is one indexed query
(``firestore.indexes.json``) whose results are the due carts themselves, paged with query
cursors. Per due cart the sweep reads the cart
(in the query) and the customer's profile; a sweep where nothing is due reads the settings
document and runs three empty queries. One failing cart never stops the sweep: failures are
collected per cart and reported in the summary, and the cart is found again next time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.tasks import TaskQueue
from shared.flows.carts.reminders import LEASE, DueCart, Outcome, Reminders
from shared.model.shop import ShopSettings
from shared.platform.clock import utcnow
from shared.platform.log import get_logger
from shared.platform.settings import Settings, get_settings
from shared.rules.cart_due import DueWindows, due_stage, due_windows
from shared.store.carts import Reads, due_carts, stuck_reminders
from shared.store.client import get_db
from shared.store.shop import read_shop_settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.store.carts import Snapshot

log = get_logger(__name__)

PAGE_SIZE = 200
MAX_CARTS = 2000  # per run; the rest waits 15 minutes (``more`` in the summary)
# Stop taking new carts after this long, well inside the function's timeout (60 s by default);
# the rest is found by the next run, 15 minutes later.
TIME_BUDGET = timedelta(seconds=40)


@dataclass
class SweepSummary:
    """The JSON answer of ``cart_sweep``."""

    due: int = 0
    reminded_1: int = 0
    reminded_2: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: list[dict[str, Any]] = field(default_factory=list)
    messages: Counter[str] = field(default_factory=Counter)
    resumed: int = 0
    more: bool = False
    reads: Reads = field(default_factory=Reads)

    def count(self, outcome: Outcome) -> None:
        if outcome.outcome == "reminded":
            if outcome.stage == 1:
                self.reminded_1 += 1
            else:
                self.reminded_2 += 1
            self.messages.update(outcome.messages.values())
        else:
            self.skipped[outcome.outcome] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "reminded_1": self.reminded_1,
            "reminded_2": self.reminded_2,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(self.skipped),
            "failed": len(self.failed),
            "failures": self.failed[:50],
            "messages": dict(self.messages),
            "resumed": self.resumed,
            "more": self.more,
            "reads": self.reads.documents,
            "queries": self.reads.queries,
            "billed_reads": self.reads.billed,
        }


def load_shop(db: Client, reads: Reads) -> ShopSettings:
    """``settings/notifications`` read once per sweep (counted)."""
    reads.get()
    return read_shop_settings(db)


def due_snapshots(
    db: Client, stage: int, windows: DueWindows, *, reads: Reads, page_size: int
) -> Iterator[Snapshot]:
    """Candidates for ``stage``: exactly the due carts."""
    return due_carts(
        db,
        stage,
        idle_before=windows.first_idle_before,
        reminded_before=windows.second_reminded_before,
        reads=reads,
        page_size=page_size,
    )


def _failure(cart_id: str, stage: int, exc: Exception) -> dict[str, Any]:
    return {"cartId": cart_id, "stage": stage, "error": type(exc).__name__, "detail": str(exc)}


def run_sweep(
    *,
    db: Client | None = None,
    queue: TaskQueue | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
    shop: ShopSettings | None = None,
    page_size: int = PAGE_SIZE,
    max_carts: int = MAX_CARTS,
    time_budget: timedelta = TIME_BUDGET,
) -> SweepSummary:
    """One sweep: resume stuck claims, then first reminders, then second reminders."""
    stop_at = time.monotonic() + time_budget.total_seconds()
    db = db or get_db()
    now = now or utcnow()
    summary = SweepSummary()
    reads = summary.reads
    shop = shop or load_shop(db, reads)
    windows = due_windows(shop, now)
    reminders = Reminders(db, queue, settings or get_settings(), shop, now, reads)

    for snap in stuck_reminders(db, now, reads=reads, limit=100):
        claim = snap.to_dict() or {}
        try:
            outcome = reminders.resume(claim, snap.id)
        except Exception as exc:  # one bad record never stops the sweep
            log.exception("could not resume the reminder claim %s", snap.id)
            cart_id, stage = str(claim.get("cartId")), int(claim.get("stage") or 0)
            summary.failed.append(_failure(cart_id, stage, exc))
            continue
        summary.resumed += 1
        summary.count(outcome)

    handled = 0
    for stage in (1, 2):
        if summary.more:
            break
        for snap in due_snapshots(db, stage, windows, reads=reads, page_size=page_size):
            if handled >= max_carts or time.monotonic() > stop_at:
                summary.more = True
                break
            data = snap.to_dict() or {}
            if due_stage(data, windows) != stage:
                summary.skipped["not_due"] += 1
                continue
            summary.due += 1
            handled += 1
            try:
                outcome = reminders.remind(DueCart(snap.id, data, stage, snap.update_time))
            except Exception as exc:  # one bad record never stops the sweep
                log.exception("cart %s: reminder %d failed", snap.id, stage)
                summary.failed.append(_failure(snap.id, stage, exc))
                continue
            summary.count(outcome)
    log.info("cart sweep done", extra={"summary": summary.as_json()})
    return summary


__all__ = ["LEASE", "SweepSummary", "run_sweep"]
