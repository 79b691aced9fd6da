"""Keyword detection: what an inbound text asks for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.rules.keywords import (
    HELP_KEYWORDS,
    KEYWORDS,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    Intent,
    asks_status,
    detect,
    keyword_intent,
    normalize_keyword,
    ticket_number_candidates,
)

# Every word of keywords.toml, written out again here so that a word dropped from (or slipped into)
# the data file fails a test: Twilio's defaults (help.twilio.com "Twilio support for opt-out
# keywords", the Advanced Opt-Out tutorial), then the French and Swahili choices.
EXPECTED_WORDS: dict[str, Intent] = {
    **dict.fromkeys(
        ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"],
        Intent.OPT_OUT,
    ),
    **dict.fromkeys(["START", "UNSTOP"], Intent.OPT_IN),
    **dict.fromkeys(["HELP", "INFO"], Intent.HELP),
    **dict.fromkeys(
        [
            "ARRÊT",
            "ARRÊTER",
            "DÉSABONNER",
            "DÉSABONNEMENT",
            "DÉSABONNEZ-MOI",
            "DÉSINSCRIRE",
            "DÉSINSCRIPTION",
            "DÉSINSCRIVEZ-MOI",
        ],
        Intent.OPT_OUT,
    ),
    "AIDE": Intent.HELP,
    **dict.fromkeys(
        ["ACHA", "SITISHA", "ONDOA", "NIONDOE", "SIMAMISHA", "KOMESHA"], Intent.OPT_OUT
    ),
    "MSAADA": Intent.HELP,
}
# How customers type them: case, accents dropped or kept, emoji, variation selectors, skin
# tones, zero-width characters, full-width letters, punctuation.
DECORATIONS = [
    "{upper}",
    "{lower}",
    "{title}",
    " {lower}. ",
    "{upper} ❤️",
    "{upper}\ufe0f",
    "{lower} 🙏🏽",
    "\u200b{upper}\u00a0",
    "«{title}»",
    "{lower}!!!",
    "{upper} 👍🏻\u200d",
]


def _decorated(word: str) -> list[str]:
    title = word.replace("-", " ").title()
    return [d.format(upper=word, lower=word.lower(), title=title) for d in DECORATIONS]


def test_the_data_file_holds_exactly_the_expected_words() -> None:
    assert {normalize_keyword(w): i for w, i in EXPECTED_WORDS.items()} == {
        w: i for w, (i, _) in KEYWORDS.items()
    }
    assert "YES" not in KEYWORDS  # a decision: see keywords.toml
    assert not (OPT_OUT_KEYWORDS & OPT_IN_KEYWORDS)
    assert {"HELP", "INFO", "AIDE", "MSAADA"} == HELP_KEYWORDS


@pytest.mark.parametrize(("word", "intent"), sorted(EXPECTED_WORDS.items()))
def test_each_keyword_is_recognized_however_it_is_typed(word: str, intent: Intent) -> None:
    for text in _decorated(word):
        found = keyword_intent(text)
        assert found is not None, text
        assert found.intent is intent, text
        assert found.keyword == normalize_keyword(word), text


@pytest.mark.parametrize("word", sorted(EXPECTED_WORDS))
def test_each_keyword_inside_a_sentence_is_not_a_keyword(word: str) -> None:
    assert keyword_intent(f"{word} s'il vous plaît") is None
    assert keyword_intent(f"please {word.lower()} the repair") is None


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
        ("STOP ❤️", "STOP"),  # the samples: emoji and a variation selector after it
        ("STOP\ufe0f", "STOP"),
        ("revoke", "REVOKE"),
        ("Désinscrire", "DESINSCRIRE"),
        ("desabonner", "DESABONNER"),
        ("Acha!", "ACHA"),
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
    for word in OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS:
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
    assert detect("whatever", opt_out_type="HELP").intent is Intent.HELP


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
