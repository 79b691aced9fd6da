"""Masking of personal data for logs: phone numbers, emails, message bodies.

Pure string functions; ``shared.log`` applies ``scrub`` to every log line, and code that logs a
known phone or email on purpose masks it with ``mask_phone`` / ``mask_email`` first.
"""

from __future__ import annotations

import re

_COUNTRY_CODES = ("254", "33")  # longest first; others fall back to a generic split
_PHONE_IN_TEXT = re.compile(r"(?<![\w*])(?:whatsapp:)?\+?\d[\d .()\-]{7,}\d(?!\w)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# The same, URL-encoded (a query string, a form body in an error message): %2B is "+", %40 "@".
_ENCODED_PHONE = re.compile(r"(?:whatsapp%3A)?%2B(\d(?:[\d.\-]|%20){6,}\d)", re.IGNORECASE)
_ENCODED_EMAIL = re.compile(r"[\w.\-%]+%40[\w\-]+(?:\.[\w\-]+)+", re.IGNORECASE)
# Digit runs that are not phone numbers: dates, times, IPv4 addresses, SMTP status codes.
_NOT_A_PHONE = (
    re.compile(r"\d{4}-\d{2}-\d{2}"),  # 2026-12-01
    re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$"),  # 192.168.100.200
    re.compile(r"(?:^|\s)[245]\.\d{1,3}\.\d{1,3}(?:\s|$)"),  # 550 5.1.1
)
MIN_PHONE_DIGITS = 8


def mask_phone(phone: str | None) -> str:
    """``+33612345678`` -> ``+33 6** ** ** 78``: country code, first and last two digits kept."""
    if not phone:
        return ""
    raw = phone.removeprefix("whatsapp:")
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 6:
        return "*" * len(digits)
    cc = next((c for c in _COUNTRY_CODES if digits.startswith(c)), None)
    if cc is None or not raw.strip().startswith("+"):
        cc = digits[:2] if raw.strip().startswith("+") else ""
    national = digits[len(cc) :]
    masked = national[0] + "*" * (len(national) - 3) + national[-2:]
    groups: list[str] = []
    rest = masked
    while len(rest) > 3:
        groups.insert(0, rest[-2:])
        rest = rest[:-2]
    groups.insert(0, rest)
    body = " ".join(groups)
    return f"+{cc} {body}" if cc else body


def mask_email(email: str | None) -> str:
    """``marie.dupont@example.fr`` -> ``m***@example.fr``."""
    if not email:
        return ""
    local, sep, domain = email.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_body(body: str | None) -> str:
    """Message bodies are never logged: only their length."""
    if body is None:
        return ""
    return f"<{len(body)} chars>"


def _phone_or_not(candidate: str) -> str:
    digits = sum(ch.isdigit() for ch in candidate)
    if digits < MIN_PHONE_DIGITS or any(p.search(candidate) for p in _NOT_A_PHONE):
        return candidate
    return mask_phone(candidate)


def scrub(text: str) -> str:
    """Mask every phone-number-like and email-like run inside free text (URL-encoded too);
    dates, times, IP addresses and SMTP codes stay readable."""
    text = _ENCODED_EMAIL.sub(lambda m: mask_email(m.group(0).replace("%40", "@")), text)
    text = _ENCODED_PHONE.sub(
        lambda m: mask_phone("+" + re.sub(r"%20|[.\-]", "", m.group(1))), text
    )
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: _phone_or_not(m.group(0)), text)
