"""Template data -> the plain-text values templates mention, localized and cleaned.

Every value is a string without control characters or line breaks (a name cannot inject a line
into a message), URLs are kept only when they are ``http(s)``, and anything missing, blank or of
the wrong type is simply absent (the template then leaves out the part that needs it). Words
(status labels, day names...) come from the catalog's ``[labels]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.rules.templates.loader import label
from shared.rules.templates.model import fill

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e]")
MAX_VALUE = 200

TEXT_KEYS = (
    "customerName", "shopName", "ticketId", "orderId", "cartId", "device", "discountCode",
    "replyText",  # a staff reply, inside the approved reply template (issue 18)
)  # fmt: skip
# How a marketing SMS says to opt out (one of them, ``shared.rules.sms_footer``).
OPT_OUT_KEYS = ("optOutOperator", "optOutShortCode", "optOutKeyword")
URL_KEYS = ("trackingUrl", "registrationUrl", "cartUrl", "preferencesUrl", "unsubscribeUrl")
# Every variable ``build_values`` can give a notification template.
VARIABLES = frozenset(
    {*TEXT_KEYS, *OPT_OUT_KEYS, *URL_KEYS, "deviceLabel", "statusLabel", "total", "cartTotal"}
    | {"paymentDueAt"}
    | {"discountExpiresAt", "discountPercent", "cartSummary", "cartCount", "cartLines"}
)

_MONTHS_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_COUNTRY_ZONES = {"FR": "Europe/Paris", "KE": "Africa/Nairobi"}
_LANGUAGE_ZONES = {"fr": "Europe/Paris", "sw": "Africa/Nairobi"}
_COUNTRY_CURRENCY = {"FR": "EUR", "KE": "KES"}
_WHOLE_CURRENCIES = frozenset({"KES", "UGX", "TZS", "JPY", "XOF", "XAF"})


def clean_text(value: Any, limit: int = MAX_VALUE) -> str | None:
    """A one-line, trimmed string, or None when blank or not text-like."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = _SPACES.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    return text[:limit].rstrip() or None


def clean_url(value: Any) -> str | None:
    """An ``http(s)`` URL without spaces or control characters, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or _CONTROL.search(url) or any(ch.isspace() for ch in url) or len(url) > 2000:
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


def to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _group(integer: str, sep: str) -> str:
    head, groups = integer, list[str]()
    while len(head) > 3:
        groups.insert(0, head[-3:])
        head = head[:-3]
    return sep.join([head, *groups])


def format_number(number: Decimal, language: str, decimals: int) -> str:
    quantized = f"{abs(number):.{decimals}f}"
    integer, _, fraction = quantized.partition(".")
    thousands, point = (" ", ",") if language == "fr" else (",", ".")
    text = _group(integer, thousands) + (point + fraction if fraction else "")
    return ("-" if number < 0 else "") + text


def format_money(amount: Any, currency: Any, language: str) -> str | None:
    """``49.9, EUR, fr`` -> ``49,90 €``; ``1500, KES, en`` -> ``KES 1,500``."""
    number = to_decimal(amount)
    if number is None:
        return None
    code = currency.strip().upper() if isinstance(currency, str) and currency.strip() else ""
    whole = code in _WHOLE_CURRENCIES and number == number.to_integral_value()
    text = format_number(number, language, 0 if whole else 2)
    if not code:
        return text
    if code == "EUR":
        return f"{text} €" if language == "fr" else f"€{text}"
    return f"{text} {code}" if language == "fr" else f"{code} {text}"


def as_datetime(value: Any) -> datetime | None:
    """A datetime (naive ones taken as UTC) or an ISO 8601 string -> aware datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12, tzinfo=UTC)
    return None


def zone_for(data: Mapping[str, Any], language: str) -> ZoneInfo:
    """``data["timezone"]``, else the zone of ``data["country"]``, else of the language."""
    country = data.get("country")
    names = [
        data.get("timezone"),
        _COUNTRY_ZONES.get(country.upper()) if isinstance(country, str) else None,
        _LANGUAGE_ZONES.get(language),
    ]
    for name in names:
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def format_date(value: Any, language: str, zone: ZoneInfo, *, with_time: bool) -> str | None:
    moment = as_datetime(value)
    if moment is None:
        return None
    local = moment.astimezone(zone)
    hhmm = f"{local.hour:02d}:{local.minute:02d}"
    if language == "en":
        day = f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
        return f"{day}, {hhmm}" if with_time else day
    day = f"{local.day:02d}/{local.month:02d}/{local.year}"
    if not with_time:
        return day
    return (
        f"{day} à {local.hour:02d}h{local.minute:02d}" if language == "fr" else f"{day} saa {hhmm}"
    )


def status_label(group: str, status: Any, language: str) -> str | None:
    """The word for a raw status in ``[labels.<group>]`` (``ticket_status``...), or None."""
    if not isinstance(status, str):
        return None
    return label(group, status.strip().lower(), language)


def _items(raw: Any) -> list[tuple[str, Decimal, Decimal | None]]:
    if not isinstance(raw, list):
        return []
    items = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        name = clean_text(item.get("name"), 60) or clean_text(item.get("sku"), 60)
        if not name:
            continue
        quantity = to_decimal(item.get("quantity"))
        if quantity is None or quantity <= 0:
            quantity = Decimal(1)
        items.append((name, quantity, to_decimal(item.get("price"))))
    return items


