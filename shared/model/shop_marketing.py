"""How a marketing SMS says how to opt out: ``smsOptOut`` of ``settings/notifications``, per
country.

The mention depends on the country and on who the SMS comes from:

- France, a **short code**: "STOP au 36xxx" (the code the shop rents);
- a **long code** (a phone number): the reply keyword, STOP by default;
- an **alphanumeric sender** cannot receive a reply, so the mention points to the customer's
  preference page instead (``preferencesUrl``);
- Kenya: the operators' opt-out text (``operatorText``, ``STOP*456*9*5#`` by default), whatever
  the sender.

``sender`` absent means "as the deployment's SMS sender says" (``TWILIO_SMS_FROM``: letters are
an alphanumeric sender, a few digits a short code, ``+...`` a long code). The wording around
these values is in the catalogs (``[parts].opt_out``), never here.

Entries are parsed field by field like the other per-country rules; unlike them, a map present
in the document *adds to* the defaults (a country it does not name keeps its default): a
marketing SMS without an opt-out mention is never what a shop means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

_SHORT_CODE = re.compile(r"^[0-9]{3,8}$")
_KEYWORD = re.compile(r"^[A-Za-z0-9]{2,20}$")
MAX_OPERATOR_TEXT = 40


class SenderKind(StrEnum):
    """What an SMS comes from, as the customer's phone shows it."""

    SHORT_CODE = "short_code"
    LONG_CODE = "long_code"
    ALPHANUMERIC = "alphanumeric"


@dataclass(frozen=True)
class SmsOptOut:
    """The opt-out mention of marketing SMS in one country (see the module docstring)."""

    sender: SenderKind | None = None  # None: as the deployment's sender says
    short_code: str | None = None
    keyword: str = "STOP"
    operator_text: str | None = None
    preferences_url: str | None = None


DEFAULT_SMS_OPT_OUT: Mapping[str, SmsOptOut] = MappingProxyType(
    {"FR": SmsOptOut(), "KE": SmsOptOut(operator_text="STOP*456*9*5#")}
)


def sender_kind(sms_from: str | None) -> tuple[SenderKind, str | None]:
    """The kind of the deployment's SMS sender, and the short code when it is one. A messaging
    service (no ``TWILIO_SMS_FROM``) is taken as a long code: set ``smsOptOut.XX.sender``
    when its senders are alphanumeric or short codes."""
    value = (sms_from or "").strip()
    if _SHORT_CODE.fullmatch(value):
        return SenderKind.SHORT_CODE, value
    if value and any(ch.isalpha() for ch in value):
        return SenderKind.ALPHANUMERIC, None
    return SenderKind.LONG_CODE, None


def _url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    ok = url.startswith(("https://", "http://")) and " " not in url and len(url) <= 500
    return url if ok else None


def parse_sms_opt_out(country: str, raw: Mapping[str, Any], problems: list[str]) -> SmsOptOut:
    """One country's entry over that country's default; bad fields keep the default."""
    entry = DEFAULT_SMS_OPT_OUT.get(country, SmsOptOut())
    if "sender" in raw:
        value = raw["sender"]
        if value in (None, "", "auto"):
            entry = replace(entry, sender=None)
        elif value in {kind.value for kind in SenderKind}:
            entry = replace(entry, sender=SenderKind(value))
        else:
            problems.append(f"sender {value!r} is not short_code, long_code or alphanumeric")
    if "shortCode" in raw:
        code = str(raw["shortCode"]).strip() if raw["shortCode"] is not None else ""
        if _SHORT_CODE.fullmatch(code) or not code:
            entry = replace(entry, short_code=code or None)
        else:
            problems.append(f"shortCode {raw['shortCode']!r} is not 3 to 8 digits")
    if "keyword" in raw:
        word = raw["keyword"]
        if isinstance(word, str) and _KEYWORD.fullmatch(word.strip()):
            entry = replace(entry, keyword=word.strip().upper())
        else:
            problems.append(f"keyword {word!r} is not one word of letters and digits")
    if "operatorText" in raw:
        text = raw["operatorText"]
        if text is None or (isinstance(text, str) and not text.strip()):
            entry = replace(entry, operator_text=None)
        elif isinstance(text, str) and len(text.strip()) <= MAX_OPERATOR_TEXT:
            entry = replace(entry, operator_text=text.strip())
        else:
            problems.append(f"operatorText is not a text of at most {MAX_OPERATOR_TEXT} characters")
    if "preferencesUrl" in raw:
        url = _url(raw["preferencesUrl"])
        if url or raw["preferencesUrl"] in (None, ""):
            entry = replace(entry, preferences_url=url)
        else:
            problems.append("preferencesUrl is not an http(s) URL")
    return entry
