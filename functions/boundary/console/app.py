"""The console's Flask app: routes, the staff gate, and rendering of what the flows return.

Every route but the sign-in page, its session POST and the static files needs a valid staff
session (``shared.flows.console.access``); without one a page answers the sign-in page (a
redirect for a browser, 401 for the CSV download). All pages are GET and read-only; the two
POSTs (sign-in, sign-out) pass the CSRF check of ``security``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import flask

from functions.boundary.console import (
    actions,
    campaign_pages,
    pages,
    preferences,
    security,
    template_pages,
)
from functions.boundary.console.words import words
from functions.boundary.runtime import Deps
from shared.adapters.identity import Identity, SignInRefusedError, default_app
from shared.flows.console import access
from shared.flows.console.language import console_language
from shared.platform.errors import TransientError
from shared.platform.log import get_logger
from shared.rules.staff import StaffMember

HERE = Path(__file__).parent
F = TypeVar("F", bound=Callable[..., Any])
log = get_logger(__name__)
PRODUCTION_AUTH = "https://identitytoolkit.googleapis.com https://securetoken.googleapis.com"


class Console:
    """What the app needs besides the request: the boundary's ``Deps`` and an ``Identity``."""

    def __init__(self, deps: Deps | None = None, identity: Identity | None = None) -> None:
        self.deps = deps or Deps()
        self._identity = identity

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = Identity(default_app(self.deps.settings.project))
        return self._identity

    @property
    def auth_origin(self) -> str:
        """Where the sign-in page's SDK talks to: the emulator locally, Google otherwise."""
        host = self.deps.settings.auth_emulator_host
        return f"http://{host}" if host else PRODUCTION_AUTH


def create_app(console: Console | None = None) -> flask.Flask:
    """The app (one per process; tests make their own with their ``Console``)."""
    app = flask.Flask(
        __name__,
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
        static_url_path="/static",
    )
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["console"] = console or Console()
    app.jinja_env.autoescape = True
    _routes(app)
    pages.register(app, staff_only)
    preferences.register(app)  # public: the customer's own page, by signed link
    actions.register(app, staff_only, current_staff, _language)
    template_pages.register(app, staff_only, current_staff, _language)
    campaign_pages.register(app, staff_only)

    @app.context_processor
    def _common() -> dict[str, Any]:
        language = _language()
        return {
            "w": flask.g.get("words") or words(language),
            "lang": language,
            "csrf_token": security.csrf_token(),
            "staff": flask.g.get("staff"),
        }

    @app.before_request
    def _words() -> None:
        if not flask.request.path.startswith("/static/"):
            flask.g.words = words(_language())

    @app.after_request
    def _finish(response: flask.Response) -> flask.Response:
        return security.finish(response, auth_origin=_console().auth_origin)

    @app.errorhandler(TransientError)
    def _unavailable(exc: TransientError) -> tuple[str, int]:
        log.warning("console: a dependency is unavailable", extra={"error": str(exc)})
        return flask.render_template("error.html", message="unavailable"), 503

    return app


def _console() -> Console:
    console: Console = flask.current_app.extensions["console"]
    return console


def _language() -> str:
    language = flask.g.get("language")
    if language is None:
        console = _console()
        language = console_language(console.deps.db, console.deps.settings.default_country)
        flask.g.language = language
    return str(language)


def current_staff() -> StaffMember | None:
    """The signed-in member of staff for this request (checked once per request)."""
    if "staff" not in flask.g:
        console = _console()
        cookie = flask.request.cookies.get(security.SESSION_COOKIE)
        flask.g.staff = access.staff_of_session(console.identity, console.deps.db, cookie)
    staff: StaffMember | None = flask.g.staff
    return staff


def staff_only(view: F) -> F:
    """The view for staff; the sign-in page (or 401 for downloads) for everyone else."""

    @functools.wraps(view)
    def gated(*args: Any, **kwargs: Any) -> Any:
        if current_staff() is None:
            if flask.request.path.endswith(".csv"):
                return flask.Response("sign in first\n", 401, mimetype="text/plain")
            target = flask.request.full_path.rstrip("?")
            return flask.redirect(flask.url_for("sign_in_page", next=target))
        return view(*args, **kwargs)

    return gated  # type: ignore[return-value]


def _safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path of this app only (never another site)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or urlsplit(value).netloc
    ):
        return flask.url_for("today")
    return flask.request.script_root + value


def _routes(app: flask.Flask) -> None:
    @app.get("/signin")
    def sign_in_page() -> Any:
        console = _console()
        settings = console.deps.settings
        config = {
            "apiKey": settings.firebase_web_api_key or "local-emulator-key",
            "authDomain": f"{settings.project}.firebaseapp.com",
            "projectId": settings.project,
            "emulator": console.auth_origin if settings.auth_emulator_host else None,
            "sessionUrl": flask.url_for("open_session"),
            "next": _safe_next(flask.request.args.get("next")),
        }
        refused = flask.request.args.get("refused")
        return flask.render_template(
            "signin.html",
            firebase_config=json.dumps(config),
            refused=refused if refused in {"not_staff", "invalid"} else None,
        )

    @app.post("/session")
    def open_session() -> Any:
        console = _console()
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            return flask.jsonify(error="bad_request"), 400
        token = body.get(security.CSRF_FIELD)
        if not security.same_origin_post(token if isinstance(token, str) else None):
            return flask.jsonify(error="csrf"), 403
        id_token = body.get("idToken")
        if not isinstance(id_token, str):
            return flask.jsonify(error="bad_request"), 400
        lifetime = timedelta(hours=console.deps.settings.console_session_hours)
        try:
            cookie, _member = access.sign_in(
                console.identity,
                console.deps.db,
                id_token,
                lifetime=lifetime,
                now=console.deps.clock(),
            )
        except access.NotStaffError:
            return flask.jsonify(error="not_staff"), 403
        except SignInRefusedError:
            return flask.jsonify(error="invalid"), 401
        response = flask.jsonify(ok=True)
        response.set_cookie(
            security.SESSION_COOKIE,
            cookie,
            max_age=int(lifetime.total_seconds()),
            httponly=True,
            secure=security.secure_cookies(),
            samesite="Lax",
            path="/",
        )
        return response

    @app.post("/signout")
    def sign_out() -> Any:
        if not security.same_origin_post(flask.request.form.get(security.CSRF_FIELD)):
            return flask.Response("refused\n", 403, mimetype="text/plain")
        response = flask.redirect(flask.url_for("sign_in_page"))
        response.delete_cookie(security.SESSION_COOKIE, path="/")
        return response


def serve(app: flask.Flask, request: flask.Request) -> flask.Response:
    """Answer functions-framework's request with the console app.

    Locally the function is mounted at ``/console`` (functions-framework passes every path to
    it); deployed, at the root of its own URL. The prefix, when present, becomes the app's
    ``SCRIPT_NAME`` so links and cookies point at the right place either way.
    """
    environ = dict(request.environ)
    path = str(environ.get("PATH_INFO") or "/")
    if path == "/console" or path.startswith("/console/"):
        environ["SCRIPT_NAME"] = str(environ.get("SCRIPT_NAME", "")) + "/console"
        environ["PATH_INFO"] = path[len("/console") :] or "/"
    with app.request_context(environ):
        return app.full_dispatch_request()