def _word(key: str, language: str, count: int) -> str:
    return fill(label("word", key, language) or "$count", {"count": str(count)})


def cart_values(data: Mapping[str, Any], language: str, currency: str) -> dict[str, str]:
    """``cartSummary`` (a few names), ``cartCount`` (``3 articles``), ``cartLines`` (one per
    line, for email text) from ``cartItems``."""
    items = _items(data.get("cartItems"))
    if not items:
        return {}
    count = int(sum(quantity for _, quantity, _ in items))
    names = [name for name, _, _ in items[:2]]
    summary = ", ".join(names)
    if len(items) > 2:
        summary += " " + _word("more_items", language, len(items) - 2)
    lines = []
    for name, quantity, price in items[:20]:
        qty = f" x{format_number(quantity, language, 0)}" if quantity != 1 else ""
        money = format_money(price * quantity, currency, language) if price is not None else None
        colon = " : " if language == "fr" else ": "
        lines.append(f"- {name}{qty}" + (f"{colon}{money}" if money else ""))
    cart_count = _word("one_item" if count == 1 else "many_items", language, count)
    return {"cartSummary": summary, "cartCount": cart_count, "cartLines": "\n".join(lines)}


def build_values(template_id: str, language: str, data: Mapping[str, Any]) -> dict[str, str]:
    """Every variable a template may mention, as display strings (absent when unknown)."""
    values: dict[str, str] = {"deviceLabel": label("word", "device", language) or "device"}
    for key in (*TEXT_KEYS, *OPT_OUT_KEYS):
        text = clean_text(data.get(key))
        if text:
            values[key] = text
    if "device" in values:
        values["deviceLabel"] = values["device"]
    for key in URL_KEYS:
        url = clean_url(data.get(key))
        if url:
            values[key] = url
    country = data.get("country")
    currency = data.get("currency")
    if not (isinstance(currency, str) and currency.strip()):
        currency = _COUNTRY_CURRENCY.get(country.upper(), "") if isinstance(country, str) else ""
    zone = zone_for(data, language)
    kind = template_id.split(".", 1)[0]
    optional = {
        "statusLabel": status_label(f"{kind}_status", data.get("status"), language),
        "total": format_money(data.get("total"), currency, language),
        "cartTotal": format_money(data.get("cartTotal"), currency, language),
        "paymentDueAt": format_date(data.get("paymentDueAt"), language, zone, with_time=True),
        "discountExpiresAt": format_date(
            data.get("discountExpiresAt"), language, zone, with_time=False
        ),
    }
    percent = to_decimal(data.get("discountPercent"))
    if percent is not None and 0 < percent <= 100:
        optional["discountPercent"] = format_number(
            percent, language, 0 if percent == percent.to_integral_value() else 1
        )
    values.update({k: v for k, v in optional.items() if v})
    values.update(cart_values(data, language, str(currency)))
    return values


# Every variable ``reply_values`` can give an answer (``[replies]`` in the catalog).
REPLY_VARIABLES = frozenset(
    {"shopName", "channelName", "device", "ticketId", "orderId", "statusLabel", "trackingUrl"}
    | {"day", "time"}
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Swahili time counts hours from 06:00 ("saa 1 asubuhi" is 07:00); each range says its period.
_SWAHILI_PERIODS = ((5, "usiku"), (12, "asubuhi"), (16, "mchana"), (19, "jioni"), (24, "usiku"))


def format_clock(moment: datetime, language: str) -> str:
    """``09:00`` -> ``09:00``; in Swahili ``3 asubuhi`` (``saa 3 asubuhi``, as people say it)."""
    if language != "sw":
        return f"{moment.hour:02d}:{moment.minute:02d}"
    hour = (moment.hour + 6) % 12 or 12
    clock = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    period = next(word for end, word in _SWAHILI_PERIODS if moment.hour < end)
    return f"{clock} {period}"


def opening_values(
    opening: datetime, now: datetime, timezone: str, language: str
) -> dict[str, str]:
    """``day`` (today, tomorrow or the weekday) and ``time`` of an opening, in the shop's zone."""
    zone = ZoneInfo(timezone)
    local, today = opening.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    key = "today" if days == 0 else "tomorrow" if days == 1 else _WEEKDAYS[local.weekday()]
    day = label("day", key, language)
    return {"day": day, "time": format_clock(local, language)} if day else {}


def reply_values(language: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The values an answer mentions, from ``shopName``, ``channel``, ``ticketId`` or
    ``orderId`` with its ``status`` (+ ``device``, ``trackingUrl``), ``opening``, ``now`` and
    ``timezone``. A record's status is always named: its label, else the raw status, else "?"."""
    values = {}
    for key in ("shopName", "device", "ticketId", "orderId"):
        text = clean_text(data.get(key))
        if text:
            values[key] = text
    channel = data.get("channel")
    name = label("channel", channel, language) if isinstance(channel, str) else None
    if name:
        values["channelName"] = name
    url = clean_url(data.get("trackingUrl"))
    if url:
        values["trackingUrl"] = url
    record = "ticket" if "ticketId" in values else "order" if "orderId" in values else None
    if record is not None:
        status = data.get("status")
        values["statusLabel"] = (
            status_label(f"reply_{record}_status", status, language) or clean_text(status) or "?"
        )
    opening, now, timezone = data.get("opening"), data.get("now"), data.get("timezone")
    if isinstance(opening, datetime) and isinstance(now, datetime) and isinstance(timezone, str):
        values.update(opening_values(opening, now, timezone, language))
    return values
