"""The console's staff actions (issue 18): reply, mark handled, retry, reroute, settings.

Each action is a POST from one of our pages (the CSRF double-submit of ``security``) by a
signed-in member of staff, carries its own id (``clickId``, made when the page was rendered: a
double click or a resent form acts once) and calls one flow; the console never calls a
provider: replies and retries go through the outbox and Cloud Tasks like every message.

- ``GET /reply?inbox=ID`` or ``?customer=ID``: the route the reply will take and why, and the
  form; ``POST /reply``: send it (the page says what happened, or why it cannot go);
- ``POST /inbox/<id>/handled``;
- ``POST /messages/<id>/retry`` and ``/reroute``;
- ``GET /settings``: every editable setting with its current value (JSON) and the latest
  changes; ``POST /settings``: validated per field, written with its history entry.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import flask

from functions.boundary.console import security
from functions.boundary.runtime import Deps
from shared.flows import settings_edit, staff_reply, staff_retry
from shared.model.enums import Channel
from shared.model.shop import ShopSettings

_WORDS = {
    "fr": {
        "reply.title": "Répondre",
        "reply.send": "Envoyer",
        "reply.sent": "Réponse envoyée.",
        "reply.refused": "La réponse ne peut pas partir : ",
        "handled": "Traité",
        "retry": "Renvoyer par le même canal",
        "reroute": "Envoyer par un autre canal",
        "retried": "Message renvoyé.",
        "rerouted": "Message envoyé par un autre canal.",
        "settings.title": "Réglages",
        "settings.save": "Enregistrer",
        "settings.saved": "Réglages enregistrés.",
        "settings.invalid": "Rien n'a été enregistré : corrigez les champs signalés.",
        "settings.history": "Derniers changements",
        "settings.default": "vide : la valeur par défaut",
        "json": "n'est pas du JSON valable",
    },
    "en": {
        "reply.title": "Reply",
        "reply.send": "Send",
        "reply.sent": "Reply sent.",
        "reply.refused": "The reply cannot go: ",
        "handled": "Handled",
        "retry": "Send again on the same channel",
        "reroute": "Send by another channel",
        "retried": "Message sent again.",
        "rerouted": "Message sent by another channel.",
        "settings.title": "Settings",
        "settings.save": "Save",
        "settings.saved": "Settings saved.",
        "settings.invalid": "Nothing was saved: fix the fields marked.",
        "settings.history": "Latest changes",
        "settings.default": "empty: the default",
        "json": "is not valid JSON",
    },
}


def _deps() -> Deps:
    deps: Deps = flask.current_app.extensions["console"].deps
    return deps


def _words(language: str) -> dict[str, str]:
    return _WORDS.get(language, _WORDS["en"])


def _refuse_csrf() -> flask.Response | None:
    if security.same_origin_post(flask.request.form.get(security.CSRF_FIELD)):
        return None
    return flask.Response("refused\n", 403, mimetype="text/plain")


def _click_id() -> str:
    value = flask.request.form.get("clickId") or ""
    return value if 0 < len(value) <= 64 and value.replace("-", "").isalnum() else ""


def _target() -> staff_reply.ReplyTarget | None:
    source = flask.request.values
    item = source.get("inbox")
    deps = _deps()
    if item:
        return staff_reply.target_of_inbox_item(deps.db, item)
    customer_id = source.get("customer")
    if customer_id and "/" not in customer_id:
        wrote = source.get("channel")
        channel = Channel(wrote) if wrote in {c.value for c in Channel} else None
        return staff_reply.ReplyTarget(customer_id=customer_id, wrote_on=channel)
    return None


def register(
    app: flask.Flask,
    staff_only: Callable[[Any], Any],
    current_staff: Callable[[], Any],
    language: Callable[[], str],
) -> None:
    """Add the staff actions to ``app``, each behind ``staff_only``."""

    def me() -> staff_reply.StaffMember:
        member = current_staff()
        return staff_reply.StaffMember(uid=member.uid, email=member.email)

    app.jinja_env.globals["click_id"] = lambda: secrets.token_hex(8)  # an id per rendered form
    _register_replies(app, staff_only, me, language)
    _register_retries(app, staff_only, me, language)
    _register_settings(app, staff_only, me, language)


Me = Callable[[], staff_reply.StaffMember]


def _register_replies(
    app: flask.Flask, staff_only: Callable[[Any], Any], me: Me, language: Callable[[], str]
) -> None:
    def reply_page(
        target: staff_reply.ReplyTarget, shop: ShopSettings | None = None, **extra: Any
    ) -> Any:
        deps = _deps()
        shop = shop or staff_reply.shop_settings(deps.db)
        route = staff_reply.preview(
            deps.db, target, now=deps.clock(), settings=deps.settings, shop=shop
        )
        return flask.render_template(
            "actions.html",
            a=_words(language()),
            page="reply",
            route=route,
            target=target,
            click_id=secrets.token_hex(8),
            **extra,
        )

    @app.get("/reply", endpoint="reply")
    @staff_only
    def reply_form() -> Any:
        target = _target()
        if target is None:
            flask.abort(404)
        return reply_page(target)

    @app.post("/reply", endpoint="reply_send")
    @staff_only
    def reply_send() -> Any:
        refused = _refuse_csrf()
        if refused is not None:
            return refused
        target = _target()
        if target is None:
            flask.abort(404)
        deps = _deps()
        words = _words(language())
        shop = staff_reply.shop_settings(deps.db)  # once: the send and the page after it
        try:
            staff_reply.send(
                deps.db,
                target,
                flask.request.form.get("text", ""),
                click_id=_click_id(),
                staff=me(),
                now=deps.clock(),
                settings=deps.settings,
                shop=shop,
                queue=deps.queue,
            )
        except staff_reply.ReplyRefusedError as exc:
            note = words["reply.refused"] + str(exc)
            return reply_page(target, shop, note=note, failed=True), 422
        return reply_page(target, shop, note=words["reply.sent"])

    @app.post("/inbox/<item_id>/handled", endpoint="inbox_handled")
    @staff_only
    def inbox_handled(item_id: str) -> Any:
        refused = _refuse_csrf()
        if refused is not None:
            return refused
        deps = _deps()
        if not staff_reply.mark_handled(deps.db, item_id, me(), deps.clock()):
            flask.abort(404)
        return flask.redirect(flask.url_for("inbox"), code=303)


def _register_retries(
    app: flask.Flask, staff_only: Callable[[Any], Any], me: Me, language: Callable[[], str]
) -> None:
    def _retry_or_reroute(notification_id: str, reroute: bool) -> Any:
        refused = _refuse_csrf()
        if refused is not None:
            return refused
        deps = _deps()
        words = _words(language())
        try:
            if reroute:
                staff_retry.reroute(
                    deps.db, notification_id, staff_uid=me().uid, now=deps.clock(),
                    queue=deps.queue,
                )  # fmt: skip
            else:
                staff_retry.retry(
                    deps.db, notification_id, click_id=_click_id(), staff_uid=me().uid,
                    now=deps.clock(), queue=deps.queue,
                )  # fmt: skip
        except staff_retry.RetryRefusedError as exc:
            return flask.render_template(
                "actions.html", a=words, page="result", note=str(exc), failed=True
            ), 422
        note = words["rerouted" if reroute else "retried"]
        return flask.render_template("actions.html", a=words, page="result", note=note)

    @app.post("/messages/<notification_id>/retry", endpoint="message_retry")
    @staff_only
    def message_retry(notification_id: str) -> Any:
        return _retry_or_reroute(notification_id, reroute=False)

    @app.post("/messages/<notification_id>/reroute", endpoint="message_reroute")
    @staff_only
    def message_reroute(notification_id: str) -> Any:
        return _retry_or_reroute(notification_id, reroute=True)


def _register_settings(
    app: flask.Flask, staff_only: Callable[[Any], Any], me: Me, language: Callable[[], str]
) -> None:
    def settings_page(
        values: dict[str, str] | None = None, problems: dict[str, list[str]] | None = None,
        note: str | None = None,
    ) -> Any:  # fmt: skip
        deps = _deps()
        current = settings_edit.current_settings(deps.db)
        shown = values or {
            key: json.dumps(current[key], ensure_ascii=False, default=str) if key in current else ""
            for key in sorted(settings_edit.EDITABLE)
        }
        return flask.render_template(
            "actions.html",
            a=_words(language()),
            page="settings",
            fields=shown,
            problems=problems or {},
            history=settings_edit.recent_changes(deps.db),
            click_id=secrets.token_hex(8),
            note=note,
            failed=bool(problems),
        )

    @app.get("/settings", endpoint="settings")
    @staff_only
    def settings_form() -> Any:
        return settings_page()

    @app.post("/settings", endpoint="settings_save")
    @staff_only
    def settings_save() -> Any:
        refused = _refuse_csrf()
        if refused is not None:
            return refused
        deps = _deps()
        words = _words(language())
        current = settings_edit.current_settings(deps.db)
        posted = {key: flask.request.form.get(key, "") for key in sorted(settings_edit.EDITABLE)}
        changes: dict[str, Any] = {}
        problems: dict[str, list[str]] = {}
        for key, text in posted.items():
            if not text.strip():
                if key in current:
                    changes[key] = None  # back to the default
                continue
            try:
                value = json.loads(text)
            except ValueError:
                problems[key] = [f"{key} {words['json']}"]
                continue
            if current.get(key) != value:
                changes[key] = value
        if not problems and changes:
            try:
                settings_edit.apply_change(
                    deps.db, changes, change_id=_click_id(), staff_uid=me().uid,
                    now=deps.clock(),
                )  # fmt: skip
            except settings_edit.SettingsInvalidError as exc:
                problems = exc.problems
        if problems:
            return settings_page(posted, problems, words["settings.invalid"]), 422
        return settings_page(note=words["settings.saved"])
