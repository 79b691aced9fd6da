"""Shop settings: the ``settings/notifications`` document, parsed leniently.

``ShopSettings.from_document(data)`` never raises: a missing document, a missing field or a
malformed one falls back to the default for that part only, and what was ignored is listed in
``problems`` (for a log line). The document shape is described in ``docs/data-model.md``.

Decisions:

- ``quietHours`` and ``businessHours``, when present as a map, *replace* the defaults: a country
  absent from the map has none (an empty map means none at all, as the contract says). A field
  missing inside one country's entry takes that country's default (else the generic one).
- ``marketingWindows`` replaces its defaults the same way; ``smsOptOut`` adds to them (see
  ``shared.model.shop_marketing``).
- Lookups take a ``fallback_country`` (the deployment's ``DEFAULT_COUNTRY``): a customer whose
  country has no entry gets the shop's own country rules, so nobody is texted at 3 a.m. because
  their profile says ``BE``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any, TypeVar

from shared.model.shop_hours import (
    DEFAULT_BUSINESS_HOURS,
    DEFAULT_MARKETING_WINDOWS,
    DEFAULT_QUIET_HOURS,
    BusinessHours,
    MarketingWindow,
    QuietHours,
    parse_business_hours,
    parse_hhmm,
    parse_marketing_window,
    parse_quiet_hours,
    valid_timezone,
)
from shared.model.shop_marketing import DEFAULT_SMS_OPT_OUT, SmsOptOut, parse_sms_opt_out

OVERRIDE_FIELDS = frozenset({"sms", "whatsapp", "email", "subject", "push_title", "push_body"})
OVERRIDE_LANGUAGES = frozenset({"fr", "en", "sw"})
MAX_OVERRIDE = 2000

__all__ = [
    "DEFAULT_BUSINESS_HOURS",
    "DEFAULT_CURRENCIES",
    "DEFAULT_MARKETING_WINDOWS",
    "DEFAULT_QUIET_HOURS",
    "DEFAULT_SMS_OPT_OUT",
    "BusinessHours",
    "MarketingWindow",
    "QuietHours",
    "ShopSettings",
    "SmsOptOut",
    "WhatsAppTemplateSetting",
    "parse_hhmm",
    "valid_timezone",
]

T = TypeVar("T")


@dataclass(frozen=True)
class WhatsAppTemplateSetting:
    """An approved WhatsApp template: Twilio ``contentSid`` and/or Meta name + language."""

    content_sid: str | None = None
    meta_name: str | None = None
    meta_language: str | None = None


DEFAULT_CURRENCIES: Mapping[str, str] = MappingProxyType({"FR": "EUR", "KE": "KES"})


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ShopSettings:
    """What a shop owner can change about notifications; every field has a default."""

    quiet_hours: Mapping[str, QuietHours] = field(default_factory=lambda: DEFAULT_QUIET_HOURS)
    business_hours: Mapping[str, BusinessHours] = field(
        default_factory=lambda: DEFAULT_BUSINESS_HOURS
    )
    whatsapp_templates: Mapping[str, WhatsAppTemplateSetting] = field(default_factory=_empty)
    pickup_reminder_days: int = 3
    payment_reminder_hours_before: int = 24
    cart_reminder_1_delay: timedelta = timedelta(hours=2)
    cart_reminder_2_delay: timedelta = timedelta(hours=24)
    discount_percent: int = 10
    discount_valid_days: int = 7
    attribution_window_days: int = 5
    shop_name: str | None = None
    currencies: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CURRENCIES)
    default_currency: str = "EUR"
    urgent_events: frozenset[str] = frozenset()
    marketing_windows: Mapping[str, MarketingWindow] = field(
        default_factory=lambda: DEFAULT_MARKETING_WINDOWS
    )
    sms_opt_out: Mapping[str, SmsOptOut] = field(default_factory=lambda: DEFAULT_SMS_OPT_OUT)
    walk_in_service_sms: bool = True  # a walk-in's number gets the SMS about their own repair
    # The shop's own wording (issue 18): template id -> language -> field -> text, over the
    # catalog's (fields: sms, whatsapp, email, subject, push_title, push_body).
    template_overrides: Mapping[str, Mapping[str, Mapping[str, str]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    problems: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, data: Mapping[str, Any] | None) -> ShopSettings:
        """Parse ``settings/notifications``; never raises, bad parts fall back to defaults."""
        if not isinstance(data, Mapping):
            return cls() if data is None else cls(problems=("document is not a map",))
        p = _Parser(data)
        defaults = cls()
        return cls(
            quiet_hours=p.per_country("quietHours", parse_quiet_hours, defaults.quiet_hours),
            business_hours=p.per_country(
                "businessHours", parse_business_hours, defaults.business_hours
            ),
            whatsapp_templates=p.templates(),
            pickup_reminder_days=p.number("pickupReminderDays", 3, 0, 60, int),
            payment_reminder_hours_before=p.number("paymentReminderHoursBefore", 24, 0, 720, int),
            cart_reminder_1_delay=timedelta(hours=p.number("cartReminder1DelayHours", 2, 0, 720)),
            cart_reminder_2_delay=timedelta(hours=p.number("cartReminder2DelayHours", 24, 0, 720)),
            discount_percent=p.number("discountPercent", 10, 0, 100, int),
            discount_valid_days=p.number("discountValidDays", 7, 1, 365, int),
            attribution_window_days=p.number("attributionWindowDays", 5, 0, 365, int),
            shop_name=p.text("shopName"),
            currencies=p.currencies(),
            default_currency=p.text("defaultCurrency", upper=True) or "EUR",
            urgent_events=p.string_set("urgentEvents", defaults.urgent_events),
            marketing_windows=p.per_country(
                "marketingWindows", parse_marketing_window, defaults.marketing_windows
            ),
            sms_opt_out=p.per_country(
                "smsOptOut", parse_sms_opt_out, defaults.sms_opt_out, adds=True
            ),
            walk_in_service_sms=p.flag("walkInServiceSms", defaults.walk_in_service_sms),
            template_overrides=p.overrides(),
            problems=tuple(p.problems),
        )

    def quiet_hours_for(
        self, country: str | None, fallback_country: str | None = None
    ) -> QuietHours | None:
        """The quiet hours for ``country``, else for ``fallback_country``, else none."""
        return _lookup(self.quiet_hours, country, fallback_country)

    def business_hours_for(
        self, country: str | None, fallback_country: str | None = None
    ) -> BusinessHours | None:
        """The business hours of ``country``, else of ``fallback_country``, else None (open)."""
        return _lookup(self.business_hours, country, fallback_country)

    def marketing_window_for(
        self, country: str | None, fallback_country: str | None = None
    ) -> MarketingWindow | None:
        """When marketing may be sent to ``country`` (else ``fallback_country``); None: any time."""
        return _lookup(self.marketing_windows, country, fallback_country)

    def sms_opt_out_for(
        self, country: str | None, fallback_country: str | None = None
    ) -> SmsOptOut:
        """The opt-out mention of a marketing SMS to ``country`` (else the fallback's)."""
        return _lookup(self.sms_opt_out, country, fallback_country) or SmsOptOut()

    def template_override(self, template_id: str, language: str) -> Mapping[str, str] | None:
        """The shop's own wording of ``template_id`` in ``language``, if it has one."""
        return self.template_overrides.get(template_id, {}).get(language)

    def currency_for(self, country: str | None) -> str:
        return self.currencies.get((country or "").upper(), self.default_currency)

    def is_urgent(self, event_key: str) -> bool:
        """Urgent events are sent during quiet hours too."""
        return event_key in self.urgent_events


def _lookup(table: Mapping[str, T], *countries: str | None) -> T | None:
    for country in countries:
        if country and country.upper() in table:
            return table[country.upper()]
    return None


class _Parser:
    """Field readers that record what they had to ignore."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []

    def per_country(
        self, key: str, build: Any, default: Mapping[str, T], *, adds: bool = False
    ) -> Mapping[str, T]:
        """A map by country; it replaces ``default``, or with ``adds`` overrides its entries."""
        raw = self.data.get(key)
        if raw is None:
            return default
        if not isinstance(raw, Mapping):
            self.problems.append(f"{key} is not a map")
            return default
        out: dict[str, T] = dict(default) if adds else {}
        for country, entry in raw.items():
            if not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
                self.problems.append(f"{key}: {country!r} is not a country code")
            elif not isinstance(entry, Mapping):
                self.problems.append(f"{key}.{country} is not a map")
            else:
                found: list[str] = []
                out[country.upper()] = build(country.upper(), entry, found)
                self.problems.extend(f"{key}.{country.upper()}: {p}" for p in found)
        return MappingProxyType(out)

    def templates(self) -> Mapping[str, WhatsAppTemplateSetting]:
        raw = self.data.get("whatsappTemplates")
        if raw is None:
            return _empty()
        if not isinstance(raw, Mapping):
            self.problems.append("whatsappTemplates is not a map")
            return _empty()
        out: dict[str, WhatsAppTemplateSetting] = {}
        for key, entry in raw.items():
            if not isinstance(entry, Mapping):
                self.problems.append(f"whatsappTemplates.{key} is not a map")
                continue
            values = [entry.get(k) for k in ("contentSid", "metaName", "metaLanguage")]
            sid, name, lang = (
                v.strip() if isinstance(v, str) and v.strip() else None for v in values
            )
            if sid or name:
                out[str(key)] = WhatsAppTemplateSetting(sid, name, lang)
            else:
                self.problems.append(f"whatsappTemplates.{key} has neither contentSid nor metaName")
        return MappingProxyType(out)

    def overrides(self) -> Mapping[str, Mapping[str, Mapping[str, str]]]:
        raw = self.data.get("templateOverrides")
        if raw is None:
            return MappingProxyType({})
        if not isinstance(raw, Mapping):
            self.problems.append("templateOverrides is not a map")
            return MappingProxyType({})
        out: dict[str, Mapping[str, Mapping[str, str]]] = {}
        for template_id, languages in raw.items():
            where = f"templateOverrides.{template_id}"
            if not isinstance(languages, Mapping):
                self.problems.append(f"{where} is not a map of languages")
                continue
            kept: dict[str, Mapping[str, str]] = {}
            for language, fields in languages.items():
                if language not in OVERRIDE_LANGUAGES or not isinstance(fields, Mapping):
                    self.problems.append(f"{where}.{language} is not a language (fr, en, sw) map")
                    continue
                texts = {}
                for name, text in fields.items():
                    if name not in OVERRIDE_FIELDS:
                        self.problems.append(f"{where}.{language}.{name} is not a template field")
                    elif not isinstance(text, str) or not text.strip() or len(text) > MAX_OVERRIDE:
                        self.problems.append(
                            f"{where}.{language}.{name} is not a text of 1 to {MAX_OVERRIDE} "
                            "characters"
                        )
                    else:
                        texts[name] = text.strip()
                if texts:
                    kept[language] = MappingProxyType(texts)
            if kept:
                out[str(template_id)] = MappingProxyType(kept)
        return MappingProxyType(out)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problems.append(f"{key} {value!r} is not true or false")
            return default
        return value

    def number(self, key: str, default: float, low: float, high: float, kind: Any = float) -> Any:
        value = self.data.get(key)
        if value is None:
            return kind(default)
        if isinstance(value, str):  # typed by hand in the console: "3"
            with contextlib.suppress(ValueError):
                value = float(value.strip())
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            self.problems.append(f"{key} {value!r} is not a number in [{low}, {high}]")
            return kind(default)
        return kind(value)

    def text(self, key: str, *, upper: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{key} is not a non-empty string")
            return None
        return value.strip().upper() if upper else value.strip()

    def currencies(self) -> Mapping[str, str]:
        raw = self.data.get("currencies")
        if raw is None:
            return DEFAULT_CURRENCIES
        if not isinstance(raw, Mapping):
            self.problems.append("currencies is not a map")
            return DEFAULT_CURRENCIES
        out = dict(DEFAULT_CURRENCIES)
        for country, code in raw.items():
            if isinstance(country, str) and isinstance(code, str) and len(code.strip()) == 3:
                out[country.upper()] = code.strip().upper()
            else:
                self.problems.append(f"currencies.{country} is not a currency code")
        return MappingProxyType(out)

    def string_set(self, key: str, default: frozenset[str]) -> frozenset[str]:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{key} is not a list of strings")
            return default
        return frozenset(value)
