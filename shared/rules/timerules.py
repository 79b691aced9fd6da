"""Time rules: quiet hours, marketing windows, business hours and the WhatsApp 24-hour window.
Pure: the clock is an argument.

What waits for what (``send_time``): quiet hours hold SMS, WhatsApp and push of every purpose
(not urgent ones); marketing windows hold marketing SMS and WhatsApp (urgent or not: they are a
legal rule, not a courtesy). Email waits for neither. A held message is scheduled for the first
instant every rule allows, never dropped.

Decisions:

- Naive datetimes are rejected with ``NaiveDatetimeError``: every clock and Firestore timestamp
  in this project is aware, so a naive one is a bug to surface, not a value to guess about.
- Results keep the ``tzinfo`` of ``now`` (``next_allowed_send(now) == now`` when allowed).
- Local times are built with ``zoneinfo`` and normalized through UTC, so a boundary that falls
  in a DST gap moves to the first real instant after it, and the repeated hour of autumn is
  handled by comparing instants, not wall clocks.
- Public holidays come from the ``holidays`` package (a pinned runtime dependency, pure code:
  the Easter-based French ones, Easter Monday, Ascension and Whit Monday, are computed from the
  year) for the country of the rules; a country it does not know has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from shared.model.enums import Channel, Purpose
from shared.model.shop import BusinessHours, MarketingWindow, QuietHours, ShopSettings
from shared.platform.errors import InvalidInputError

T = TypeVar("T")
WHATSAPP_WINDOW = timedelta(hours=24)
_SUNDAY = 6
_MAX_DAYS_AHEAD = 400  # more than a year of closed days means the rules never open


class NaiveDatetimeError(InvalidInputError):
    """A datetime without a timezone was given where an instant is needed."""


# Quiet hours hold what buzzes a phone (SMS, WhatsApp, push); an email at night wakes nobody.
QUIET_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.PUSH})
# Marketing windows hold the channels a law or an operator rule times (offers by SMS, WhatsApp).
MARKETING_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})
_MAX_RULE_ROUNDS = 8  # quiet hours and a window agree in one or two rounds; more is a loop


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value


@lru_cache(maxsize=64)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    # Imported on the first holiday asked (with dateutil, tens of ms): most first requests of an
    # instance (an email, a status callback, a night without quiet-hour holidays) never ask.
    import holidays as holidays_lib  # noqa: PLC0415

    try:
        table = holidays_lib.country_holidays(country, years=year)
    except NotImplementedError:  # a country the package does not cover
        return frozenset()
    return frozenset(table.keys())


def is_public_holiday(day: date, country: str) -> bool:
    """Whether ``day`` is a public holiday in ``country`` (ISO code)."""
    return day in _holiday_dates(country.upper(), day.year)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant of wall-clock ``at`` on ``day`` (a time in a DST gap moves forward)."""
    naive_local = datetime.combine(day, at)
    return naive_local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _in_window(t: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def _quiet_all_day(day: date, rules: QuietHours, country: str) -> bool:
    return (rules.sundays and day.weekday() == _SUNDAY) or (
        rules.holidays and is_public_holiday(day, country)
    )


def is_quiet(now: datetime, country: str, rules: QuietHours) -> bool:
    """Whether ``now`` falls in the quiet hours ``rules`` of ``country``."""
    local = _aware(now, "now").astimezone(ZoneInfo(rules.timezone))
    return _quiet_all_day(local.date(), rules, country) or _in_window(
        local.time(), rules.start, rules.end
    )


def next_allowed_send(
    now: datetime, country: str, settings: ShopSettings, *, fallback_country: str | None = None
) -> datetime:
    """``now`` when a non-urgent message may go out now, else the first allowed instant after.

    The rules are those of ``country`` (else ``fallback_country``); without rules, ``now``.
    """
    _aware(now, "now")
    found = _pick(country, fallback_country, settings.quiet_hours)
    if found is None:
        return now
    rules_country, rules = found
    if not is_quiet(now, rules_country, rules):
        return now
    zone = ZoneInfo(rules.timezone)
    candidate = now.astimezone(zone)
    for _ in range(_MAX_DAYS_AHEAD * 2):
        if not is_quiet(candidate, rules_country, rules):
            return candidate.astimezone(now.tzinfo)
        day, t = candidate.date(), candidate.time()
        if _quiet_all_day(day, rules, rules_country):
            candidate = _local(day + timedelta(days=1), time(0), zone)
        elif rules.start < rules.end or t < rules.end:
            candidate = _local(day, rules.end, zone)
        else:  # after ``start`` in a window that ends tomorrow morning
            candidate = _local(day + timedelta(days=1), rules.end, zone)
    return now  # rules that are quiet forever are treated as no rules


def _window_day(day: date, country: str, window: MarketingWindow) -> bool:
    if day.isoweekday() not in window.days:
        return False
    return window.holidays or not is_public_holiday(day, country)


def in_marketing_window(now: datetime, country: str, window: MarketingWindow) -> bool:
    """Whether marketing may be sent at ``now`` under ``window`` (the rules of ``country``)."""
    local = _aware(now, "now").astimezone(ZoneInfo(window.timezone))
    end = window.end if window.end != time(0) else time.max
    return _window_day(local.date(), country, window) and window.start <= local.time() < end


def next_marketing_send(
    now: datetime, country: str, settings: ShopSettings, *, fallback_country: str | None = None
) -> datetime:
    """``now`` inside the marketing window of ``country`` (else ``fallback_country``), else when
    it next opens; without a window (the shop removed it), ``now``."""
    _aware(now, "now")
    found = _pick(country, fallback_country, settings.marketing_windows)
    if found is None:
        return now
    code, window = found
    if in_marketing_window(now, code, window):
        return now
    zone = ZoneInfo(window.timezone)
    local = now.astimezone(zone)
    for offset in range(_MAX_DAYS_AHEAD):
        day = local.date() + timedelta(days=offset)
        opening = _local(day, window.start, zone)
        if opening > local and _window_day(day, code, window):
            return opening.astimezone(now.tzinfo)
    return now  # a window that never opens is treated as none


def send_time(
    due: datetime,
    *,
    channel: Channel,
    purpose: Purpose,
    country: str,
    settings: ShopSettings,
    fallback_country: str | None = None,
    quiet_hours: bool = True,
) -> datetime:
    """The first instant from ``due`` on at which every time rule lets this message go;
    ``quiet_hours`` False: an urgent message, or a retry already under way (windows still
    hold marketing)."""
    at = _aware(due, "due")
    quiet = channel in QUIET_CHANNELS and quiet_hours
    windowed = purpose is Purpose.MARKETING and channel in MARKETING_CHANNELS
    for _ in range(_MAX_RULE_ROUNDS):
        moved = at
        if quiet:
            moved = next_allowed_send(moved, country, settings, fallback_country=fallback_country)
        if windowed:
            moved = next_marketing_send(moved, country, settings, fallback_country=fallback_country)
        if moved == at:
            return at
        at = moved
    return at


def _pick(
    country: str | None, fallback: str | None, table: Mapping[str, T]
) -> tuple[str, T] | None:
    """The rules of ``country``, else of ``fallback``, with the country code they belong to."""
    for code in (country, fallback):
        if code and code.upper() in table:
            return code.upper(), table[code.upper()]
    return None


def _open_at(local: datetime, country: str, hours: BusinessHours) -> bool:
    day = local.date()
    if day.weekday() not in hours.days:
        return False
    if hours.closed_on_holidays and is_public_holiday(day, country):
        return False
    close = hours.close if hours.close != time(0) else time.max
    return hours.open <= local.time() < close


def in_business_hours(
    now: datetime, country: str, settings: ShopSettings, *, fallback_country: str | None = None
) -> bool:
    """Whether the shop answers now. A country without business hours is always open."""
    _aware(now, "now")
    found = _pick(country, fallback_country, settings.business_hours)
    if found is None:
        return True
    code, hours = found
    return _open_at(now.astimezone(ZoneInfo(hours.timezone)), code, hours)


def next_business_opening(
    now: datetime, country: str, settings: ShopSettings, *, fallback_country: str | None = None
) -> datetime:
    """``now`` when open, else when the shop next opens (in ``now``'s timezone)."""
    _aware(now, "now")
    found = _pick(country, fallback_country, settings.business_hours)
    if found is None:
        return now
    code, hours = found
    zone = ZoneInfo(hours.timezone)
    local = now.astimezone(zone)
    if _open_at(local, code, hours):
        return now
    for offset in range(_MAX_DAYS_AHEAD):
        day = local.date() + timedelta(days=offset)
        opening = _local(day, hours.open, zone)
        if opening > local and _open_at(opening, code, hours):
            return opening.astimezone(now.tzinfo)
    return now


def whatsapp_window_open(
    last_inbound_at: datetime | None, now: datetime, *, margin: timedelta = timedelta(0)
) -> bool:
    """Whether free-form WhatsApp is allowed: the customer wrote less than 24 h ago.

    ``margin`` closes the window early (a message accepted at 23:59 may reach Meta after the
    deadline). An inbound time in the future (clock skew) counts as "just now".
    """
    _aware(now, "now")
    if last_inbound_at is None:
        return False
    _aware(last_inbound_at, "last_inbound_at")
    return now - last_inbound_at < WHATSAPP_WINDOW - margin
