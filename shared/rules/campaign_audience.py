"""A campaign's audience as a Firestore query plus the filters a query cannot say.

Pure. ``audience_query`` turns the filters into what an indexed query can carry (equalities,
one ``in``, one ``array-contains``, one range on ``lastOrderAt``, and always
``notificationPreferences.marketingEnabled == true``: nobody without it can receive a
campaign, so nobody without it is read); ``matches`` says whether one profile, as read, meets
every filter (what the query narrowed and what it could not: further tags, a missing
``lastOrderAt`` or ``cartStatus``). The store runs the query page by page with cursors.

Profile fields the filters read (written by the shop's app, ``docs/campaigns.md``):
``country``, ``language``, ``tags`` (list), ``lastOrderAt`` (timestamp), ``cartStatus``
(``active``, ``converted``; absent: no cart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.model.campaign import Audience, CartFilter
from shared.model.documents import as_bool
from shared.platform.clock import as_datetime

MARKETING_FIELD = "notificationPreferences.marketingEnabled"
LAST_ORDER = "lastOrderAt"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_IN = 30  # Firestore's limit of values in one ``in``


@dataclass(frozen=True)
class AudienceQuery:
    """The indexed part: ``(field, op, value)`` filters, and the field pages are ordered by
    before the document name (``lastOrderAt`` when it carries a range, else none)."""

    filters: tuple[tuple[str, str, Any], ...]
    order_field: str | None = None


def audience_query(audience: Audience) -> AudienceQuery:
    """The filters an index serves for ``audience`` (``matches`` checks the rest)."""
    filters: list[tuple[str, str, Any]] = [(MARKETING_FIELD, "==", True)]
    used_in = False
    for field, values in (("country", audience.countries), ("language", audience.languages)):
        if len(values) == 1:
            filters.append((field, "==", values[0]))
        elif values and not used_in and len(values) <= MAX_IN:
            filters.append((field, "in", list(values)))
            used_in = True
    if audience.tags:
        filters.append(("tags", "array_contains", audience.tags[0]))
    if audience.cart_status in (CartFilter.ACTIVE, CartFilter.CONVERTED):
        filters.append(("cartStatus", "==", audience.cart_status.value))
    order_field = None
    start = audience.last_order_from
    if start is None and audience.has_order is True:
        start = EPOCH  # any order at all: the field is set
    if start is not None:
        filters.append((LAST_ORDER, ">=", start))
        order_field = LAST_ORDER
    if audience.last_order_to is not None:
        filters.append((LAST_ORDER, "<", audience.last_order_to))
        order_field = LAST_ORDER
    return AudienceQuery(tuple(filters), order_field)


def matches(audience: Audience, profile: Mapping[str, Any]) -> bool:
    """Whether the profile document meets every filter (and accepted marketing at all)."""
    prefs = profile.get("notificationPreferences")
    if not as_bool(prefs.get("marketingEnabled") if isinstance(prefs, Mapping) else None, False):
        return False
    country = str(profile.get("country") or "").strip().upper()
    if audience.countries and country not in audience.countries:
        return False
    language = str(profile.get("language") or "").strip().lower()
    if audience.languages and language not in audience.languages:
        return False
    tags = profile.get("tags")
    have = {t for t in tags if isinstance(t, str)} if isinstance(tags, list | tuple) else set()
    if not set(audience.tags) <= have:
        return False
    last = as_datetime(profile.get(LAST_ORDER))
    if audience.has_order is not None and (last is not None) != audience.has_order:
        return False
    if audience.last_order_from and (last is None or last < audience.last_order_from):
        return False
    if audience.last_order_to and (last is None or last >= audience.last_order_to):
        return False
    if audience.cart_status is not None:
        cart = str(profile.get("cartStatus") or "").strip().lower() or CartFilter.NONE.value
        if cart != audience.cart_status.value:
            return False
    return True
