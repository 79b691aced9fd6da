"""The claim decision, pure: who may take a step, and what an earlier attempt left behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.store.claims import ClaimBusyError, ClaimOutcome, decide

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=10)


def claim(state: str, *, lease_end: datetime, attempt: int = 1) -> dict[str, Any]:
    return {
        "claim": {
            "state": state,
            "owner": "someone",
            "attempt": attempt,
            "claimedAt": EARLIER,
            "leaseExpiresAt": lease_end,
        }
    }


@pytest.mark.parametrize(
    ("doc", "creates", "expected"),
    [
        (None, True, (ClaimOutcome.TAKEN, 1, None, "")),
        (None, False, (ClaimOutcome.DECLINED, 0, None, "missing")),
        ({"status": "pending"}, False, (ClaimOutcome.TAKEN, 1, None, "")),
        ({"attempts": 3}, False, (ClaimOutcome.TAKEN, 4, None, "")),
        (
            claim("in_progress", lease_end=NOW - timedelta(seconds=1), attempt=2),
            False,
            (ClaimOutcome.TAKEN, 3, EARLIER, ""),
        ),
        (claim("abandoned", lease_end=NOW, attempt=2), False, (ClaimOutcome.TAKEN, 3, None, "")),
        (
            claim("completed", lease_end=EARLIER, attempt=2),
            False,
            (ClaimOutcome.COMPLETED, 2, None, ""),
        ),
    ],
    ids=["new", "missing", "first", "after-3", "expired", "released", "completed"],
)
def test_who_takes_the_step(
    doc: dict[str, Any] | None, creates: bool, expected: tuple[Any, ...]
) -> None:
    assert decide(doc, now=NOW, precheck=None, creates=creates) == expected


def test_a_live_lease_of_someone_else_is_busy() -> None:
    with pytest.raises(ClaimBusyError):
        decide(
            claim("in_progress", lease_end=NOW + timedelta(seconds=5)),
            now=NOW,
            precheck=None,
            creates=False,
        )


def test_the_precheck_comes_first_even_over_a_live_lease() -> None:
    doc = {"status": "sent", **claim("in_progress", lease_end=NOW + timedelta(minutes=1))}

    outcome = decide(doc, now=NOW, precheck=lambda d: "already_final", creates=False)

    assert outcome == (ClaimOutcome.DECLINED, 0, None, "already_final")
