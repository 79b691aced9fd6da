"""Campaigns (issue 19), the pure parts: the document, the audience, who receives what and
when, the send-time gate, the health that pauses a campaign, the pacing of its queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.model.campaign import (
    Campaign,
    CampaignStatus,
    CampaignStep,
    CartFilter,
    InvalidCampaignError,
    Limits,
    StepKind,
)
from shared.model.campaign_template import whatsapp_template_of
from shared.model.consent import ConsentAction, ConsentEvent, ConsentPurpose, ConsentSource
from shared.model.documents import CustomerProfile
from shared.model.enums import Channel, NotificationStatus, Provider, Purpose
from shared.model.ids import campaign_notification_id
from shared.model.plan import ConfiguredProviders
from shared.model.shop import ShopSettings
from shared.rules.campaign_audience import MARKETING_FIELD, audience_query, matches
from shared.rules.campaign_health import Send, health
from shared.rules.campaign_live import gate
from shared.rules.campaign_pacing import Pacing, campaign_rate, page_interval
from shared.rules.campaign_recipients import (
    SAME_DESTINATION,
    Deployment,
    as_duplicate,
    destination_key,
    one_per_destination,
    plan_recipient,
)
from shared.rules.consent import ConsentFacts
from shared.rules.rendering import build_message
from shared.rules.template_status import Usability

NAIROBI = ZoneInfo("Africa/Nairobi")
TUESDAY_NOON = datetime(2026, 3, 3, 12, 0, tzinfo=NAIROBI)
TUESDAY_NIGHT = datetime(2026, 3, 3, 20, 0, tzinfo=NAIROBI)
KE_MOBILE = "+254712345678"

DOC: dict[str, Any] = {
    "name": "Mega sale",
    "purpose": "marketing",
    "status": "scheduled",
    "audience": {"country": "KE", "tags": ["vip"]},
    "channels": ["whatsapp", "sms"],
    "content": {
        "whatsapp": {
            "sw": {
                "metaName": "mega_sale",
                "metaLanguage": "sw",
                "variables": ["$customerName", "20%"],
                "preview": "Habari $customerName, punguzo la 20%!",
            },
            "en": {"metaName": "mega_sale", "metaLanguage": "en", "variables": ["$customerName"]},
        },
        "sms": {"sw": "$shopName: punguzo la 20% leo, $customerName!", "en": "20% off today!"},
    },
}
PROVIDERS = ConfiguredProviders(
    email=True, sms=True, whatsapp=True, push=False, whatsapp_provider=Provider.META
)
DEPLOYMENT = Deployment(
    providers=PROVIDERS,
    shop=ShopSettings.from_document({"shopName": "Duka"}),
    default_country="KE",
    sms_from="+15005550006",
    shop_name="Duka",
)


def campaign(**changes: Any) -> Campaign:
    return Campaign.from_document("C1", {**DOC, **changes})


def profile(customer_id: str = "u1", **fields: Any) -> CustomerProfile:
    doc = {
        "displayName": "Wanjiku",
        "phoneNumber": KE_MOBILE,
        "country": "KE",
        "language": "sw",
        "tags": ["vip"],
        "notificationPreferences": {
            "marketingEnabled": True,
            "whatsappEnabled": True,
            "smsEnabled": True,
        },
        **fields,
    }
    return CustomerProfile.from_document(customer_id, doc)


def opt_in(channel: Channel, at: datetime = TUESDAY_NOON - timedelta(days=9)) -> ConsentEvent:
    return ConsentEvent(
        event_id=f"e-{channel.value}",
        channel=channel,
        purpose=ConsentPurpose.MARKETING,
        action=ConsentAction.OPT_IN,
        source=ConsentSource.COUNTER,
        to=KE_MOBILE,
        at=at,
        customer_id="u1",
    )


def opt_out(channel: Channel) -> ConsentEvent:
    return ConsentEvent(
        event_id=f"x-{channel.value}",
        channel=channel,
        purpose=ConsentPurpose.ALL,
        action=ConsentAction.OPT_OUT,
        source=ConsentSource.KEYWORD,
        to=KE_MOBILE,
        at=TUESDAY_NOON - timedelta(days=1),
        customer_id="u1",
    )


# -- the document --------------------------------------------------------------------------


def test_a_campaign_document_reads_as_a_typed_campaign() -> None:
    c = campaign()
    assert c.status is CampaignStatus.SCHEDULED
    assert c.channels == (Channel.WHATSAPP, Channel.SMS)
    assert c.audience.countries == ("KE",)
    assert c.audience.tags == ("vip",)
    assert c.content.whatsapp["sw"].variables == ("$customerName", "20%")
    assert c.limits == Limits()  # 10% failures, 2% opt-outs over the last 200 sends
    assert c.purpose is Purpose.MARKETING


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"status": "launched"}, "status must be one of"),
        ({"purpose": "service"}, "purpose must be marketing"),
        ({"channels": []}, "channels must list"),
        ({"channels": ["push"]}, "cannot carry a campaign"),
        ({"channels": ["email"]}, "content has nothing for email"),
        ({"content": "hello"}, "content must be a map"),
        ({"audience": {"hasOrder": "yes"}}, "hasOrder must be true or false"),
        ({"audience": {"cartStatus": "abandoned"}}, "cartStatus must be one of"),
        ({"audience": {"hasOrder": False, "lastOrderFrom": TUESDAY_NOON}}, "contradicts"),
        ({"sendAt": "tomorrow"}, "sendAt must be a timestamp"),
        ({"content": {"whatsapp": {"sw": {"variables": []}}}}, "needs metaName"),
        ({"content": {"sms": {"swahili": "x"}}}, "is not a language code"),
    ],
)
def test_a_campaign_that_cannot_be_sent_says_why(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidCampaignError, match=says):
        campaign(**changes)


def test_a_step_body_round_trips_and_bad_bodies_are_refused() -> None:
    step = CampaignStep("C1", StepKind.PLAN, "r1", 3, "u9")
    assert CampaignStep.from_body(step.body()) == step
    for body in ({}, {"campaignId": "a/b", "step": "plan"}, {"campaignId": "C", "step": "x"}):
        with pytest.raises(InvalidCampaignError):
            CampaignStep.from_body(body)
    with pytest.raises(InvalidCampaignError, match="page"):
        CampaignStep.from_body({"campaignId": "C", "step": "plan", "page": -1})


# -- the audience ------------------------------------------------------------------------------


def test_the_audience_query_carries_what_an_index_can_and_always_marketing() -> None:
    q = audience_query(campaign(audience={"country": ["KE", "TZ"], "language": "sw"}).audience)
    assert q.filters == (
        (MARKETING_FIELD, "==", True),
        ("country", "in", ["KE", "TZ"]),
        ("language", "==", "sw"),
    )
    assert q.order_field is None
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    ranged = campaign(
        audience={"tags": ["vip", "battery"], "lastOrderFrom": start, "lastOrderTo": end}
    ).audience
    q = audience_query(ranged)
    assert ("tags", "array_contains", "vip") in q.filters
    assert ("lastOrderAt", ">=", start) in q.filters
    assert ("lastOrderAt", "<", end) in q.filters
    assert q.order_field == "lastOrderAt"
    assert audience_query(campaign(audience={"hasOrder": True}).audience).order_field


@pytest.mark.parametrize(
    ("audience", "fields", "expected"),
    [
        ({"country": "KE"}, {}, True),
        ({"country": "KE"}, {"country": "FR"}, False),
        ({"language": ["sw", "en"]}, {"language": "en"}, True),
        ({"tags": ["vip", "battery"]}, {"tags": ["vip"]}, False),
        ({"tags": ["vip", "battery"]}, {"tags": ["battery", "vip", "x"]}, True),
        ({"hasOrder": False}, {}, True),
        ({"hasOrder": False}, {"lastOrderAt": TUESDAY_NOON}, False),
        ({"hasOrder": True}, {}, False),
        ({"lastOrderFrom": TUESDAY_NOON}, {"lastOrderAt": TUESDAY_NIGHT}, True),
        ({"lastOrderTo": TUESDAY_NOON}, {"lastOrderAt": TUESDAY_NIGHT}, False),
        ({"cartStatus": "active"}, {"cartStatus": "active"}, True),
        ({"cartStatus": "none"}, {}, True),
        ({"cartStatus": "none"}, {"cartStatus": "converted"}, False),
        ({}, {"notificationPreferences": {"marketingEnabled": False}}, False),
    ],
)
def test_audience_filters(audience: dict[str, Any], fields: dict[str, Any], expected: bool) -> None:
    doc = {"country": "KE", "notificationPreferences": {"marketingEnabled": True}, **fields}
    assert matches(campaign(audience=audience).audience, doc) is expected
    assert CartFilter("none") is CartFilter.NONE


# -- recipients ----------------------------------------------------------------------------------


def test_a_proven_whatsapp_opt_in_gets_the_campaign_template_with_its_variables() -> None:
    facts = ConsentFacts.from_events([opt_in(Channel.WHATSAPP)])
    record = plan_recipient(campaign(), profile(), facts, DEPLOYMENT, now=TUESDAY_NOON)
    assert record.notification_id == campaign_notification_id("C1", "u1")
    assert (record.channel, record.status, record.to) == (
        Channel.WHATSAPP,
        NotificationStatus.PENDING,
        KE_MOBILE,
    )
    assert record.purpose is Purpose.MARKETING
    assert record.ref("campaignId") == "C1"
    template = whatsapp_template_of(record.data)
    assert template is not None
    assert (template.meta_name, template.meta_language) == ("mega_sale", "sw")
    assert template.variables == ("Wanjiku", "20%")
    message = build_message(record, profile(), now=TUESDAY_NOON, shop=DEPLOYMENT.shop)
    assert message is not None
    assert message.use_template
    assert message.template == template
    assert message.text == "Habari Wanjiku, punguzo la 20%!"


def test_without_whatsapp_proof_the_next_channel_with_proof_carries_it_with_its_footer() -> None:
    facts = ConsentFacts.from_events([opt_in(Channel.SMS)])
    record = plan_recipient(campaign(), profile(), facts, DEPLOYMENT, now=TUESDAY_NOON)
    assert (record.channel, record.status) == (Channel.SMS, NotificationStatus.PENDING)
    assert record.body is not None
    assert record.body.startswith("Duka: punguzo la 20% leo, Wanjiku!")
    assert "STOP*456*9*5#" in record.body  # Kenya's operator opt-out, from the catalog
    assert record.metadata["segments"] >= 1
    assert record.metadata["costEstimated"] is True


@pytest.mark.parametrize(
    ("events", "prefs", "phone", "reason"),
    [
        ([], {}, KE_MOBILE, "marketing_consent_not_recorded"),
        ([opt_in(Channel.WHATSAPP), opt_out(Channel.WHATSAPP)], {}, KE_MOBILE, "opted_out"),
        ([opt_in(Channel.WHATSAPP)], {"marketingEnabled": False}, KE_MOBILE,
         "marketing_not_enabled"),
        ([opt_in(Channel.WHATSAPP)], {"whatsappEnabled": False}, KE_MOBILE,
         "whatsapp_not_opted_in"),
        ([opt_in(Channel.WHATSAPP)], {}, "+254202222222", "landline"),
        ([opt_in(Channel.WHATSAPP)], {}, None, "no_phone"),
    ],
)  # fmt: skip
def test_a_recipient_who_may_not_receive_it_is_recorded_skipped_with_the_reason(
    events: list[ConsentEvent], prefs: dict[str, Any], phone: str | None, reason: str
) -> None:
    base = {"marketingEnabled": True, "whatsappEnabled": True, "smsEnabled": False}
    who = profile(phoneNumber=phone, notificationPreferences={**base, **prefs})
    c = campaign(channels=["whatsapp"])
    record = plan_recipient(c, who, ConsentFacts.from_events(events), DEPLOYMENT, now=TUESDAY_NOON)
    assert record.status is NotificationStatus.SKIPPED
    assert record.status_reason == reason


def test_outside_the_marketing_window_the_message_waits_for_it_to_open() -> None:
    facts = ConsentFacts.from_events([opt_in(Channel.WHATSAPP)])
    record = plan_recipient(campaign(), profile(), facts, DEPLOYMENT, now=TUESDAY_NIGHT)
    assert record.scheduled_for == datetime(2026, 3, 4, 8, 0, tzinfo=NAIROBI)
    assert record.to_document(TUESDAY_NIGHT)["status"] == "scheduled"


def test_send_at_in_the_future_is_the_earliest_send_time() -> None:
    later = TUESDAY_NOON + timedelta(hours=2)
    facts = ConsentFacts.from_events([opt_in(Channel.WHATSAPP)])
    record = plan_recipient(campaign(sendAt=later), profile(), facts, DEPLOYMENT, now=TUESDAY_NOON)
    assert record.scheduled_for == later


def test_one_customer_one_message_per_campaign_whatever_the_channel() -> None:
    a = plan_recipient(
        campaign(), profile(), ConsentFacts.from_events([opt_in(Channel.SMS)]), DEPLOYMENT,
        now=TUESDAY_NOON,
    )  # fmt: skip
    b = plan_recipient(
        campaign(), profile(), ConsentFacts.from_events([opt_in(Channel.WHATSAPP)]), DEPLOYMENT,
        now=TUESDAY_NOON,
    )  # fmt: skip
    assert a.notification_id == b.notification_id
    assert campaign_notification_id("C1", "u1") != campaign_notification_id("C2", "u1")


# -- at send time ---------------------------------------------------------------------------------


def test_the_gate_holds_a_paused_campaign_cancels_a_cancelled_one_pauses_on_a_template() -> None:
    assert gate({"status": "sending"}).action == "go"
    assert gate({"status": "paused"}).action == "hold"
    assert gate({"status": "cancelled"}).reason == "campaign_cancelled"
    assert gate(None).action == "cancel"
    verdict = gate({"status": "sending"}, Usability(False, "template_paused"))
    assert (verdict.action, verdict.pause_campaign) == ("hold", "template_paused")


# -- health ---------------------------------------------------------------------------------------


def sends(failed: int, ok: int) -> list[Send]:
    return [Send("failed", f"f{i}") for i in range(failed)] + [
        Send("delivered", f"d{i}") for i in range(ok)
    ]


def test_the_campaign_pauses_over_ten_percent_failures_over_the_last_sends() -> None:
    assert not health(sends(20, 180), [], Limits()).pause  # exactly 10%: not over
    verdict = health(sends(21, 179), [], Limits())
    assert (verdict.pause, verdict.reason) == (True, "failure_rate")
    assert "21 of the last 200 sends failed" in verdict.detail
    # Only the last 200 count: older failures (later in the newest-first list) do not.
    assert not health(sends(0, 200) + sends(100, 0), [], Limits()).pause


def test_the_campaign_pauses_over_two_percent_opt_outs_and_not_on_a_tiny_sample() -> None:
    recent = sends(0, 200)
    assert not health(recent, ["d1", "d2", "d3", "d4"], Limits()).pause  # 2%
    verdict = health(recent, ["d1", "d2", "d3", "d4", "d5"], Limits())
    assert (verdict.pause, verdict.reason) == (True, "opt_out_rate")
    assert not health(sends(5, 5), [], Limits()).pause  # fewer than minSends


# -- pacing ----------------------------------------------------------------------------------


def test_the_campaigns_queue_goes_at_the_slowest_applicable_limit() -> None:
    assert campaign_rate(Pacing(), 5) == 5
    assert campaign_rate(Pacing(whatsapp_provider="meta"), 5) == 80
    assert campaign_rate(Pacing(whatsapp_provider="meta", sms=True, twilio_senders=3), 5) == 3
    capped = Pacing(whatsapp_provider="meta", daily_cap=36_000, sending_hours=10)
    assert campaign_rate(capped, 5) == 1
    tier = Pacing(whatsapp_provider="meta", meta_tier=1_000, sending_hours=1)
    assert campaign_rate(tier, 5) == pytest.approx(0.278, abs=0.001)
    assert campaign_rate(Pacing(daily_cap=10), 5) == 0.1  # floor


def test_planning_keeps_twice_ahead_of_the_sends_not_of_the_whole_audience() -> None:
    assert page_interval(200, 5) == 20  # 10 messages planned a second for 5 sent
    assert page_interval(200, 80) == 2  # Meta's 80/s: one page every 2 s at most
    assert page_interval(200, 1000) == 2
    assert page_interval(5, 0.125) == 20
    assert page_interval(200, 0) == 1000  # below the queue's floor rate: the floor
    assert page_interval(0, 5) == 2  # a page of customers skipped: no reason to wait


def test_customers_sharing_a_number_or_an_address_are_one_destination() -> None:
    facts = ConsentFacts.from_events([opt_in(Channel.WHATSAPP)])
    first = plan_recipient(campaign(), profile("a"), facts, DEPLOYMENT, now=TUESDAY_NOON)
    partner = plan_recipient(campaign(), profile("b"), facts, DEPLOYMENT, now=TUESDAY_NOON)
    other = plan_recipient(
        campaign(), profile("c", phoneNumber="0722 000 111"), facts, DEPLOYMENT, now=TUESDAY_NOON
    )
    assert destination_key(first) == destination_key(partner) == f"whatsapp:{first.to}"
    kept, twin, third = one_per_destination([first, partner, other])
    assert (kept, third) == (first, other)
    assert (twin.status, twin.status_reason) == (NotificationStatus.SKIPPED, SAME_DESTINATION)
    assert first.notification_id in twin.status_detail
    assert twin.notification_id == partner.notification_id  # still that customer's record
    # A message that will not go claims nothing.
    assert destination_key(as_duplicate(first, None)) is None
