"""Answers to inbound messages, rendered from the catalog: the French and English texts of the
hand-written replies they replace, Swahili ones, and the language notifications use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.model.enums import Channel
from shared.rules import replies
from shared.rules.language import choose_language
from shared.rules.sms import analyze
from shared.rules.templates import UnknownTemplateError, render_reply
from shared.rules.templates.values import format_clock

NOW = datetime(2026, 3, 3, 18, 30, tzinfo=UTC)  # a Tuesday evening
TOMORROW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)  # 07:00 in Paris, 09:00 in Nairobi
MONDAY = datetime(2026, 3, 9, 5, 30, tzinfo=UTC)
URL = "https://track.example/A7"
ZONES = {"fr": "Europe/Paris", "en": "Europe/Paris", "sw": "Africa/Nairobi"}

EXPECTED = {
    # The texts the f-strings of replies.py produced before they became catalog entries.
    "fr": {
        "opt_out_sms": "C'est noté : vous ne recevrez plus de SMS de Phone Hub. "
        "Envoyez START pour les réactiver.",
        "opt_out_whatsapp_no_shop": "C'est noté : vous ne recevrez plus de WhatsApp de la "
        "boutique. Envoyez START pour les réactiver.",
        "opt_in_sms": "C'est noté : vous recevrez de nouveau les SMS de Phone Hub. "
        "Envoyez STOP pour les arrêter.",
        "opt_in_whatsapp_no_shop": "C'est noté : vous recevrez de nouveau les WhatsApp de la "
        "boutique. Envoyez STOP pour les arrêter.",
        "status_ticket": "Votre réparation iPhone 13 (n° T42) : en cours de réparation.",
        "status_ticket_ready": "Votre réparation (n° T42) : prêt, vous pouvez venir le chercher.",
        "status_order": "Votre commande n° A7 : expédiée. Suivi : https://track.example/A7",
        "status_order_paid": "Votre commande n° A7 : payée, en préparation.",
        "status_none": "Nous ne trouvons pas de réparation ni de commande en cours à votre nom.",
        "after_hours_tomorrow": "Merci pour votre message. Phone Hub est fermée pour le moment ; "
        "nous vous répondons dès l'ouverture, demain à 07:00.",
        "after_hours_monday_no_shop": "Merci pour votre message. La boutique est fermée pour le "
        "moment ; nous vous répondons dès l'ouverture, lundi à 06:30.",
        "unknown_sender": "Bonjour, merci pour votre message à Phone Hub. Nous ne trouvons pas "
        "votre numéro dans nos fiches : un membre de l'équipe vous répondra.",
        "unknown_sender_no_shop": "Bonjour, merci pour votre message à la boutique. Nous ne "
        "trouvons pas votre numéro dans nos fiches : un membre de l'équipe vous répondra.",
    },
    "en": {
        "opt_out_sms": "Done: you will no longer receive text messages from Phone Hub. "
        "Reply START to turn them back on.",
        "opt_out_whatsapp_no_shop": "Done: you will no longer receive WhatsApp messages from the "
        "shop. Reply START to turn them back on.",
        "opt_in_sms": "Done: you will receive text messages from Phone Hub again. "
        "Reply STOP to turn them off.",
        "opt_in_whatsapp_no_shop": "Done: you will receive WhatsApp messages from the shop "
        "again. Reply STOP to turn them off.",
        "status_ticket": "Your iPhone 13 repair (no. T42): being repaired.",
        "status_ticket_ready": "Your repair (no. T42): ready for pickup.",
        "status_order": "Your order no. A7: shipped. Tracking: https://track.example/A7",
        "status_order_paid": "Your order no. A7: paid and being prepared.",
        "status_none": "We could not find a repair or an order under your name.",
        "after_hours_tomorrow": "Thanks for your message. Phone Hub is closed right now; "
        "we will answer when we open, tomorrow at 07:00.",
        "after_hours_monday_no_shop": "Thanks for your message. The shop is closed right now; "
        "we will answer when we open, Monday at 06:30.",
        "unknown_sender": "Hello, thanks for your message to Phone Hub. We could not find your "
        "number in our records: someone from the team will get back to you.",
        "unknown_sender_no_shop": "Hello, thanks for your message to the shop. We could not find "
        "your number in our records: someone from the team will get back to you.",
    },
    "sw": {
        "opt_out_sms": "Sawa, hutapokea tena SMS kutoka Phone Hub. Jibu START kuzipokea tena.",
        "opt_out_whatsapp_no_shop": "Sawa, hutapokea tena jumbe za WhatsApp kutoka kwetu. "
        "Jibu START kuzipokea tena.",
        "opt_in_sms": "Sawa, utapokea tena SMS kutoka Phone Hub. Jibu STOP kujiondoa.",
        "opt_in_whatsapp_no_shop": "Sawa, utapokea tena jumbe za WhatsApp kutoka kwetu. "
        "Jibu STOP kujiondoa.",
        "status_ticket": "Kifaa chako (iPhone 13), tiketi T42: kinatengenezwa.",
        "status_ticket_ready": "Kifaa chako, tiketi T42: kiko tayari, karibu ukichukue.",
        "status_order": "Agizo lako A7: limetumwa. Fuatilia: https://track.example/A7",
        "status_order_paid": "Agizo lako A7: limelipwa, linaandaliwa.",
        "status_none": "Hatukupata matengenezo wala agizo lolote kwa jina lako.",
        "after_hours_tomorrow": "Asante kwa kuwasiliana na phone Hub. Tumefunga kwa sasa; "
        "tutakujibu tukifungua kesho saa 3 asubuhi.",
        "after_hours_monday_no_shop": "Asante kwa ujumbe wako. Tumefunga kwa sasa; tutakujibu "
        "tukifungua Jumatatu saa 2:30 asubuhi.",
        "unknown_sender": "Habari, asante kwa kuwasiliana na Phone Hub. Nambari yako haiko "
        "kwenye rekodi zetu; mhudumu wetu atakujibu hivi karibuni.",
        "unknown_sender_no_shop": "Habari, asante kwa ujumbe wako. Nambari yako haiko kwenye "
        "rekodi zetu; mhudumu wetu atakujibu hivi karibuni.",
    },
}


def _every_reply(language: str, shop: str | None = "Phone Hub") -> dict[str, str]:
    zone = ZONES[language]
    lower = shop[:1].lower() + shop[1:] if shop else None  # the sentence capitalizes it
    return {
        "opt_out_sms": replies.opt_out_text(language, Channel.SMS, shop),
        "opt_out_whatsapp_no_shop": replies.opt_out_text(language, Channel.WHATSAPP),
        "opt_in_sms": replies.opt_in_text(language, Channel.SMS, shop),
        "opt_in_whatsapp_no_shop": replies.opt_in_text(language, Channel.WHATSAPP),
        "status_ticket": replies.status_text(
            language, "tickets", "T42", {"status": "in_repair", "device": "iPhone 13"}
        ),
        "status_ticket_ready": replies.status_text(
            language, "tickets", "T42", {"status": "completed"}
        ),
        "status_order": replies.status_text(
            language, "orders", "A7", {"status": "shipped", "trackingUrl": URL}
        ),
        "status_order_paid": replies.status_text(language, "orders", "A7", {"status": "paid"}),
        "status_none": replies.status_text(language, None, None, {}),
        "after_hours_tomorrow": replies.after_hours_text(language, TOMORROW, NOW, zone, lower),
        "after_hours_monday_no_shop": replies.after_hours_text(language, MONDAY, NOW, zone),
        "unknown_sender": replies.unknown_sender_text(language, shop),
        "unknown_sender_no_shop": replies.unknown_sender_text(language),
    }


@pytest.mark.parametrize("language", ["fr", "en", "sw"])
def test_every_answer_renders_in_every_language(language: str) -> None:
    assert _every_reply(language) == EXPECTED[language]


def test_swahili_answers_fit_one_gsm7_segment_even_with_a_long_shop_name() -> None:
    for name, text in _every_reply("sw", "Nairobi Phone Hub & Accessories").items():
        info = analyze(text)
        assert (info.encoding, info.segments) == ("GSM-7", 1), f"{name}: {text}"


@pytest.mark.parametrize("language", [None, "", "fr", "en-GB", "sw", "SW_ke", "de", "klingon"])
@pytest.mark.parametrize("country", [None, "", "FR", "BE", "RW", "DJ", "KE", "TZ", "UG", "US"])
def test_answers_use_the_language_notifications_use(
    language: str | None, country: str | None
) -> None:
    assert replies.reply_language(language, country) == choose_language(language, country)


def test_a_rwandan_customer_gets_french_answers_like_their_notifications() -> None:
    assert replies.reply_language(None, "RW") == "fr"
    assert replies.reply_language("sw", "KE") == "sw"
    assert replies.reply_language(None, "TZ") == "sw"
    assert replies.reply_language(None, "KE") == "en"  # Kenya: English unless chosen


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (9, 0, "3 asubuhi"),
        (8, 30, "2:30 asubuhi"),
        (6, 0, "12 asubuhi"),
        (12, 0, "6 mchana"),
        (13, 15, "7:15 mchana"),
        (17, 0, "11 jioni"),
        (18, 0, "12 jioni"),
        (19, 0, "1 usiku"),
        (0, 0, "6 usiku"),
        (4, 45, "10:45 usiku"),
    ],
)
def test_swahili_answers_tell_the_time_in_swahili_time(
    hour: int, minute: int, expected: str
) -> None:
    moment = datetime(2026, 3, 4, hour, minute, tzinfo=UTC)
    assert format_clock(moment, "sw") == expected
    assert format_clock(moment, "fr") == f"{hour:02d}:{minute:02d}"


def test_an_unknown_status_is_named_as_it_is() -> None:
    text = replies.status_text("sw", "tickets", "T1", {"status": "teleported"})
    assert text == "Kifaa chako, tiketi T1: teleported."
    assert replies.status_text("en", "orders", "A1", {}) == "Your order no. A1: ?."


def test_shop_data_is_one_line_and_substituted_once() -> None:
    text = replies.unknown_sender_text("en", "$statusLabel\nShop")
    assert text.startswith("Hello, thanks for your message to $statusLabel Shop.")


def test_a_channel_without_consent_keywords_has_no_confirmation() -> None:
    with pytest.raises(UnknownTemplateError):
        replies.opt_out_text("fr", Channel.EMAIL)


def test_an_unknown_reply_raises_a_typed_error() -> None:
    with pytest.raises(UnknownTemplateError):
        render_reply("reply.exploded", "fr", {})


def test_an_unsupported_language_answers_in_english() -> None:
    assert replies.status_text("de", None, None, {}) == EXPECTED["en"]["status_none"]
