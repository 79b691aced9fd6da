"""Legal send windows for marketing (issue 15): parsed from the shop's settings, enforced at
planning and at send time, never dropping a message; service keeps the night quiet hours and
email is never held."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.model.documents import CustomerProfile
from shared.model.enums import Channel, Purpose
from shared.model.record import NotificationRecord
from shared.model.shop import DEFAULT_MARKETING_WINDOWS, MarketingWindow, ShopSettings
from shared.rules.consent import ConsentFacts
from shared.rules.live import LiveFacts, verdict
from shared.rules.timerules import (
    in_marketing_window,
    is_public_holiday,
    next_marketing_send,
    send_time,
)

PARIS = ZoneInfo("Europe/Paris")
NAIROBI = ZoneInfo("Africa/Nairobi")
SHOP = ShopSettings.from_document({})


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def nairobi(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NAIROBI)


def marketing(at: datetime, country: str = "FR", channel: Channel = Channel.SMS) -> datetime:
    return send_time(at, channel=channel, purpose=Purpose.MARKETING, country=country, settings=SHOP)


def test_the_defaults_are_france_monday_to_saturday_and_kenya_every_day() -> None:
    assert DEFAULT_MARKETING_WINDOWS["FR"] == MarketingWindow(
        time(8), time(20), "Europe/Paris", frozenset({1, 2, 3, 4, 5, 6}), holidays=False
    )
    assert DEFAULT_MARKETING_WINDOWS["KE"] == MarketingWindow(
        time(8), time(18), "Africa/Nairobi", frozenset(range(1, 8)), holidays=True
    )


@pytest.mark.parametrize(
    ("decided", "held_until"),
    [
        (paris(2026, 3, 3, 14, 0), paris(2026, 3, 3, 14, 0)),  # a Tuesday afternoon: now
        (paris(2026, 3, 3, 8, 0), paris(2026, 3, 3, 8, 0)),  # the opening is allowed
        (paris(2026, 3, 3, 7, 59), paris(2026, 3, 3, 8, 0)),
        (paris(2026, 3, 3, 20, 0), paris(2026, 3, 4, 8, 0)),  # the closing is not
        (paris(2026, 3, 3, 21, 0), paris(2026, 3, 4, 8, 0)),  # 21:00 on a weekday
        (paris(2026, 3, 6, 21, 0), paris(2026, 3, 7, 8, 0)),  # Friday 21:00 -> Saturday
        (paris(2026, 3, 7, 21, 0), paris(2026, 3, 9, 8, 0)),  # Saturday 21:00 -> Monday
        (paris(2026, 3, 8, 11, 0), paris(2026, 3, 9, 8, 0)),  # a Sunday -> Monday 08:00
        (paris(2026, 4, 5, 11, 0), paris(2026, 4, 7, 8, 0)),  # Easter Sunday; Monday a holiday
        (paris(2026, 5, 24, 11, 0), paris(2026, 5, 26, 8, 0)),  # Whit Sunday; Whit Monday too
        (paris(2026, 5, 13, 21, 0), paris(2026, 5, 15, 8, 0)),  # Ascension Thursday skipped
        (paris(2026, 4, 30, 21, 0), paris(2026, 5, 2, 8, 0)),  # 1 May
        (paris(2026, 12, 24, 20, 30), paris(2026, 12, 26, 8, 0)),  # Christmas
        (paris(2026, 3, 28, 21, 0), paris(2026, 3, 30, 8, 0)),  # Sunday of the clock change
    ],
)
def test_a_french_marketing_sms_outside_the_window_is_held_until_it_opens(
    decided: datetime, held_until: datetime
) -> None:
    assert marketing(decided) == held_until
    assert marketing(decided, channel=Channel.WHATSAPP) == held_until


@pytest.mark.parametrize(
    ("decided", "held_until"),
    [
        (nairobi(2026, 3, 3, 19, 0), nairobi(2026, 3, 4, 8, 0)),  # Kenya 19:00 -> 08:00
        (nairobi(2026, 3, 3, 17, 59), nairobi(2026, 3, 3, 17, 59)),
        (nairobi(2026, 3, 8, 10, 0), nairobi(2026, 3, 8, 10, 0)),  # Sundays are fine
        (nairobi(2026, 3, 4, 6, 0), nairobi(2026, 3, 4, 8, 0)),
    ],
)
def test_a_kenyan_marketing_sms_waits_for_eight_in_the_morning(
    decided: datetime, held_until: datetime
) -> None:
    assert marketing(decided, "KE") == held_until


def test_the_result_keeps_the_callers_timezone_and_is_the_same_instant() -> None:
    utc = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)  # 21:00 in Paris
    held = marketing(utc)
    assert held.tzinfo is UTC
    assert held == paris(2026, 3, 4, 8, 0)


def test_service_messages_keep_the_night_quiet_hours_not_the_marketing_window() -> None:
    evening = paris(2026, 3, 3, 20, 30)  # after the marketing window, before quiet hours
    sunday = paris(2026, 3, 8, 11, 0)
    for at in (evening, sunday):
        service = send_time(
            at, channel=Channel.SMS, purpose=Purpose.SERVICE, country="FR", settings=SHOP
        )
        assert service == at
    night = paris(2026, 3, 3, 22, 0)
    service = send_time(
        night, channel=Channel.SMS, purpose=Purpose.SERVICE, country="FR", settings=SHOP
    )
    assert service == paris(2026, 3, 4, 8, 0)


def test_email_is_never_held() -> None:
    for at in (paris(2026, 3, 8, 11, 0), paris(2026, 3, 3, 23, 0)):
        assert marketing(at, channel=Channel.EMAIL) == at


def test_urgent_marketing_skips_quiet_hours_but_never_the_legal_window() -> None:
    at = paris(2026, 3, 8, 11, 0)
    held = send_time(
        at,
        channel=Channel.SMS,
        purpose=Purpose.MARKETING,
        country="FR",
        settings=SHOP,
        quiet_hours=False,
    )
    assert held == paris(2026, 3, 9, 8, 0)


def test_a_shop_can_widen_or_remove_the_window() -> None:
    wider = ShopSettings.from_document({"marketingWindows": {"FR": {"end": "22:00"}}})
    at = paris(2026, 3, 3, 21, 0)
    assert next_marketing_send(at, "FR", wider) == at
    assert next_marketing_send(paris(2026, 3, 8, 11, 0), "FR", wider) == paris(2026, 3, 9, 8, 0)
    none = ShopSettings.from_document({"marketingWindows": {}, "quietHours": {}})
    assert marketing(at) != at  # the defaults hold it...
    held = send_time(
        at, channel=Channel.SMS, purpose=Purpose.MARKETING, country="FR", settings=none
    )
    assert held == at  # ...a shop that removed every window does not


def test_a_country_without_a_window_takes_the_shops_own() -> None:
    at = paris(2026, 3, 8, 11, 0)
    held = next_marketing_send(at, "BE", SHOP, fallback_country="FR")
    assert held == paris(2026, 3, 9, 8, 0)
    assert next_marketing_send(at, "BE", SHOP) == at


def test_a_shop_chooses_its_days_as_iso_weekdays() -> None:
    sundays = ShopSettings.from_document({"marketingWindows": {"FR": {"days": [7]}}})
    assert sundays.marketing_windows["FR"].days == {7}
    at = paris(2026, 3, 8, 21, 0)
    assert next_marketing_send(at, "FR", sundays) == paris(2026, 3, 15, 8, 0)
    bad = ShopSettings.from_document({"marketingWindows": {"FR": {"days": ["sun", 9]}}})
    assert bad.marketing_windows["FR"].days == DEFAULT_MARKETING_WINDOWS["FR"].days
    assert any("ISO weekday" in problem for problem in bad.problems)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)))
def test_a_held_time_is_always_inside_the_window_and_never_earlier(naive: datetime) -> None:
    at = naive.replace(tzinfo=UTC)
    for country in ("FR", "KE"):
        held = marketing(at, country)
        assert held >= at
        window = SHOP.marketing_windows[country]
        assert in_marketing_window(held, country, window)
        if held > at:  # the first allowed instant: the window's opening
            local = held.astimezone(ZoneInfo(window.timezone))
            assert local.time() == window.start
            assert not in_marketing_window(held - timedelta(minutes=1), country, window)


def _easter(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher), to check the holidays we use."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@pytest.mark.parametrize("year", range(2024, 2041))
def test_french_public_holidays_include_the_easter_based_ones(year: int) -> None:
    easter = _easter(year)
    for offset in (1, 39, 50):  # Easter Monday, Ascension, Whit Monday
        assert is_public_holiday(easter + timedelta(days=offset), "FR")
    for month, day in ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)):
        assert is_public_holiday(date(year, month, day), "FR")
    assert not is_public_holiday(easter + timedelta(days=2), "FR")


# -- at send time ---------------------------------------------------------------------------------


def record(**fields: Any) -> NotificationRecord:
    values: dict[str, Any] = {
        "notification_id": "n-1",
        "type": "cart.reminder_1",
        "channel": Channel.SMS,
        "provider": None,
        "to": "+33612345678",
        "customer_id": None,
        "country": "FR",
        **fields,
    }
    return NotificationRecord(**values)


def test_a_marketing_sms_due_outside_the_window_is_rescheduled_at_send_time() -> None:
    check = verdict(
        record(type="ticket.completed"), LiveFacts(), now=paris(2026, 3, 8, 11), shop=SHOP
    )
    assert check.reschedule_at is None
    assert not check.cancel
    profile = CustomerProfile.from_document(
        "c1", {"notificationPreferences": {"smsEnabled": True, "marketingEnabled": True}}
    )
    proven = ConsentFacts(marketing=frozenset({Channel.SMS}))
    cart_doc = {"status": "active", "reminderStage": 1}
    facts = LiveFacts(source=cart_doc, profile=profile, consent=proven)
    cart = record(customer_id="c1", profile_at_plan=True)
    check = verdict(cart, facts, now=paris(2026, 3, 8, 11), shop=SHOP)
    assert not check.cancel
    assert check.reschedule_at == paris(2026, 3, 9, 8, 0)
    just_before = verdict(cart, facts, now=paris(2026, 3, 9, 7, 59), shop=SHOP)
    assert just_before.reschedule_at == paris(2026, 3, 9, 8, 0)  # no slack before a legal window
    inside = verdict(cart, facts, now=paris(2026, 3, 9, 9), shop=SHOP)
    assert inside.reschedule_at is None
    assert not inside.cancel
