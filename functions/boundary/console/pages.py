"""The console's pages: each route reads its query string, asks one flow for the page's data and
renders one template. Every page is a GET and reads only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import flask

from functions.boundary.console import charts
from functions.boundary.runtime import Deps
from shared.flows.console import carts, consent, customer, inbox, messages, overview
from shared.flows.console.language import shop_timezone
from shared.platform.clock import as_datetime

MAX_RANGE_DAYS = 366


def _deps() -> Deps:
    deps: Deps = flask.current_app.extensions["console"].deps
    return deps


def _zone() -> ZoneInfo:
    if "zone" not in flask.g:
        deps = _deps()
        flask.g.zone = ZoneInfo(shop_timezone(deps.db, deps.settings.default_country))
    zone: ZoneInfo = flask.g.zone
    return zone


def _when(value: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    at = as_datetime(value)
    return at.astimezone(_zone()).strftime(fmt) if at else ""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d}"


def _reason(doc: Mapping[str, Any]) -> str:
    """A failure or skip in plain words: the provider's error code, else our reason."""
    w = flask.g.words
    for key in (doc.get("errorCode"), doc.get("statusReason")):
        if key not in (None, "") and f"reason.{key}" in w:
            return str(w[f"reason.{key}"])
    raw = doc.get("statusDetail") or doc.get("errorMessage") or doc.get("statusReason") or ""
    return f"{w['reason.other']} ({str(raw)[:120]})" if raw else str(w["reason.other"])


def _cursor() -> str | None:
    value = flask.request.args.get("cursor", "")
    return value[:200] or None


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def register(app: flask.Flask, staff_only: Callable[[Any], Any]) -> None:
    """Add the staff pages to ``app``, each behind ``staff_only``."""
    app.jinja_env.filters.update(when=_when, pct=_pct, duration=_duration)
    app.jinja_env.globals.update(reason=_reason)

    @app.get("/", endpoint="today")
    @staff_only
    def today() -> Any:
        deps = _deps()
        period = flask.request.args.get("period", "today")
        chosen: overview.Period = period if period in overview.PERIODS else "today"
        data = overview.overview(
            deps.db, chosen, deps.clock(), timezone=str(_zone()), cursor=_cursor()
        )
        w = flask.g.words
        names = {g: w[f"group.{g}"] for g in overview.GROUPS} | {
            c: w[f"channel.{c}"] for c in overview.CHANNELS
        }
        stacked = charts.stacked_bars(
            [(c.channel, c.groups) for c in data.channels],
            list(overview.GROUPS),
            names,
            w["today.by_channel"],
        )
        sms_months = [m for m in data.months if m.channel == "sms"]
        cost_chart = charts.bars(
            [(m.month[2:], m.cost) for m in sms_months], w["today.sms_cost"], unit=" €"
        )
        segments_chart = charts.bars(
            [(m.month[2:], float(m.segments)) for m in sms_months], w["today.sms_segments"]
        )
        return flask.render_template(
            "today.html",
            data=data,
            stacked=stacked,
            cost_chart=cost_chart,
            segments_chart=segments_chart,
            groups=list(overview.GROUPS),
            colors=charts.COLORS,
            periods=overview.PERIODS,
        )

    @app.get("/messages", endpoint="messages")
    @staff_only
    def messages_page() -> Any:
        deps = _deps()
        found = messages.search(
            deps.db,
            flask.request.args.get("q", ""),
            default_country=deps.settings.default_country,
            cursor=_cursor(),
        )
        return flask.render_template("messages.html", found=found)

    @app.get("/messages/<notification_id>", endpoint="message")
    @staff_only
    def message(notification_id: str) -> Any:
        deps = _deps()
        view = messages.message_view(deps.db, notification_id, deps.clock())
        if view is None:
            return flask.render_template("error.html", message="not_found"), 404
        return flask.render_template("message.html", view=view)

    @app.get("/customers/<customer_id>", endpoint="customer")
    @staff_only
    def customer_page(customer_id: str) -> Any:
        deps = _deps()
        view = customer.customer_view(
            deps.db, customer_id, deps.clock(), default_country=deps.settings.default_country
        )
        if view is None:
            return flask.render_template("error.html", message="not_found"), 404
        return flask.render_template("customer.html", view=view, message_time=customer.message_time)

    @app.get("/inbox", endpoint="inbox")
    @staff_only
    def inbox_page() -> Any:
        deps = _deps()
        page = inbox.inbox_page(
            deps.db, default_country=deps.settings.default_country, cursor=_cursor()
        )
        return flask.render_template("inbox.html", page=page)

    @app.get("/carts", endpoint="carts")
    @staff_only
    def carts_page() -> Any:
        deps = _deps()
        today_local = deps.clock().astimezone(_zone()).date()
        end_day = _day(flask.request.args.get("end"), today_local)
        start_day = _day(flask.request.args.get("start"), end_day - timedelta(days=29))
        if start_day > end_day or (end_day - start_day).days > MAX_RANGE_DAYS:
            start_day = end_day - timedelta(days=29)
        start = datetime.combine(start_day, datetime.min.time(), _zone()).astimezone(UTC)
        end = datetime.combine(end_day + timedelta(days=1), datetime.min.time(), _zone())
        data = carts.funnel(deps.db, start, end.astimezone(UTC))
        w = flask.g.words
        chart = charts.funnel([(w[f"carts.{key}"], n) for key, n in data.steps], w["carts.funnel"])
        return flask.render_template(
            "carts.html", data=data, chart=chart, start=start_day, end=end_day
        )

    @app.get("/consent", endpoint="consent")
    @staff_only
    def consent_page() -> Any:
        deps = _deps()
        filters = consent.clean_filters(flask.request.args)
        page = consent.ledger_page(deps.db, filters, _cursor())
        return flask.render_template("consent.html", page=page, filters=filters)

    @app.get("/consent.csv", endpoint="consent_csv")
    @staff_only
    def consent_csv() -> Any:
        deps = _deps()
        filters = consent.clean_filters(flask.request.args)
        stamp = deps.clock().strftime("%Y%m%d-%H%M")
        return flask.Response(
            "".join(consent.ledger_csv(deps.db, filters)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="consent-{stamp}.csv"'},
        )
