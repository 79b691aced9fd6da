"""The console's pages: each route asks one flow for its data and renders one template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask


def register(app: flask.Flask, staff_only: Callable[[Any], Any]) -> None:
    """Add the staff pages to ``app``, each behind ``staff_only``."""

    @app.get("/")
    @staff_only
    def today() -> Any:
        return flask.render_template("today.html")

    for name in ("messages", "inbox", "carts", "consent"):
        app.add_url_rule(f"/{name}", name, staff_only(lambda: flask.render_template("today.html")))

    @app.get("/consent.csv")
    @staff_only
    def consent_csv() -> Any:
        return flask.Response("", mimetype="text/csv")
