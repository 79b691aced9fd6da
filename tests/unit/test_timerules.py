"""Quiet hours, business hours and the WhatsApp 24-hour window, with explicit clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.model.shop import ShopSettings
from shared.rules.timerules import (
    NaiveDatetimeError,
    in_business_hours,
    is_public_holiday,
    next_allowed_send,
    next_business_opening,
    whatsapp_window_open,
)

PARIS = ZoneInfo("Europe/Paris")
NAIROBI = ZoneInfo("Africa/Nairobi")
# The defaults keep nights quiet only; these tests use a French shop that also keeps Sundays and
# public holidays quiet (the stricter reading of French rules for commercial texts).
SHOP = ShopSettings.from_document(
    {
        "quietHours": {
            "FR": {"start": "21:00", "end": "08:00", "sundays": True, "holidays": True},
            "KE": {"start": "21:00", "end": "07:00"},
        }
    }
)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def nairobi(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NAIROBI)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2025, 5, 6, 12, 0), paris(2025, 5, 6, 12, 0)),  # a Tuesday noon: now
        (paris(2025, 5, 6, 20, 59), paris(2025, 5, 6, 20, 59)),
        (paris(2025, 5, 6, 21, 0), paris(2025, 5, 7, 8, 0)),  # start is quiet
        (paris(2025, 5, 6, 23, 30), paris(2025, 5, 7, 8, 0)),  # crosses midnight
        (paris(2025, 5, 7, 3, 0), paris(2025, 5, 7, 8, 0)),
        (paris(2025, 5, 7, 8, 0), paris(2025, 5, 7, 8, 0)),  # end is allowed
        (paris(2025, 5, 3, 22, 0), paris(2025, 5, 5, 8, 0)),  # Saturday night -> Monday
        (paris(2025, 5, 4, 15, 0), paris(2025, 5, 5, 8, 0)),  # Sunday afternoon
        (paris(2025, 5, 1, 12, 0), paris(2025, 5, 2, 8, 0)),  # 1 May, a public holiday
        (paris(2025, 5, 7, 22, 0), paris(2025, 5, 9, 8, 0)),  # 8 May is a holiday too
        (paris(2025, 12, 24, 22, 0), paris(2025, 12, 26, 8, 0)),  # Christmas
    ],
)
def test_french_quiet_hours_push_a_message_to_the_next_allowed_minute(
    now: datetime, expected: datetime
) -> None:
    assert next_allowed_send(now, "FR", SHOP) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (nairobi(2025, 5, 6, 22, 0), nairobi(2025, 5, 7, 7, 0)),
        (nairobi(2025, 5, 4, 15, 0), nairobi(2025, 5, 4, 15, 0)),  # Sundays allowed in KE
        (nairobi(2025, 6, 1, 15, 0), nairobi(2025, 6, 1, 15, 0)),  # Madaraka Day: allowed
        (nairobi(2025, 5, 7, 6, 59), nairobi(2025, 5, 7, 7, 0)),
    ],
)
def test_kenyan_quiet_hours_default_to_nights_only(now: datetime, expected: datetime) -> None:
    assert next_allowed_send(now, "KE", SHOP) == expected


def test_the_result_keeps_the_timezone_of_now() -> None:
    now = datetime(2025, 5, 6, 20, 30, tzinfo=UTC)  # 22:30 in Paris
    result = next_allowed_send(now, "FR", SHOP)
    assert result == paris(2025, 5, 7, 8, 0)
    assert result.tzinfo is UTC


def test_allowed_now_returns_now_itself() -> None:
    now = paris(2025, 5, 6, 12, 0)
    assert next_allowed_send(now, "FR", SHOP) is now


def test_spring_forward_night_ends_at_eight_local() -> None:
    # Sunday 30 March 2025: clocks jump 02:00 -> 03:00 in Paris; Sunday quiet -> Monday 08:00
    now = paris(2025, 3, 29, 23, 0)
    result = next_allowed_send(now, "FR", SHOP)
    assert result == paris(2025, 3, 31, 8, 0)
    assert result.utcoffset() == timedelta(hours=2)


def test_a_window_ending_inside_the_dst_gap_moves_to_the_first_real_instant() -> None:
    shop = ShopSettings.from_document(
        {"quietHours": {"FR": {"start": "01:00", "end": "02:30", "sundays": False}}}
    )
    now = paris(2025, 3, 30, 1, 30)
    result = next_allowed_send(now, "FR", shop)
    assert result.astimezone(UTC) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert result > now


def test_fall_back_night_is_measured_in_real_time() -> None:
    # 26 October 2025: 03:00 CEST -> 02:00 CET; the quiet night is one hour longer
    shop = ShopSettings.from_document({"quietHours": {"FR": {"sundays": False}}})
    now = paris(2025, 10, 25, 22, 0)
    result = next_allowed_send(now, "FR", shop)
    assert result == paris(2025, 10, 26, 8, 0)
    assert result.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=11)


def test_no_rules_for_the_country_means_send_now_unless_a_fallback_country_is_given() -> None:
    now = datetime(2025, 5, 6, 22, 0, tzinfo=PARIS)
    assert next_allowed_send(now, "BE", SHOP) == now
    assert next_allowed_send(now, "BE", SHOP, fallback_country="FR") == paris(2025, 5, 7, 8, 0)


def test_an_empty_quiet_hours_map_never_delays() -> None:
    shop = ShopSettings.from_document({"quietHours": {}})
    now = paris(2025, 5, 4, 3, 0)
    assert next_allowed_send(now, "FR", shop, fallback_country="FR") == now


def test_equal_start_and_end_means_sundays_and_holidays_only() -> None:
    shop = ShopSettings.from_document(
        {"quietHours": {"FR": {"start": "00:00", "end": "00:00", "sundays": True}}}
    )
    assert next_allowed_send(paris(2025, 5, 6, 3, 0), "FR", shop) == paris(2025, 5, 6, 3, 0)
    assert next_allowed_send(paris(2025, 5, 4, 3, 0), "FR", shop) == paris(2025, 5, 5, 0, 0)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(NaiveDatetimeError):
        next_allowed_send(datetime(2025, 5, 6, 12, 0), "FR", SHOP)
    with pytest.raises(NaiveDatetimeError):
        whatsapp_window_open(datetime(2025, 5, 6, 12, 0), paris(2025, 5, 6, 13, 0))


def test_public_holidays_come_from_the_holidays_package() -> None:
    assert is_public_holiday(date(2025, 7, 14), "FR")
    assert is_public_holiday(date(2025, 12, 12), "KE")  # Jamhuri Day
    assert not is_public_holiday(date(2025, 7, 15), "FR")
    assert not is_public_holiday(date(2025, 7, 14), "XX")  # unknown country: none


@pytest.mark.parametrize(
    ("now", "country", "open_"),
    [
        (paris(2025, 5, 6, 10, 0), "FR", True),
        (paris(2025, 5, 6, 8, 59), "FR", False),
        (paris(2025, 5, 6, 19, 0), "FR", False),  # closing time is closed
        (paris(2025, 5, 10, 12, 0), "FR", True),  # Saturday
        (paris(2025, 5, 11, 12, 0), "FR", False),  # Sunday
        (paris(2025, 7, 14, 12, 0), "FR", False),  # Bastille Day
        (nairobi(2025, 5, 6, 8, 0), "KE", True),
        (nairobi(2025, 5, 6, 18, 0), "KE", False),
        (paris(2025, 5, 6, 10, 0), "US", True),  # no rules: always open (no auto-reply)
    ],
)
def test_business_hours(now: datetime, country: str, open_: bool) -> None:
    assert in_business_hours(now, country, SHOP) is open_


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2025, 5, 6, 10, 0), paris(2025, 5, 6, 10, 0)),
        (paris(2025, 5, 6, 7, 0), paris(2025, 5, 6, 9, 0)),
        (paris(2025, 5, 6, 20, 0), paris(2025, 5, 7, 9, 0)),
        (paris(2025, 5, 10, 19, 30), paris(2025, 5, 12, 9, 0)),  # Saturday evening -> Monday
        (paris(2025, 7, 13, 12, 0), paris(2025, 7, 15, 9, 0)),  # Sunday then Bastille Day
    ],
)
def test_next_business_opening(now: datetime, expected: datetime) -> None:
    assert next_business_opening(now, "FR", SHOP) == expected


def test_next_business_opening_for_a_country_without_hours_uses_the_fallback() -> None:
    now = paris(2025, 5, 6, 20, 0)
    assert next_business_opening(now, "BE", SHOP) == now
    assert next_business_opening(now, "BE", SHOP, fallback_country="FR") == paris(2025, 5, 7, 9, 0)


@pytest.mark.parametrize(
    ("last_inbound", "open_"),
    [
        (None, False),
        (paris(2025, 5, 6, 12, 0), True),
        (paris(2025, 5, 5, 12, 1), True),  # 23 h 59 min ago
        (paris(2025, 5, 5, 12, 0), False),  # exactly 24 h ago: closed
        (paris(2025, 5, 1, 12, 0), False),
        (paris(2025, 5, 6, 12, 5), True),  # in the future (clock skew): just now
    ],
)
def test_whatsapp_window_is_24_hours_from_the_last_inbound_message(
    last_inbound: datetime | None, open_: bool
) -> None:
    assert whatsapp_window_open(last_inbound, paris(2025, 5, 6, 12, 0)) is open_


def test_whatsapp_window_margin_closes_it_early() -> None:
    now = paris(2025, 5, 6, 12, 0)
    last = now - timedelta(hours=23, minutes=55)
    assert whatsapp_window_open(last, now)
    assert not whatsapp_window_open(last, now, margin=timedelta(minutes=10))


_INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([UTC, PARIS, NAIROBI]),
)


@settings(max_examples=150, deadline=None)
@given(now=_INSTANTS, country=st.sampled_from(["FR", "KE"]))
def test_next_allowed_send_is_never_earlier_and_is_allowed(now: datetime, country: str) -> None:
    result = next_allowed_send(now, country, SHOP)
    assert result >= now
    assert next_allowed_send(result, country, SHOP) == result
    assert result - now < timedelta(days=5)


@settings(max_examples=150, deadline=None)
@given(now=_INSTANTS, country=st.sampled_from(["FR", "KE"]))
def test_next_business_opening_is_open(now: datetime, country: str) -> None:
    opening = next_business_opening(now, country, SHOP)
    assert opening >= now
    assert in_business_hours(opening, country, SHOP)
