"""The console's campaigns (issue 19): the list, a new draft from its document, the audience
count before scheduling, the live results, and schedule / pause / resume / cancel. Each action
is a CSRF-checked POST calling ``shared.flows.campaigns.control``, as the CLI does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import flask

from functions.boundary.console import security
from functions.boundary.runtime import Deps
from shared.flows.campaigns import control
from shared.platform.errors import InvalidInputError

ACTIONS = ("schedule", "pause", "resume", "cancel")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _deps() -> Deps:
    deps: Deps = flask.current_app.extensions["console"].deps
    return deps


def _refused() -> flask.Response | None:
    if security.same_origin_post(flask.request.form.get(security.CSRF_FIELD)):
        return None
    return flask.Response("refused\n", 403, mimetype="text/plain")


def register(app: flask.Flask, staff_only: Callable[[Any], Any]) -> None:
    """Add the campaign pages to ``app``, each behind ``staff_only``."""

    @app.get("/campaigns", endpoint="campaigns")
    @staff_only
    def campaigns_list() -> Any:
        rows = control.recent_campaigns(_deps().db)
        return flask.render_template("campaigns.html", page="list", rows=rows)

    @app.post("/campaigns", endpoint="campaign_create")
    @staff_only
    def campaign_create() -> Any:
        refused = _refused()
        if refused is not None:
            return refused
        campaign_id = (flask.request.form.get("campaignId") or "").strip()
        text = flask.request.form.get("document") or ""
        try:
            if not _ID.fullmatch(campaign_id):
                raise InvalidInputError("a campaign id is 1 to 64 letters, digits, - or _")
            fields = json.loads(text)
            if not isinstance(fields, dict):
                raise InvalidInputError("the document is not a JSON object")
            control.create(_deps().db, campaign_id, fields, now=_deps().clock())
        except (ValueError, InvalidInputError) as exc:
            rows = control.recent_campaigns(_deps().db)
            return flask.render_template(
                "campaigns.html", page="list", rows=rows, problem=str(exc), document=text,
                campaign_id=campaign_id,
            ), 422  # fmt: skip
        return flask.redirect(flask.url_for("campaign", campaign_id=campaign_id), code=303)

    @app.get("/campaigns/<campaign_id>", endpoint="campaign")
    @staff_only
    def campaign_page(campaign_id: str) -> Any:
        return _show(campaign_id)

    @app.post("/campaigns/<campaign_id>/<action>", endpoint="campaign_action")
    @staff_only
    def campaign_action(campaign_id: str, action: str) -> Any:
        refused = _refused()
        if refused is not None:
            return refused
        if action not in ACTIONS:
            flask.abort(404)
        deps = _deps()
        try:
            if action == "schedule":
                raw = (flask.request.form.get("sendAt") or "").strip()
                send_at = datetime.fromisoformat(raw) if raw else None
                if send_at is not None and send_at.tzinfo is None:
                    raise InvalidInputError("sendAt needs its UTC offset (+03:00, Z...)")
                control.schedule(deps.db, campaign_id, send_at=send_at)
            else:
                getattr(control, action)(deps.db, campaign_id)
        except (ValueError, InvalidInputError) as exc:
            return _show(campaign_id, problem=str(exc)), 422
        return flask.redirect(flask.url_for("campaign", campaign_id=campaign_id), code=303)


def _show(campaign_id: str, problem: str | None = None) -> Any:
    deps = _deps()
    doc = control.campaign_document(deps.db, campaign_id)
    if doc is None:
        return flask.render_template("error.html", message="not_found"), 404
    count = None
    if doc.get("status") in {"draft", "scheduled"}:
        count = control.count_audience(deps.db, campaign_id, settings=deps.settings).as_json()
    results = doc.get("results") if isinstance(doc.get("results"), dict) else {}
    return flask.render_template(
        "campaigns.html", page="one", campaign_id=campaign_id, doc=doc, count=count,
        results=results, actions=ACTIONS, problem=problem,
    )  # fmt: skip
