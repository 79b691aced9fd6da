"""The customer's preference page flow (issue 18) on the local stack's emulator: a signed link
opens what its holder receives; an unsubscribe from offers is a consent event that the next cart
reminder obeys; a walk-in's link turns their SMS off for their next repair; a resent form
records nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from shared.flows.preference_page import UnknownSubjectError, apply_choices, load_view, unsubscribe
from shared.model.enums import Channel
from shared.rules.preference_link import LinkSubject, PreferenceLinks, SubjectKind, verify_token
from tests.integration.cart_kit import Shop
from tests.integration.test_consent_by_purpose import _settled
from tests.integration.webhook_kit import national, unique_mobile

pytestmark = pytest.mark.integration
H = timedelta(hours=1)
SECRET = "preference-test-secret"
LINKS = PreferenceLinks("https://console.example.test/preferences", SECRET)


@pytest.fixture
def shop(
    stack_env: dict[str, str], firestore_client: Any, fakes: FakeProvidersClient, clean_stack: Stack
) -> Shop:
    return Shop(clean_stack, firestore_client, fakes)


def _events(db: Any, field: str, value: str) -> list[dict[str, Any]]:
    query = db.collection("consent_events").where(filter=FieldFilter(field, "==", value))
    return [s.to_dict() or {} for s in query.get()]


def _subject_from_link(url: str) -> LinkSubject:
    token = url.split("t=", 1)[1].split("&", 1)[0]
    return verify_token(token, secret=SECRET, now=datetime.now(UTC))


def test_unsubscribing_from_offers_stops_the_next_cart_reminder(shop: Shop) -> None:
    email = shop.customer("ana")  # ticked the offers box at registration (a recorded proof)
    link = LINKS.unsubscribe(LinkSubject(SubjectKind.CUSTOMER, "ana"), "email", shop.now)
    subject = _subject_from_link(link)

    view = load_view(shop.db, subject, default_country="FR")
    line = view.choice(Channel.EMAIL)
    assert line is not None
    assert (line.messages, line.offers, line.address) == (True, True, email)
    assert line.shown_as != email  # masked: a link may be forwarded

    event = unsubscribe(shop.db, view, Channel.EMAIL, request_id="click-1", now=shop.now)
    assert event is not None
    again = load_view(shop.db, subject, default_country="FR")
    assert unsubscribe(shop.db, again, Channel.EMAIL, request_id="click-2", now=shop.now) is None
    recorded = [
        e for e in _events(shop.db, "customerId", "ana") if e["source"] == "preference_page"
    ]
    assert [(e["channel"], e["purpose"], e["action"]) for e in recorded] == [
        ("email", "marketing", "opt_out")
    ]
    email_line = again.choice(Channel.EMAIL)
    assert email_line is not None
    assert (email_line.messages, email_line.offers) == (True, False)  # service email goes on

    shop.abandon("cart-ana", "ana", idle=3 * H)
    shop.sweep()
    shop.deliver()
    [reminder] = shop.history("cart-ana")
    assert (reminder["status"], reminder["statusReason"]) == (
        "skipped",
        "marketing_consent_not_recorded",
    )
    assert shop.cart_emails_to(email) == []


def test_a_resent_form_records_each_change_once_and_offers_need_the_channel(shop: Shop) -> None:
    shop.db.collection("customer_profiles").document("ben").set(
        {"email": "ben@example.com", "phoneNumber": "06 11 22 33 44", "country": "FR",
         "notificationPreferences": {"smsEnabled": True}}
    )  # fmt: skip
    subject = LinkSubject(SubjectKind.CUSTOMER, "ben")
    view = load_view(shop.db, subject, default_country="FR")
    sms = view.choice(Channel.SMS)
    assert sms is not None
    assert (sms.address, sms.messages, sms.offers) == ("+33611223344", True, False)
    wanted = {Channel.SMS: (True, True), Channel.EMAIL: (False, True)}

    first = apply_choices(shop.db, view, wanted, request_id="form-1", now=shop.now)
    second = apply_choices(shop.db, view, wanted, request_id="form-1", now=shop.now)

    assert [e.event_id for e in first] == [e.event_id for e in second]
    stored = {
        (e["channel"], e["purpose"], e["action"]) for e in _events(shop.db, "customerId", "ben")
    }
    assert stored == {("sms", "marketing", "opt_in"), ("email", "all", "opt_out")}
    assert len(_events(shop.db, "customerId", "ben")) == 2  # the same form twice: once each
    after = load_view(shop.db, subject, default_country="FR")
    assert [(c.channel.value, c.messages, c.offers) for c in after.channels] == [
        ("email", False, False),  # offers without the channel are not offers
        ("sms", True, True),
        ("whatsapp", False, False),
    ]
    prefs = (shop.db.collection("customer_profiles").document("ben").get().to_dict() or {})[
        "notificationPreferences"
    ]
    assert (prefs["emailEnabled"], prefs["smsEnabled"], prefs["marketingEnabled"]) == (
        False,
        True,
        True,
    )


def test_a_walk_ins_link_turns_off_the_sms_of_their_next_repair(
    shop: Shop, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    subject = LinkSubject(SubjectKind.PHONE, phone)
    view = load_view(firestore_client, subject, default_country="FR")
    assert [c.channel for c in view.channels if c.reachable] == [Channel.SMS, Channel.WHATSAPP]

    apply_choices(
        firestore_client, view, {Channel.SMS: (False, False)}, request_id="f", now=shop.now
    )
    [event] = _events(firestore_client, "to", phone)
    assert (event["channel"], event["purpose"], event["action"], event["source"]) == (
        "sms",
        "all",
        "opt_out",
        "preference_page",
    )
    ticket_id = f"T-{unique_id}"
    firestore_client.collection("tickets").document(ticket_id).set(
        {"clientName": "Awa", "clientPhone": national(phone), "status": "completed"}
    )
    rows = _settled(firestore_client, ticket_id, "ticket.completed")
    assert (rows["ticket.completed"]["status"], rows["ticket.completed"]["statusReason"]) == (
        "skipped",
        "opted_out",
    )


def test_a_link_to_a_deleted_customer_opens_nothing(firestore_client: Any) -> None:
    with pytest.raises(UnknownSubjectError):
        load_view(firestore_client, LinkSubject(SubjectKind.CUSTOMER, "gone"), default_country="FR")
