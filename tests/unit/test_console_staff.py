"""Who may open the console: the ``staff`` claim, or ``settings/staff`` by uid or verified email."""

from __future__ import annotations

from typing import Any

import pytest

from functions.boundary.console.words import LANGUAGES, catalog
from shared.rules.staff import StaffList, staff_member

LISTED = StaffList.from_document({"uids": ["u-listed", 7, ""], "emails": ["Boss@Shop.example"]})


@pytest.mark.parametrize(
    ("claims", "staff"),
    [
        ({"uid": "u1", "staff": True}, True),
        ({"uid": "u1", "staff": "true"}, False),  # a claim is a boolean, not a word
        ({"uid": "u1"}, False),
        ({"uid": "u-listed"}, True),
        ({"uid": "u2", "email": "boss@shop.example", "email_verified": True}, True),
        ({"uid": "u2", "email": "boss@shop.example", "email_verified": False}, False),
        ({"uid": "u2", "email": "boss@shop.example"}, False),
        ({"staff": True}, False),  # no uid: not a verified identity
        ({"sub": "u-listed"}, True),
    ],
)
def test_staff_is_the_claim_or_the_list(claims: dict[str, Any], staff: bool) -> None:
    assert (staff_member(claims, LISTED) is not None) is staff


def test_a_malformed_staff_document_is_an_empty_list() -> None:
    assert StaffList.from_document({"uids": "u1", "emails": {"a": 1}}) == StaffList()
    assert StaffList.from_document(None) == StaffList()
    assert LISTED.uids == frozenset({"u-listed"})


def test_the_console_words_have_the_same_keys_in_french_and_english() -> None:
    words = catalog()
    assert set(LANGUAGES) == {"fr", "en"}
    assert set(words["fr"]) == set(words["en"])
    assert all(words["fr"].values())
    assert all(words["en"].values())
