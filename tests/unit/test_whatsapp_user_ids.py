"""WhatsApp users known by their business-scoped user id (issue 14): the id's shape, the cascade's
rule 10 (reachable on WhatsApp only, with Meta), and the Cloud API's ``recipient`` field.

Ids are the ones Meta's business-scoped user ids page and pywa's fixtures use
(``US.13491208655302741918``, parent ``US.ENT.11815799212886844830``), and pywa's
``system.json`` (``CO.1234567890`` -> ``MX.0987654321``).
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters.channels.meta_whatsapp import meta_payload
from shared.model.documents import CustomerProfile
from shared.model.enums import Channel, EventKey, Provider
from shared.model.messages import OutboundMessage
from shared.rules.cascade import ConfiguredProviders, Reason, plan_notifications
from shared.rules.consent import ConsentFacts
from shared.rules.whatsapp_ids import is_whatsapp_user_id, mask_user_id, user_id_country

BSUID = "US.13491208655302741918"
META = ConfiguredProviders(
    email=True, sms=True, whatsapp=True, push=True, whatsapp_provider=Provider.META
)
TWILIO = ConfiguredProviders(email=True, sms=True, whatsapp=True, push=True)


@pytest.mark.parametrize(
    "value",
    [BSUID, "US.ENT.11815799212886844830", "CO.1234567890", "MX.0987654321", "FR.abc123"],
)
def test_business_scoped_user_ids_are_recognized(value: str) -> None:
    assert is_whatsapp_user_id(value)


@pytest.mark.parametrize(
    "value", ["+33612345678", "33612345678", "whatsapp:+33612345678", "", "US.", "US 123", None]
)
def test_phone_numbers_and_junk_are_not_user_ids(value: Any) -> None:
    assert not is_whatsapp_user_id(value)


def test_a_user_id_says_its_country_and_is_masked_in_logs() -> None:
    assert user_id_country("fr.1349") == "FR"
    assert user_id_country("+33612345678") is None
    assert mask_user_id(BSUID) == "US.***18"
    assert BSUID not in mask_user_id(BSUID)


def profile(**fields: Any) -> CustomerProfile:
    prefs = fields.pop("prefs", {"whatsappEnabled": True, "smsEnabled": True})
    return CustomerProfile.from_document("C1", {"notificationPreferences": prefs, **fields})


def shape(plan: Any) -> list[tuple[str, str, str, str | None]]:
    return [(m.channel.value, m.status.value, m.reason, m.to) for m in plan.messages]


def plan(customer: CustomerProfile, providers: ConfiguredProviders, **kw: Any) -> Any:
    return plan_notifications(
        kw.pop("key", EventKey.TICKET_COMPLETED),
        profile=customer,
        source={"customerId": "C1"},
        providers=providers,
        **kw,
    )


def test_a_user_id_without_a_phone_is_reached_on_whatsapp_with_meta_and_never_by_sms() -> None:
    result = plan(profile(whatsappUserId=BSUID), META)
    assert shape(result) == [("whatsapp", "pending", Reason.WHATSAPP_NO_EMAIL, BSUID)]
    [message] = result.messages
    assert (message.provider, message.fallback) == (Provider.META, None)
    assert "WhatsApp user id" in message.detail


def test_with_twilio_a_user_id_alone_is_skipped_with_its_reason() -> None:
    result = plan(profile(whatsappUserId=BSUID), TWILIO)
    assert shape(result)[0] == (
        "whatsapp",
        "skipped",
        Reason.WHATSAPP_USER_ID_UNSUPPORTED,
        BSUID,
    )
    assert not result.pending


def test_a_mobile_on_file_wins_over_the_user_id() -> None:
    result = plan(profile(whatsappUserId=BSUID, phoneNumber="06 12 34 56 78"), META)
    assert shape(result) == [("whatsapp", "pending", Reason.WHATSAPP_NO_EMAIL, "+33612345678")]
    assert result.messages[0].fallback is Channel.SMS


def test_email_first_then_whatsapp_to_the_user_id_as_complement() -> None:
    result = plan(profile(whatsappUserId=BSUID, email="marie@example.fr"), META)
    assert shape(result) == [
        ("email", "pending", Reason.EMAIL_PRIMARY, "marie@example.fr"),
        ("whatsapp", "pending", Reason.WHATSAPP_COMPLEMENT, BSUID),
    ]


def test_after_stop_a_user_id_alone_is_skipped_whatsapp_disabled() -> None:
    result = plan(profile(whatsappUserId=BSUID, prefs={"whatsappEnabled": False}), META)
    assert shape(result) == [("whatsapp", "skipped", Reason.WHATSAPP_DISABLED, BSUID)]


def test_a_malformed_user_id_on_a_profile_is_no_address() -> None:
    result = plan(profile(whatsappUserId="not an id"), META)
    assert not result.pending
    assert shape(result) == shape(plan(profile(), META))  # as if there were no id


def test_marketing_to_a_user_id_still_needs_marketing_enabled() -> None:
    result = plan(profile(whatsappUserId=BSUID), META, key=EventKey.CART_REMINDER_1)
    assert shape(result) == [("whatsapp", "skipped", Reason.MARKETING_NOT_ENABLED, BSUID)]


def test_the_cloud_api_gets_a_user_id_as_recipient_and_a_phone_as_to() -> None:
    to_user = OutboundMessage("n-1", Channel.WHATSAPP, BSUID, "Bonjour")
    payload = meta_payload(to_user)
    assert payload["recipient"] == BSUID
    assert "to" not in payload
    assert payload["biz_opaque_callback_data"] == "n-1"
    to_phone = OutboundMessage("n-2", Channel.WHATSAPP, "+33612345678", "Bonjour")
    assert meta_payload(to_phone)["to"] == "33612345678"
    assert "recipient" not in meta_payload(to_phone)


def test_after_a_number_change_whatsapp_goes_to_the_new_number_and_sms_stays() -> None:
    moved = profile(phoneNumber="06 12 34 56 78", whatsappPhone="+33698765432")
    result = plan(moved, META)
    assert shape(result) == [("whatsapp", "pending", Reason.WHATSAPP_NO_EMAIL, "+33698765432")]
    [message] = result.messages
    assert (message.fallback, message.fallback_to) == (Channel.SMS, "+33612345678")
    assert "changed to" in message.detail


def test_a_changed_number_that_is_no_mobile_is_not_used() -> None:
    moved = profile(phoneNumber="06 12 34 56 78", whatsappPhone="01 23 45 67 89")
    assert shape(plan(moved, META))[0][3] == "+33612345678"


def test_marketing_to_a_user_id_goes_with_proof_and_stops_after_their_stop() -> None:
    proof = ConsentFacts(marketing=frozenset({Channel.WHATSAPP}))
    prefs = {"whatsappEnabled": True, "marketingEnabled": True}
    allowed = plan(
        profile(whatsappUserId=BSUID, prefs=prefs),
        META,
        key=EventKey.CART_REMINDER_1,
        consent=proof,
    )
    assert shape(allowed) == [("whatsapp", "pending", Reason.WHATSAPP_NO_EMAIL, BSUID)]
    stopped = plan(
        profile(whatsappUserId=BSUID, prefs={**prefs, "whatsappEnabled": False}),
        META,
        key=EventKey.CART_REMINDER_1,
        consent=proof,
    )
    assert not stopped.pending
    assert shape(stopped)[0][:3] == ("whatsapp", "skipped", Reason.WHATSAPP_DISABLED)
