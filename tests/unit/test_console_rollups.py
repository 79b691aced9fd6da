"""The overview's rollups (shared/rules/rollups.py): what a day counts, when a stored count may
stand for its day, and the local days and months they cover."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.rules import rollups
from shared.rules.rollups import Tally

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
PARIS = "Europe/Paris"


def _doc(channel: str, status: str, **metadata: Any) -> dict[str, Any]:
    return {"channel": channel, "status": status, "metadata": metadata}


def test_a_tally_counts_by_channel_and_status_and_sums_sms_segments_and_cost() -> None:
    tally = Tally()
    for doc in (
        _doc("sms", "delivered", segments=2, cost=0.15),
        _doc("sms", "failed", segments=1, cost=0.075),
        _doc("whatsapp", "read"),
        _doc("email", "sent", segments=9, cost=1.0),  # not an SMS: no segments, no cost
    ):
        tally.add(doc)
    assert tally.counts == {
        "sms": {"delivered": 1, "failed": 1},
        "whatsapp": {"read": 1},
        "email": {"sent": 1},
    }
    assert (tally.sms_messages, tally.sms_segments) == (2, 3)
    assert round(tally.sms_cost, 6) == 0.225
    assert tally.count("sms", ("delivered", "read", "failed")) == 2


def test_a_tally_skips_what_it_cannot_count_and_never_crashes_on_a_bad_document() -> None:
    tally = Tally()
    for doc in (
        {"channel": "fax", "status": "sent"},
        {"channel": "sms", "status": "teleported"},
        {"channel": "sms"},
        {},
        {"channel": "sms", "status": "sent", "metadata": "not a map"},
        {"channel": "sms", "status": "sent", "metadata": {"segments": True, "cost": "0.07"}},
    ):
        tally.add(doc)
    assert tally.counts == {"sms": {"sent": 2}}
    assert (tally.sms_messages, tally.sms_segments, tally.sms_cost) == (2, 0, 0.0)


def test_a_stored_tally_reads_back_the_same_and_garbage_reads_as_nothing() -> None:
    tally = Tally()
    tally.add(_doc("sms", "scheduled", segments=1, cost=0.07))
    tally.add(_doc("push", "sent"))
    again = Tally.from_document(tally.to_document())
    assert again == tally
    assert again.waiting == 1
    assert Tally.from_document({"counts": {"sms": "x", "fax": {"sent": 3}}, "sms": 4}) == Tally()


def test_merging_adds_counts_and_sums() -> None:
    a, b = Tally(), Tally()
    a.add(_doc("sms", "sent", segments=1, cost=0.07))
    b.add(_doc("sms", "sent", segments=2, cost=0.14))
    b.add(_doc("email", "failed"))
    a.merge(b)
    assert a.counts == {"sms": {"sent": 2}, "email": {"failed": 1}}
    assert (a.sms_messages, a.sms_segments, round(a.sms_cost, 2)) == (2, 3, 0.21)


def test_a_day_is_final_once_settled_and_nothing_of_it_still_waits() -> None:
    end = NOW - rollups.SETTLE - timedelta(seconds=1)
    settled, waiting = Tally(), Tally()
    settled.add(_doc("sms", "delivered"))
    waiting.add(_doc("sms", "scheduled"))  # a reminder planned days ahead: its day stays open
    doc = rollups.rollup_document(settled, span_end=end, timezone=PARIS, now=NOW, days=True)
    assert doc["final"] is True
    assert (
        rollups.rollup_document(waiting, span_end=end, timezone=PARIS, now=NOW, days=True)["final"]
        is False
    )
    recent = NOW - timedelta(hours=1)
    assert (
        rollups.rollup_document(settled, span_end=recent, timezone=PARIS, now=NOW, days=True)[
            "final"
        ]
        is False
    )
    # A month's SMS total has no statuses: settled is enough.
    assert (
        rollups.rollup_document(waiting, span_end=end, timezone=PARIS, now=NOW, days=False)["final"]
        is True
    )


def test_a_stored_rollup_stands_while_final_or_fresh_for_this_zone_and_version() -> None:
    open_doc = rollups.rollup_document(
        Tally(), span_end=NOW, timezone=PARIS, now=NOW - timedelta(minutes=9), days=True
    )
    assert rollups.usable(open_doc, timezone=PARIS, now=NOW)
    assert not rollups.usable(open_doc, timezone=PARIS, now=NOW + timedelta(minutes=2))
    assert not rollups.usable(open_doc, timezone=PARIS, now=NOW, fresh=rollups.TODAY_FRESH)
    assert not rollups.usable(open_doc, timezone="Africa/Nairobi", now=NOW)
    assert not rollups.usable({**open_doc, "version": 0}, timezone=PARIS, now=NOW)
    final = {**open_doc, "final": True, "computedAt": NOW - timedelta(days=300)}
    assert rollups.usable(final, timezone=PARIS, now=NOW)
    naive = {**open_doc, "computedAt": (NOW - timedelta(seconds=5)).replace(tzinfo=None)}
    assert rollups.usable(naive, timezone=PARIS, now=NOW)
    assert not rollups.usable({**open_doc, "computedAt": "yesterday"}, timezone=PARIS, now=NOW)
    assert not rollups.usable(None, timezone=PARIS, now=NOW)


def test_days_and_months_are_the_shops_local_ones_daylight_saving_included() -> None:
    # 29 March 2026: Paris moves to summer time, a 23-hour day.
    start, end = rollups.day_span(date(2026, 3, 29), PARIS)
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    start, end = rollups.month_span(date(2026, 12, 1), "Africa/Nairobi")
    assert (start, end) == (
        datetime(2026, 11, 30, 21, tzinfo=UTC),
        datetime(2026, 12, 31, 21, tzinfo=UTC),
    )
    assert rollups.day_id(date(2026, 3, 29), PARIS) == "d_Europe~Paris_2026-03-29"
    assert rollups.month_id(date(2026, 3, 1), PARIS) == "m_Europe~Paris_2026-03"
