"""Provider bodies -> typed records: every captured Meta shape, Twilio forms, and junk."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.boundary.payloads import meta_batch, parse_json, twilio_inbound, twilio_status
from shared.model.enums import Channel, NotificationStatus, Provider
from tests.support.fixtures import load_json

MESSAGES: dict[str, Any] = load_json("meta/message.json")
STATUSES: dict[str, Any] = load_json("meta/message_status.json")
PREFERENCES: dict[str, Any] = load_json("meta/user_marketing_preferences.json")

# scenario -> (kind, text) the parser must find
EXPECTED_MESSAGES = {
    "text": ("text", "Body Text"),
    "image": ("image", None),
    "media_with_url": ("image", None),
    "video": ("video", "caption"),
    "document": ("document", "caption"),
    "audio": ("audio", None),
    "voice": ("audio", None),
    "static_sticker": ("sticker", None),
    "animated_sticker": ("sticker", None),
    "reaction": ("reaction", None),
    "unreaction_empty": ("reaction", None),
    "unreaction_no_emoji": ("reaction", None),
    "current_location": ("location", None),
    "chosen_location": ("location", None),
    "contacts": ("contacts", None),
    "order": ("order", None),
    "unsupported": ("unsupported", None),
    "unsupported_with_type": ("unsupported", None),
    "reply": ("text", "replied text"),
    "forwarded": ("text", "forwarded text"),
    "forwarded_many_times": ("text", "text forwarded many times"),
    "interactive_message_with_err": ("interactive", None),
    "referral": ("text", "BODY"),
}


def test_every_captured_message_scenario_is_covered() -> None:
    assert set(MESSAGES) == set(EXPECTED_MESSAGES)


@pytest.mark.parametrize("scenario", sorted(EXPECTED_MESSAGES))
def test_every_meta_message_type_parses(scenario: str) -> None:
    batch = meta_batch(MESSAGES[scenario])
    assert batch.ignored == 0
    assert not batch.statuses
    [message] = batch.messages
    assert (message.kind, message.text) == EXPECTED_MESSAGES[scenario]
    assert message.provider is Provider.META
    assert message.channel is Channel.WHATSAPP
    assert message.sender == "972987654321"
    assert message.profile_name == "Test Name"
    assert message.at is not None
    assert message.message_id.startswith("wamid.")


def test_meta_message_details_keep_the_small_useful_parts() -> None:
    [reaction] = meta_batch(MESSAGES["reaction"]).messages
    assert reaction.details == {"emoji": "😮", "reactedTo": "wamid.yzxyzx="}
    [location] = meta_batch(MESSAGES["chosen_location"]).messages
    assert location.details["name"] == "Facebook HQ"
    assert location.details["latitude"] == pytest.approx(37.4611978)
    [image] = meta_batch(MESSAGES["image"]).messages
    assert image.media == ({"id": "65463453", "contentType": "image/jpeg"},)
    [reply] = meta_batch(MESSAGES["reply"]).messages
    assert reply.details["inReplyTo"] == "wamid.xyzxyz=="


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        ("sent", NotificationStatus.SENT),
        ("delivered", NotificationStatus.DELIVERED),
        ("read", NotificationStatus.READ),
        ("played", NotificationStatus.READ),
        ("failed", NotificationStatus.FAILED),
        ("with_tracker", NotificationStatus.SENT),
        ("group", NotificationStatus.READ),
    ],
)
def test_every_meta_status_scenario_parses(scenario: str, status: NotificationStatus) -> None:
    batch = meta_batch(STATUSES[scenario])
    [update] = batch.statuses
    assert update.status is status
    assert update.provider is Provider.META
    assert update.at is not None


def test_meta_status_details() -> None:
    [sent] = meta_batch(STATUSES["sent"]).statuses
    assert sent.pricing == {"billable": True, "pricing_model": "CBP", "category": "service"}
    assert sent.conversation is not None
    assert sent.conversation["id"] == "7270432eae37498234f4444b35ffc5"
    [failed] = meta_batch(STATUSES["failed"]).statuses
    assert failed.error_code == "130472"
    assert failed.error_message is not None
    assert "experiment" in failed.error_message
    [tracked] = meta_batch(STATUSES["with_tracker"]).statuses
    assert tracked.notification_hint == "some data"


@pytest.mark.parametrize(("scenario", "value"), [("resume", "resume"), ("signup", "signup")])
def test_meta_marketing_preferences_parse(scenario: str, value: str) -> None:
    [pref] = meta_batch(PREFERENCES[scenario]).preferences
    assert (pref.wa_id, pref.category, pref.value) == ("16505551234", "marketing_messages", value)


def test_meta_payloads_of_kinds_we_do_not_handle_are_counted_not_crashed() -> None:
    body = {"entry": [{"changes": [{"field": "message_template_status_update", "value": {}}]}]}
    assert meta_batch(body).ignored == 1
    assert meta_batch(body).ignored_by == {"unusable": 1}
    account = {"entry": [{"changes": [{"field": "account_update", "value": {"event": "X"}}]}]}
    assert meta_batch(account).ignored_by == {"field:account_update": 1}
    future = json.loads(json.dumps(MESSAGES["text"]))
    future["entry"][0]["changes"][0]["value"]["messages"][0]["type"] = "hologram"
    batch = meta_batch(future)
    [message] = batch.messages
    assert (message.kind, message.details["rawType"]) == ("unknown", "hologram")
    assert batch.unknown_kinds == ("hologram",)
    assert batch.ignored == 0


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "text",
        {"entry": "x"},
        {"entry": [None, 1, {"changes": [None, {"value": []}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"id": 1}], "statuses": [{}]}}]}]},
        {"entry": [{"changes": [{"value": {"messages": [{"id": "x", "from": "1", "type": 5}]}}]}]},
    ],
)
def test_malformed_meta_payloads_give_empty_or_partial_batches(payload: Any) -> None:
    batch = meta_batch(payload)
    assert len(batch.statuses) == 0


def test_twilio_status_callback_with_price_and_error() -> None:
    update = twilio_status(
        {
            "MessageSid": "SM123",
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "ErrorMessage": "Unreachable destination handset",
            "Price": "-0.0075",
            "PriceUnit": "usd",
        }
    )
    assert update is not None
    assert update.status is NotificationStatus.UNDELIVERED
    assert update.error_code == "30003"
    assert update.cost == pytest.approx(0.0075)
    assert update.currency == "USD"


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"MessageSid": "SM1"},
        {"MessageStatus": "sent"},
        {"MessageSid": " ", "MessageStatus": "x"},
    ],
)
def test_twilio_status_without_id_or_status_is_none(form: dict[str, str]) -> None:
    assert twilio_status(form) is None


def test_twilio_status_tolerates_junk_fields() -> None:
    update = twilio_status(
        {"MessageSid": "SM1", "MessageStatus": "bogus", "Price": "NaN", "ErrorCode": "0"}
    )
    assert update is not None
    assert update.status is NotificationStatus.UNKNOWN
    assert update.cost is None
    assert update.error_code is None


def test_twilio_inbound_sms_and_whatsapp() -> None:
    sms = twilio_inbound(
        {"From": "+33612345678", "To": "+15005550006", "Body": "Stop", "MessageSid": "SM1"}
    )
    assert sms is not None
    assert (sms.channel, sms.kind, sms.text) == (Channel.SMS, "text", "Stop")
    wa = twilio_inbound(
        {
            "From": "whatsapp:+254712345678",
            "Body": "",
            "MessageSid": "SM2",
            "NumMedia": "2",
            "MediaUrl0": "https://api.twilio.com/m/0",
            "MediaContentType0": "image/jpeg",
            "MediaUrl1": "https://api.twilio.com/m/1",
            "ProfileName": "Wanjiru",
            "WaId": "254712345678",
        }
    )
    assert wa is not None
    assert (wa.channel, wa.kind, wa.text, wa.profile_name) == (
        Channel.WHATSAPP,
        "media",
        None,
        "Wanjiru",
    )
    assert [m["url"] for m in wa.media] == [
        "https://api.twilio.com/m/0",
        "https://api.twilio.com/m/1",
    ]


def test_twilio_inbound_location_and_opt_out_type() -> None:
    message = twilio_inbound(
        {
            "From": "whatsapp:+33612345678",
            "MessageSid": "SM3",
            "Latitude": "48.85",
            "Longitude": "2.35",
        }
    )
    assert message is not None
    assert message.kind == "location"
    stop = twilio_inbound(
        {"From": "+33612345678", "MessageSid": "SM4", "Body": "x", "OptOutType": "STOP"}
    )
    assert stop is not None
    assert stop.opt_out_type == "STOP"


@pytest.mark.parametrize(
    "form", [{}, {"From": "+33612345678"}, {"MessageSid": "SM1"}, {"From": "", "MessageSid": "S"}]
)
def test_twilio_inbound_without_sender_or_id_is_none(form: dict[str, str]) -> None:
    assert twilio_inbound(form) is None


def test_parse_json_refuses_what_is_not_json() -> None:
    assert parse_json(b"\xff\xfe") is None
    assert parse_json(b"{") is None
    assert parse_json(b"[" * 100_000) is None
    assert parse_json(b'{"a": 1}') == {"a": 1}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "entry",
                    "changes",
                    "value",
                    "messages",
                    "statuses",
                    "id",
                    "from",
                    "type",
                    "text",
                    "body",
                    "status",
                    "timestamp",
                    "errors",
                    "code",
                    "user_preferences",
                    "wa_id",
                    "value",
                    "contacts",
                    "pricing",
                    "field",
                    "metadata",
                    "phone_number_id",
                    "user_id",
                    "from_user_id",
                    "interactive",
                    "button_reply",
                    "nfm_reply",
                    "response_json",
                    "edit",
                    "revoke",
                    "message",
                    "original_message_id",
                    "system",
                    "order",
                    "product_items",
                    "calls",
                    "message_template_name",
                    "message_template_language",
                    "event",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=40,
)


@given(json_values)
def test_meta_batch_never_raises(payload: Any) -> None:
    meta_batch(payload)
    meta_batch(payload, phone_number_id="106540352242922")


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=12))
def test_twilio_parsers_never_raise(form: dict[str, str]) -> None:
    twilio_status(form)
    twilio_inbound(form)


def test_a_marketing_preference_of_a_user_whose_number_meta_withholds_names_their_user_id() -> None:
    """With usernames, Meta may send the business-scoped ``user_id`` and no ``wa_id``; the id
    may be on the item or only on the change's one contact (sample built from Meta's fields)."""
    body = json.loads(json.dumps(PREFERENCES["resume"]))
    value = body["entry"][0]["changes"][0]["value"]
    item = value["user_preferences"][0]
    del item["wa_id"]
    item["user_id"] = "US.13491208655302741918"
    [pref] = meta_batch(body).preferences
    assert (pref.wa_id, pref.user_id, pref.who) == (None, item["user_id"], item["user_id"])
    del item["user_id"]
    value["contacts"] = [{"profile": {"name": "A"}, "user_id": "US.1111"}]
    [pref] = meta_batch(body).preferences
    assert (pref.wa_id, pref.user_id) == (None, "US.1111")
    # Someone else's contact never lends its id to a preference that names a number.
    [pref] = meta_batch(PREFERENCES["resume"]).preferences
    assert (pref.wa_id, pref.user_id) == ("16505551234", None)
    value["contacts"] = []
    assert meta_batch(body).preferences == ()
