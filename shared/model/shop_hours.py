"""Quiet hours, business hours and marketing windows: the per-country rules of
``settings/notifications``.

Each entry is parsed field by field: a missing or malformed field takes the country's default
(else the generic one) and the problem is recorded, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (``start`` inclusive to ``end`` exclusive, may cross midnight), local time.

    ``start == end`` means no nightly window. ``sundays`` / ``holidays``: quiet all day.
    """

    start: time
    end: time
    timezone: str
    sundays: bool = False
    holidays: bool = False


@dataclass(frozen=True)
class BusinessHours:
    """When someone answers at the shop: ``open`` to ``close`` on ``days`` (0 = Monday)."""

    open: time
    close: time
    timezone: str
    days: frozenset[int] = frozenset(range(6))
    closed_on_holidays: bool = True


@dataclass(frozen=True)
class MarketingWindow:
    """When marketing SMS and WhatsApp may be sent: ``start`` to ``end`` local time on ``days``
    (ISO weekdays, 1 = Monday); ``holidays`` False: never on the country's public holidays."""

    start: time
    end: time
    timezone: str
    days: frozenset[int] = frozenset(range(1, 8))
    holidays: bool = True


DEFAULT_QUIET_HOURS: Mapping[str, QuietHours] = MappingProxyType(
    {
        "FR": QuietHours(time(21), time(8), "Europe/Paris", sundays=False, holidays=False),
        "KE": QuietHours(time(21), time(7), "Africa/Nairobi", sundays=False, holidays=False),
    }
)
DEFAULT_BUSINESS_HOURS: Mapping[str, BusinessHours] = MappingProxyType(
    {
        "FR": BusinessHours(time(9), time(19), "Europe/Paris"),
        "KE": BusinessHours(time(8), time(18), "Africa/Nairobi"),
    }
)
# France: Monday to Saturday 08:00-20:00, never Sundays or public holidays (sources disagree
# between 20:00 and 22:00: the stricter stands until a shop changes it). Kenya: 08:00-18:00 East
# Africa Time every day (the operators' rule for promotional SMS).
DEFAULT_MARKETING_WINDOWS: Mapping[str, MarketingWindow] = MappingProxyType(
    {
        "FR": MarketingWindow(
            time(8), time(20), "Europe/Paris", days=frozenset(range(1, 7)), holidays=False
        ),
        "KE": MarketingWindow(time(8), time(18), "Africa/Nairobi"),
    }
)
_GENERIC_QUIET = QuietHours(time(21), time(8), "UTC")
_GENERIC_MARKETING = MarketingWindow(time(8), time(20), "UTC", frozenset(range(1, 7)), False)
_GENERIC_BUSINESS = BusinessHours(time(9), time(18), "UTC")


def parse_hhmm(value: Any) -> time | None:
    """``"21:00"`` -> ``time(21, 0)``; ``"24:00"`` -> midnight; anything else -> None."""
    if not isinstance(value, str):
        return None
    hours, sep, minutes = value.strip().partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit()) or len(minutes) != 2:
        return None
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return time(0)
    return time(h, m) if 0 <= h < 24 and 0 <= m < 60 else None


def valid_timezone(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name.strip()


def _flag(raw: Mapping[str, Any], key: str, default: bool, problems: list[str]) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    problems.append(f"{key} is not a boolean")
    return default


def parse_quiet_hours(country: str, raw: Mapping[str, Any], problems: list[str]) -> QuietHours:
    base = DEFAULT_QUIET_HOURS.get(country, _GENERIC_QUIET)
    return QuietHours(
        start=_time(raw, "start", base.start, problems),
        end=_time(raw, "end", base.end, problems),
        timezone=_zone(raw, base.timezone, problems),
        sundays=_flag(raw, "sundays", base.sundays, problems),
        holidays=_flag(raw, "holidays", base.holidays, problems),
    )


def parse_business_hours(
    country: str, raw: Mapping[str, Any], problems: list[str]
) -> BusinessHours:
    base = DEFAULT_BUSINESS_HOURS.get(country, _GENERIC_BUSINESS)
    days = base.days
    if "days" in raw:
        names = raw["days"]
        parsed = (
            {_DAYS.index(d.lower()) for d in names if isinstance(d, str) and d.lower() in _DAYS}
            if isinstance(names, list)
            else set()
        )
        if parsed:
            days = frozenset(parsed)
        else:
            problems.append("days has no valid day")
    opening = _time(raw, "open", base.open, problems)
    closing = _time(raw, "close", base.close, problems)
    if closing <= opening and closing != time(0):
        problems.append("closes before it opens")
        opening, closing = base.open, base.close
    return BusinessHours(
        open=opening,
        close=closing,
        timezone=_zone(raw, base.timezone, problems),
        days=days,
        closed_on_holidays=_flag(raw, "closedOnHolidays", base.closed_on_holidays, problems),
    )


def parse_marketing_window(
    country: str, raw: Mapping[str, Any], problems: list[str]
) -> MarketingWindow:
    base = DEFAULT_MARKETING_WINDOWS.get(country, _GENERIC_MARKETING)
    days = base.days
    if "days" in raw:
        listed = raw["days"]
        parsed = (
            {d for d in listed if isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7}
            if isinstance(listed, list)
            else set()
        )
        if parsed:
            days = frozenset(parsed)
        else:
            problems.append("days has no ISO weekday (1 = Monday ... 7 = Sunday)")
    start = _time(raw, "start", base.start, problems)
    end = _time(raw, "end", base.end, problems)
    if end <= start and end != time(0):
        problems.append("ends before it starts")
        start, end = base.start, base.end
    return MarketingWindow(
        start=start,
        end=end,
        timezone=_zone(raw, base.timezone, problems),
        days=days,
        holidays=_flag(raw, "holidays", base.holidays, problems),
    )


def _time(raw: Mapping[str, Any], key: str, default: time, problems: list[str]) -> time:
    if key not in raw:
        return default
    parsed = parse_hhmm(raw[key])
    if parsed is None:
        problems.append(f"{key} {raw[key]!r} is not HH:MM")
        return default
    return parsed


def _zone(raw: Mapping[str, Any], default: str, problems: list[str]) -> str:
    if "timezone" not in raw:
        return default
    zone = valid_timezone(raw["timezone"])
    if zone is None:
        problems.append(f"timezone {raw['timezone']!r} is unknown")
        return default
    return zone
