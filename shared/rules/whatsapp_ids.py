"""WhatsApp business-scoped user ids (BSUIDs): how to tell one from a phone number.

With WhatsApp usernames, Meta may withhold a user's phone number and give a business-scoped user
id instead (``contacts[].user_id``, ``from_user_id``): the user's ISO 3166 country code, a
period, then up to 128 letters and digits (``US.13491208655302741918``); a parent id, shared by
linked business portfolios, has ``ENT.`` after the country (``US.ENT.11815799212886844830``).
Meta's Cloud API sends to one with ``"recipient": <id>`` in place of ``"to"``; Twilio sends to
phone numbers only. Ids are kept exactly as Meta wrote them (Meta: "store and send it back
exactly as you received it").

Pure.
"""

from __future__ import annotations

import re

_USER_ID = re.compile(r"[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")


def is_whatsapp_user_id(value: object) -> bool:
    """Whether ``value`` has the shape of a (parent) business-scoped user id, not a phone."""
    return isinstance(value, str) and _USER_ID.fullmatch(value.strip()) is not None


def user_id_country(value: str | None) -> str | None:
    """The country a user id starts with (``FR.123`` -> ``FR``), or None."""
    if not value or not is_whatsapp_user_id(value):
        return None
    return value.strip()[:2].upper()


def mask_user_id(value: str | None) -> str:
    """``US.13491208655302741918`` -> ``US.***18`` for logs."""
    if not value:
        return ""
    text = value.strip()
    head, _, rest = text.rpartition(".")
    return f"{head}.***{rest[-2:]}" if head and len(rest) > 4 else "***"
