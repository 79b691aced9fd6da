"""Phone numbers as people type them -> E.164, with the kind of line (mobile or not).

Built on ``phonenumbers``. The country used for numbers written without a country code is the
customer's (``country``), else ``default_country`` (``DEFAULT_COUNTRY``).

Decisions:

- Any *valid* number is accepted, whatever its country (a French shop's customer may have a
  Belgian or British mobile): the cascade only needs validity and "can it get SMS/WhatsApp".
  Callers that want to restrict regions pass ``allowed_regions`` and get ``UnsupportedPhoneError``.
- Letters are rejected (no vanity numbers, no ``ext.``): in a shop's data they mean a typo or a
  note typed in the phone field.
- ``FIXED_LINE_OR_MOBILE`` (the US and a few others cannot tell) counts as mobile-capable.
- When the number does not parse as national for the region, two common slips are retried: a
  ``00`` international prefix (not every region's exit code) and a country code typed without
  ``+`` (``33612345678``, ``254712345678``).
- France's overseas departments and collectivities share the French 10-digit plan
  (``FRENCH_PLAN``): ``0692 12 34 56`` typed in a French shop is Réunion's ``+262692123456``.
  A national number of a region of that plan is read in each of its regions (libphonenumber's
  metadata decides which readings are valid); a mobile or landline reading of an overseas
  region wins over metropolitan France's, whose metadata also accepts a few ranges the plan
  gives overseas (``0263``/``0268``/``0269``, ``0596``...), else the customer's own region's.
- Typographic characters are read as what they stand for first (``to_ascii``): other scripts'
  and full-width digits, the full-width ``＋``, dashes and non-breaking hyphens, every kind of
  space and tab; invisible ones (zero-width, direction marks) are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from types import ModuleType
from typing import TYPE_CHECKING

from shared.platform.errors import InvalidInputError
from shared.platform.masking import mask_phone

if TYPE_CHECKING:
    import phonenumbers

# ``phonenumbers`` costs tens of milliseconds at import: it is imported where a number is first
# parsed (``_lib``), so an instance whose first request parses none (a status callback, an email)
# never pays for it.

__all__ = [
    "EmptyPhoneError",
    "InvalidPhoneError",
    "PhoneError",
    "PhoneKind",
    "PhoneNumber",
    "UnsupportedPhoneError",
    "from_whatsapp_address",
    "mask_phone",
    "normalize_phone",
    "phone_variants",
    "to_ascii",
    "to_whatsapp_address",
]

WHATSAPP_PREFIX = "whatsapp:"
MAX_VARIANTS = 30  # Firestore ``in`` queries take at most 30 values
_ALLOWED = re.compile(r"^[0-9+().\-/\s]+$")
# The regions of the French numbering plan (same trunk prefix "0", ten digits): metropolitan
# France first, then the overseas ones libphonenumber knows.
FRENCH_PLAN = ("FR", "RE", "YT", "GP", "BL", "MF", "MQ", "GF", "PM")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d")


class PhoneError(InvalidInputError):
    """A phone number that cannot be used; the message says why."""


class EmptyPhoneError(PhoneError):
    """The phone field is empty or blank."""


class InvalidPhoneError(PhoneError):
    """Not a valid number: letters, too short, too long, or no such number in its region."""


class UnsupportedPhoneError(PhoneError):
    """A valid number from a region the caller does not serve (``allowed_regions``)."""


class PhoneKind(StrEnum):
    """What kind of line a number is, as far as the numbering plan tells."""

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    VOIP = "voip"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    PERSONAL_NUMBER = "personal_number"
    OTHER = "other"


@cache
def _lib() -> ModuleType:
    import phonenumbers  # noqa: PLC0415 - see above

    return phonenumbers


@cache
def _kinds() -> dict[int, PhoneKind]:
    types = _lib().PhoneNumberType
    return {
        types.MOBILE: PhoneKind.MOBILE,
        types.FIXED_LINE: PhoneKind.FIXED_LINE,
        types.FIXED_LINE_OR_MOBILE: PhoneKind.FIXED_LINE_OR_MOBILE,
        types.VOIP: PhoneKind.VOIP,
        types.TOLL_FREE: PhoneKind.TOLL_FREE,
        types.PREMIUM_RATE: PhoneKind.PREMIUM_RATE,
        types.SHARED_COST: PhoneKind.SHARED_COST,
        types.PERSONAL_NUMBER: PhoneKind.PERSONAL_NUMBER,
    }


@dataclass(frozen=True)
class PhoneNumber:
    """A valid number in E.164 (``+33612345678``), its region (``FR``) and line kind."""

    e164: str
    region: str | None
    kind: PhoneKind

    @property
    def is_mobile(self) -> bool:
        """Whether it can receive SMS and WhatsApp (landlines, VoIP, toll-free cannot)."""
        return self.kind in (PhoneKind.MOBILE, PhoneKind.FIXED_LINE_OR_MOBILE)

    @property
    def whatsapp_address(self) -> str:
        return to_whatsapp_address(self.e164)

    @property
    def masked(self) -> str:
        return mask_phone(self.e164)


def to_whatsapp_address(e164: str) -> str:
    """``+33612345678`` -> ``whatsapp:+33612345678`` (already prefixed stays as is)."""
    value = e164.strip()
    if value.lower().startswith(WHATSAPP_PREFIX):
        value = value[len(WHATSAPP_PREFIX) :]
    return WHATSAPP_PREFIX + value


def from_whatsapp_address(addr: str) -> str:
    """``whatsapp:+33612345678`` -> ``+33612345678``; a bare number is returned stripped."""
    value = addr.strip()
    if value.lower().startswith(WHATSAPP_PREFIX):
        value = value[len(WHATSAPP_PREFIX) :].strip()
    return value


def to_ascii(text: str) -> str:
    """What a phone field holds, with typographic characters as the ASCII they stand for: any
    decimal digit (full-width, Arabic-Indic...) -> ``0-9``, dashes -> ``-``, spaces and tabs ->
    `` ``, invisible format characters removed, the rest compatibility-folded (``＋`` -> ``+``)."""
    out: list[str] = []
    for ch in text:
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch in _DASHES:
            out.append("-")
        elif ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) == "Cf":  # zero-width space, joiners, direction marks
            continue
        else:
            out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out)


def _region(code: str | None) -> str | None:
    if not code:
        return None
    upper = code.strip().upper()
    return upper if upper in _lib().SUPPORTED_REGIONS else None


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number: phonenumbers.PhoneNumber = _lib().parse(text, region)
    except _lib().NumberParseException:
        return None
    return number


def _why_invalid(number: phonenumbers.PhoneNumber | None, raw: str, region: str | None) -> str:
    if number is None:
        if raw.lstrip().startswith("+"):
            return f"{raw!r} does not start with a known country code"
        if region is None:
            return f"{raw!r} has no country code and no valid default country"
        return f"{raw!r} is not a phone number"
    reason = _lib().is_possible_number_with_reason(number)
    where = _lib().region_code_for_country_code(number.country_code or 0)
    if reason == _lib().ValidationResult.INVALID_COUNTRY_CODE:
        return f"{raw!r} has an unknown country code +{number.country_code}"
    if reason == _lib().ValidationResult.TOO_SHORT:
        return f"{raw!r} is too short for a number of region {where}"
    if reason == _lib().ValidationResult.TOO_LONG:
        return f"{raw!r} is too long for a number of region {where}"
    return f"{raw!r} is not a valid number for region {where}"


def normalize_phone(
    raw: str,
    country: str | None,
    default_country: str = "FR",
    *,
    allowed_regions: Collection[str] | None = None,
) -> PhoneNumber:
    """What a person typed -> a valid ``PhoneNumber``; raises a ``PhoneError`` saying why not.

    ``whatsapp:`` addresses are accepted. Normalizing an E.164 gives itself. A pure function
    of its arguments, so the last answers are kept: a message's number is parsed by the cascade
    and again by the planner (its country), and once is enough.
    """
    allowed = frozenset(r.upper() for r in allowed_regions) if allowed_regions is not None else None
    return _normalize(raw, country, default_country, allowed)


@lru_cache(maxsize=1024)
def _normalize(
    raw: str, country: str | None, default_country: str, allowed_regions: frozenset[str] | None
) -> PhoneNumber:
    text = to_ascii(from_whatsapp_address(raw or "")).strip()
    if not text:
        raise EmptyPhoneError("the phone number is empty")
    if any(ch.isalpha() for ch in text):
        raise InvalidPhoneError(f"{text!r} contains letters")
    if not _ALLOWED.match(text):
        raise InvalidPhoneError(f"{text!r} contains characters that are not part of a number")
    digits = re.sub(r"\D", "", text)
    if len(digits) < 4:
        raise InvalidPhoneError(f"{text!r} is too short to be a phone number")
    region = _region(country) or _region(default_country)

    first = _parse(text, region)
    number = first
    if region in FRENCH_PLAN and not text.startswith("+"):
        number = _french_plan_reading(text, region) or first
    if (number is None or not _lib().is_valid_number(number)) and not text.startswith("+"):
        for retry in _retries(digits):
            candidate = _parse(retry, None)
            if candidate is not None and _lib().is_valid_number(candidate):
                number = candidate
                break
    if number is None or not _lib().is_valid_number(number):
        raise InvalidPhoneError(_why_invalid(first, text, region))

    number_region = _lib().region_code_for_number(number)
    if allowed_regions is not None and number_region not in allowed_regions:
        raise UnsupportedPhoneError(f"numbers of region {number_region} are not served")
    kind = _kinds().get(_lib().number_type(number), PhoneKind.OTHER)
    e164 = _lib().format_number(number, _lib().PhoneNumberFormat.E164)
    return PhoneNumber(e164=e164, region=number_region, kind=kind)


@cache
def _geographic() -> frozenset[int]:
    types = _lib().PhoneNumberType
    return frozenset({types.MOBILE, types.FIXED_LINE, types.FIXED_LINE_OR_MOBILE})


def _french_plan_reading(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The valid reading of a number written in the French plan, from a region of that plan.

    Read in the customer's region, then in every other region of the plan. The customer's own
    region's reading wins, but for a metropolitan landline reading that an overseas region reads
    as a landline or mobile too (the plan gives those ranges overseas even where France's
    metadata accepts them); a number valid only elsewhere in the plan is read there, as a
    mobile or landline first.
    """
    readings: list[tuple[str, phonenumbers.PhoneNumber]] = []
    digits = re.sub(r"\D", "", text)
    # Another region of the plan only for a number written the plan's way: its trunk "0", or
    # the nine digits after it. A short entry ("75.12.34") is not guessed into Saint-Pierre.
    elsewhere = digits.startswith("0") or len(digits) == 9
    for candidate in (region, *(r for r in FRENCH_PLAN if r != region and elsewhere)):
        number = _parse(text, candidate)
        if number is not None and _lib().is_valid_number(number):
            readings.append((candidate, number))
    if not readings:
        return None
    own = readings[0][1] if readings[0][0] == region else None
    overseas = [n for r, n in readings if r != "FR" and _lib().number_type(n) in _geographic()]
    if own is None:
        return overseas[0] if overseas else readings[0][1]
    if region == "FR" and overseas and _lib().number_type(own) in _geographic():
        return overseas[0]
    return own


