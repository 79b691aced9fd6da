"""The data a template is rendered with: picked from the document, the customer and the shop.

Pure. Only plain values (str, numbers, datetimes, lists of maps) so the snapshot can be stored
in the history document and rendered again identically at delivery. Every copied text is capped
(``MAX_TEXT``): a document field written near Firestore's 1 MiB limit must never make the
history document too large to store (nothing a template shows needs more).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from shared.model.documents import ClientRecord, CustomerProfile
from shared.model.enums import EventKey
from shared.model.shop import ShopSettings

MAX_TEXT = 500  # characters of any one copied text (names, devices, URLs, codes)
MAX_ITEMS = 20

_PASSTHROUGH = (
    "device",
    "status",
    "total",
    "currency",
    "trackingUrl",
    "paymentDueAt",
    "discountCode",
    "discountPercent",
    "discountExpiresAt",
)


def capped_text(value: str) -> str:
    """``value`` cut to ``MAX_TEXT`` characters."""
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def capped(value: Any) -> Any:
    """A text cut to ``MAX_TEXT`` characters; other types as they are."""
    return capped_text(value) if isinstance(value, str) else value


def _first_text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return capped_text(value.strip())
    return None


def _items(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        return []
    items: list[dict[str, Any]] = []
    for item in raw[:MAX_ITEMS]:
        if not isinstance(item, Mapping):
            continue
        name = _first_text(item.get("name"), item.get("sku")) or "?"
        quantity = item.get("quantity") if isinstance(item.get("quantity"), int | float) else 1
        price = item.get("price") if isinstance(item.get("price"), int | float) else None
        items.append({"name": name, "quantity": quantity, "price": price})
    return items


def build_render_data(
    key: EventKey | str,
    *,
    document_id: str,
    source: Mapping[str, Any],
    profile: CustomerProfile | None,
    client: ClientRecord | None,
    shop: ShopSettings,
    country: str | None = None,
) -> dict[str, Any]:
    """Everything a template for ``key`` may mention, without a single ``None`` value."""
    kind = str(key).split(".", 1)[0]
    data: dict[str, Any] = {}
    name = _first_text(
        profile.display_name if profile else None,
        client.name if client else None,
        source.get("clientName"),
    )
    if name:
        data["customerName"] = name
    if shop.shop_name:
        data["shopName"] = shop.shop_name
    if country:
        data["country"] = country
    id_field = {"ticket": "ticketId", "order": "orderId", "cart": "cartId"}.get(kind)
    if id_field:
        data[id_field] = document_id
    for field in _PASSTHROUGH:
        value = source.get(field)
        if value is not None and value != "" and not isinstance(value, Mapping | list):
            data[field] = capped(value)
    if kind == "cart":
        data["cartItems"] = _items(source.get("items"))
        if isinstance(source.get("total"), int | float):
            data["cartTotal"] = source.get("total")
    return data


def registration_link(base_url: str, *, phone_e164: str, ticket_id: str) -> str:
    """The registration URL pre-filled with what the shop knows (phone and ticket).

    The name stays out: it is in the ticket the page can look up, and a long one would push
    the welcome SMS into a second segment.
    """
    parts = urlsplit(base_url)
    query = dict(parse_qsl(parts.query))
    query["phone"] = phone_e164
    query["ticket"] = ticket_id
    return urlunsplit(parts._replace(query=urlencode(query)))
