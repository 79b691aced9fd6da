"""SMS encoding, segment counting and cost estimates.

GSM 03.38: a text made only of the basic table's characters is sent as GSM-7, where the
extension table's characters (``^{}\\[~]|€`` and form feed) take two units (escape + char). A
single message holds 160 units; a concatenated one 153 per segment (the rest is the UDH), and an
escape pair is never split across two segments. Anything else is UCS-2: 70 UTF-16 code units in
one message, 67 per segment, a surrogate pair (emoji) never split.

``to_gsm7`` rewrites text to GSM-7 (typographic quotes, ``ê`` -> ``e``...) the way Twilio's
"smart encoding" does; templates apply it to user data in SMS bodies.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\t": " ",
    "\u00e7": "c",  # lowercase c cedilla is not GSM-7 (only the capital is)
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00b0": "o",
}


@dataclass(frozen=True)
class SmsInfo:
    """How a text travels as SMS: its encoding, segment count and units (septets or UTF-16)."""

    encoding: Encoding
    segments: int
    units: int


@dataclass(frozen=True)
class Cost:
    """An estimated price."""

    amount: float
    currency: str


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _unit_sizes(text: str) -> tuple[Encoding, list[int]]:
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def analyze(text: str) -> SmsInfo:
    """Encoding, segments and units of ``text``. An empty text is one (empty) segment."""
    encoding, sizes = _unit_sizes(text)
    units = sum(sizes)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    if units <= single:
        return SmsInfo(encoding=encoding, segments=1, units=units)
    segments, used = 1, 0
    for size in sizes:  # characters are never split between segments
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return SmsInfo(encoding=encoding, segments=segments, units=units)


def to_gsm7(text: str) -> str:
    """``text`` with every character GSM-7 can carry kept and the others approximated.

    Accents outside the table are dropped (``ê`` -> ``e``), typographic punctuation becomes
    ASCII, and what has no approximation (emoji, other scripts) is removed.
    """
    out: list[str] = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            continue
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in base):
            out.append(base)
    return "".join(out)


# Estimates, USD per outbound segment, from Twilio's public price pages as of 2025-06. Prices
# change and depend on the carrier; history records these as estimates, the provider's callback
# (when it reports a price) wins.
SMS_PRICE_USD: dict[str, float] = {
    "FR": 0.0798,
    "KE": 0.2000,
    "BE": 0.0963,
    "CH": 0.0700,
    "DE": 0.0994,
    "ES": 0.0835,
    "GB": 0.0524,
    "IT": 0.0880,
    "UG": 0.2000,
    "TZ": 0.2000,
    "US": 0.0083,
    "CA": 0.0083,
}
DEFAULT_SMS_PRICE_USD = 0.1000


def price_region(country_or_e164: str) -> str | None:
    """``"FR"`` -> ``"FR"``; ``"+254712345678"`` -> ``"KE"``; anything else -> None."""
    value = country_or_e164.strip()
    if value.lower().startswith("whatsapp:"):
        value = value[len("whatsapp:") :]
    if value.startswith("+"):
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(value, None))
        except phonenumbers.NumberParseException:
            return None
        return region if region and region != "ZZ" else None
    return value.upper() if len(value) == 2 and value.isalpha() else None


def estimate_cost(segments: int, country_or_e164: str) -> Cost:
    """Estimated price of ``segments`` SMS segments to a country (code or an E.164 number)."""
    region = price_region(country_or_e164)
    price = SMS_PRICE_USD.get(region or "", DEFAULT_SMS_PRICE_USD)
    return Cost(amount=round(max(segments, 0) * price, 4), currency="USD")


def min_segments(units: int, encoding: Encoding) -> int:
    """The fewest segments ``units`` can take (packing may need one more for escape pairs)."""
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    return 1 if units <= single else math.ceil(units / multi)