def _retries(digits: str) -> list[str]:
    """International readings of a number that did not parse as national."""
    if digits.startswith("00"):
        return ["+" + digits[2:]]
    if not digits.startswith("0"):
        return ["+" + digits]
    return []


def phone_variants(e164: str) -> list[str]:
    """How people commonly type this number, for an ``in`` query on as-typed phone fields.

    E.164 first, at most ``MAX_VARIANTS`` distinct strings. A value that does not parse as a
    number gives just itself (an inbound sender can be a short code or an alphanumeric id).
    """
    value = from_whatsapp_address(e164)
    number = _parse(value, None) if value.startswith("+") else None
    if number is None:
        return [value] if value else []
    cc = str(number.country_code)
    nsn = _lib().national_significant_number(number)
    national = _lib().format_number(number, _lib().PhoneNumberFormat.NATIONAL)
    international = _lib().format_number(number, _lib().PhoneNumberFormat.INTERNATIONAL)
    national_digits = re.sub(r"\D", "", national)
    intl_groups = international.removeprefix(f"+{cc}").strip()

    out: list[str] = []

    def add(*items: str) -> None:
        for item in items:
            if item and item not in out and len(out) < MAX_VARIANTS:
                out.append(item)

    e164_norm = f"+{cc}{nsn}"
    add(e164_norm, f"{cc}{nsn}", f"00{cc}{nsn}", national_digits, national, international)
    if "(" not in national:
        for sep in (".", "-", ""):
            add(national.replace(" ", sep))
    add(*(" ".join(g) for g in _groupings(national_digits)))
    add(nsn, f"+{cc} {nsn}", *(f"+{cc} " + " ".join(g) for g in _groupings(nsn)))
    add(f"+{cc} {intl_groups}".replace(" ", "."))
    add(f"+{cc}-{intl_groups.replace(' ', '-')}", f"00{cc} {intl_groups}", f"{cc} {intl_groups}")
    if national_digits != nsn:  # a trunk prefix exists: "+33 (0)6 12 34 56 78"
        trunk = national_digits[: len(national_digits) - len(nsn)]
        add(f"+{cc} ({trunk}){intl_groups}", f"+{cc}({trunk}){nsn}", f"({trunk}){nsn}")
    add(*(" ".join(g) for g in _groupings(nsn)))
    add(*("-".join(g) for g in _groupings(national_digits)))
    return out


def _groupings(digits: str) -> list[list[str]]:
    """Pairs (``06 12 34 56 78``), threes, and 4-3-3 (``0712 345 678``) splits of a digit run."""

    def split(sizes: list[int]) -> list[str]:
        parts, start = [], 0
        for size in sizes:
            parts.append(digits[start : start + size])
            start += size
        if start < len(digits):
            parts.append(digits[start:])
        return [p for p in parts if p]

    n = len(digits)
    pairs = ([2] * (n // 2)) if n % 2 == 0 else [1] + [2] * (n // 2)
    threes = ([3] * (n // 3)) if n % 3 == 0 else [n % 3] + [3] * (n // 3)
    groups = [split(pairs), split(threes)]
    if n == 10:
        groups.append(split([4, 3, 3]))
        groups.append(split([3, 3, 4]))
    return groups
