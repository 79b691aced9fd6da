"""The console's wording, French and English (``words.toml``), chosen by the shop's language."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("fr", "en")


@lru_cache(maxsize=1)
def catalog() -> Mapping[str, Mapping[str, str]]:
    """language -> key -> text (the same keys in every language: a test holds it)."""
    data = tomllib.loads((Path(__file__).with_name("words.toml")).read_text(encoding="utf-8"))
    return {lang: {str(k): str(v) for k, v in data[lang].items()} for lang in LANGUAGES}


def words(language: str) -> Mapping[str, str]:
    """The texts of one console language (English for anything else)."""
    return catalog()[language if language in LANGUAGES else "en"]
