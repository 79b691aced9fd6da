"""Masking of personal data for logs: phone numbers, emails, message bodies.

Pure string functions; ``shared.log`` applies ``scrub`` to every log line, and code that logs a
known phone or email on purpose masks it with ``mask_phone`` / ``mask_email`` first.
"""

from __future__ import annotations

import re

_COUNTRY_CODES = ("254", "33")  # longest first; others fall back to a generic split
_PHONE_IN_TEXT = re.compile(r"(?<![\w*])(?:whatsapp:)?\+?\d[\d .()\-]{7,}\d(?!\w)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


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


def scrub(text: str) -> str:
    """Mask every phone-number-like and email-like run inside free text."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
