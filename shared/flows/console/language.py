"""The console's language: the shop's ``consoleLanguage`` setting, else its country's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.rules.language import choose_language
from shared.store.console import console_language_setting

if TYPE_CHECKING:
    from google.cloud.firestore import Client

CONSOLE_LANGUAGES = ("fr", "en")


def console_language(db: Client, default_country: str) -> str:
    """``fr`` or ``en``: the setting when it is one of them, else by the shop's country."""
    chosen = choose_language(console_language_setting(db), default_country)
    return chosen if chosen in CONSOLE_LANGUAGES else "en"


def shop_timezone(db: Client, default_country: str) -> str:
    """The zone the shop's times are shown in: its country's business hours (else quiet hours),
    else UTC."""
    from shared.store.shop import get_shop_settings  # noqa: PLC0415

    shop = get_shop_settings(db)
    for table in (shop.business_hours, shop.quiet_hours):
        found = table.get(default_country.upper())
        if found is not None:
            return found.timezone
    return "UTC"
