"""Notification status order: forward only, terminal states final, unknown values harmless."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.model.enums import NotificationStatus as S
from shared.model.status import (
    FINAL,
    RANK,
    can_transition,
    from_meta_status,
    from_twilio_status,
    is_final,
    next_status,
)

ALLOWED = [
    (S.PENDING, S.SCHEDULED),
    (S.PENDING, S.SENDING),
    (S.PENDING, S.SKIPPED),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.FAILED),
    (S.SCHEDULED, S.SENDING),
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.SKIPPED),
    (S.SENDING, S.SENT),
    (S.SENDING, S.DELIVERED),  # the callback beat our own "sent" write
    (S.SENDING, S.FAILED),
    (S.SENDING, S.CANCELLED),  # claimed, then the live re-check found it moot
    (S.SENDING, S.SKIPPED),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.READ),  # read without delivered
    (S.SENT, S.UNDELIVERED),  # late failure
    (S.SENT, S.FAILED),
    (S.DELIVERED, S.READ),
    (S.UNKNOWN, S.SENT),  # an unreadable stored status can be repaired
]

REFUSED = [
    (S.DELIVERED, S.SENT),  # a late "sent" never overwrites "delivered"
    (S.READ, S.DELIVERED),
    (S.DELIVERED, S.UNDELIVERED),
    (S.DELIVERED, S.FAILED),
    (S.SENT, S.SENDING),
    (S.SENT, S.CANCELLED),  # once sent, too late to cancel
    (S.SENT, S.PENDING),
    (S.SCHEDULED, S.PENDING),
    (S.SENDING, S.PENDING),
    (S.SENDING, S.SCHEDULED),
    (S.UNDELIVERED, S.DELIVERED),
    (S.UNDELIVERED, S.READ),
    (S.FAILED, S.SENT),
    (S.FAILED, S.DELIVERED),
    (S.SKIPPED, S.PENDING),
    (S.CANCELLED, S.SENDING),
    (S.SENT, S.SENT),  # duplicates change nothing
    (S.DELIVERED, S.DELIVERED),
    (S.PENDING, S.UNKNOWN),
    (S.SENT, S.UNKNOWN),
]


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_forward_moves_are_allowed(current: S, new: S) -> None:
    assert can_transition(current, new)
    assert next_status(current, new) is new


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_backward_sideways_and_unknown_moves_leave_the_status_unchanged(current: S, new: S) -> None:
    assert not can_transition(current, new)
    assert next_status(current, new) is current


def test_plain_strings_are_accepted() -> None:
    assert next_status("sent", "delivered") is S.DELIVERED
    assert next_status("delivered", "sent") is S.DELIVERED
    assert next_status("sent", "something-new") is S.SENT


@pytest.mark.parametrize("status", sorted(FINAL))
def test_final_states_never_move(status: S) -> None:
    assert is_final(status)
    for other in S:
        assert not can_transition(status, other)


def test_delivered_only_moves_to_read() -> None:
    assert {s for s in S if can_transition(S.DELIVERED, s)} == {S.READ}


def test_cancelled_is_reachable_only_before_the_provider_has_it() -> None:
    assert {s for s in S if can_transition(s, S.CANCELLED)} == {
        S.PENDING,
        S.SCHEDULED,
        S.SENDING,
        S.UNKNOWN,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queued", S.SENDING),
        ("accepted", S.SENDING),
        ("scheduled", S.SENDING),
        ("sending", S.SENDING),
        ("sent", S.SENT),
        ("delivered", S.DELIVERED),
        ("undelivered", S.UNDELIVERED),
        ("failed", S.FAILED),
        ("read", S.READ),
        ("canceled", S.CANCELLED),
        ("partially_delivered", S.SENT),
        ("receiving", S.UNKNOWN),
        ("received", S.UNKNOWN),
        ("  Delivered ", S.DELIVERED),
        ("a-status-twilio-adds-next-year", S.UNKNOWN),
        ("", S.UNKNOWN),
        (None, S.UNKNOWN),
    ],
)
def test_twilio_statuses_map_to_ours(raw: str | None, expected: S) -> None:
    assert from_twilio_status(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sent", S.SENT),
        ("delivered", S.DELIVERED),
        ("read", S.READ),
        ("played", S.READ),
        ("failed", S.FAILED),
        ("deleted", S.UNKNOWN),
        ("warning", S.UNKNOWN),
        ("READ", S.READ),
        ("whatever", S.UNKNOWN),
        (None, S.UNKNOWN),
    ],
)
def test_meta_statuses_map_to_ours(raw: str | None, expected: S) -> None:
    assert from_meta_status(raw) is expected


def test_a_late_sent_callback_after_delivered_changes_nothing() -> None:
    status = S.SENT
    for callback in ("delivered", "sent", "queued"):
        status = next_status(status, from_twilio_status(callback))
    assert status is S.DELIVERED


def test_an_unknown_provider_status_never_changes_anything() -> None:
    for status in S:
        assert next_status(status, from_meta_status("deleted")) is status


_KNOWN = st.sampled_from([s for s in S if s is not S.UNKNOWN])
_ANY = st.sampled_from(list(S))


@given(start=_KNOWN, reports=st.lists(_ANY, max_size=12))
def test_status_never_goes_backwards_whatever_the_order_of_reports(
    start: S, reports: list[S]
) -> None:
    status = start
    for report in reports:
        new = next_status(status, report)
        assert RANK[new] >= RANK[status]
        assert new is status or RANK[new] > RANK[status]
        if is_final(status):
            assert new is status
        status = new


@given(reports=st.lists(_ANY, max_size=12))
def test_replaying_the_same_reports_twice_is_harmless(reports: list[S]) -> None:
    once = S.PENDING
    for report in reports:
        once = next_status(once, report)
    twice = once
    for report in reports:
        twice = next_status(twice, report)
    assert RANK[twice] >= RANK[once]
    assert not is_final(once) or twice is once
