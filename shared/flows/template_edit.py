"""The shop's own wording of a template (issue 18): previewed, saved as an override on top of
the catalog (``settings/notifications.templateOverrides``, through ``settings_edit``: validated,
recorded in the settings history), reset to the catalog's per template and language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.flows.settings_edit import SettingsChange, SettingsInvalidError, apply_change
from shared.model.shop import OVERRIDE_FIELDS, OVERRIDE_LANGUAGES, ShopSettings
from shared.rules.template_preview import TemplatePreview, preview
from shared.rules.templates import TEMPLATE_IDS
from shared.store import settings_history

if TYPE_CHECKING:
    from google.cloud.firestore import Client

KEY = "templateOverrides"


def _check(template_id: str, language: str) -> None:
    if template_id not in TEMPLATE_IDS:
        raise SettingsInvalidError({KEY: [f"{template_id!r} is not a template"]})
    if language not in OVERRIDE_LANGUAGES:
        raise SettingsInvalidError({KEY: [f"{language!r} is not a language (fr, en, sw)"]})


def current_override(db: Client, template_id: str, language: str) -> dict[str, str]:
    """The shop's own wording of ``template_id`` in ``language`` (empty: the catalog's)."""
    shop = ShopSettings.from_document(settings_history.read_settings(db))
    return dict(shop.template_override(template_id, language) or {})


def preview_override(
    template_id: str, language: str, fields: Mapping[str, str], *, country: str
) -> TemplatePreview:
    """The example customer's messages with ``fields`` (blank fields: the catalog's words)."""
    _check(template_id, language)
    own = {k: v.strip() for k, v in fields.items() if k in OVERRIDE_FIELDS and v.strip()}
    return preview(template_id, language, own or None, country=country)


def save_override(
    db: Client,
    template_id: str,
    language: str,
    fields: Mapping[str, str],
    *,
    change_id: str,
    staff_uid: str,
    now: datetime,
) -> SettingsChange:
    """Store ``fields`` as the shop's wording (all blank: back to the catalog's)."""
    _check(template_id, language)
    own = {k: v.strip() for k, v in fields.items() if k in OVERRIDE_FIELDS and v.strip()}
    current: dict[str, Any] = dict(settings_history.read_settings(db).get(KEY) or {})
    languages = dict(current.get(template_id) or {})
    if own:
        languages[language] = own
    else:
        languages.pop(language, None)
    if languages:
        current[template_id] = languages
    else:
        current.pop(template_id, None)
    return apply_change(
        db, {KEY: current or None}, change_id=change_id, staff_uid=staff_uid, now=now
    )
