"""The data a template is rendered with: picked from the document, the customer and the shop.

Pure. Only plain values (str, numbers, datetimes, lists of maps) so the snapshot can be stored
in the history document and rendered again identically at delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from shared.model.documents import ClientRecord, CustomerProfile
from shared.model.enums import EventKey
from shared.model.shop import ShopSettings

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


def _first_text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _items(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        return []
    items: list[dict[str, Any]] = []
    for item in raw[:20]:
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
        if value is not None and value != "":
            data[field] = value
    if kind == "cart":
        data["cartItems"] = _items(source.get("items"))
        if source.get("total") is not None:
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
