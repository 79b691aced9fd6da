"""One claim primitive for every step that must happen once: claim, complete, release.

Triggers, tasks and webhooks arrive at least once and sometimes at the same moment. A step that
must happen once (deliver a notification, answer an inbound message, plan a cart reminder)
first claims the document it is about. The claim is one map field, ``claim``, on that document:

- ``state``: ``in_progress`` (someone works on it until ``leaseExpiresAt``), ``completed``, or
  ``abandoned`` (given back after a failure: the next attempt need not wait for the lease);
- ``owner`` (a random id per attempt), ``attempt`` (1, then one more per takeover),
  ``claimedAt``, ``leaseExpiresAt``, ``completedAt``.

``claim`` takes a new step with one ``create()`` (atomic: of two workers, one creates it; no read),
and any other with a read, a decision and a write that carries the read's ``update_time`` as a
precondition (a compare-and-set on that one document: two round trips, where a transaction
takes three, and no lock for a loser to wait out). Two workers racing for a step already
there, or for one whose lease expired (its worker died), both read the same version; the
precondition lets exactly one write land, and the other reads again and sees the step taken. A
live lease held by someone else, or a claim that keeps losing to concurrent writes, raises
``ClaimBusyError`` (transient: the caller answers "retry later").

``complete`` and ``release`` write after the work. They assume the work ended within the lease,
which is what the lease length is chosen for (``DELIVERY_LEASE_SECONDS``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.platform.clock import as_datetime
from shared.platform.errors import TransientError

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

FIELD = "claim"
# A claim that lost its write to a concurrent one reads and decides once more (the winner's
# lease then answers "busy"); still losing after that, it is answered as busy: whoever won is
# doing the work, and the loser's task is retried later.
CLAIM_ATTEMPTS = 3


class ClaimState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class ClaimBusyError(TransientError):
    """Another attempt holds a live lease on this step; retry once it has finished or died."""


class ClaimOutcome(StrEnum):
    TAKEN = "taken"
    COMPLETED = "completed"  # done already: nothing to do
    DECLINED = "declined"  # the caller's precheck said no (the reason says why)


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found and did.

    ``doc`` is the document as the claim left it (with its ``claim`` field), ``update_time`` the
    time of that write, together the base of the step's next write. ``resumed_from`` is when an
    earlier attempt that never finished began: it may have done part of the work (sent a
    message), so the new attempt checks before redoing it.
    """

    outcome: ClaimOutcome
    doc: Mapping[str, Any] = field(default_factory=dict)
    attempt: int = 0
    owner: str = ""
    resumed_from: datetime | None = None
    reason: str = ""
    created: bool = False
    update_time: datetime | None = None  # of the claim's write: the next write's precondition

    @property
    def taken(self) -> bool:
        return self.outcome is ClaimOutcome.TAKEN


Precheck = Callable[[Mapping[str, Any] | None], str | None]


def claim_fields(claim: Any) -> dict[str, Any]:
    """The ``claim`` map of a document (empty when it has none)."""
    return dict(claim) if isinstance(claim, Mapping) else {}


def decide(
    doc: Mapping[str, Any] | None, *, now: datetime, precheck: Precheck | None, creates: bool
) -> tuple[ClaimOutcome, int, datetime | None, str]:
    """Pure: (outcome, attempt, resumed_from, reason) for ``doc`` at ``now``.

    Raises ``ClaimBusyError`` for a live lease held by another attempt.
    """
    if doc is None and not creates:
        return ClaimOutcome.DECLINED, 0, None, "missing"
    reason = precheck(doc) if precheck is not None else None
    if reason:
        return ClaimOutcome.DECLINED, 0, None, reason
    current = claim_fields((doc or {}).get(FIELD))
    state = str(current.get("state") or "")
    if state == ClaimState.COMPLETED:
        return ClaimOutcome.COMPLETED, int(current.get("attempt") or 0), None, ""
    previous = int(current.get("attempt") or (doc or {}).get("attempts") or 0)
    resumed_from = None
    if state == ClaimState.IN_PROGRESS:
        lease_end = as_datetime(current.get("leaseExpiresAt"))
        if lease_end is not None and lease_end > now:
            raise ClaimBusyError(f"attempt {previous} holds the lease until {lease_end}")
        resumed_from = as_datetime(current.get("claimedAt")) or lease_end
    return ClaimOutcome.TAKEN, previous + 1, resumed_from, ""


