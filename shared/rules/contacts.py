"""Which email address and which phone number reach a customer, and why not when none does.

Sources are tried in the cascade's order (profile, then the linked client record, then the
document's own ``clientPhone``); the first *usable* one wins, and when none is usable the first
problem found is the reason reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shared.rules.phones import EmptyPhoneError, PhoneError, PhoneKind, PhoneNumber, normalize_phone

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")


def email_problem(value: str) -> str | None:
    """None when ``value`` is a deliverable-looking address, else why it is not."""
    if not value:
        return "the email address is empty"
    if len(value) > 254:
        return "the email address is longer than 254 characters"
    if any(ch.isspace() for ch in value):
        return f"{value!r} contains spaces"
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return f"{value!r} has no '@' between a name and a domain"
    if len(local) > 64 or not _LOCAL.match(local):
        return f"{value!r} has an invalid part before '@'"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"{value!r} has an invalid domain"
    if not _TLD.match(labels[-1]):
        return f"{value!r} has an invalid top-level domain"
    return None


def is_valid_email(value: str | None) -> bool:
    """Syntax check only (ASCII addresses; IDN domains in their ``xn--`` form)."""
    return isinstance(value, str) and email_problem(value.strip()) is None


@dataclass(frozen=True)
class EmailChoice:
    """The address to use (None when none is usable) and, if so, the first problem seen."""

    address: str | None
    problem: str | None = None  # machine reason: "no_email", "invalid_email"
    detail: str = ""


@dataclass(frozen=True)
class PhoneChoice:
    """The mobile to use (None when none is usable) and the first problem seen."""

    number: PhoneNumber | None
    problem: str | None = None  # "no_phone", "invalid_phone", "landline", "not_mobile"
    detail: str = ""
    raw: str | None = None  # the as-typed value the problem is about


def choose_email(candidates: Iterable[object]) -> EmailChoice:
    """The first syntactically valid address among ``candidates`` (blank ones are ignored)."""
    first_problem: EmailChoice | None = None
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        value = candidate.strip()
        problem = email_problem(value)
        if problem is None:
            return EmailChoice(value)
        first_problem = first_problem or EmailChoice(None, "invalid_email", problem)
    return first_problem or EmailChoice(None, "no_email", "no email address on file")


def choose_mobile(candidates: Iterable[object], country: str, default_country: str) -> PhoneChoice:
    """The first valid *mobile* among ``candidates``; landlines and invalid ones are passed over.

    Normalizing uses ``country`` for numbers typed without a country code.
    """
    first_problem: PhoneChoice | None = None
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        try:
            number = normalize_phone(candidate, country, default_country)
        except EmptyPhoneError:
            continue
        except PhoneError as exc:
            first_problem = first_problem or PhoneChoice(None, "invalid_phone", str(exc), candidate)
            continue
        if number.is_mobile:
            return PhoneChoice(number, raw=candidate)
        detail = f"{number.masked} is a {number.kind.value.replace('_', ' ')} number, not a mobile"
        reason = "landline" if number.kind is PhoneKind.FIXED_LINE else "not_mobile"
        first_problem = first_problem or PhoneChoice(None, reason, detail, candidate)
    return first_problem or PhoneChoice(None, "no_phone", "no phone number on file")
