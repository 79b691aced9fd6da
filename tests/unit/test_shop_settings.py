"""``settings/notifications`` parsing: defaults for everything, bad parts ignored, never raises."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.model.shop import (
    DEFAULT_BUSINESS_HOURS,
    DEFAULT_QUIET_HOURS,
    BusinessHours,
    QuietHours,
    ShopSettings,
    WhatsAppTemplateSetting,
    parse_hhmm,
)


def test_a_missing_document_gives_every_default() -> None:
    settings = ShopSettings.from_document(None)
    assert settings == ShopSettings()
    assert settings.quiet_hours["FR"] == QuietHours(
        time(21), time(8), "Europe/Paris", sundays=False, holidays=False
    )
    assert settings.quiet_hours["KE"] == QuietHours(time(21), time(7), "Africa/Nairobi")
    assert settings.business_hours["FR"].open == time(9)
    assert settings.business_hours["FR"].close == time(19)
    assert settings.business_hours["FR"].days == frozenset(range(6))  # Monday to Saturday
    assert settings.business_hours["KE"].open == time(8)
    assert settings.pickup_reminder_days == 3
    assert settings.payment_reminder_hours_before == 24
    assert settings.cart_reminder_1_delay == timedelta(hours=2)
    assert settings.cart_reminder_2_delay == timedelta(hours=24)
    assert settings.discount_percent == 10
    assert settings.discount_valid_days == 7
    assert settings.attribution_window_days == 5
    assert settings.shop_name is None
    assert dict(settings.whatsapp_templates) == {}
    assert settings.currency_for("KE") == "KES"
    assert settings.currency_for("FR") == "EUR"
    assert settings.currency_for("US") == "EUR"
    assert settings.problems == ()


def test_a_full_document_is_read() -> None:
    settings = ShopSettings.from_document(
        {
            "shopName": "  Répar'Phone Lyon ",
            "quietHours": {
                "fr": {
                    "start": "22:30",
                    "end": "07:45",
                    "timezone": "Europe/Paris",
                    "sundays": False,
                    "holidays": True,
                }
            },
            "businessHours": {
                "KE": {"open": "07:30", "close": "20:00", "days": ["mon", "tue", "SAT"]}
            },
            "whatsappTemplates": {
                "ticket.completed": {
                    "contentSid": "HX123",
                    "metaName": "repair_ready",
                    "metaLanguage": "fr",
                }
            },
            "pickupReminderDays": 5,
            "paymentReminderHoursBefore": 48,
            "cartReminder1DelayHours": 1.5,
            "cartReminder2DelayHours": 48,
            "discountPercent": 15,
            "discountValidDays": 3,
            "attributionWindowDays": 10,
            "currencies": {"UG": "ugx"},
            "defaultCurrency": "usd",
            "urgentEvents": ["order.out_for_delivery"],
        }
    )
    assert settings.problems == ()
    assert settings.shop_name == "Répar'Phone Lyon"
    assert settings.quiet_hours == {
        "FR": QuietHours(time(22, 30), time(7, 45), "Europe/Paris", sundays=False, holidays=True)
    }
    assert settings.business_hours == {
        "KE": BusinessHours(time(7, 30), time(20), "Africa/Nairobi", frozenset({0, 1, 5}))
    }
    assert settings.whatsapp_templates["ticket.completed"] == WhatsAppTemplateSetting(
        "HX123", "repair_ready", "fr"
    )
    assert settings.pickup_reminder_days == 5
    assert settings.payment_reminder_hours_before == 48
    assert settings.cart_reminder_1_delay == timedelta(minutes=90)
    assert settings.cart_reminder_2_delay == timedelta(hours=48)
    assert (settings.discount_percent, settings.discount_valid_days) == (15, 3)
    assert settings.attribution_window_days == 10
    assert settings.currency_for("ug") == "UGX"
    assert settings.currency_for("KE") == "KES"  # defaults kept beside additions
    assert settings.currency_for("ZZ") == "USD"
    assert settings.is_urgent("order.out_for_delivery")
    assert not settings.is_urgent("order.placed")


def test_an_empty_quiet_hours_map_means_no_quiet_hours() -> None:
    settings = ShopSettings.from_document({"quietHours": {}})
    assert dict(settings.quiet_hours) == {}
    assert settings.quiet_hours_for("FR") is None


def test_a_country_entry_with_missing_fields_takes_that_countrys_defaults() -> None:
    settings = ShopSettings.from_document({"quietHours": {"KE": {"start": "22:00"}}})
    assert settings.quiet_hours["KE"] == QuietHours(time(22), time(7), "Africa/Nairobi")
    assert "FR" not in settings.quiet_hours  # a present map replaces the defaults


def test_lookups_fall_back_to_the_shops_own_country() -> None:
    settings = ShopSettings()
    assert settings.quiet_hours_for("BE") is None
    assert settings.quiet_hours_for("BE", "FR") == DEFAULT_QUIET_HOURS["FR"]
    assert settings.quiet_hours_for("ke", "FR") == DEFAULT_QUIET_HOURS["KE"]
    assert settings.business_hours_for(None, "KE") == DEFAULT_BUSINESS_HOURS["KE"]


BAD_DOCUMENTS: list[tuple[dict[str, Any], str]] = [
    ({"quietHours": "21:00-08:00"}, "quietHours is not a map"),
    ({"quietHours": {"France": {}}}, "not a country code"),
    ({"quietHours": {"FR": "night"}}, "quietHours.FR is not a map"),
    ({"quietHours": {"FR": {"start": "9pm"}}}, "start '9pm' is not HH:MM"),
    ({"quietHours": {"FR": {"end": "25:00"}}}, "end '25:00' is not HH:MM"),
    ({"quietHours": {"FR": {"timezone": "Mars/Olympus"}}}, "timezone 'Mars/Olympus'"),
    ({"quietHours": {"FR": {"sundays": "yes"}}}, "sundays is not a boolean"),
    ({"businessHours": {"FR": {"days": ["lundi"]}}}, "days has no valid day"),
    ({"businessHours": {"FR": {"open": "19:00", "close": "09:00"}}}, "closes before it opens"),
    ({"whatsappTemplates": []}, "whatsappTemplates is not a map"),
    ({"whatsappTemplates": {"ticket.completed": {}}}, "neither contentSid nor metaName"),
    ({"whatsappTemplates": {"ticket.completed": "HX1"}}, "is not a map"),
    ({"pickupReminderDays": -1}, "pickupReminderDays"),
    ({"pickupReminderDays": True}, "pickupReminderDays"),
    ({"pickupReminderDays": "three"}, "pickupReminderDays"),
    ({"discountPercent": 150}, "discountPercent"),
    ({"shopName": 42}, "shopName"),
    ({"shopName": "   "}, "shopName"),
    ({"currencies": {"FR": "euro"}}, "currencies.FR"),
    ({"urgentEvents": "order.shipped"}, "urgentEvents"),
]


@pytest.mark.parametrize(("document", "problem"), BAD_DOCUMENTS)
def test_a_malformed_part_falls_back_to_its_default_and_is_reported(
    document: dict[str, Any], problem: str
) -> None:
    settings = ShopSettings.from_document(document)
    defaults = ShopSettings()
    assert any(problem in p for p in settings.problems), settings.problems
    assert settings.pickup_reminder_days == defaults.pickup_reminder_days
    assert settings.discount_percent == defaults.discount_percent
    if "FR" in settings.quiet_hours:
        assert settings.quiet_hours["FR"] == defaults.quiet_hours["FR"]
    if "FR" in settings.business_hours:
        assert settings.business_hours["FR"] == defaults.business_hours["FR"]


def test_numbers_typed_as_text_in_the_console_are_accepted() -> None:
    assert ShopSettings.from_document({"pickupReminderDays": "5"}).pickup_reminder_days == 5


def test_a_document_that_is_not_a_map_gives_defaults() -> None:
    settings = ShopSettings.from_document(["not", "a", "map"])  # type: ignore[arg-type]
    assert settings.quiet_hours == ShopSettings().quiet_hours
    assert settings.problems == ("document is not a map",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00", time(21)),
        (" 07:05 ", time(7, 5)),
        ("7:05", time(7, 5)),
        ("24:00", time(0)),
        ("24:01", None),
        ("21h00", None),
        ("21:0", None),
        ("", None),
        (None, None),
        (2100, None),
    ],
)
def test_hhmm_parsing(text: object, expected: time | None) -> None:
    assert parse_hhmm(text) == expected


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "quietHours",
        "businessHours",
        "whatsappTemplates",
        "pickupReminderDays",
        "cartReminder1DelayHours",
        "discountPercent",
        "shopName",
        "currencies",
        "urgentEvents",
        "defaultCurrency",
    ]
)


@given(st.dictionaries(_KEYS, _JSON, max_size=6))
def test_from_document_never_raises(document: dict[str, Any]) -> None:
    settings = ShopSettings.from_document(document)
    assert isinstance(settings, ShopSettings)
    assert settings.pickup_reminder_days >= 0
    assert 0 <= settings.discount_percent <= 100


def test_consent_by_purpose_settings_have_defaults_and_refuse_nonsense() -> None:
    defaults = ShopSettings.from_document({})
    assert defaults.walk_in_service_sms is True
    assert set(defaults.marketing_windows) == {"FR", "KE"}
    assert defaults.sms_opt_out["KE"].operator_text == "STOP*456*9*5#"
    parsed = ShopSettings.from_document(
        {
            "walkInServiceSms": "no",
            "marketingWindows": {"FR": {"start": "20:00", "end": "08:00"}, "KE": []},
        }
    )
    assert parsed.walk_in_service_sms is True
    assert parsed.marketing_windows["FR"] == defaults.marketing_windows["FR"]
    assert "KE" not in parsed.marketing_windows  # a present map replaces the defaults
    assert len(parsed.problems) == 3
    assert ShopSettings.from_document({"walkInServiceSms": False}).walk_in_service_sms is False
