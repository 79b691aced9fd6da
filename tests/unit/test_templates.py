"""Templates: every event in every language and channel, safe for any data, SMS in one segment."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.model.enums import Channel, EventKey
from shared.model.shop import ShopSettings
from shared.rules.sms import analyze, is_gsm7
from shared.rules.templates import (
    TEMPLATE_IDS,
    TEMPLATE_VARIABLES,
    RenderedMessage,
    UnknownTemplateError,
    catalog,
    choose_language,
    format_money,
    render,
    whatsapp_template_ref,
)
from shared.rules.templates.model import Droppable, alternatives

LANGUAGES = ("fr", "en", "sw")
ALL_IDS = sorted({k.value for k in EventKey} | {"ticket.walk_in_welcome"})

# Long but realistic: a double-barrelled name, a long device, long ids and links.
LONG = {
    "customerName": "Jean-Christophe Dupont-Moretti",
    "shopName": "Atelier Réparation Mobile Saint-Étienne",
    "ticketId": "T-2024-000123",
    "device": "Samsung Galaxy S24 Ultra 512 Go",
    "status": "waiting_parts",
    "orderId": "CMD-2024-004567",
    "total": 1249.9,
    "currency": "EUR",
    "trackingUrl": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
    "paymentDueAt": datetime(2025, 5, 12, 16, 0, tzinfo=UTC),
    "cartItems": [
        {"name": "Coque silicone iPhone 15 Pro Max", "quantity": 2, "price": 19.9},
        {"name": "Chargeur USB-C 30W", "quantity": 1, "price": 24.9},
        {"name": "Verre trempé", "quantity": 1, "price": 9.9},
    ],
    "cartTotal": 74.6,
    "discountCode": "RETOUR10-ABCD",
    "discountPercent": 10,
    "discountExpiresAt": datetime(2025, 5, 19, 21, 59, tzinfo=UTC),
    "registrationUrl": "https://repar-phone.fr/inscription?phone=%2B33612345678&ticket=T-2024-000123",
    "cartUrl": "https://boutique.example.fr/panier/AbCdEf123456",
}
KENYAN = {
    **LONG,
    "customerName": "Wanjiku Njeri Kamau",
    "shopName": "Nairobi Phone Hub",
    "device": "Tecno Camon 20 Premier 5G",
    "total": 45999,
    "currency": "KES",
    "cartTotal": 12500,
    "trackingUrl": "https://track.sendy.co.ke/t/SND-20240512-99812",
    "registrationUrl": "https://nairobiphonehub.co.ke/register?phone=%2B254712345678&ticket=T-2024-000123",
    "cartUrl": "https://nairobiphonehub.co.ke/cart/AbCdEf123456",
}
AUTO_IDS = {  # Firestore auto-ids are 20 characters
    **LONG,
    "ticketId": "a8Xk2LmP9qR4sT6vW1yZ",
    "orderId": "Qm3ZrT8kLp2VxN7cB4dW",
    "registrationUrl": "https://repar-phone.fr/inscription?phone=%2B33612345678"
    "&ticket=a8Xk2LmP9qR4sT6vW1yZ",
}
TYPICAL = {
    "customerName": "Marie",
    "shopName": "Répar'Phone",
    "ticketId": "T1042",
    "device": "iPhone 13",
    "status": "in_repair",
    "orderId": "A1042",
    "total": 49.9,
    "currency": "EUR",
}


def test_every_event_key_and_the_walk_in_welcome_have_wording_in_every_language() -> None:
    assert sorted(TEMPLATE_IDS) == ALL_IDS
    for language in LANGUAGES:
        assert sorted(catalog()[language].templates) == ALL_IDS, language
    assert sorted(TEMPLATE_VARIABLES) == ALL_IDS


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("fr", None, "fr"),
        ("fr-FR", "KE", "fr"),
        ("EN_gb", "FR", "en"),
        ("sw", "KE", "sw"),
        ("sw-KE", None, "sw"),
        ("de", "FR", "fr"),  # unknown language: by country
        ("de", "KE", "en"),
        (None, "KE", "en"),
        ("", "BE", "fr"),
        (None, "TZ", "sw"),
        ("klingon", "US", "en"),
        (None, None, "en"),
        (None, "fr", "fr"),
    ],
)
def test_choose_language(language: str | None, country: str | None, expected: str) -> None:
    assert choose_language(language, country) == expected


@pytest.mark.parametrize("template_id", ALL_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("data", [LONG, KENYAN, AUTO_IDS], ids=["fr_shop", "ke_shop", "auto_ids"])
def test_each_sms_template_fits_one_gsm7_segment_with_long_realistic_data(
    template_id: str, language: str, data: dict[str, Any]
) -> None:
    text = render(template_id, Channel.SMS, language, data).text
    info = analyze(text)
    assert (info.encoding, info.segments) == ("GSM-7", 1), f"{info.units} units: {text}"


@pytest.mark.parametrize("template_id", ALL_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_typical_sms_keeps_every_part(template_id: str, language: str) -> None:
    text = render(template_id, Channel.SMS, language, TYPICAL).text
    assert analyze(text).segments == 1
    if template_id.startswith("ticket.") and template_id != "ticket.walk_in_welcome":
        assert "T1042" in text
        assert "Répar'Phone" in text


def test_sms_steps_down_to_a_shorter_wording_when_optional_parts_are_not_enough() -> None:
    text = render("ticket.walk_in_welcome", Channel.SMS, "fr", AUTO_IDS).text
    assert text.startswith("Réparation enregistrée. Créez votre compte")
    assert text.endswith(str(AUTO_IDS["registrationUrl"]))  # links are never cut


def test_sms_wording_itself_is_gsm7_and_has_no_emoji() -> None:
    for language, texts in catalog().items():
        for template_id, wording in texts.templates.items():
            for part in wording.sms:
                for text in alternatives(part.part if isinstance(part, Droppable) else part):
                    assert is_gsm7(text), f"{language} {template_id}: {text!r}"


def test_user_data_outside_gsm7_is_approximated_in_sms() -> None:
    data = {**TYPICAL, "customerName": "Françoise 😊", "device": "Écran “Pixel” Fold — 2ème"}
    text = render("ticket.completed", Channel.SMS, "fr", data).text
    assert analyze(text).encoding == "GSM-7"
    assert "Francoise" in text
    assert '"Pixel"' in text


@pytest.mark.parametrize("template_id", ALL_IDS)
def test_every_template_renders_on_every_channel_and_language_without_holes(
    template_id: str,
) -> None:
    for language in (*LANGUAGES, "de"):
        for channel in Channel:
            for data in ({}, TYPICAL, LONG):
                message = render(template_id, channel, language, data)
                _assert_no_holes(message, channel, f"{language} {channel} {sorted(data)[:2]}")


def _assert_no_holes(message: RenderedMessage, channel: Channel, where: str) -> None:
    for piece in (message.text, message.subject or "", message.title or ""):
        assert "None" not in piece, where
        assert "$" not in piece, where
        assert "()" not in piece, where
        assert "  " not in piece.replace("\n", ""), where
        assert " ." not in piece, where
    assert len(message.text.strip()) > 15, where
    if channel is Channel.EMAIL:
        assert message.subject, where
        assert message.html is not None, where
        assert message.html.startswith("<!DOCTYPE html>"), where
    else:
        assert message.html is None, where
    if channel is Channel.PUSH:
        assert message.title, where
    else:
        assert message.title is None, where


def test_a_missing_name_changes_the_greeting_not_the_message() -> None:
    assert render("ticket.completed", Channel.SMS, "fr", {}).text.startswith(
        "Bonjour, votre appareil"
    )
    named = render("ticket.completed", Channel.SMS, "fr", {"customerName": "Marie"}).text
    assert named.startswith("Bonjour Marie, votre appareil")


def test_status_labels_are_localized_from_the_raw_status() -> None:
    data = {"device": "iPhone 13", "status": "waiting_parts"}
    assert "en attente de pièces" in render("ticket.status_changed", Channel.SMS, "fr", data).text
    assert "waiting for parts" in render("ticket.status_changed", Channel.SMS, "en", data).text
    assert "kinasubiri vipuri" in render("ticket.status_changed", Channel.SMS, "sw", data).text
    unknown = render("ticket.status_changed", Channel.SMS, "fr", {"status": "teleported"}).text
    assert "réparation avance" in unknown


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (49.9, "EUR", "fr", "49,90 €"),
        (49.9, "EUR", "en", "€49.90"),
        (1249.9, "eur", "fr", "1 249,90 €"),
        (1500, "KES", "en", "KES 1,500"),
        (1500, "KES", "sw", "KES 1,500"),
        (1500, "KES", "fr", "1 500 KES"),
        (1499.5, "KES", "en", "KES 1,499.50"),
        ("12.5", "usd", "en", "USD 12.50"),
        ("12,5", "EUR", "fr", "12,50 €"),
        (12, "", "fr", "12,00"),
        (-5, "EUR", "fr", "-5,00 €"),
        (None, "EUR", "fr", None),
        ("abc", "EUR", "fr", None),
        (True, "EUR", "fr", None),
        (float("nan"), "EUR", "fr", None),
    ],
)
def test_money_formatting(amount: Any, currency: str, language: str, expected: str | None) -> None:
    assert format_money(amount, currency, language) == expected


def test_dates_are_shown_in_the_customers_timezone() -> None:
    due = datetime(2025, 5, 12, 16, 0, tzinfo=UTC)
    data = {"orderId": "A1", "paymentDueAt": due}
    assert "12/05/2025 à 18h00" in render("order.payment_reminder", Channel.SMS, "fr", data).text
    kenya = {**data, "country": "KE"}
    assert "12 May 2025, 19:00" in render("order.payment_reminder", Channel.SMS, "en", kenya).text
    explicit = {**data, "timezone": "America/New_York"}
    assert "12:00" in render("order.payment_reminder", Channel.EMAIL, "en", explicit).text
    iso = {**data, "paymentDueAt": "2025-05-12T16:00:00Z"}
    assert "18h00" in render("order.payment_reminder", Channel.SMS, "fr", iso).text


def test_currency_defaults_from_the_country_when_the_document_has_none() -> None:
    data = {"orderId": "A1", "total": 2500, "country": "KE"}
    assert "KES 2,500" in render("order.placed", Channel.SMS, "en", data).text


def test_cart_items_are_listed_in_emails_and_counted_in_sms() -> None:
    email = render("cart.reminder_1", Channel.EMAIL, "fr", LONG)
    assert "- Coque silicone iPhone 15 Pro Max x2 : 39,80 €" in email.text
    assert "Total : 74,60 €" in email.text
    assert "<br>" in (email.html or "")
    assert "4 articles, 74,60 €" in render("cart.reminder_1", Channel.SMS, "fr", LONG).text


FOOTERS = [
    ({"optOutShortCode": "36180"}, {"fr": "STOP au 36180", "en": "Text STOP to 36180",
                                     "sw": "Tuma STOP kwa 36180"}),
    ({"optOutKeyword": "STOP"}, {"fr": "Désinscription: répondez STOP",
                                  "en": "Reply STOP to opt out", "sw": "Jibu STOP kujiondoa"}),
    ({"preferencesUrl": "https://shop.example/p/abc"}, {
        "fr": "Désinscription: https://shop.example/p/abc",
        "en": "Opt out: https://shop.example/p/abc",
        "sw": "Kujiondoa: https://shop.example/p/abc"}),
    ({"optOutOperator": "STOP*456*9*5#"}, dict.fromkeys(("fr", "en", "sw"), "STOP*456*9*5#")),
]  # fmt: skip


@pytest.mark.parametrize(("footer", "expected"), FOOTERS)
@pytest.mark.parametrize("language", ["fr", "en", "sw"])
@pytest.mark.parametrize("template_id", ["cart.reminder_1", "cart.reminder_2"])
def test_marketing_sms_start_with_the_shop_and_end_with_the_opt_out_mention(
    footer: dict[str, str], expected: dict[str, str], language: str, template_id: str
) -> None:
    for data in (LONG, TYPICAL):
        text = render(template_id, Channel.SMS, language, {**data, **footer}).text
        assert text.endswith(expected[language]), text
        shop = str(data["shopName"])
        assert text.startswith(shop[:10]), text  # cut to fit, never dropped


HOSTILE = {
    "customerName": '<script>alert("x")</script> $shopName {0.__class__} %s',
    "device": "<b>iPhone</b>\nLine two\r\n\x00",
    "orderId": "A&B",
    "trackingUrl": "javascript:alert(1)",
    "cartUrl": 'https://shop.example/c?a=1&b="><script>',
    "shopName": "Shop & Co",
}


def test_email_html_escapes_user_data_and_refuses_unsafe_links() -> None:
    message = render("order.shipped", Channel.EMAIL, "fr", HOSTILE)
    html = message.html or ""
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "A&amp;B" in html
    assert "javascript:" not in message.text


def test_links_become_anchors_only_for_http_urls() -> None:
    html = render("cart.reminder_1", Channel.EMAIL, "en", HOSTILE).html or ""
    assert '<a href="https://shop.example/c?a=1&amp;b=&quot;&gt;&lt;script&gt;">' in html


def test_user_data_is_substituted_once_never_interpreted() -> None:
    text = render("ticket.completed", Channel.WHATSAPP, "en", HOSTILE).text
    assert "$shopName {0.__class__} %s" in text
    assert "Line two" in text
    assert "\n" not in text.split("\n\n")[1]  # a value cannot inject a line break
    assert "\x00" not in text


def test_unknown_template_raises_a_typed_error() -> None:
    with pytest.raises(UnknownTemplateError):
        render("ticket.exploded", Channel.SMS, "fr", {})


def test_an_unsupported_language_renders_english() -> None:
    assert render("order.delivered", Channel.PUSH, "de", {}).title == "Order delivered"


def test_whatsapp_template_reference_defaults() -> None:
    ref = whatsapp_template_ref("ticket.completed", "fr", TYPICAL, ShopSettings())
    assert ref.content_sid is None
    assert (ref.meta_name, ref.meta_language) == ("ticket_completed", "fr")
    assert ref.variables == ("Marie", "iPhone 13", "T1042")
    assert json.loads(ref.content_variables_json()) == {
        "1": "Marie",
        "2": "iPhone 13",
        "3": "T1042",
    }
    assert ref.meta_components() == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Marie"},
                {"type": "text", "text": "iPhone 13"},
                {"type": "text", "text": "T1042"},
            ],
        }
    ]
    assert whatsapp_template_ref("order.shipped", "en", {}, ShopSettings()).meta_language == "en_US"


def test_whatsapp_template_reference_from_settings_and_its_language() -> None:
    shop = ShopSettings.from_document(
        {
            "whatsappTemplates": {
                "order.payment_reminder": {
                    "contentSid": "HX0123",
                    "metaName": "payment_due_v2",
                    "metaLanguage": "en_GB",
                }
            }
        }
    )
    data = {"orderId": "A1", "total": 49.9, "currency": "EUR", "paymentDueAt": LONG["paymentDueAt"]}
    ref = whatsapp_template_ref("order.payment_reminder", "fr", data, shop)
    assert (ref.content_sid, ref.meta_name, ref.meta_language) == (
        "HX0123",
        "payment_due_v2",
        "en_GB",
    )
    # the approved template is English, so its variables are written in English
    assert ref.variables == ("there", "A1", "€49.90", "12 May 2025, 16:00")


def test_whatsapp_template_variables_are_never_empty() -> None:
    for template_id in ALL_IDS:
        for language in LANGUAGES:
            ref = whatsapp_template_ref(template_id, language, {}, ShopSettings())
            assert len(ref.variables) == len(TEMPLATE_VARIABLES[template_id])
            assert all(v.strip() for v in ref.variables)
            assert all("\n" not in v and "    " not in v for v in ref.variables)


def test_a_reply_or_unknown_id_gets_a_reference_without_variables() -> None:
    ref = whatsapp_template_ref("reply.status", "fr", {}, ShopSettings())
    assert ref.variables == ()
    assert ref.meta_components() == []
    assert ref.content_variables_json() == "{}"


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.dictionaries(st.sampled_from(["name", "quantity", "price"]), st.text(max_size=5))),
    st.datetimes(timezones=st.just(UTC)),
)
_KEYS = st.sampled_from(
    [
        "customerName",
        "shopName",
        "ticketId",
        "device",
        "status",
        "orderId",
        "total",
        "currency",
        "trackingUrl",
        "paymentDueAt",
        "cartItems",
        "cartTotal",
        "discountCode",
        "discountPercent",
        "discountExpiresAt",
        "registrationUrl",
        "cartUrl",
        "country",
        "timezone",
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    template_id=st.sampled_from(ALL_IDS),
    language=st.sampled_from([*LANGUAGES, "xx"]),
    channel=st.sampled_from(list(Channel)),
    data=st.dictionaries(_KEYS, _VALUES, max_size=8),
)
def test_rendering_never_fails_whatever_the_data(
    template_id: str, language: str, channel: Channel, data: dict[str, Any]
) -> None:
    message = render(template_id, channel, language, data)
    assert message.text
    if channel is Channel.SMS:
        # The wording is GSM-7; since issue 14 a character of the data that Twilio's map cannot
        # rewrite is kept (the message goes UCS-2) rather than deleted, so only data adds one.
        given_chars = "".join(unicodedata.normalize("NFC", text) for text in _strings(data))
        allowed = set(given_chars) | set(given_chars.upper())
        assert {ch for ch in message.text if not is_gsm7(ch)} <= allowed, message.text
    if message.html is not None:
        assert "<script" not in message.html


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_walk_in_welcome_sms_carries_the_preference_page_when_there_is_one(
    language: str,
) -> None:
    """Issue 18: the link goes in the registration message, after the registration link; a
    shop without PREFERENCES_URL sends the welcome without it."""
    page = "https://shop.example.com/p?t=v1.abc.123.def"
    with_page = render(
        "ticket.walk_in_welcome", Channel.SMS, language, {**LONG, "preferencesUrl": page}
    ).text
    assert with_page.endswith(page), with_page
    assert str(LONG["registrationUrl"]) in with_page
    without = render("ticket.walk_in_welcome", Channel.SMS, language, LONG).text
    assert "http" in without
    assert page not in without
    assert without.rstrip().endswith(str(LONG["registrationUrl"]))
