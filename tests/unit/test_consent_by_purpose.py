"""Consent by purpose (issue 15), through the planner and the live check: every history
document says its purpose; walk-ins hear about their own repair; marketing needs its proof, its
window and its opt-out mention, counted in the SMS's segments and cost before sending."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.model.documents import ClientRecord, CustomerContext, CustomerProfile
from shared.model.enums import Channel, EventKey, NotificationStatus, Purpose, purpose_of
from shared.model.record import NotificationRecord
from shared.model.shop import ShopSettings
from shared.model.shop_marketing import SenderKind, SmsOptOut, sender_kind
from shared.platform.settings import Settings, SmtpSettings, TwilioSettings
from shared.rules.changes import CustomerEvent
from shared.rules.consent import ConsentFacts
from shared.rules.live import LiveFacts, verdict
from shared.rules.planner import Source, plan_drafts
from shared.rules.rendering import build_message
from shared.rules.sms import analyze
from shared.rules.sms_footer import opt_out_values

PARIS = ZoneInfo("Europe/Paris")
TUESDAY = datetime(2026, 3, 3, 14, 0, tzinfo=PARIS)
SUNDAY = datetime(2026, 3, 8, 11, 0, tzinfo=PARIS)
SHOP = ShopSettings.from_document({"shopName": "Atelier Phone Paris"})
TWILIO = TwilioSettings(account_sid="AC1", auth_token="t", sms_from="+15005550006")
SETTINGS = Settings(twilio=TWILIO, smtp=SmtpSettings(host="smtp.example", sender="s@example.com"))
FR_MOBILE = "+33612345678"
KE_MOBILE = "+254712345678"

# Every event key of the contract and its purpose, written out: a new key must be classified here.
PURPOSES = {
    EventKey.TICKET_RECEIVED: Purpose.SERVICE,
    EventKey.TICKET_STATUS_CHANGED: Purpose.SERVICE,
    EventKey.TICKET_COMPLETED: Purpose.SERVICE,
    EventKey.TICKET_PICKUP_REMINDER: Purpose.SERVICE,
    EventKey.ORDER_PLACED: Purpose.SERVICE,
    EventKey.ORDER_SHIPPED: Purpose.SERVICE,
    EventKey.ORDER_OUT_FOR_DELIVERY: Purpose.SERVICE,
    EventKey.ORDER_DELIVERED: Purpose.SERVICE,
    EventKey.ORDER_CANCELLED: Purpose.SERVICE,
    EventKey.ORDER_PAYMENT_REMINDER: Purpose.SERVICE,
    EventKey.CART_REMINDER_1: Purpose.MARKETING,
    EventKey.CART_REMINDER_2: Purpose.MARKETING,
}


def test_every_event_key_has_its_purpose_written_out() -> None:
    assert set(PURPOSES) == set(EventKey)


@pytest.mark.parametrize(("key", "purpose"), PURPOSES.items())
def test_the_purpose_of_every_event_key_is_on_its_history_document(
    key: EventKey, purpose: Purpose
) -> None:
    assert key.purpose is purpose
    assert key.is_marketing is (purpose is Purpose.MARKETING)
    customer = profile(email="ana@example.com", marketingEnabled=True)
    proven = ConsentFacts(marketing=frozenset({Channel.EMAIL}))
    drafts = plan(key, customer, source={"customerId": "c1"}, consent=proven)
    assert drafts
    for draft in drafts:
        doc = draft.to_document(TUESDAY)
        assert doc["purpose"] == purpose.value
        assert NotificationRecord.from_document("n", doc).effective_purpose is purpose
        fallback = draft.fallback()
        if fallback is not None:
            assert fallback.to_document(TUESDAY)["purpose"] == purpose.value


@pytest.mark.parametrize(
    ("event_type", "purpose"),
    [("reply.opt_out", "service"), ("reply.status", "service"), ("campaign.spring", "marketing")],
)
def test_replies_are_service_and_campaigns_marketing(event_type: str, purpose: str) -> None:
    assert purpose_of(event_type).value == purpose


# -- helpers --------------------------------------------------------------------------------------


def profile(**fields: Any) -> CustomerProfile:
    prefs = {k: fields.pop(k) for k in list(fields) if k.endswith("Enabled")}
    email, phone = fields.pop("email", None), fields.pop("phone", None)
    data: dict[str, Any] = {"notificationPreferences": prefs, "language": "fr", **fields}
    if email:
        data["email"] = email
    if phone:
        data["phoneNumber"] = phone
    return CustomerProfile.from_document("c1", data)


def plan(
    key: EventKey,
    customer: CustomerProfile | None,
    *,
    source: dict[str, Any],
    consent: ConsentFacts | None = None,
    shop: ShopSettings = SHOP,
    settings: Settings = SETTINGS,
    now: datetime = TUESDAY,
    client: ClientRecord | None = None,
) -> list[NotificationRecord]:
    kind = key.value.split(".", 1)[0]
    id_field = {"ticket": "ticketId", "order": "orderId", "cart": "cartId"}[kind]
    return plan_drafts(
        CustomerEvent(key),
        source=Source(id_field, "D1", source),
        customer=CustomerContext("c1" if customer else None, customer, client),
        event_id="evt-1",
        settings=settings,
        shop=shop,
        now=now,
        consent=consent,
    )


def shape(drafts: list[NotificationRecord]) -> list[tuple[str, str, str]]:
    return [(d.channel.value, d.status.value, d.status_reason) for d in drafts]


WALK_IN = {"clientName": "Awa", "clientPhone": "06 12 34 56 78", "device": "iPhone 12"}


# -- walk-ins -------------------------------------------------------------------------------------


def test_walk_in_service_sms_sent_with_its_segments_and_cost_before_sending() -> None:
    (sms,) = plan(EventKey.TICKET_COMPLETED, None, source=WALK_IN)
    assert (sms.channel, sms.status, sms.to) == (Channel.SMS, NotificationStatus.PENDING, FR_MOBILE)
    assert sms.effective_purpose is Purpose.SERVICE
    assert (sms.metadata["segments"], sms.metadata["encoding"]) == (1, "GSM-7")
    assert sms.metadata["costEstimated"] is True
    assert sms.metadata["cost"] > 0


def test_a_walk_in_pickup_reminder_is_scheduled_for_its_day() -> None:
    due = datetime(2026, 3, 6, 14, 0, tzinfo=PARIS)
    drafts = plan_drafts(
        CustomerEvent(EventKey.TICKET_PICKUP_REMINDER, due_at=due),
        source=Source("ticketId", "T1", WALK_IN),
        customer=CustomerContext(None, None, None),
        event_id="evt-2",
        settings=SETTINGS,
        shop=SHOP,
        now=TUESDAY,
    )
    (reminder,) = drafts
    assert reminder.to_document(TUESDAY)["status"] == "scheduled"
    assert reminder.scheduled_for == due


def test_walk_in_stop_on_the_ledger_stops_their_service_sms() -> None:
    stopped = ConsentFacts(opted_out=frozenset({Channel.SMS}))
    assert shape(plan(EventKey.TICKET_COMPLETED, None, source=WALK_IN, consent=stopped)) == [
        ("sms", "skipped", "opted_out")
    ]


def test_walk_in_sms_can_be_turned_off_by_the_shop() -> None:
    off = ShopSettings.from_document({"walkInServiceSms": False})
    assert not off.walk_in_service_sms
    assert shape(plan(EventKey.TICKET_COMPLETED, None, source=WALK_IN, shop=off)) == [
        ("sms", "skipped", "walk_in_sms_off")
    ]


def test_registered_sms_disabled_never_gets_sms_from_the_planner() -> None:
    customer = profile(phone="0612345678", smsEnabled=False)
    for key in (EventKey.TICKET_COMPLETED, EventKey.TICKET_RECEIVED):
        drafts = plan(key, customer, source={"customerId": "c1", "clientPhone": "0612345678"})
        assert shape(drafts) == [("sms", "skipped", "sms_not_opted_in")]


# -- marketing ------------------------------------------------------------------------------------

SMS_SHOPPER = {"phone": "0612345678", "smsEnabled": True, "marketingEnabled": True}
CART = {"customerId": "c1", "items": [{"name": "Coque", "quantity": 1, "price": 15}], "total": 15}
SMS_PROOF = ConsentFacts(marketing=frozenset({Channel.SMS}))


def test_marketing_without_proof_is_skipped_with_its_reason() -> None:
    drafts = plan(EventKey.CART_REMINDER_1, profile(**SMS_SHOPPER), source=CART)
    assert shape(drafts) == [("sms", "skipped", "marketing_consent_not_recorded")]
    assert drafts[0].to_document(TUESDAY)["statusReason"] == "marketing_consent_not_recorded"


def test_a_french_marketing_sms_decided_on_a_sunday_is_held_until_monday_eight() -> None:
    (sms,) = plan(
        EventKey.CART_REMINDER_1,
        profile(**SMS_SHOPPER),
        source=CART,
        consent=SMS_PROOF,
        now=SUNDAY,
    )
    assert sms.status is NotificationStatus.PENDING
    assert sms.scheduled_for == datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)
    assert sms.to_document(SUNDAY)["status"] == "scheduled"  # held, never dropped


def test_a_french_marketing_sms_decided_at_21_before_whit_monday_waits_for_tuesday() -> None:
    saturday_night = datetime(2026, 5, 23, 21, 0, tzinfo=PARIS)  # Whit Monday is 25 May
    (sms,) = plan(
        EventKey.CART_REMINDER_1,
        profile(**SMS_SHOPPER),
        source=CART,
        consent=SMS_PROOF,
        now=saturday_night,
    )
    assert sms.scheduled_for == datetime(2026, 5, 26, 8, 0, tzinfo=PARIS)


def test_a_kenyan_marketing_sms_decided_at_19_is_held_until_8_with_the_operator_text() -> None:
    evening = datetime(2026, 3, 3, 19, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    customer = profile(**{**SMS_SHOPPER, "phone": "0712345678", "country": "KE"})
    (sms,) = plan(EventKey.CART_REMINDER_1, customer, source=CART, consent=SMS_PROOF, now=evening)
    assert sms.to == KE_MOBILE
    assert sms.country == "KE"
    assert sms.scheduled_for == datetime(2026, 3, 4, 8, 0, tzinfo=ZoneInfo("Africa/Nairobi"))
    assert sms.data["optOutOperator"] == "STOP*456*9*5#"
    text = build_message(sms, customer, now=evening, shop=SHOP)
    assert text is not None
    assert text.text.endswith("STOP*456*9*5#")


def test_marketing_email_is_never_held() -> None:
    customer = profile(email="ana@example.com", marketingEnabled=True)
    proven = ConsentFacts(marketing=frozenset({Channel.EMAIL}))
    (email,) = plan(EventKey.CART_REMINDER_1, customer, source=CART, consent=proven, now=SUNDAY)
    assert email.scheduled_for is None


def test_the_marketing_sms_footer_is_present_and_counted_before_sending() -> None:
    (sms,) = plan(EventKey.CART_REMINDER_2, profile(**SMS_SHOPPER), source=CART, consent=SMS_PROOF)
    message = build_message(sms, None, now=TUESDAY, shop=SHOP)
    assert message is not None
    assert message.text.startswith("Atelier Phone Paris:")
    assert message.text.endswith("Désinscription: répondez STOP")
    info = analyze(message.text)
    assert sms.metadata["segments"] == info.segments
    assert sms.metadata["encoding"] == info.encoding
    assert sms.metadata["cost"] == pytest.approx(0.0794 * info.segments, rel=0.5)
    without = message.text.removesuffix(" Désinscription: répondez STOP")
    assert analyze(without).units < info.units  # the footer is in the count


def test_a_short_code_and_an_alphanumeric_sender_change_the_mention() -> None:
    short = Settings(twilio=TwilioSettings(account_sid="AC1", auth_token="t", sms_from="36180"))
    (sms,) = plan(
        EventKey.CART_REMINDER_1,
        profile(**SMS_SHOPPER),
        source=CART,
        consent=SMS_PROOF,
        settings=short,
    )
    short_message = build_message(sms, None, now=TUESDAY, shop=SHOP)
    assert short_message is not None
    assert short_message.text.endswith("STOP au 36180")
    alpha = Settings(twilio=TwilioSettings(account_sid="AC1", auth_token="t", sms_from="ATELIER"))
    (refused,) = plan(
        EventKey.CART_REMINDER_1,
        profile(**SMS_SHOPPER),
        source=CART,
        consent=SMS_PROOF,
        settings=alpha,
    )
    assert (refused.status, refused.status_reason) == (
        NotificationStatus.SKIPPED,
        "no_opt_out_mention",
    )
    with_page = ShopSettings.from_document(
        {"shopName": "Atelier", "smsOptOut": {"FR": {"preferencesUrl": "https://a.example/p"}}}
    )
    (sms,) = plan(
        EventKey.CART_REMINDER_1,
        profile(**SMS_SHOPPER),
        source=CART,
        consent=SMS_PROOF,
        settings=alpha,
        shop=with_page,
    )
    message = build_message(sms, None, now=TUESDAY, shop=with_page)
    assert message is not None
    assert message.text.endswith("Désinscription: https://a.example/p")


@pytest.mark.parametrize(
    ("sms_from", "kind", "code"),
    [
        ("+15005550006", SenderKind.LONG_CODE, None),
        ("36180", SenderKind.SHORT_CODE, "36180"),
        ("ATELIER", SenderKind.ALPHANUMERIC, None),
        ("Shop 24", SenderKind.ALPHANUMERIC, None),
        (None, SenderKind.LONG_CODE, None),  # a messaging service: set smsOptOut.XX.sender
    ],
)
def test_the_sender_kind_comes_from_the_deployments_sender(
    sms_from: str | None, kind: SenderKind, code: str | None
) -> None:
    assert sender_kind(sms_from) == (kind, code)


def test_the_shops_opt_out_settings_override_per_country_and_keep_the_others() -> None:
    shop = ShopSettings.from_document(
        {"smsOptOut": {"FR": {"sender": "short_code", "shortCode": "36111"}, "BE": {}}}
    )
    assert shop.sms_opt_out["FR"] == SmsOptOut(SenderKind.SHORT_CODE, "36111")
    assert shop.sms_opt_out["KE"].operator_text == "STOP*456*9*5#"  # kept
    assert opt_out_values("FR", shop, fallback_country="FR", sms_from="+1500") == {
        "optOutShortCode": "36111"
    }
    assert opt_out_values("KE", shop, fallback_country="FR", sms_from="ATELIER") == {
        "optOutOperator": "STOP*456*9*5#"
    }
    bad = ShopSettings.from_document(
        {"smsOptOut": {"FR": {"sender": "pigeon", "shortCode": "12ab", "keyword": "no way"}}}
    )
    assert bad.sms_opt_out["FR"] == SmsOptOut()
    assert len(bad.problems) == 3


# -- at send time ---------------------------------------------------------------------------------


def record(**fields: Any) -> NotificationRecord:
    values: dict[str, Any] = {
        "notification_id": "n-1",
        "type": "ticket.completed",
        "channel": Channel.SMS,
        "provider": None,
        "to": FR_MOBILE,
        "customer_id": None,
        "country": "FR",
        **fields,
    }
    return NotificationRecord(**values)


def test_a_walk_in_who_texted_stop_since_the_plan_is_not_sent_the_reminder() -> None:
    reminder = record(type="ticket.pickup_reminder", refs={"ticketId": "T1"})
    stopped = LiveFacts(
        source={"status": "completed"}, consent=ConsentFacts(opted_out=frozenset({Channel.SMS}))
    )
    check = verdict(reminder, stopped, now=TUESDAY.astimezone(UTC), shop=SHOP)
    assert (check.cancel, check.reason) == (True, "opted_out")
    fine = verdict(
        reminder,
        LiveFacts(source={"status": "completed"}, consent=ConsentFacts()),
        now=TUESDAY,
        shop=SHOP,
    )
    assert not fine.cancel
    off = ShopSettings.from_document({"walkInServiceSms": False})
    turned_off = verdict(reminder, LiveFacts(source={"status": "completed"}), now=TUESDAY, shop=off)
    assert (turned_off.cancel, turned_off.reason) == (True, "walk_in_sms_off")


def test_marketing_whose_proof_is_gone_since_the_plan_is_cancelled() -> None:
    shopper = profile(**SMS_SHOPPER)
    cart = record(type="cart.reminder_1", customer_id="c1", profile_at_plan=True)
    source = {"status": "active", "reminderStage": 1}
    gone = verdict(
        cart,
        LiveFacts(source=source, profile=shopper, consent=ConsentFacts()),
        now=TUESDAY,
        shop=SHOP,
    )
    assert (gone.cancel, gone.reason) == (True, "marketing_consent_not_recorded")
    kept = verdict(
        cart, LiveFacts(source=source, profile=shopper, consent=SMS_PROOF), now=TUESDAY, shop=SHOP
    )
    assert not kept.cancel
