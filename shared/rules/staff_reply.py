"""A staff member's reply (issue 18): which channel and form it will take, and why, before it is
sent.

Pure. What is known about the customer (their profile or client record, the channel they wrote
on, what the consent ledger says, whether the WhatsApp window is open and the shop's approved
templates) comes in; a ``ReplyRoute`` comes out, with a sentence the page shows before sending:

1. **WhatsApp, free-form**, when the customer wrote on WhatsApp (or has it on) and the 24-hour
   window is open;
2. **WhatsApp, the shop's approved template** for staff replies (``whatsappTemplates``
   ``reply.staff``, its one variable the reply's text), when the window is closed and the
   template exists and is usable;
3. **SMS**, when the customer allows it (a registered customer's ``smsEnabled``; a walk-in's
   number unless it opted out), and as the fallback of a WhatsApp reply;
4. otherwise no route, and the reason.

A channel opted out of (STOP, the preference page) is never used. The reply is a service
message: it answers the customer's own request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.model.enums import Channel
from shared.rules.consent import ConsentFacts
from shared.rules.timerules import WHATSAPP_WINDOW

STAFF_REPLY_TEMPLATE = "reply.staff"
MAX_REPLY = 1600  # Twilio's limit for one message body; WhatsApp allows 4096


class RouteKind(StrEnum):
    WHATSAPP_FREE_FORM = "whatsapp_free_form"
    WHATSAPP_TEMPLATE = "whatsapp_template"
    SMS = "sms"
    NONE = "none"


@dataclass(frozen=True)
class ReplyFacts:
    """What the decision needs, already read."""

    wrote_on: Channel | None  # the channel of the message being answered
    phone: str | None  # E.164 mobile, if any
    whatsapp_to: str | None  # the WhatsApp address (E.164 or a WhatsApp user id)
    registered: bool  # a customer profile exists
    sms_enabled: bool  # the profile's smsEnabled (walk-ins: True unless refused)
    whatsapp_enabled: bool
    last_whatsapp_inbound: datetime | None
    ledger: ConsentFacts
    template_configured: bool  # whatsappTemplates has reply.staff
    template_usable: bool = True  # Meta's status of that template (paused, rejected: False)
    sms_configured: bool = True
    whatsapp_configured: bool = True


@dataclass(frozen=True)
class ReplyRoute:
    kind: RouteKind
    channel: Channel | None
    to: str | None
    reason: str
    detail: str
    fallback: Channel | None = None  # SMS after a WhatsApp reply fails
    fallback_to: str | None = None
    window_left: timedelta | None = None

    @property
    def possible(self) -> bool:
        return self.kind is not RouteKind.NONE


def _left(last: datetime | None, now: datetime) -> timedelta | None:
    if last is None:
        return None
    left = last + WHATSAPP_WINDOW - now
    return left if left > timedelta(0) else None


def _hours(left: timedelta) -> str:
    minutes = int(left.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def choose_reply_route(facts: ReplyFacts, now: datetime) -> ReplyRoute:
    """The route of a staff reply written now (see the module rules)."""
    refused = facts.ledger.opted_out
    sms_ok = bool(
        facts.phone
        and facts.sms_configured
        and Channel.SMS not in refused
        and (facts.sms_enabled or not facts.registered)
    )
    wants_whatsapp = facts.wrote_on is Channel.WHATSAPP or facts.whatsapp_enabled
    whatsapp_ok = bool(
        wants_whatsapp
        and facts.whatsapp_to
        and facts.whatsapp_configured
        and Channel.WHATSAPP not in refused
    )
    fallback: Channel | None = Channel.SMS if sms_ok else None
    fallback_to = facts.phone if sms_ok else None
    if whatsapp_ok:
        left = _left(facts.last_whatsapp_inbound, now)
        if left is not None:
            return ReplyRoute(
                RouteKind.WHATSAPP_FREE_FORM,
                Channel.WHATSAPP,
                facts.whatsapp_to,
                "whatsapp_window_open",
                f"WhatsApp, your own words: the customer wrote less than 24 hours ago "
                f"(the window closes in {_hours(left)})",
                fallback=fallback,
                fallback_to=fallback_to,
                window_left=left,
            )
        if facts.template_configured and facts.template_usable:
            return ReplyRoute(
                RouteKind.WHATSAPP_TEMPLATE,
                Channel.WHATSAPP,
                facts.whatsapp_to,
                "whatsapp_template",
                "WhatsApp, inside the shop's approved reply template: the 24-hour window is closed",
                fallback=fallback,
                fallback_to=fallback_to,
            )
    if sms_ok:
        why = (
            "the WhatsApp window is closed and no approved reply template is usable"
            if whatsapp_ok
            else "the customer allows SMS"
            if facts.registered
            else "SMS to the number given at the counter"
        )
        return ReplyRoute(RouteKind.SMS, Channel.SMS, facts.phone, "sms", f"SMS: {why}")
    if Channel.SMS in refused or Channel.WHATSAPP in refused:
        return ReplyRoute(
            RouteKind.NONE, None, None, "opted_out", "the customer opted out of these channels"
        )
    if whatsapp_ok:
        return ReplyRoute(
            RouteKind.NONE,
            None,
            None,
            "whatsapp_window_closed",
            "the WhatsApp window is closed, the shop has no usable approved reply template, "
            "and SMS is not allowed",
        )
    return ReplyRoute(
        RouteKind.NONE, None, None, "no_route", "no channel the customer allows can carry a reply"
    )
