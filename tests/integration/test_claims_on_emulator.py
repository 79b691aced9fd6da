"""The claim primitive and compare-and-set on the Cloud Firestore emulator's real semantics:
isolated transactions and ``update_time`` preconditions, with workers racing for real.

Each test works in a project of its own on the stack's emulator (no trigger registered there).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.firestore import emulator
from devstack.stack import Stack
from shared.store import claims
from shared.store.client import ContendedError, compare_and_set

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture
def db(stack: Stack) -> Iterator[Any]:
    assert stack.firestore_host is not None
    project = f"demo-claims-{uuid.uuid4().hex[:8]}"
    yield emulator.client_for(stack.firestore_host, project)
    emulator.reset(stack.firestore_host, project)


def race(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``workers`` threads released at the same instant; results or errors."""
    start = threading.Barrier(workers)
    results: list[Any] = [None] * workers

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_concurrent_takeovers_of_an_expired_lease_give_it_to_exactly_one(db: Any) -> None:
    ref = db.collection("notification_history").document("n-1")
    ref.set(
        {
            "status": "pending",
            "attempts": 1,
            "claim": {
                "state": "in_progress",
                "owner": "dead-worker",
                "attempt": 1,
                "claimedAt": NOW - timedelta(minutes=10),
                "leaseExpiresAt": NOW - timedelta(minutes=8),
            },
        }
    )

    results = race(2, lambda _: claims.claim(db, ref, now=NOW, lease=LEASE))

    taken = [r for r in results if isinstance(r, claims.Claim) and r.taken]
    refused = [r for r in results if isinstance(r, claims.ClaimBusyError)]
    assert len(taken) == 1, results
    assert len(refused) == 1, results
    winner = taken[0]
    assert winner.attempt == 2
    assert winner.resumed_from == NOW - timedelta(minutes=10)  # the dead attempt may have sent
    stored = ref.get().to_dict()["claim"]
    assert stored["owner"] == winner.owner
    assert stored["attempt"] == 2
    assert stored["state"] == "in_progress"


def test_racing_creators_of_one_step_create_it_once(db: Any) -> None:
    ref = db.collection("inbound").document("m-1")

    results = race(
        3, lambda i: claims.claim(db, ref, now=NOW, lease=LEASE, create={"by": f"worker-{i}"})
    )

    taken = [r for r in results if isinstance(r, claims.Claim) and r.taken]
    assert len(taken) == 1, results
    assert taken[0].created
    assert all(isinstance(r, claims.ClaimBusyError) for r in results if r is not taken[0])
    assert ref.get().to_dict()["by"] == taken[0].doc["by"]


def test_a_live_lease_is_busy_a_released_one_is_taken_at_once_a_completed_one_is_done(
    db: Any,
) -> None:
    ref = db.collection("steps").document("s-1")
    first = claims.claim(db, ref, now=NOW, lease=LEASE, create={"n": 1})
    assert first.taken
    assert first.attempt == 1

    with pytest.raises(claims.ClaimBusyError):
        claims.claim(db, ref, now=NOW + timedelta(seconds=30), lease=LEASE)

    claims.release(ref, NOW + timedelta(seconds=31), {"lastError": "provider outage"})
    second = claims.claim(db, ref, now=NOW + timedelta(seconds=40), lease=LEASE)
    assert second.taken
    assert second.attempt == 2
    assert second.resumed_from is None  # given back: nothing half-done to look for
    assert second.doc["lastError"] == "provider outage"

    claims.complete(ref, NOW + timedelta(seconds=41), {"result": "sent"})
    third = claims.claim(db, ref, now=NOW + timedelta(hours=1), lease=LEASE)
    assert third.outcome is claims.ClaimOutcome.COMPLETED
    assert ref.get().to_dict()["claim"]["attempt"] == 2


def test_a_precheck_declines_without_writing(db: Any) -> None:
    ref = db.collection("steps").document("s-2")
    ref.set({"status": "sent"})
    before = ref.get().update_time

    result = claims.claim(
        db, ref, now=NOW, lease=LEASE, precheck=lambda doc: "already_final" if doc else None
    )

    assert result.outcome is claims.ClaimOutcome.DECLINED
    assert result.reason == "already_final"
    assert ref.get().update_time == before


def test_compare_and_set_loses_no_update_among_twenty_concurrent_writers(db: Any) -> None:
    ref = db.collection("counters").document("c")
    ref.set({"n": 0, "by": []})

    def add(i: int) -> Any:
        return compare_and_set(
            ref, lambda doc: {"n": (doc or {})["n"] + 1, "by": [*(doc or {})["by"], i]}
        )

    results = race(20, add)

    # Each writer either applied its change or gave up saying so (transient, retried by its
    # caller); none overwrote another's.
    applied = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    assert all(isinstance(r, ContendedError) for r in results if isinstance(r, Exception))
    final = ref.get().to_dict()
    assert sorted(final["by"]) == applied
    assert final["n"] == len(applied) >= 15


def test_compare_and_set_decides_again_when_its_known_version_is_stale(db: Any) -> None:
    ref = db.collection("history").document("h")
    write = ref.set({"status": "pending"})
    ref.update({"status": "delivered"})  # a status callback wrote after our snapshot
    seen: list[str] = []

    def decide(doc: dict[str, Any] | None) -> dict[str, Any]:
        seen.append(str((doc or {}).get("status")))
        return {} if (doc or {}).get("status") == "delivered" else {"status": "sent"}

    result = compare_and_set(ref, decide, known=({"status": "pending"}, write.update_time))

    assert seen == ["pending", "delivered"]  # the stale base was refused, then re-read
    assert result.fields == {}
    assert ref.get().to_dict()["status"] == "delivered"
