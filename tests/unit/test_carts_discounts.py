"""Discount codes: drawn unguessable, typed leniently, refused when they cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.store.discounts import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Offer,
    code_problem,
    draw_code,
    normalize_code,
)

NOW = datetime(2026, 11, 17, 14, 0, tzinfo=UTC)


def test_codes_use_an_unambiguous_alphabet_and_do_not_repeat() -> None:
    codes = {draw_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01OIL") & set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("abcd 2345", "ABCD2345"),
        (" ABCD2345\n", "ABCD2345"),
        ("ab", None),
        ("AB/CD", None),
        (42, None),
    ],
)
def test_codes_as_typed_by_customers(typed: Any, stored: str | None) -> None:
    assert normalize_code(typed) == stored


def test_offer_round_trips_through_the_claim_document() -> None:
    offer = Offer.new(percent=10, valid_days=7, now=NOW)
    assert offer.expires_at == NOW + timedelta(days=7)
    assert Offer.from_claim(offer.claim_fields()) == offer
    assert Offer.from_claim({"stage": 2}) is None


@pytest.mark.parametrize(
    ("doc", "customer", "problem"),
    [
        (None, "c1", "unknown_code"),
        ({"customerId": "c1", "expiresAt": NOW + timedelta(days=1), "usedAt": None}, "c1", None),
        ({"customerId": "c1", "expiresAt": NOW, "usedAt": None}, "c1", "expired"),
        (
            {"customerId": "c1", "expiresAt": NOW + timedelta(days=1), "usedAt": NOW},
            "c1",
            "already_used",
        ),
        (
            {"customerId": "c1", "expiresAt": NOW + timedelta(days=1), "orderId": "o1"},
            "c1",
            "already_used",
        ),
        ({"customerId": "c1", "expiresAt": NOW + timedelta(days=1)}, "c2", "other_customer"),
    ],
)
def test_code_problem(doc: dict[str, Any] | None, customer: str, problem: str | None) -> None:
    assert code_problem(doc, customer_id=customer, now=NOW) == problem
