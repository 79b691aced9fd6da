"""SMS encoding, segment counting and cost estimates.

GSM 03.38: a text made only of the basic table's characters is sent as GSM-7, where the
extension table's characters (``^{}\\[~]|€`` and form feed) take two units (escape + char). A
single message holds 160 units; a concatenated one 153 per segment (the rest is the UDH), and an
escape pair is never split across two segments. Anything else is UCS-2: 70 UTF-16 code units in
one message, 67 per segment, and a character as the reader sees it (an emoji with its skin tone
or its zero-width-joined parts, a flag, a letter with its combining accents) is never split
across two segments. That is what Twilio's message segment calculator counts
(``TwilioDevEd/message-segment-calculator``; its examples are a test corpus here).

``to_gsm7`` rewrites a value for an SMS the way Twilio's Smart Encoding does, with the very map
Twilio publishes (``SMART_ENCODING``: typographic quotes, dashes, bullets, fractions,
full-width forms...), and two rules of ours:

- a character the map does not know but whose letters GSM-7 has without their accent is
  written without it (``ê`` -> ``e``, ``ç`` -> ``c``, ``ũ`` -> ``u``);
- emoji (with their variation selectors, skin tones, joiners, keycaps, flags) are removed, and
  the spaces around them closed up (``"Marie 😊 Curie"`` -> ``"Marie Curie"``): one emoji in a
  name would turn the whole SMS into UCS-2, at two to three times the price, for a picture.

Nothing else is ever dropped: a character that cannot be mapped (another script, ``∑``...) is
kept, and ``analyze`` then says the message is UCS-2. Spaces of every kind become one space
(Twilio writes two for a no-break space, seven for a tab). The text is composed (NFC) first,
so a decomposed ``e`` + combining circumflex is ``ê`` (then ``e``), where Twilio, character by
character, would write ``e^``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

# Twilio's Smart Encoding map (message-segment-calculator ``src/libs/SmartEncodingMap.ts``),
# written as replacement -> the characters Twilio replaces with it. Spaces: see the docstring.
_SMART_GROUPS: tuple[tuple[str, str], ...] = (
    ('"', "«»“”ʺˮ‟„❝❞〝〞＂"),
    ("'", "‘’ʻˈʼʽʹ‛＇\u00b4ˊ\u0060ˋ❛❜\u0313\u0314︐︑"),
    ("/", "÷⧸\u0337\u0338⁄∕／"),
    ("1/4", "¼"),
    ("1/2", "½"),
    ("3/4", "¾"),
    ("\\", "⧹⧵\u20e5﹨＼"),
    ("_", "\u0332＿‗"),
    ("|", "\u20d2\u20d3∣｜⎸⎹⏐⎜⎟"),
    ("-", "⎼⎽―﹣－‐⁃—–•"),
    ("@", "﹫＠"),
    ("$", "﹩＄"),
    ("!", "ǃ︕﹗！"),
    ("#", "﹟＃"),
    ("%", "﹪％"),
    ("&", "﹠＆"),
    (",", "‚\u0326﹐﹑，､、"),
    ("(", "❨❪﹙（⟮⦅"),
    (")", "❩❫﹚）⟯⦆"),
    ("*", "⁎∗⊛✢✣✤✥✱✲✳✺✻✼✽❃❉❊❋⧆﹡＊"),
    ("+", "\u02d6﹢＋"),
    (".", "。﹒．｡"),
    *((str(d), chr(0xFF10 + d)) for d in range(10)),  # full-width digits
    (":", "ː\u02f8⦂\ua789︓："),
    (";", "⁏︔﹔；"),
    ("<", "﹤＜›"),  # sic: Twilio writes U+203A (pointing right) as "<"
    ("=", "\u0347\ua78a﹦＝"),
    (">", "﹥＞‹"),  # and U+2039 as ">"
    ("?", "︖﹖？"),
    *((chr(0x41 + i), chr(0xFF21 + i) + small) for i, small in enumerate("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘ")),
    ("Q", "Ｑ"),
    *((chr(0x52 + i), chr(0xFF32 + i) + small) for i, small in enumerate("ʀꜱᴛᴜᴠᴡ")),
    ("X", "Ｘ"),
    ("Y", "Ｙʏ"),
    ("Z", "Ｚᴢ"),
    ("^", "ˆ\u0302\uff3e\u1dcd"),
    ("{", "❴﹛｛"),
    ("}", "❵﹜｝"),
    ("[", "［"),
    ("]", "］"),
    ("~", "\u02dc\u02f7\u0303\u0330\u0334∼～"),
    (" ", "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"),
    (" ", "\u202f\u205f\u3000\u2028\u2029\u0080\u008d\u0090\u009b\u009f\t"),
    ("", "\u0000\u0003\u0004\u0010\u0011\u0012\u0013\u0014\u0017\u0019\u200b\u2060\ufeff"),
    ("!!", "‼"),
    ("...", "…"),
)
SMART_ENCODING: dict[str, str] = {ch: to for to, chars in _SMART_GROUPS for ch in chars}

# Our own additions, for characters Twilio's map leaves as they are.
_EXTRA = {
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00b0": "o",
    "\u2212": "-",
    "\u2032": "'",
    "\u00ae": "(R)",
    "\u00a9": "(C)",
}
_ZWJ = "\u200d"
_SPACES = re.compile(r" {2,}")


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


def _is_emoji_part(ch: str) -> bool:
    """What an emoji is drawn with but carries no word: variation selectors, the keycap, skin
    tones, tag characters (subdivision flags)."""
    cp = ord(ch)
    return cp in (0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _is_pictograph(ch: str) -> bool:
    """An emoji's picture: a symbol of the emoji blocks (pictographs, dingbats, flags' regional
    indicators, stars and arrows, clocks)."""
    cp = ord(ch)
    return unicodedata.category(ch) == "So" and (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2300 <= cp <= 0x23FF
        or cp in (0x3030, 0x303D, 0x3297, 0x3299)
    )


def _clusters(text: str) -> Iterator[str]:
    """The characters as a reader sees them: a base with its combining marks, an emoji with
    its modifiers and zero-width-joined parts, a flag's two regional indicators."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        if text[i] not in "\r\n":
            while j < n:
                ch = text[j]
                if unicodedata.category(ch)[0] == "M" or _is_emoji_part(ch):
                    j += 1
                elif ch == _ZWJ and j + 1 < n:
                    j += 2
                elif j == i + 1 and _is_regional(text[i]) and _is_regional(ch):
                    j += 1
                else:
                    break
        yield text[i:j]
        i = j


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _unit_sizes(text: str) -> tuple[Encoding, list[int]]:
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "UCS-2", [len(c.encode("utf-16-le")) // 2 for c in _clusters(text)]


@lru_cache(maxsize=1024)
def analyze(text: str) -> SmsInfo:
    """Encoding, segments and units of ``text``. An empty text is one (empty) segment.

    Pure, so the last answers are kept: the templates fit a text to one segment, the planner
    estimates it and delivery records it, each asking about the same words."""
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


def _gsm7_char(ch: str) -> str:
    """One character as GSM-7 writes it, or itself when GSM-7 cannot."""
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    if ch in SMART_ENCODING:
        return SMART_ENCODING[ch]
    if ch in _EXTRA:
        return _EXTRA[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and base != ch:
        # The letter under the accent may itself need the map (NFC made "∤" of "∣" and a
        # combining overlay: "∣" is Smart Encoding's "|"). NFKD is idempotent: one level deep.
        mapped = "".join(_gsm7_char(c) for c in base)
        if is_gsm7(mapped):
            return mapped
    return ch


def to_gsm7(text: str) -> str:
    """``text`` rewritten for GSM-7 as far as it can be (see the module docstring): Twilio's
    Smart Encoding map, accents GSM-7 lacks dropped, emoji removed; any other character that
    GSM-7 cannot carry is kept (the message is then UCS-2), never deleted."""
    out: list[str] = []
    dropped = False
    in_emoji = False
    for ch in unicodedata.normalize("NFC", text):
        if ch not in SMART_ENCODING and (
            _is_pictograph(ch) or _is_emoji_part(ch) or (ch == _ZWJ and in_emoji)
        ):
            dropped = in_emoji = True
            continue
        in_emoji = False
        if ch not in SMART_ENCODING and unicodedata.combining(ch) and out and out[-1] in GSM7_BASIC:
            continue  # an accent NFC could not put on its letter (Ḛ́): GSM-7 has neither
        out.append(_gsm7_char(ch))
    result = "".join(out)
    if dropped:  # close up the spaces the emoji stood between
        result = _SPACES.sub(" ", result)
        if not text[:1].isspace():
            result = result.lstrip(" ")
        if not text[-1:].isspace():
            result = result.rstrip(" ")
    return result


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
        import phonenumbers  # noqa: PLC0415 - tens of ms at import: only a number's price needs it

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
