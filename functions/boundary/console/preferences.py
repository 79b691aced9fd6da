"""The customer's own preference page (issue 18): public, reached by a signed expiring link.

- ``GET /preferences?t=...``: what the link's holder receives, per channel (messages, offers);
- ``POST /preferences``: their choices (the form carries the link's token, a CSRF token and its
  own id: a resent form records nothing twice), each change a consent event with source
  ``preference_page``;
- ``GET /preferences/unsubscribe?t=...&channel=email``: a page with one button;
  ``POST`` to the same URL: the one-click unsubscribe of marketing emails (RFC 8058: the mail
  provider posts ``List-Unsubscribe=One-Click`` with no cookie, so the signed token is the only
  credential, as the RFC intends).

A forged, altered or expired link gets a clear page (403 or 410) and changes nothing. No
sign-in; the page never shows a full number or address (a link may be forwarded).
"""

from __future__ import annotations

import secrets
from typing import Any

import flask

from functions.boundary.console import security
from shared.flows.preference_page import (
    PAGE_CHANNELS,
    PreferenceView,
    UnknownSubjectError,
    apply_choices,
    load_view,
    unsubscribe,
)
from shared.model.enums import Channel
from shared.platform.log import get_logger
from shared.rules.preference_link import LinkRefusal, PreferenceLinkError, verify_token

log = get_logger(__name__)
_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Vos messages",
        "intro": "Choisissez ce que vous recevez de nous.",
        "messages": "Messages sur mes réparations et commandes",
        "offers": "Offres et promotions",
        "save": "Enregistrer",
        "saved": "C'est enregistré.",
        "unreachable": "pas de coordonnée",
        "unsubscribe": "Ne plus recevoir d'offres par e-mail",
        "unsubscribed": "C'est fait : vous ne recevrez plus d'offres par e-mail.",
        "refused.forged": (
            "Ce lien n'est pas valable. Utilisez le lien reçu dans votre dernier message."
        ),
        "refused.expired": "Ce lien a expiré. Le lien de votre prochain message fonctionnera.",
        "refused.malformed": "Ce lien est incomplet.",
        "refused.gone": "Nous n'avons plus de compte à ce nom.",
        "email": "E-mail",
        "sms": "SMS",
        "whatsapp": "WhatsApp",
    },
    "en": {
        "title": "Your messages",
        "intro": "Choose what you receive from us.",
        "messages": "Messages about my repairs and orders",
        "offers": "Offers and promotions",
        "save": "Save",
        "saved": "Saved.",
        "unreachable": "no contact details",
        "unsubscribe": "Stop offers by email",
        "unsubscribed": "Done: you will not receive offers by email any more.",
        "refused.forged": "This link is not valid. Use the link in your latest message.",
        "refused.expired": "This link has expired. The link in your next message will work.",
        "refused.malformed": "This link is incomplete.",
        "refused.gone": "We no longer have an account under this name.",
        "email": "Email",
        "sms": "SMS",
        "whatsapp": "WhatsApp",
    },
}
_WORDS["sw"] = {
    **_WORDS["en"],
    "title": "Ujumbe wako",
    "intro": "Chagua unachopokea kutoka kwetu.",
    "save": "Hifadhi",
    "saved": "Imehifadhiwa.",
}


def _settings() -> Any:
    return flask.current_app.extensions["console"].deps.settings


def _deps() -> Any:
    return flask.current_app.extensions["console"].deps


def _language(view: PreferenceView | None = None) -> str:
    chosen = (view.language if view else None) or flask.request.accept_languages.best_match(
        list(_WORDS)
    )
    return chosen if chosen in _WORDS else "fr"


def _refused(reason: str, language: str | None = None) -> tuple[str, int]:
    words = _WORDS[language or _language()]
    status = 410 if reason in {LinkRefusal.EXPIRED.value, "gone"} else 403
    return flask.render_template("preferences.html", p=words, refused=words[f"refused.{reason}"],
                                 view=None, lines=[]), status  # fmt: skip


def _open(token: str | None) -> PreferenceView | tuple[str, int]:
    settings = _settings()
    if not (settings.preferences_secret and settings.preferences_url):
        return _refused(LinkRefusal.FORGED.value)  # this deployment signs no links
    deps = _deps()
    try:
        subject = verify_token(token, secret=settings.preferences_secret, now=deps.clock())
        return load_view(deps.db, subject, default_country=settings.default_country)
    except PreferenceLinkError as refused:
        log.info("preference link refused: %s", refused.reason.value)
        return _refused(refused.reason.value)
    except UnknownSubjectError:
        return _refused("gone")


def register(app: flask.Flask) -> None:
    """Add the public preference routes to ``app`` (no staff session needed)."""

    @app.get("/preferences")
    def preferences_page() -> Any:
        token = flask.request.args.get("t")
        view = _open(token)
        if not isinstance(view, PreferenceView):
            return view
        return _page(view, token or "", saved=flask.request.args.get("saved") == "1")

    @app.post("/preferences")
    def preferences_save() -> Any:
        token = flask.request.form.get("t")
        view = _open(token)
        if not isinstance(view, PreferenceView):
            return view
        if not security.same_origin_post(flask.request.form.get(security.CSRF_FIELD)):
            return flask.Response("refused\n", 403, mimetype="text/plain")
        form_id = flask.request.form.get("formId") or ""
        if not (0 < len(form_id) <= 64 and form_id.isalnum()):
            return flask.Response("refused\n", 400, mimetype="text/plain")
        wanted = {
            channel: (
                flask.request.form.get(f"{channel.value}.messages") == "on",
                flask.request.form.get(f"{channel.value}.offers") == "on",
            )
            for channel in PAGE_CHANNELS
        }
        deps = _deps()
        apply_choices(deps.db, view, wanted, request_id=form_id, now=deps.clock())
        return flask.redirect(flask.url_for("preferences_page", t=token, saved="1"), code=303)

    @app.route("/preferences/unsubscribe", methods=["GET", "POST"])
    def preferences_unsubscribe() -> Any:
        token = flask.request.args.get("t") or flask.request.form.get("t")
        view = _open(token)
        if not isinstance(view, PreferenceView):
            return view
        raw = flask.request.args.get("channel") or "email"
        channel = Channel(raw) if raw in {c.value for c in PAGE_CHANNELS} else Channel.EMAIL
        words = _WORDS[_language(view)]
        if flask.request.method == "GET":
            return flask.render_template("preferences.html", p=words, refused=None, view=view,
                                         lines=[], confirm=True, token=token or "",
                                         channel=channel.value)  # fmt: skip
        deps = _deps()
        # RFC 8058: the same request always stops the same thing; one event per link and day.
        day = deps.clock().strftime("%Y%m%d")
        unsubscribe(deps.db, view, channel, request_id=f"unsub{day}", now=deps.clock())
        return flask.render_template("preferences.html", p=words, refused=None, view=view,
                                     lines=[], done=words["unsubscribed"])  # fmt: skip


def _page(view: PreferenceView, token: str, *, saved: bool) -> Any:
    words = _WORDS[_language(view)]
    lines = [
        {
            "channel": line.channel.value,
            "label": words[line.channel.value],
            "shown": line.shown_as or words["unreachable"],
            "reachable": line.reachable,
            "messages": line.messages,
            "offers": line.offers,
        }
        for line in view.channels
    ]
    return flask.render_template(
        "preferences.html",
        p=words,
        refused=None,
        view=view,
        lines=lines,
        token=token,
        form_id=secrets.token_hex(8),
        done=words["saved"] if saved else None,
    )
