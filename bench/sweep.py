"""Sweep cost: documents read by one ``cart_sweep`` over 10,000 carts of which 100 are due.

The carts are seeded exactly as ``tests/integration/test_cart_sweep_cost.py`` seeds them (its
helpers are reused: 100 carts idle 3 hours with their customers' profiles and the consent events
proving their marketing opt-ins, and 9,900 that no sweep at that time may touch: recent, bought,
recently reminded, finished). The profiles then get their ``consentState`` from the backfill
(``shared.flows.consent_state.backfill``), as ``on_consent_written`` keeps them in a deployed
shop (this project has no triggers), and the sweep runs in process
(``shared.flows.carts.sweep.run_sweep``) with a recording queue. Reads are counted at the
client's RPC layer; the sweep's own report is shown beside them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.infra import RpcCounter, Services, write_all

PROJECT = "bench-sweep"


@dataclass
class SweepResult:
    carts: int
    due: int
    reads: int
    queries: int
    reported_reads: int
    reminded: int
    seconds: float
    seed_seconds: float

    @property
    def reads_per_due(self) -> float:
        return self.reads / self.due


def measure(services: Services, *, say: Callable[[str], None] = print) -> SweepResult:
    from shared.flows.carts.sweep import run_sweep  # noqa: PLC0415
    from shared.flows.consent_state import backfill  # noqa: PLC0415
    from tests.integration.test_cart_sweep_cost import (  # noqa: PLC0415
        DUE_CARTS,
        NOW,
        SETTINGS,
        TOTAL_CARTS,
        RecordingQueue,
        due_cart,
        not_due_cart,
        profile,
        proof,
    )

    db: Any = services.client(f"{PROJECT}-{uuid.uuid4().hex[:6]}")
    start = time.perf_counter()
    docs = [("carts", f"due-{i:03d}", due_cart(i)) for i in range(DUE_CARTS)]
    docs += [("customer_profiles", f"due-{i}", profile(f"Due{i}")) for i in range(DUE_CARTS)]
    docs += [proof(f"due-{i}") for i in range(DUE_CARTS)]  # the marketing opt-in (issue 15)
    docs += [("carts", f"c-{i:05d}", not_due_cart(i)) for i in range(TOTAL_CARTS - DUE_CARTS)]
    write_all(db, docs)
    states = backfill(db, now=NOW)
    seeded = time.perf_counter() - start
    say(f"  seeded {TOTAL_CARTS} carts in {seeded:.1f} s ({states.written} consent states)")

    counter = RpcCounter(db)
    start = time.perf_counter()
    summary = run_sweep(db=db, queue=RecordingQueue(), now=NOW, settings=SETTINGS, page_size=40)
    seconds = time.perf_counter() - start
    report = summary.as_json()
    counted = counter.snapshot()
    return SweepResult(
        carts=TOTAL_CARTS,
        due=int(report["due"]),
        reads=counted["reads"],
        queries=counted["queries"],
        reported_reads=int(report["reads"]),
        reminded=int(report["reminded_1"]),
        seconds=seconds,
        seed_seconds=seeded,
    )
