"""Keyword detection: what an inbound text asks for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.rules.keywords import (
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    Intent,
    asks_status,
    detect,
    keyword_intent,
    normalize_keyword,
    ticket_number_candidates,
)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", "STOP"),
        ("stop", "STOP"),
        ("Stop!", "STOP"),
        ("  stop.  ", "STOP"),
        ("«STOP»", "STOP"),
        ("stop 🙏", "STOP"),
        ("\u200bSTOP\u00a0", "STOP"),
        ("ＳＴＯＰ", "STOP"),
        ("Arrêt", "ARRET"),
        ("ARRÊT", "ARRET"),
        ("arret", "ARRET"),
        ("Arrêt !!!", "ARRET"),
        ("STOPALL", "STOPALL"),
        ("unsubscribe", "UNSUBSCRIBE"),
        ("Cancel", "CANCEL"),
        ("end", "END"),
        ("QUIT?", "QUIT"),
        ("optout", "OPTOUT"),
        ("OptOut.", "OPTOUT"),
    ],
)
def test_opt_out_keywords_match_whatever_the_case_accents_and_punctuation(
    text: str, keyword: str
) -> None:
    found = keyword_intent(text)
    assert found is not None
    assert found.intent is Intent.OPT_OUT
    assert found.keyword == keyword


@pytest.mark.parametrize("text", ["START", "start", " Start! ", "UNSTOP", "unstop."])
def test_start_and_unstop_opt_back_in(text: str) -> None:
    found = keyword_intent(text)
    assert found is not None
    assert found.intent is Intent.OPT_IN


@pytest.mark.parametrize(
    "text",
    [
        "stop please",
        "please stop",
        "STOP ALL",
        "don't stop",
        "stopped",
        "arrêtez",
        "yes",
        "YES",
        "oui",
        "",
        None,
        "start the repair please",
        "s t o p",
    ],
)
def test_sentences_and_other_words_are_not_keywords(text: str | None) -> None:
    assert keyword_intent(text) is None


def test_every_listed_keyword_is_its_own_normal_form() -> None:
    for word in OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS:
        assert normalize_keyword(word) == word
        assert normalize_keyword(word.lower() + "!") == word


@pytest.mark.parametrize(
    "text",
    [
        "statut",
        "Statut ?",
        "status",
        "What's the status of my order?",
        "où en est ma réparation",
        "Ou en est ma reparation ?",
        "OÙ EN EST MA COMMANDE",
        "Bonjour, où en sont mes réparations ?",
        "where is my order",
        "Where's my phone?",
    ],
)
def test_status_questions_are_recognized(text: str) -> None:
    assert asks_status(text)
    assert detect(text).intent is Intent.STATUS


@pytest.mark.parametrize(
    "text", ["Bonjour", "Merci beaucoup !", "Can I come at 5pm?", "statutaire", "", None]
)
def test_other_messages_are_for_a_person(text: str | None) -> None:
    assert not asks_status(text)
    assert detect(text).intent is Intent.MESSAGE


def test_twilio_opt_out_type_wins_over_the_text() -> None:
    assert detect("whatever", opt_out_type="STOP").intent is Intent.OPT_OUT
    assert detect("whatever", opt_out_type="START").intent is Intent.OPT_IN
    assert detect("stop", opt_out_type="HELP").intent is Intent.OPT_OUT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T123", ["T123"]),
        ("statut #t42 ?", ["t42"]),
        ("ticket 2024-0017 please", ["2024-0017"]),
        ("no digits here", []),
        ("A1 A1 B2", ["A1", "B2"]),
        ("1 2 3", []),
        (None, []),
    ],
)
def test_ticket_number_candidates_have_a_digit(text: str | None, expected: list[str]) -> None:
    assert ticket_number_candidates(text) == expected


@given(st.text(max_size=200))
def test_detection_never_raises_on_any_text(text: str) -> None:
    assert detect(text).intent in set(Intent)
    assert len(ticket_number_candidates(text)) <= 5
