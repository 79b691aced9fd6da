"""The recovery report's arithmetic and table: rates only where a channel reports them."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.flows.carts.report import ChannelStats, Report, format_report

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def report(*channels: ChannelStats, reminded: int = 40, recovered: int = 6) -> Report:
    return Report(START, END, reminded, recovered, {"EUR": 812.5, "KES": 12500.0}, 2, channels)


SMS = ChannelStats(
    "sms", {"sent": 2, "delivered": 15, "undelivered": 3, "failed": 1}, {"USD": 1.58}
)
WHATSAPP = ChannelStats("whatsapp", {"read": 6, "delivered": 2, "sent": 2, "skipped": 4}, {})
EMAIL = ChannelStats("email", {"sent": 20, "pending": 1}, {})


def test_channel_rates_are_over_messages_handed_to_the_provider() -> None:
    assert (SMS.messages, SMS.sent, SMS.delivered) == (21, 20, 15)
    assert SMS.delivery_rate == 0.75
    assert SMS.read_rate is None  # SMS has no read receipts
    assert WHATSAPP.delivery_rate == 0.8
    assert WHATSAPP.read_rate == 0.6
    assert EMAIL.delivery_rate is None
    assert EMAIL.read_rate is None


def test_overall_rates_use_only_channels_with_receipts() -> None:
    r = report(SMS, WHATSAPP, EMAIL)
    assert r.recovery_rate == 0.15
    assert r.messages == 21 + 14 + 21
    assert r.delivery_rate == (15 + 8) / (20 + 10)
    assert r.read_rate == 0.6


def test_no_reminders_gives_rates_not_available_instead_of_zero() -> None:
    r = report(reminded=0, recovered=0)
    assert r.recovery_rate is None
    assert r.delivery_rate is None
    text = format_report(r)
    assert "n/a" in text
    assert "ZeroDivision" not in text


def test_table_shows_the_shop_owners_numbers() -> None:
    text = format_report(report(SMS, EMAIL))
    lines = text.splitlines()
    assert lines[0].startswith("Cart recovery, 2026-11-01 00:00 to 2026-12-01 00:00")
    assert any(line.split()[-2:] == ["rate", "15.0%"] for line in lines if "Recovery" in line)
    assert any("812.50 EUR, 12,500.00 KES" in line for line in lines)
    sms_row = next(line for line in lines if line.startswith("sms "))
    assert sms_row.split()[:3] == ["sms", "21", "20"]
    assert sms_row.endswith("1.58 USD")
