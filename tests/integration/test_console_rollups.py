"""The overview on the emulator: its counts equal a count of the documents, its second view reads
rollups instead of messages, and a day comes back into the count while it may still change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.flows.console import overview
from shared.rules import rollups
from tests.integration.test_cart_sweep_cost import ReadProbe

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday, 11:00 in Paris
PARIS = "Europe/Paris"


def _message(channel: str, status: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "ticket.completed",
        "channel": channel,
        "status": status,
        "statusReason": "sms_no_email",
        "createdAt": at,
        "metadata": {"segments": 2, "cost": 0.15} if channel == "sms" else {},
    }


@pytest.fixture
def shop(firestore_client: Any) -> dict[str, dict[str, Any]]:
    """Three SMS and a WhatsApp a day for 40 days; a reminder planned 5 days ago still waits."""
    docs: dict[str, dict[str, Any]] = {}
    for day in range(40):
        at = NOW - timedelta(days=day, hours=1)
        for i in range(3):
            docs[f"sms-{day}-{i}"] = _message("sms", "delivered" if i else "failed", at)
        docs[f"wa-{day}"] = _message("whatsapp", "read", at)
    docs["waiting"] = _message("sms", "scheduled", NOW - timedelta(days=5, hours=2))
    history = firestore_client.collection("notification_history")
    batch = firestore_client.batch()
    for doc_id, doc in docs.items():
        batch.set(history.document(doc_id), doc)
    batch.commit()
    return docs


def _expected(docs: dict[str, dict[str, Any]], since: datetime, channel: str, statuses: Any) -> int:
    return sum(
        1
        for d in docs.values()
        if d["createdAt"] >= since and d["channel"] == channel and d["status"] in statuses
    )


def test_the_counts_are_those_of_the_documents_and_the_second_view_reads_rollups(
    firestore_client: Any, shop: dict[str, dict[str, Any]]
) -> None:
    first = overview.overview(firestore_client, "month", NOW, timezone=PARIS)
    start = overview.period_start("month", NOW, PARIS)
    for counts in first.channels:
        for group, statuses in overview.GROUPS.items():
            assert counts.groups[group] == _expected(shop, start, counts.channel, statuses), (
                counts.channel,
                group,
            )
    october = next(m for m in first.months if m.month == "2026-10")
    sms_in_october = [
        d
        for d in shop.values()
        if d["channel"] == "sms" and datetime(2026, 9, 30, 22, tzinfo=UTC) <= d["createdAt"] < start
    ]
    assert (october.messages, october.segments) == (len(sms_in_october), 2 * len(sms_in_october))
    assert october.cost == round(0.15 * len(sms_in_october), 4)

    probe = ReadProbe(firestore_client)
    again = overview.overview(
        firestore_client, "month", NOW + timedelta(seconds=30), timezone=PARIS
    )
    assert again.channels == first.channels
    assert again.months == first.months
    assert probe.queries == 1  # the failures; every count came from a rollup
    assert probe.documents <= 50 + 20 + 5  # a page of failures, the month's days, 5 months


def test_today_is_at_most_a_minute_old_and_an_open_day_is_counted_again(
    firestore_client: Any, shop: dict[str, dict[str, Any]]
) -> None:
    overview.overview(firestore_client, "month", NOW, timezone=PARIS)
    history = firestore_client.collection("notification_history")
    history.document("new-today").set(_message("sms", "sent", NOW + timedelta(seconds=5)))
    history.document("waiting").update({"status": "delivered"})

    def sms(view: overview.Overview, group: str) -> int:
        return next(c for c in view.channels if c.channel == "sms").groups[group]

    before = overview.overview(firestore_client, "month", NOW, timezone=PARIS)
    assert sms(before, "sent") == 0  # today's count is still the one of a moment ago
    assert sms(before, "waiting") == 1

    later = NOW + rollups.TODAY_FRESH + timedelta(seconds=1)
    view = overview.overview(firestore_client, "month", later, timezone=PARIS)
    assert sms(view, "sent") == 1

    # Five days ago had a message waiting: its day stays open, counted again after FRESH.
    assert sms(view, "waiting") == 1
    much_later = NOW + rollups.FRESH + timedelta(seconds=1)
    view = overview.overview(firestore_client, "month", much_later, timezone=PARIS)
    assert sms(view, "waiting") == 0
    stored = firestore_client.collection("console_rollups")
    settled = stored.document(rollups.day_id((NOW - timedelta(days=10)).date(), PARIS)).get()
    assert settled.get("final") is True