def claim(
    db: Client,
    ref: DocumentReference,
    *,
    now: datetime,
    lease: timedelta,
    create: Mapping[str, Any] | None = None,
    precheck: Precheck | None = None,
    also: Callable[[int], Mapping[str, Any]] | None = None,
) -> Claim:
    """Take the step of ``ref`` for one attempt (atomically: see the module's doc).

    ``create``: the document's fields when it may not exist yet (the claim creates it);
    without it a missing document is declined (``reason="missing"``). ``precheck(doc)`` returns
    a reason not to claim (the work is moot), or None. ``also(attempt)`` adds fields to the
    claim's write (``attempts`` on a notification).
    """
    from google.api_core.exceptions import AlreadyExists, Conflict  # noqa: PLC0415

    owner = uuid.uuid4().hex

    def lease_fields(attempt: int) -> dict[str, Any]:
        return {
            "state": ClaimState.IN_PROGRESS.value,
            "owner": owner,
            "attempt": attempt,
            "claimedAt": now,
            "leaseExpiresAt": now + lease,
            "completedAt": None,
        }

    if create is not None and (precheck is None or not precheck(None)):
        # Most steps are new: one create() takes them without a read. Only a document that
        # exists already (a duplicate, a takeover) needs the read below.
        first = {**(dict(also(1)) if also is not None else {}), FIELD: lease_fields(1)}
        try:
            created = ref.create({**create, **first})
        except (AlreadyExists, Conflict):
            pass
        else:
            return Claim(
                ClaimOutcome.TAKEN,
                {**create, **first},
                1,
                owner,
                None,
                created=True,
                update_time=created.update_time,
            )

    from google.api_core.exceptions import FailedPrecondition, NotFound  # noqa: PLC0415
    from google.cloud.firestore_v1.base_client import BaseClient  # noqa: PLC0415

    for _ in range(CLAIM_ATTEMPTS):
        snapshot = ref.get()
        doc = (snapshot.to_dict() or {}) if snapshot.exists else None
        outcome, attempt, resumed_from, reason = decide(
            doc, now=now, precheck=precheck, creates=create is not None
        )
        if outcome is not ClaimOutcome.TAKEN:
            return Claim(outcome, doc or {}, attempt, reason=reason)
        written = {
            **(dict(also(attempt)) if also is not None else {}),
            FIELD: lease_fields(attempt),
        }
        try:
            if doc is None:
                assert create is not None
                result = ref.create({**create, **written})
            else:
                # Written only if nobody wrote since our read: of two claimers, one wins.
                option = BaseClient.write_option(last_update_time=snapshot.update_time)
                result = ref.update(written, option=option)
        except (AlreadyExists, Conflict, FailedPrecondition, NotFound):
            continue  # another attempt wrote first: decide again on what is there now
        return Claim(
            ClaimOutcome.TAKEN,
            {**(doc if doc is not None else create or {}), **written},
            attempt,
            owner,
            resumed_from,
            created=doc is None,
            update_time=result.update_time,
        )
    raise ClaimBusyError(f"{ref.path} is being claimed by other attempts")


def completed_fields(now: datetime) -> dict[str, Any]:
    """The fields that mark a claim completed (merged into the step's own final write)."""
    return {f"{FIELD}.state": ClaimState.COMPLETED.value, f"{FIELD}.completedAt": now}


def complete(
    ref: DocumentReference, now: datetime, fields: Mapping[str, Any] | None = None
) -> None:
    """The step is done: its final fields and the claim's ``completed`` in one write."""
    ref.update({**(fields or {}), **completed_fields(now)})


def released_fields(now: datetime) -> dict[str, Any]:
    """The fields that give a claim back (merged into the step's own write)."""
    return {f"{FIELD}.state": ClaimState.ABANDONED.value, f"{FIELD}.leaseExpiresAt": now}


def release(ref: DocumentReference, now: datetime, fields: Mapping[str, Any] | None = None) -> None:
    """Give the claim back after a failure (with the step's own fields, if any): the next
    attempt takes it at once instead of waiting for the lease."""
    ref.update({**(fields or {}), **released_fields(now)})
