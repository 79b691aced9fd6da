"""Which route a staff reply takes, and why (issue 18), as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.model.enums import Channel
from shared.rules.consent import ConsentFacts
from shared.rules.staff_reply import ReplyFacts, RouteKind, choose_reply_route

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
PHONE = "+33612345678"
BASE = ReplyFacts(
    wrote_on=Channel.WHATSAPP,
    phone=PHONE,
    whatsapp_to=PHONE,
    registered=True,
    sms_enabled=True,
    whatsapp_enabled=True,
    last_whatsapp_inbound=NOW - timedelta(hours=20, minutes=30),
    ledger=ConsentFacts(),
    template_configured=True,
)
CLOSED = NOW - timedelta(hours=25)


@pytest.mark.parametrize(
    ("change", "kind", "reason", "fallback"),
    [
        ({}, RouteKind.WHATSAPP_FREE_FORM, "whatsapp_window_open", Channel.SMS),
        ({"last_whatsapp_inbound": CLOSED}, RouteKind.WHATSAPP_TEMPLATE, "whatsapp_template",
         Channel.SMS),
        ({"last_whatsapp_inbound": CLOSED, "template_configured": False}, RouteKind.SMS, "sms",
         None),
        ({"last_whatsapp_inbound": CLOSED, "template_usable": False}, RouteKind.SMS, "sms", None),
        ({"last_whatsapp_inbound": CLOSED, "template_configured": False, "sms_enabled": False},
         RouteKind.NONE, "whatsapp_window_closed", None),
        ({"ledger": ConsentFacts(opted_out=frozenset({Channel.WHATSAPP}))}, RouteKind.SMS, "sms",
         None),
        ({"ledger": ConsentFacts(opted_out=frozenset({Channel.WHATSAPP, Channel.SMS}))},
         RouteKind.NONE, "opted_out", None),
        ({"ledger": ConsentFacts(opted_out=frozenset({Channel.SMS}))},
         RouteKind.WHATSAPP_FREE_FORM, "whatsapp_window_open", None),
        ({"wrote_on": Channel.SMS, "whatsapp_enabled": False}, RouteKind.SMS, "sms", None),
        ({"wrote_on": Channel.SMS, "whatsapp_enabled": False, "sms_enabled": False},
         RouteKind.NONE, "no_route", None),
        # A walk-in who texted: SMS to the number they wrote from, unless they opted out.
        ({"wrote_on": Channel.SMS, "registered": False, "whatsapp_enabled": False,
          "sms_enabled": False}, RouteKind.SMS, "sms", None),
        ({"whatsapp_configured": False, "sms_configured": False}, RouteKind.NONE, "no_route",
         None),
    ],
)  # fmt: skip
def test_the_route_of_a_staff_reply(
    change: dict[str, object], kind: RouteKind, reason: str, fallback: Channel | None
) -> None:
    route = choose_reply_route(replace(BASE, **change), NOW)  # type: ignore[arg-type]
    assert (route.kind, route.reason, route.fallback) == (kind, reason, fallback)
    assert route.detail  # the page says why before sending
    assert route.possible is (kind is not RouteKind.NONE)
    if route.possible:
        assert route.to == PHONE


def test_the_page_says_how_long_the_window_stays_open() -> None:
    route = choose_reply_route(BASE, NOW)
    assert route.window_left == timedelta(hours=3, minutes=30)
    assert "3 h 30 min" in route.detail


def test_a_whatsapp_user_known_only_by_id_is_answered_on_whatsapp() -> None:
    facts = replace(BASE, phone=None, whatsapp_to="US.13491208655302741918")
    route = choose_reply_route(facts, NOW)
    assert (route.kind, route.to, route.fallback) == (
        RouteKind.WHATSAPP_FREE_FORM,
        "US.13491208655302741918",
        None,
    )
