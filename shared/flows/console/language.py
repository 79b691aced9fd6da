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
