"""Consent: every change recorded in the ledger with the switch it moves, and what the ledger
says when a message is planned or delivered.

Writers (each records a ``consent_events`` document with the contract's fields, once per cause):

- ``record_consent``: the registration form (a checkbox, with the version of its text), the
  counter (staff record what the customer said) and the preference page; it moves the matching
  switch (``smsEnabled``... for the whole channel, ``marketingEnabled`` for a marketing opt-in)
  on the profile, or on the client record of a walk-in without one;
- ``opt_out_after_provider_refusal``: Twilio 21610, the number replied STOP to our sender;
- inbound keywords and Meta's marketing preferences: ``shared.flows.inbound_consent``.

Each writer keeps the customer's ``consentState`` before it returns
(``shared.flows.consent_state.keep_state_for``).

Readers: ``facts_for_plan`` (the cascade) and ``facts_for_delivery`` (the live check) read only
what a decision needs: a walk-in's number for their service messages, the customer's ledger for
a marketing one (the replay their profile carries when it has one:
``shared.flows.consent_state``), nothing otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.flows.consent_state import keep_state_for
from shared.model.consent import ConsentAction, ConsentEvent, ConsentPurpose, ConsentSource
from shared.model.documents import CustomerContext, CustomerProfile
from shared.model.enums import Channel, EventKey, Purpose
from shared.model.ids import consent_event_id
from shared.model.record import NotificationRecord
from shared.platform.clock import utcnow
from shared.platform.errors import InvalidInputError
from shared.platform.log import get_logger
from shared.platform.masking import mask_phone
from shared.rules.cascade import contact_mobile, is_walk_in
from shared.rules.consent import ConsentFacts
from shared.store import consent, customers

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)
_SWITCH = {
    Channel.EMAIL: "emailEnabled",
    Channel.SMS: "smsEnabled",
    Channel.WHATSAPP: "whatsappEnabled",
    Channel.PUSH: "pushEnabled",
}
WRITTEN_BY_PEOPLE = frozenset(
    {ConsentSource.REGISTRATION_FORM, ConsentSource.COUNTER, ConsentSource.PREFERENCE_PAGE}
)


class InvalidConsentError(InvalidInputError):
    """A consent change that proves nothing (no channel, no text version for a form...)."""


def record_consent(
    db: Client,
    *,
    source: ConsentSource,
    channel: Channel,
    purpose: ConsentPurpose,
    action: ConsentAction,
    cause: str,
    at: datetime,
    to: str | None = None,
    customer_id: str | None = None,
    client_id: str | None = None,
    text_version: str | None = None,
    keyword: str | None = None,
    recorded_by: str | None = None,
) -> ConsentEvent:
    """Record one change said on a form, at the counter or on the preference page, and move
    its switch. ``cause`` names the submission (form id, staff action id): the same cause
    records once, however often it is sent. Raises ``InvalidConsentError`` for a change that
    could not prove anything later."""
    if source not in WRITTEN_BY_PEOPLE:
        raise InvalidConsentError(f"{source.value} changes are recorded by their own flow")
    if purpose is ConsentPurpose.UNKNOWN or action is ConsentAction.UNKNOWN:
        raise InvalidConsentError("a consent change needs a purpose and an action")
    if source is ConsentSource.REGISTRATION_FORM and not (text_version or "").strip():
        raise InvalidConsentError("a registration form opt-in needs the version of its text")
    if not (customer_id or client_id or to):
        raise InvalidConsentError(
            "a consent change needs the customer, the client record or the number or address"
        )
    event = ConsentEvent(
        event_id=consent_event_id(source.value, cause, channel.value, purpose.value),
        channel=channel,
        purpose=purpose,
        action=action,
        source=source,
        to=to,
        at=at,
        customer_id=customer_id,
        client_id=client_id,
        keyword=keyword,
        text_version=(text_version or "").strip() or None,
        extra={"recordedBy": recorded_by} if recorded_by else {},
    )
    created = consent.record(db, event)
    _move_switch(db, event)
    keep_state_for(db, event, now=utcnow())
    if created:
        log.info(
            "%s %s %s from the %s",
            channel.value,
            purpose.value,
            action.value,
            source.value.replace("_", " "),
        )
    return event


def _move_switch(db: Client, event: ConsentEvent) -> None:
    """The preference the change speaks for (idempotent: a redelivery writes the same)."""
    assert event.channel is not None
    enabled = event.is_opt_in
    if event.purpose is ConsentPurpose.MARKETING:
        if not enabled:
            return  # one channel's offers stopped: the ledger says which; others may go on
        values = {"marketingEnabled": True}
    else:
        values = {_SWITCH[event.channel]: enabled}
    if event.customer_id:
        customers.set_preferences(db, event.customer_id, values)
    elif event.client_id:
        customers.set_client_preferences(db, event.client_id, values)


def registration_opt_ins(
    db: Client,
    *,
    customer_id: str,
    contacts: dict[Channel, str | None],
    text_version: str,
    submission_id: str,
    at: datetime,
) -> list[ConsentEvent]:
    """The registration form's marketing checkbox, ticked: one opt-in per channel it named
    (``contacts``: channel -> the number or address given on the form)."""
    return [
        record_consent(
            db,
            source=ConsentSource.REGISTRATION_FORM,
            channel=channel,
            purpose=ConsentPurpose.MARKETING,
            action=ConsentAction.OPT_IN,
            cause=submission_id,
            at=at,
            to=to,
            customer_id=customer_id,
            text_version=text_version,
        )
        for channel, to in contacts.items()
    ]


def opt_out_after_provider_refusal(
    db: Client, record: NotificationRecord, error_code: str | None, *, now: datetime
) -> None:
    """Twilio 21610 (the number replied STOP to our sender): turn the channel off and record why."""
    channel = record.channel
    switch = _SWITCH.get(channel)
    if channel not in (Channel.SMS, Channel.WHATSAPP) or switch is None:
        return
    customer_id = record.customer_id
    event = ConsentEvent(
        event_id=consent_event_id(
            "provider", channel.value, record.to or "", error_code or "opt_out"
        ),
        channel=channel,
        purpose=ConsentPurpose.ALL,
        action=ConsentAction.OPT_OUT,
        source=ConsentSource.PROVIDER,
        to=record.to,
        at=now,
        customer_id=customer_id,
        client_id=record.ref("clientId"),
        provider=record.provider.value if record.provider else None,
        extra={
            "reason": "provider_reports_unsubscribed",
            "errorCode": error_code,
            "notificationId": record.notification_id,
        },
    )
    created = consent.record(db, event)
    if customer_id and "/" not in customer_id:
        customers.set_preferences(db, customer_id, {switch: False})
    keep_state_for(db, event, now=now)
    if created:
        log.info(
            "opted %s out of %s after the provider refused", mask_phone(record.to), channel.value
        )


# -- what a decision needs ------------------------------------------------------------------------


def facts_for_plan(
    db: Client,
    customer: CustomerContext,
    source: Mapping[str, Any],
    keys: Iterable[EventKey],
    *,
    default_country: str,
    on_query: Callable[[int], None] | None = None,
    why_not: bool = False,
) -> ConsentFacts:
    """The ledger facts the cascade needs for ``keys`` about ``source``: a walk-in's opt-outs
    (the events of the number they gave) for service messages; the customer's own events for
    marketing ones when ``marketingEnabled`` is on (without it nothing is sent, nothing read).
    ``why_not``: a registered customer's own events too, to tell a STOP from a switch never
    turned on (read only once a plan found nothing to send). The customer's own events come
    from their profile's ``consentState`` when it has one (no query). ``on_query`` is told how
    many events each query returned (the cart sweep counts reads)."""
    wanted = set(keys)
    events: list[ConsentEvent] = []
    service = any(key.purpose is Purpose.SERVICE for key in wanted)
    if service and is_walk_in(customer.profile, source):
        number = contact_mobile(None, customer.client, source, default_country).number
        if number is not None:
            events += _counted(consent.of_address(db, number.e164), on_query)
    marketing = any(key.is_marketing for key in wanted)
    profile = customer.profile
    if (
        customer.customer_id
        and profile is not None
        and (why_not or (marketing and profile.notification_preferences.marketing_enabled))
    ):
        if profile.consent_state is not None and not events:
            return ConsentFacts.of_state(profile.consent_state)  # kept by on_consent_written
        events += _counted(consent.of_customer(db, customer.customer_id), on_query)
    return ConsentFacts.from_events(events)


def _counted(
    events: list[ConsentEvent], on_query: Callable[[int], None] | None
) -> list[ConsentEvent]:
    if on_query is not None:
        on_query(len(events))
    return events


def facts_for_delivery(
    db: Client, record: NotificationRecord, profile: CustomerProfile | None = None
) -> ConsentFacts | None:
    """The ledger facts the live check needs for ``record``, or None when it needs none.
    ``profile``: its customer's, as the live check just read it; its ``consentState`` answers
    for a marketing message (our own writers keep it before they return; ``on_consent_written``
    folds in what a device created), the ledger only when it has none."""
    if record.is_reply:
        return None
    if record.effective_purpose is Purpose.MARKETING:
        if not record.customer_id:
            return ConsentFacts()
        if (
            profile is not None
            and profile.id == record.customer_id
            and profile.consent_state is not None
        ):
            return ConsentFacts.of_state(profile.consent_state)
        return ConsentFacts.from_events(consent.of_customer(db, record.customer_id))
    if not record.customer_id and not record.profile_at_plan and record.to:
        return ConsentFacts.from_events(consent.of_address(db, record.to))
    return None


# -- the audit ------------------------------------------------------------------------------------


def ledger(
    db: Client, customer_id: str | None = None, *, default_country: str = "FR"
) -> list[ConsentEvent]:
    """The whole shop's ledger, or one customer's: the events recorded for them and those of
    the number and address on their profile (a STOP texted before they registered is theirs
    too). Oldest first (events without a time first of all), then by channel."""
    if customer_id is None:
        events = list(consent.every_event(db))
    else:
        found = {e.event_id: e for e in consent.of_customer(db, customer_id)}
        profile = customers.get_profile(db, customer_id)
        if profile is not None:
            number = contact_mobile(profile, None, {}, default_country).number
            for address in (number.e164 if number else None, profile.email):
                for event in consent.of_address(db, address.strip()) if address else []:
                    found.setdefault(event.event_id, event)
        events = list(found.values())
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(
        events,
        key=lambda e: (e.at or oldest, e.channel.value if e.channel else "", e.event_id),
    )
