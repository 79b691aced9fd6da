"""SMS encoding, segments and cost: GSM-7 (extension table counts double) vs UCS-2."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.rules.sms import (
    DEFAULT_SMS_PRICE_USD,
    GSM7_BASIC,
    GSM7_EXTENSION,
    SMS_PRICE_USD,
    Cost,
    SmsInfo,
    analyze,
    estimate_cost,
    is_gsm7,
    to_gsm7,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo("GSM-7", 1, 0)),
        ("Bonjour", SmsInfo("GSM-7", 1, 7)),
        ("a" * 160, SmsInfo("GSM-7", 1, 160)),
        ("a" * 161, SmsInfo("GSM-7", 2, 161)),
        ("a" * 306, SmsInfo("GSM-7", 2, 306)),
        ("a" * 307, SmsInfo("GSM-7", 3, 307)),
        ("€" * 80, SmsInfo("GSM-7", 1, 160)),  # extension characters take two units
        ("€" * 81, SmsInfo("GSM-7", 2, 162)),
        (
            "Réparé à 18h, où? Ça va: {ok} [1] ~ | \\ ^",
            SmsInfo("GSM-7", 1, 49),
        ),  # 41 chars, 8 of them doubled
        ("Prêt", SmsInfo("UCS-2", 1, 4)),  # ê is not GSM-7
        ("ç", SmsInfo("UCS-2", 1, 1)),  # only the capital Ç is
        ("ê" * 70, SmsInfo("UCS-2", 1, 70)),
        ("ê" * 71, SmsInfo("UCS-2", 2, 71)),
        ("ê" * 134, SmsInfo("UCS-2", 2, 134)),
        ("ê" * 135, SmsInfo("UCS-2", 3, 135)),
        ("👍", SmsInfo("UCS-2", 1, 2)),  # a surrogate pair: two UTF-16 units
        ("👍" * 35, SmsInfo("UCS-2", 1, 70)),
        ("👍" * 36, SmsInfo("UCS-2", 2, 72)),
    ],
)
def test_encoding_segments_and_units(text: str, expected: SmsInfo) -> None:
    assert analyze(text) == expected


def test_an_escape_pair_is_never_split_between_segments() -> None:
    # 152 plain characters then a euro sign: the pair does not fit in segment 1's last unit
    text = "a" * 152 + "€" + "a" * 10
    info = analyze(text)
    assert info.units == 164
    assert info.segments == 2
    text = "a" * 152 + "€" + "a" * 152  # 306 units, yet the pair pushes one unit over
    assert analyze(text).units == 306
    assert analyze(text).segments == 3


def test_a_surrogate_pair_is_never_split_between_segments() -> None:
    text = "ê" * 66 + "👍" + "ê" * 66  # 134 units but the emoji straddles the first boundary
    assert analyze(text).units == 134
    assert analyze(text).segments == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prêt à être récupéré", "Pret à etre récupéré"),
        ("Garçon Œuvre cœur", "Garcon OEuvre coeur"),
        ("“Bonjour” – l’atelier…", '"Bonjour" - l\'atelier...'),
        ("Zoë Ngũgĩ", "Zoe Ngugi"),
        ("Hello 👋 there", "Hello  there"),
        ("Réparé à 18h, où? Ça va", "Réparé à 18h, où? Ça va"),
    ],
)
def test_to_gsm7_keeps_what_gsm_carries_and_approximates_the_rest(text: str, expected: str) -> None:
    assert to_gsm7(text) == expected
    assert is_gsm7(to_gsm7(text))


@pytest.mark.parametrize(
    ("segments", "where", "expected"),
    [
        (1, "FR", Cost(SMS_PRICE_USD["FR"], "USD")),
        (2, "+33612345678", Cost(round(2 * SMS_PRICE_USD["FR"], 4), "USD")),
        (1, "+254712345678", Cost(SMS_PRICE_USD["KE"], "USD")),
        (3, "ke", Cost(round(3 * SMS_PRICE_USD["KE"], 4), "USD")),
        (1, "whatsapp:+254712345678", Cost(SMS_PRICE_USD["KE"], "USD")),
        (1, "ZZ", Cost(DEFAULT_SMS_PRICE_USD, "USD")),
        (1, "not a place", Cost(DEFAULT_SMS_PRICE_USD, "USD")),
        (0, "FR", Cost(0.0, "USD")),
    ],
)
def test_cost_estimates_come_from_the_price_table(
    segments: int, where: str, expected: Cost
) -> None:
    assert estimate_cost(segments, where) == expected


_GSM_CHARS = sorted(GSM7_BASIC | GSM7_EXTENSION)


def _reference_segments(sizes: list[int], single: int, multi: int) -> int:
    units = sum(sizes)
    if units <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


@given(st.text(alphabet=st.sampled_from(_GSM_CHARS), max_size=700))
def test_gsm7_texts_follow_the_160_153_rule(text: str) -> None:
    info = analyze(text)
    sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    assert info.encoding == "GSM-7"
    assert info.units == sum(sizes)
    assert info.segments == _reference_segments(sizes, 160, 153)
    if info.units <= 160:
        assert info.segments == 1
    else:  # never fewer than a perfect packing, at most one pair's worth of waste per segment
        assert math.ceil(info.units / 153) <= info.segments <= math.ceil(info.units / 152)


@given(st.text(min_size=1, max_size=300).filter(lambda t: not is_gsm7(t)))
def test_other_texts_are_ucs2_with_the_70_67_rule(text: str) -> None:
    info = analyze(text)
    units = len(text.encode("utf-16-le")) // 2
    assert info.encoding == "UCS-2"
    assert info.units == units
    if units <= 70:
        assert info.segments == 1
    else:
        assert math.ceil(units / 67) <= info.segments <= math.ceil(units / 66)


@given(st.text(max_size=200))
def test_to_gsm7_always_gives_gsm7(text: str) -> None:
    assert analyze(to_gsm7(text)).encoding == "GSM-7"
