"""Reply texts and drafts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.model.enums import Channel, Provider
from shared.model.record import NotificationRecord
from shared.rules import replies
from shared.rules.replies import ReplyType


@pytest.mark.parametrize(
    ("language", "region", "expected"),
    [
        ("fr", "KE", "fr"),
        ("en", "FR", "en"),
        ("sw", "KE", "sw"),  # replies follow the notification language choice (issue 12)
        (None, "FR", "fr"),
        (None, "BE", "fr"),
        (None, "KE", "en"),
        (None, None, "en"),
        ("FR-fr", None, "fr"),
    ],
)
def test_reply_language(language: str | None, region: str | None, expected: str) -> None:
    assert replies.reply_language(language, region) == expected


def test_status_texts_name_the_ticket_or_order() -> None:
    text = replies.status_text("fr", "tickets", "T42", {"status": "in_repair", "device": "iPhone"})
    assert text == "Votre réparation iPhone (n° T42) : en cours de réparation."
    text = replies.status_text(
        "en", "orders", "O7", {"status": "shipped", "trackingUrl": "https://t.example/1"}
    )
    assert text == "Your order no. O7: shipped. Tracking: https://t.example/1"
    assert "could not find" in replies.status_text("en", None, None, {})


def test_after_hours_text_says_when_the_shop_answers() -> None:
    now = datetime(2026, 3, 3, 21, 30, tzinfo=UTC)  # Tuesday 22:30 in Paris
    opening = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # Wednesday 09:00 in Paris
    text = replies.after_hours_text("fr", opening, now, "Europe/Paris", "Atelier Réparation")
    assert text.endswith("demain à 09:00.")
    assert "Atelier Réparation est fermée" in text
    friday = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert replies.after_hours_text("en", monday, friday, "Europe/Paris").endswith(
        "Monday at 09:00."
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
def test_consent_confirmations_say_how_to_undo(lang: str, channel: Channel) -> None:
    assert "START" in replies.opt_out_text(lang, channel)
    assert "STOP" in replies.opt_in_text(lang, channel)


def test_reply_drafts_are_urgent_pre_rendered_and_deterministic() -> None:
    def draft(key: str) -> NotificationRecord:
        return replies.reply_draft(
            reply_type=ReplyType.OPT_OUT,
            dedupe_key=key,
            channel=Channel.SMS,
            provider=Provider.TWILIO,
            to="+33612345678",
            customer_id="c1",
            body="ok",
            language="fr",
            country="FR",
        )

    a, b, c = draft("m1"), draft("m1"), draft("m2")
    assert a == b
    assert a != c
    assert a.urgent
    assert a.type == "reply.opt_out"
    assert a.body == "ok"
