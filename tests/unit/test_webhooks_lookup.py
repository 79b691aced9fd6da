"""Inbound senders -> E.164, whatever form the provider writes them in."""

from __future__ import annotations

import pytest

from shared.store.lookup import normalize_sender


@pytest.mark.parametrize(
    ("raw", "e164", "region"),
    [
        ("+33612345678", "+33612345678", "FR"),
        ("whatsapp:+33612345678", "+33612345678", "FR"),
        ("WhatsApp: +254712345678", "+254712345678", "KE"),
        ("254712345678", "+254712345678", "KE"),  # a Meta wa_id
        ("0612345678", "+33612345678", "FR"),  # national, the deployment's country
        ("+972987654321", "+972987654321", "IL"),  # not in the numbering metadata: kept
    ],
)
def test_senders_become_e164(raw: str, e164: str, region: str) -> None:
    phone = normalize_sender(raw, "FR")
    assert phone is not None
    assert (phone.e164, phone.region) == (e164, region)


@pytest.mark.parametrize("raw", ["", "SHOPNAME", "12345", "+1", "whatsapp:", "+33 6 12"])
def test_short_codes_and_names_are_not_phone_numbers(raw: str) -> None:
    assert normalize_sender(raw, "FR") is None
