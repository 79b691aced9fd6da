"""The console's template editor (issue 18): every template per language, edited with a preview
for an example customer (the SMS with its encoding, segments and cost, WhatsApp, email); a
change that makes the SMS cost more (1 to 2 segments, GSM-7 to UCS-2) is flagged before saving.
Saved as the shop's override on top of the catalog, reset per template and language."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import flask

from functions.boundary.console import security
from functions.boundary.runtime import Deps
from shared.flows import template_edit
from shared.flows.settings_edit import SettingsInvalidError
from shared.model.shop import OVERRIDE_FIELDS, OVERRIDE_LANGUAGES
from shared.rules.templates import TEMPLATE_IDS

FIELDS = ("sms", "whatsapp", "subject", "email", "push_title", "push_body")
assert set(FIELDS) == set(OVERRIDE_FIELDS)
_FLAGS = {
    "fr": {"more_segments": "Ce SMS passe à plusieurs segments : il coûtera plus cher.",
           "ucs2": "Un caractère hors GSM-7 (accent rare, emoji) : chaque segment contient "
                   "moins de texte."},
    "en": {"more_segments": "This SMS now takes several segments: it will cost more.",
           "ucs2": "A character outside GSM-7 (rare accent, emoji): each segment holds less text."},
}  # fmt: skip


def _deps() -> Deps:
    deps: Deps = flask.current_app.extensions["console"].deps
    return deps


def register(
    app: flask.Flask,
    staff_only: Callable[[Any], Any],
    current_staff: Callable[[], Any],
    language: Callable[[], str],
) -> None:
    """Add the template pages to ``app``, each behind ``staff_only``."""

    @app.get("/templates", endpoint="templates")
    @staff_only
    def templates_list() -> Any:
        return flask.render_template(
            "templates.html", page="list", ids=sorted(TEMPLATE_IDS),
            languages=sorted(OVERRIDE_LANGUAGES),
        )  # fmt: skip

    def editor(template_id: str, lang: str, fields: dict[str, str], **extra: Any) -> Any:
        deps = _deps()
        shown = template_edit.preview_override(
            template_id, lang, fields, country=deps.settings.default_country
        )
        words = _FLAGS.get(language(), _FLAGS["en"])
        return flask.render_template(
            "templates.html",
            page="edit",
            template_id=template_id,
            template_lang=lang,
            fields=fields,
            names=FIELDS,
            preview=shown,
            flags=[(flag, words[flag]) for flag in shown.flags],
            click_id=secrets.token_hex(8),
            **extra,
        )

    @app.get("/templates/<template_id>/<lang>", endpoint="template")
    @staff_only
    def template_form(template_id: str, lang: str) -> Any:
        if template_id not in TEMPLATE_IDS or lang not in OVERRIDE_LANGUAGES:
            flask.abort(404)
        own = template_edit.current_override(_deps().db, template_id, lang)
        return editor(template_id, lang, {name: own.get(name, "") for name in FIELDS})

    @app.post("/templates/<template_id>/<lang>", endpoint="template_save")
    @staff_only
    def template_save(template_id: str, lang: str) -> Any:
        if template_id not in TEMPLATE_IDS or lang not in OVERRIDE_LANGUAGES:
            flask.abort(404)
        if not security.same_origin_post(flask.request.form.get(security.CSRF_FIELD)):
            return flask.Response("refused\n", 403, mimetype="text/plain")
        action = flask.request.form.get("action", "preview")
        fields = {name: flask.request.form.get(name, "") for name in FIELDS}
        if action == "reset":
            fields = dict.fromkeys(FIELDS, "")
        if action in {"save", "reset"}:
            deps = _deps()
            click = flask.request.form.get("clickId") or ""
            try:
                template_edit.save_override(
                    deps.db, template_id, lang, fields,
                    change_id=click if click.isalnum() else "", staff_uid=current_staff().uid,
                    now=deps.clock(),
                )  # fmt: skip
            except SettingsInvalidError as exc:
                return editor(template_id, lang, fields, problems=exc.problems), 422
            return editor(template_id, lang, fields, saved=True)
        return editor(template_id, lang, fields)
