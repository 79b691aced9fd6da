"""The demo's tables: what customers received and the history, readable in a terminal."""

from __future__ import annotations

from typing import Any

from devstack.report import RECEIVED_COLUMNS, format_table, received_rows


class RecordedFakes:
    """What ``FakeProvidersClient`` answers, for a table test."""

    def messages(self, provider: str) -> list[dict[str, Any]]:
        recorded: dict[str, list[dict[str, Any]]] = {
            "twilio": [
                {"to": "+33612345678", "body": "Bonjour Awa,\nvotre iPhone", "status": "delivered"},
                {"to": "whatsapp:+33698765432", "body": "Commande expédiée", "status": "sent"},
            ],
            "meta": [{"wa_id": "254712345678", "template": {"name": "order_shipped"}}],
            "fcm": [],
        }
        return recorded[provider]

    def emails(self) -> list[dict[str, Any]]:
        return [{"to": "jean@example.com", "subject": "Votre commande", "text": "Merci"}]


def test_received_rows_cover_every_channel_one_line_each() -> None:
    rows = received_rows(RecordedFakes())

    assert [(r["to"], r["channel"], r["via"]) for r in rows] == [
        ("+254712345678", "whatsapp", "meta"),
        ("+33612345678", "sms", "twilio"),
        ("+33698765432", "whatsapp", "twilio"),
        ("jean@example.com", "email", "smtp"),
    ]
    assert rows[0]["content"] == "[template order_shipped]"


def test_format_table_aligns_truncates_and_keeps_one_line_per_row() -> None:
    table = format_table(received_rows(RecordedFakes()), RECEIVED_COLUMNS, max_width=12)
    lines = table.splitlines()

    assert lines[0].split() == list(RECEIVED_COLUMNS)
    assert len(lines) == 2 + 4
    assert "Bonjour Awa…" in table
    assert "\n" not in lines[3]


def test_an_empty_table_says_so() -> None:
    assert format_table([], ["a", "b"], title="nothing").endswith("(none)")
