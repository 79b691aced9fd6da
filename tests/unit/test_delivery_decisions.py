"""Delivery's pure decisions, directly: the failure policy, the live check, rendering, the
record's document round trip and its fallback, and the planner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.model.documents import ClientRecord, CustomerContext, CustomerProfile
from shared.model.enums import Channel, EventKey, NotificationStatus, Provider, Purpose
from shared.model.record import InvalidRecordError, NotificationRecord
from shared.model.shop import ShopSettings
from shared.platform.settings import Settings, SmtpSettings, TwilioSettings
from shared.rules.changes import CustomerEvent
from shared.rules.delivery_policy import is_last_attempt, on_failure
from shared.rules.error_codes import ErrorKind
from shared.rules.live import LiveFacts, verdict
from shared.rules.planner import Source, plan_drafts
from shared.rules.provider_errors import provider_error
from shared.rules.rendering import build_message

# A Tuesday at 14:00 in Paris: no quiet hours.
NOW = datetime(2026, 11, 17, 13, 0, tzinfo=UTC)
SHOP = ShopSettings.from_document({})


def record(**fields: Any) -> NotificationRecord:
    values: dict[str, Any] = {
        "notification_id": "n-1",
        "type": "ticket.completed",
        "channel": Channel.SMS,
        "provider": Provider.TWILIO,
        "to": "+33612345678",
        "customer_id": None,
        "country": "FR",
        "data": {"ticketId": "T1", "device": "iPhone 12"},
        **fields,
    }
    return NotificationRecord(**values)


# -- the failure policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "attempt", "retry_count", "retry", "reason", "status", "ambiguous", "opt_out"),
    [
        (ErrorKind.UNAVAILABLE, 1, 0, True, "retrying", 503, False, False),
        (ErrorKind.RATE_LIMITED, 1, 0, True, "retrying", 429, False, False),
        (ErrorKind.TIMEOUT, 2, 1, True, "retrying", 503, True, False),
        (ErrorKind.UNAVAILABLE, 8, 7, False, "retries_exhausted", 200, False, False),
        (ErrorKind.UNAVAILABLE, 3, 7, False, "retries_exhausted", 200, False, False),
        (ErrorKind.INVALID_RECIPIENT, 1, 0, False, "invalid_recipient", 200, False, False),
        (ErrorKind.OPT_OUT, 1, 0, False, "opt_out", 200, False, True),
        (ErrorKind.TEMPLATE, 1, None, False, "template", 200, False, False),
    ],
)
def test_a_failure_is_retried_while_the_queue_has_attempts_then_fails_and_falls_back(
    kind: ErrorKind,
    attempt: int,
    retry_count: int | None,
    retry: bool,
    reason: str,
    status: int,
    ambiguous: bool,
    opt_out: bool,
) -> None:
    error = provider_error(Provider.TWILIO, kind, "refused")

    got = on_failure(error, attempt=attempt, max_attempts=8, task_retry_count=retry_count)

    assert (got.retry, got.reason, got.http_status) == (retry, reason, status)
    assert got.mark_ambiguous is ambiguous
    assert got.opt_out is opt_out
    assert got.fall_back is not retry


def test_an_unlimited_queue_never_has_a_last_attempt() -> None:
    assert not is_last_attempt(1000, -1, 999)
    assert is_last_attempt(8, 8, None)
    assert is_last_attempt(1, 8, 7)


# -- the live check --------------------------------------------------------------------------


def test_a_pickup_reminder_for_a_collected_phone_is_cancelled() -> None:
    reminder = record(type="ticket.pickup_reminder", refs={"ticketId": "T1"})

    check = verdict(reminder, LiveFacts(source={"status": "picked_up"}), now=NOW, shop=SHOP)

    assert (check.cancel, check.reason) == (True, "ticket_picked_up")


def test_a_customer_who_switched_sms_off_since_the_plan_gets_nothing() -> None:
    profile = CustomerProfile.from_document("c1", {"notificationPreferences": {}})

    check = verdict(record(customer_id="c1"), LiveFacts(profile=profile), now=NOW, shop=SHOP)

    assert (check.cancel, check.reason) == (True, "opted_out")


def test_a_walk_ins_stop_on_the_client_record_is_honoured_but_silence_is_not_an_opt_out() -> None:
    walk_in = record(refs={"clientId": "K1"})

    stopped = verdict(
        walk_in, LiveFacts(client_preferences={"smsEnabled": False}), now=NOW, shop=SHOP
    )
    silent = verdict(walk_in, LiveFacts(client_preferences={}), now=NOW, shop=SHOP)

    assert (stopped.cancel, stopped.reason) == (True, "opted_out")
    assert not silent.cancel


def test_an_sms_planned_before_quiet_hours_waits_for_the_morning() -> None:
    night = datetime(2026, 11, 17, 22, 30, tzinfo=UTC)  # 23:30 in Paris

    check = verdict(record(), LiveFacts(), now=night, shop=SHOP)

    assert check.reschedule_at == datetime(2026, 11, 18, 7, 0, tzinfo=UTC)  # 08:00 Paris


# -- rendering ---------------------------------------------------------------------------------


def test_a_record_renders_to_the_sms_it_will_send() -> None:
    message = build_message(record(), None, now=NOW, shop=SHOP)

    assert message is not None
    assert message.channel is Channel.SMS
    assert message.to == "+33612345678"
    assert "iPhone 12" in message.text


def test_whatsapp_outside_the_24_hour_window_goes_as_a_template_replies_do_not() -> None:
    whatsapp = record(channel=Channel.WHATSAPP)
    reply = record(channel=Channel.WHATSAPP, type="reply.status", body="Votre téléphone est prêt")

    planned = build_message(whatsapp, None, now=NOW, shop=SHOP)
    answered = build_message(reply, None, now=NOW, shop=SHOP)

    assert planned is not None
    assert planned.use_template
    assert answered is not None
    assert not answered.use_template
    assert answered.text == "Votre téléphone est prêt"


def test_a_push_without_device_tokens_has_nothing_to_send() -> None:
    assert build_message(record(channel=Channel.PUSH, to=None), None, now=NOW, shop=SHOP) is None


# -- the record ---------------------------------------------------------------------------------


def test_a_record_reads_back_what_it_wrote() -> None:
    planned = record(
        refs={"ticketId": "T1", "clientId": "K1"},
        fallback_channel=Channel.SMS,
        fallback_to="+33612345678",
        fallback_provider=Provider.TWILIO,
        urgent=True,
    )

    doc = planned.to_document(NOW)
    again = NotificationRecord.from_document("n-1", doc)

    assert doc["purpose"] == "service"
    assert doc["taskName"]
    assert again.refs == {"ticketId": "T1", "clientId": "K1"}
    assert (again.channel, again.provider, again.to) == (Channel.SMS, Provider.TWILIO, planned.to)
    assert again.fallback_channel is Channel.SMS
    assert again.urgent
    assert again.created_at == NOW


def test_a_pending_record_due_later_is_stored_scheduled() -> None:
    doc = record(scheduled_for=NOW + timedelta(hours=2)).to_document(NOW)

    assert doc["status"] == "scheduled"
    assert doc["scheduledFor"] == NOW + timedelta(hours=2)


def test_a_damaged_document_still_reads_except_without_a_channel() -> None:
    damaged = {"channel": "email", "attempts": "three", "data": "x", "status": "??", "urgent": 1}

    readable = NotificationRecord.from_document("n-2", damaged)

    assert readable.attempts == 0
    assert readable.data == {}
    assert readable.status is NotificationStatus.UNKNOWN
    assert readable.urgent is False
    with pytest.raises(InvalidRecordError):
        NotificationRecord.from_document("n-3", {"channel": "fax"})


def test_the_fallback_is_derived_once_from_the_record() -> None:
    whatsapp = record(
        channel=Channel.WHATSAPP,
        status_reason="whatsapp_no_email",
        refs={"ticketId": "T1", "clientId": "K1"},
        fallback_channel=Channel.SMS,
        fallback_to="+33612345678",
        fallback_provider=Provider.TWILIO,
    )

    fallback = whatsapp.fallback()

    assert fallback is not None
    assert fallback.channel is Channel.SMS
    assert fallback.fallback_of == "n-1"
    assert fallback.refs == {"ticketId": "T1"}
    assert fallback.notification_id == whatsapp.fallback().notification_id  # type: ignore[union-attr]
    assert fallback.fallback() is None  # a fallback has none of its own


def test_marketing_types_carry_their_purpose() -> None:
    assert record(type="cart.reminder_1").effective_purpose is Purpose.MARKETING
    assert record(type="order.shipped").effective_purpose is Purpose.SERVICE
    assert record(type="reply.status").effective_purpose is Purpose.SERVICE


# -- the planner --------------------------------------------------------------------------------


def test_the_planner_makes_one_record_per_channel_with_ids_refs_and_language() -> None:
    settings = Settings(
        twilio=TwilioSettings(account_sid="AC1", auth_token="t", sms_from="+15005550006"),
        smtp=SmtpSettings(host="smtp.example", sender="shop@example.com"),
    )
    profile = CustomerProfile.from_document(
        "c1", {"email": "ana@example.com", "language": "fr", "country": "FR"}
    )
    customer = CustomerContext("c1", profile, ClientRecord(id="K1"))

    records = plan_drafts(
        CustomerEvent(EventKey.TICKET_COMPLETED),
        source=Source("ticketId", "T1", {"customerId": "c1", "device": "Pixel 8"}),
        customer=customer,
        event_id="evt-1",
        settings=settings,
        shop=SHOP,
        now=NOW,
    )
    again = plan_drafts(
        CustomerEvent(EventKey.TICKET_COMPLETED),
        source=Source("ticketId", "T1", {"customerId": "c1", "device": "Pixel 8"}),
        customer=customer,
        event_id="evt-1",
        settings=settings,
        shop=SHOP,
        now=NOW,
    )

    (email,) = records
    assert email.channel is Channel.EMAIL
    assert email.to == "ana@example.com"
    assert email.refs == {"ticketId": "T1", "clientId": "K1"}
    assert email.language == "fr"
    assert email.status is NotificationStatus.PENDING
    assert [r.notification_id for r in again] == [email.notification_id]  # deterministic


def test_a_message_for_a_customer_whose_profile_was_deleted_since_is_cancelled() -> None:
    """Security finding (low): a queued message for a deleted profile was still sent."""
    planned = record(customer_id="c1", profile_at_plan=True)
    never_had_one = record(customer_id="c1")

    gone = verdict(planned, LiveFacts(profile=None), now=NOW, shop=SHOP)
    kept = verdict(never_had_one, LiveFacts(profile=None), now=NOW, shop=SHOP)

    assert (gone.cancel, gone.reason) == (True, "customer_deleted")
    assert not kept.cancel
    assert NotificationRecord.from_document("n", planned.to_document(NOW)).profile_at_plan
