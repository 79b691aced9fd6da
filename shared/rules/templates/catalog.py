"""Every template's wording, by language; English is the fallback for a missing translation."""

from __future__ import annotations

from types import MappingProxyType

from shared.rules.templates import (
    catalog_en,
    catalog_en_shop,
    catalog_fr,
    catalog_fr_shop,
    catalog_sw,
    catalog_sw_shop,
)
from shared.rules.templates.model import Texts

FALLBACK_LANGUAGE = "en"
CATALOG = MappingProxyType(
    {
        "fr": MappingProxyType({**catalog_fr.TEXTS, **catalog_fr_shop.TEXTS}),
        "en": MappingProxyType({**catalog_en.TEXTS, **catalog_en_shop.TEXTS}),
        "sw": MappingProxyType({**catalog_sw.TEXTS, **catalog_sw_shop.TEXTS}),
    }
)
TEMPLATE_IDS: frozenset[str] = frozenset(CATALOG[FALLBACK_LANGUAGE])


def texts_for(template_id: str, language: str) -> Texts | None:
    """The wording of ``template_id`` in ``language``, else in English, else None."""
    texts = CATALOG.get(language)
    found = texts.get(template_id) if texts is not None else None
    return found or CATALOG[FALLBACK_LANGUAGE].get(template_id)
