"""Deterministic ids: same inputs, same id; Firestore- and Cloud-Tasks-safe."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shared.model.ids import (
    MAX_TASK_NAME,
    discount_code,
    fallback_notification_id,
    is_firestore_id,
    notification_id,
    reminder_event_id,
    reply_event_id,
    task_name,
)

_TASK_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,500}$")


def test_the_same_event_key_and_channel_always_give_the_same_id() -> None:
    first = notification_id("ce-123", "ticket.completed", "sms")
    assert first == notification_id("ce-123", "ticket.completed", "sms")
    assert re.fullmatch(r"n_[0-9a-f]{24}", first)


def test_each_part_of_the_key_changes_the_id() -> None:
    base = notification_id("ce-123", "ticket.completed", "sms")
    assert base != notification_id("ce-124", "ticket.completed", "sms")
    assert base != notification_id("ce-123", "ticket.received", "sms")
    assert base != notification_id("ce-123", "ticket.completed", "whatsapp")


def test_parts_cannot_be_shifted_into_each_other() -> None:
    assert notification_id("a\x1fb", "c", "d") != notification_id("a", "b\x1fc", "d")
    assert notification_id("a\\", "b", "c") != notification_id("a", "\\b", "c")


def test_a_fallback_has_its_own_stable_id() -> None:
    original = notification_id("ce-1", "order.shipped", "whatsapp")
    fallback = fallback_notification_id(original, "sms")
    assert fallback == fallback_notification_id(original, "sms")
    assert fallback.startswith("fb_")
    assert fallback != notification_id("ce-1", "order.shipped", "sms")


def test_reminder_ids_are_stable_per_episode() -> None:
    first = reminder_event_id("pickup", "T1", "2025-05-06T10:00:00+00:00")
    assert first == reminder_event_id("pickup", "T1", "2025-05-06T10:00:00+00:00")
    assert first != reminder_event_id("pickup", "T1", "2025-05-20T10:00:00+00:00")
    assert first != reminder_event_id("payment", "T1", "2025-05-06T10:00:00+00:00")
    assert reply_event_id("SM1") != reply_event_id("SM2")


def test_task_names_are_per_attempt_generation() -> None:
    nid = notification_id("ce-1", "order.placed", "email")
    assert task_name(nid, 0) == f"{nid}-g0"
    assert task_name(nid, 1) != task_name(nid, 0)
    assert task_name(nid, -3) == f"{nid}-g0"


def test_an_unsafe_or_huge_notification_id_still_gives_a_valid_task_name() -> None:
    for weird in ("a/b c", "x" * 600, "é"):
        name = task_name(weird, 2)
        assert _TASK_SAFE.match(name), name
        assert name.endswith("-g2")
        assert task_name(weird, 2) == name


def test_discount_codes_are_deterministic_readable_and_secret_bound() -> None:
    code = discount_code("cart-1", "s3cret")
    assert code == discount_code("cart-1", "s3cret")
    assert code != discount_code("cart-2", "s3cret")
    assert code != discount_code("cart-1", "other-secret")
    assert re.fullmatch(r"[A-HJ-KM-NP-Z2-9]{8}", code)
    assert discount_code("cart-1", "s3cret", prefix="back", length=6).startswith("BACK")
    assert len(discount_code("cart-1", "s3cret", prefix="back", length=6)) == 10


@given(st.text(), st.text(), st.sampled_from(["email", "sms", "whatsapp", "push"]))
def test_every_id_is_firestore_and_tasks_safe(event_id: str, key: str, channel: str) -> None:
    nid = notification_id(event_id, key, channel)
    ids = [
        nid,
        fallback_notification_id(nid, channel),
        reminder_event_id(key, event_id, channel),
        reply_event_id(event_id),
    ]
    for value in ids:
        assert is_firestore_id(value)
        assert _TASK_SAFE.match(value)
    assert len(task_name(nid, 7)) <= MAX_TASK_NAME


def test_is_firestore_id_rejects_what_firestore_rejects() -> None:
    for bad in ("", ".", "..", "__x__", "a/b", "x" * 1501):
        assert not is_firestore_id(bad)
    assert is_firestore_id("n_0123")
