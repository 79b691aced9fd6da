"""The console's pure parts: periods, timelines, the WhatsApp window, SVG escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.boundary.console import charts
from shared.flows.console.customer import whatsapp_window
from shared.flows.console.messages import timeline
from shared.flows.console.overview import ChannelCounts, period_start
from shared.model.documents import parse_profile

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)  # a Wednesday, 10:30 in Paris


def test_periods_start_at_local_midnight_monday_and_the_first() -> None:
    assert period_start("today", NOW, "Europe/Paris") == datetime(2026, 11, 17, 23, tzinfo=UTC)
    assert period_start("week", NOW, "Europe/Paris") == datetime(2026, 11, 15, 23, tzinfo=UTC)
    assert period_start("month", NOW, "Europe/Paris") == datetime(2026, 10, 31, 23, tzinfo=UTC)


def test_a_timeline_is_in_time_order_with_its_fallback_last() -> None:
    doc = {
        "createdAt": NOW,
        "scheduledFor": NOW + timedelta(hours=9),
        "sentAt": NOW + timedelta(hours=9, seconds=2),
        "failedAt": NOW + timedelta(hours=9, seconds=30),
        "fallbackId": "n-2",
    }
    assert [s.key for s in timeline(doc)] == ["planned", "scheduled", "sent", "failed", "fallback"]


def test_rates_are_over_messages_handed_over_and_only_where_receipts_exist() -> None:
    sms = ChannelCounts("sms", {"delivered": 3, "sent": 1, "failed": 0, "skipped": 5})
    email = ChannelCounts("email", {"sent": 4})
    whatsapp = ChannelCounts("whatsapp", {"read": 1, "delivered": 1})
    assert sms.delivery_rate == 0.75
    assert email.delivery_rate is None
    assert whatsapp.read_rate == 0.5


def test_the_whatsapp_window_is_open_for_24_hours_after_the_customer_wrote() -> None:
    profile = parse_profile("c1", {"lastInboundAt": {"whatsapp": NOW - timedelta(hours=20)}})
    assert profile is not None
    window = whatsapp_window(profile, NOW)
    assert window.open
    assert window.left == timedelta(hours=4)
    closed = parse_profile("c1", {"lastInboundAt": {"whatsapp": NOW - timedelta(hours=25)}})
    assert closed is not None
    assert not whatsapp_window(closed, NOW).open


def test_chart_labels_are_escaped() -> None:
    svg = charts.stacked_bars([("<b>x</b>", {"sent": 2})], ["sent"], {}, "a & b")
    assert "<b>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt;" in svg
    assert 'aria-label="a &amp; b"' in svg
