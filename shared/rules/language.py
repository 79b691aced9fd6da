"""Which language a customer is written to in: one choice for notifications and replies alike."""

from __future__ import annotations

SUPPORTED_LANGUAGES = ("fr", "en", "sw")
DEFAULT_LANGUAGE = "en"

# Where a customer without a (supported) language most likely reads French or Swahili.
# fmt: off
_FRENCH_SPEAKING = frozenset((
    "FR", "BE", "LU", "MC", "CH", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "NC", "PF",
    "WF", "CI", "SN", "CM", "ML", "BF", "NE", "TG", "BJ", "GA", "CG", "CD", "GN", "MG", "HT",
    "DJ", "KM", "TD", "CF", "BI", "RW",
))
# fmt: on
_COUNTRY_LANGUAGES = {**dict.fromkeys(_FRENCH_SPEAKING, "fr"), "TZ": "sw"}


def normalize_language(language: str | None) -> str | None:
    """``"fr-FR"``, ``"FR"``, ``"fr_CA"`` -> ``"fr"``; unsupported or blank -> None."""
    if not isinstance(language, str):
        return None
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else None


def choose_language(language: str | None, country: str | None) -> str:
    """The profile's language when supported, else the country's usual one, else English.

    Kenya defaults to English (the language of business and of most shop messages there);
    Swahili is used when the customer chose it.
    """
    chosen = normalize_language(language)
    if chosen:
        return chosen
    code = country.strip().upper() if isinstance(country, str) else ""
    return _COUNTRY_LANGUAGES.get(code, DEFAULT_LANGUAGE)
