"""Meta webhooks as WhatsApp really sends them (issue 14): users without a phone number, edits
and deletions, interactive answers, identity changes, call events, template updates, other
business numbers, new types.

Samples: pywa's ``tests/data/updates`` (MIT, tests/fixtures/README.md); where pywa has none, a
payload built from the syntax in Meta's webhook reference (named so in each test).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.boundary.payloads import meta_batch
from shared.model.inbound import IdentityChange
from tests.support.fixtures import load_json

MESSAGES: dict[str, Any] = load_json("meta/message.json")
STATUSES: dict[str, Any] = load_json("meta/message_status.json")
EDITED: dict[str, Any] = load_json("meta/edited_message.json")
DELETED: dict[str, Any] = load_json("meta/deleted_message.json")
SYSTEM: dict[str, Any] = load_json("meta/system.json")
BUTTONS: dict[str, Any] = load_json("meta/callback_button.json")
LISTS: dict[str, Any] = load_json("meta/callback_selection.json")
FLOWS: dict[str, Any] = load_json("meta/flow_completion.json")
CALL_PERMISSIONS: dict[str, Any] = load_json("meta/call_permission_update.json")
CALL_STATUS: dict[str, Any] = load_json("meta/call_status.json")
CALL_TERMINATE: dict[str, Any] = load_json("meta/call_terminate.json")
TEMPLATE_STATUS: dict[str, Any] = load_json("meta/template_status_update.json")
TEMPLATE_QUALITY: dict[str, Any] = load_json("meta/template_quality_update.json")
TEMPLATE_CATEGORY: dict[str, Any] = load_json("meta/template_category_update.json")
USERNAMES: dict[str, Any] = load_json("meta/username_message.json")
OURS = "1122334455667"  # the phone_number_id pywa's message fixtures were sent to
BSUID = "US.13491208655302741918"


def value_of(payload: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    return value


def without_phone(payload: dict[str, Any]) -> dict[str, Any]:
    """A pywa message as Meta sends it for a user with a username: ``contacts[].user_id``, no
    ``from`` nor ``wa_id`` (the business-scoped user ids page of Meta's documentation)."""
    out = copy.deepcopy(payload)
    value = value_of(out)
    for contact in value.get("contacts", []):
        contact.pop("wa_id", None)
        contact["profile"]["username"] = "@testname"
    for message in value["messages"]:
        message.pop("from", None)
    return out


# --- Users without a phone number (the flow keys them by user id: not this change) -----------


def test_a_message_without_a_phone_number_is_kept_with_its_user_id() -> None:
    batch = meta_batch(without_phone(MESSAGES["text"]))
    [message] = batch.messages
    assert batch.ignored == 0
    assert (message.sender, message.user_id, message.text) == ("", BSUID, "Body Text")
    assert message.parent_user_id == "US.ENT.11815799212886844830"
    assert (message.profile_name, message.username) == ("Test Name", "@testname")


def test_a_stop_from_a_user_without_a_phone_number_is_not_dropped() -> None:
    payload = without_phone(MESSAGES["text"])
    value_of(payload)["messages"][0]["text"]["body"] = "STOP"
    [message] = meta_batch(payload).messages
    assert (message.text, message.user_id) == ("STOP", BSUID)


def test_the_messages_own_from_user_id_wins() -> None:
    payload = copy.deepcopy(MESSAGES["text"])
    value = value_of(payload)
    value["contacts"] = [{"profile": {"name": "A"}, "user_id": "FR.1"}, {"user_id": "FR.2"}]
    value["messages"][0].pop("from")
    value["messages"][0]["from_user_id"] = "FR.2"
    [message] = meta_batch(payload).messages
    assert (message.sender, message.user_id) == ("", "FR.2")


def test_a_message_with_neither_phone_nor_user_id_is_counted_unusable() -> None:
    payload = without_phone(MESSAGES["text"])
    value_of(payload)["contacts"][0].pop("user_id")
    batch = meta_batch(payload)
    assert batch.messages == ()
    assert batch.ignored_by == {"unusable": 1}


@pytest.mark.parametrize(
    ("scenario", "sender", "text"),
    [
        ("with_phone", "16315551181", "this is a text message"),
        ("phone_withheld", "", "this is a text message"),
        ("stop_phone_withheld", "", "STOP"),
    ],
)
def test_meta_username_samples_keep_the_user_id_with_or_without_the_phone(
    scenario: str, sender: str, text: str
) -> None:
    [message] = meta_batch(USERNAMES[scenario]).messages
    assert (message.sender, message.user_id, message.text) == (sender, BSUID, text)
    if not sender:
        assert message.username == "@testusername"


def test_phone_senders_carry_their_user_id_too() -> None:
    [message] = meta_batch(MESSAGES["image"]).messages
    assert (message.sender, message.user_id) == ("972987654321", BSUID)


# --- Edits and deletions ---------------------------------------------------------------------


def test_an_edit_is_a_new_version_of_the_original_with_its_new_text() -> None:
    [message] = meta_batch(EDITED["edit_text"]).messages
    assert (message.kind, message.message_id) == ("edit", "wamid.yyyyyy")
    assert message.edits_message_id == "wamid.zzzzzz"
    assert message.text == "Text was edited"
    assert message.details["editedKind"] == "text"
    assert message.revokes_message_id is None


def test_an_edited_caption_carries_its_media() -> None:
    [message] = meta_batch(EDITED["edit_caption"]).messages
    assert (message.text, message.details["editedKind"]) == ("caption", "image")
    assert message.media == ({"id": "65463453", "contentType": "image/jpeg"},)


def test_a_revoke_names_the_deleted_message_and_has_no_text() -> None:
    [message] = meta_batch(DELETED["revoke"]).messages
    assert message.kind == "revoke"
    assert message.revokes_message_id == "<ORIGINAL_WHATSAPP_MESSAGE_ID>"
    assert (message.text, message.media, message.edits_message_id) == (None, (), None)
    # pywa's sample sender is a placeholder, not its contact's wa_id: no user id is lent to it
    assert message.user_id is None


# --- Interactive answers, orders, contacts ----------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reply", "text"),
    [
        (
            BUTTONS["button"],
            {"type": "button_reply", "id": "callback_data", "title": "title"},
            "title",
        ),
        (
            BUTTONS["quick_reply"],
            {"type": "button", "payload": "callback_data", "title": "title"},
            "title",
        ),
        (
            LISTS["callback"],
            {"type": "list_reply", "id": "callback_data", "title": "title"},
            "title",
        ),
        (
            LISTS["description"],
            {"type": "list_reply", "id": "callback_data", "title": "title",
             "description": "description"},
            "title",
        ),
        (
            CALL_PERMISSIONS["reject"],
            {"type": "call_permission_reply", "response": "reject",
             "response_source": "user_action"},
            None,
        ),
    ],
)  # fmt: skip
def test_what_a_customer_chose_is_kept_with_the_message(
    payload: dict[str, Any], reply: dict[str, Any], text: str | None
) -> None:
    [message] = meta_batch(payload).messages
    assert message.details["reply"] == reply
    assert message.text == text


def test_flow_answers_are_parsed_from_their_json() -> None:
    [message] = meta_batch(FLOWS["completion"]).messages
    reply = message.details["reply"]
    assert (reply["type"], reply["name"], message.text) == ("nfm_reply", "flow", "Sent")
    assert reply["response"]["delivery_rating"] == "4"
    assert reply["flowToken"] == "AQAAAAACS5FpgQ_cAAAAAD0QI3s."
    [untokened] = meta_batch(FLOWS["without_flow_token"]).messages
    assert "flowToken" not in untokened.details["reply"]
    broken = copy.deepcopy(FLOWS["completion"])
    value_of(broken)["messages"][0]["interactive"]["nfm_reply"]["response_json"] = "{not json"
    [kept] = meta_batch(broken).messages
    assert "response" not in kept.details["reply"]


def test_order_items_are_kept() -> None:
    [message] = meta_batch(MESSAGES["order"]).messages
    order = message.details["order"]
    assert order["catalogId"] == "354160437058781"
    assert order["items"][0] == {
        "sku": "HAMBURGER",
        "quantity": 3,
        "price": 30.0,
        "currency": "ILS",
    }
    assert len(order["items"]) == 3


def test_shared_contacts_are_kept() -> None:
    [message] = meta_batch(MESSAGES["contacts"]).messages
    cards = message.details["contacts"]
    assert [c["name"] for c in cards] == ["Chandler Bing", "Monica", "Rachel Green"]
    assert cards[0]["phones"] == [
        {"phone": "+1 555-555-5555", "wa_id": "972987654321", "type": "CELL"}
    ]


# --- Identity changes (the flow updates the customer: not this change) -------------------------


def test_a_changed_number_carries_the_new_wa_id() -> None:
    [message] = meta_batch(SYSTEM["phone_number_change"]).messages
    assert message.kind == "system"
    assert message.identity_change == IdentityChange(
        kind="user_changed_number", old_wa_id="972987654321", new_wa_id="972912345678"
    )
    assert message.details["system"]["body"].startswith("User A changed from")
    assert message.text is None  # Meta's words, not the customer's: no keyword is read in it


def test_a_changed_user_id_carries_both_ids() -> None:
    [message] = meta_batch(SYSTEM["user_id_change"]).messages
    assert (message.sender, message.user_id) == ("", "CO.1234567890")
    change = message.identity_change
    assert change is not None
    assert (change.kind, change.previous_user_id, change.new_user_id) == (
        "user_changed_user_id",
        "CO.1234567890",
        "MX.0987654321",
    )


def test_an_identity_change_is_a_system_message_too() -> None:
    [message] = meta_batch(SYSTEM["identity_change"]).messages
    assert message.identity_change is not None
    assert message.identity_change.kind == "customer_identity_changed"


# --- Calls are not message statuses ----------------------------------------------------------


@pytest.mark.parametrize("payload", [CALL_STATUS["call_status"], CALL_TERMINATE["call_terminate"]])
def test_call_events_are_recognized_and_ignored_not_made_statuses(payload: dict[str, Any]) -> None:
    batch = meta_batch(payload)
    assert (batch.statuses, batch.messages) == ((), ())
    assert batch.ignored_by == {"calls": 1}
    assert batch.empty


def test_a_call_status_inside_a_messages_change_is_still_a_call() -> None:
    payload = copy.deepcopy(STATUSES["sent"])
    call = dict(value_of(CALL_STATUS["call_status"])["statuses"][0])
    value_of(payload)["statuses"].append(call)
    batch = meta_batch(payload)
    assert [s.message_id for s in batch.statuses] == [value_of(payload)["statuses"][0]["id"]]
    assert batch.ignored_by == {"calls": 1}


# --- Template updates ------------------------------------------------------------------------


def test_template_status_quality_and_category_updates_are_typed() -> None:
    [approved] = meta_batch(TEMPLATE_STATUS["approved"]).templates
    assert (approved.name, approved.language, approved.status) == (
        "my_message_template",
        "pt-BR",
        "APPROVED",
    )
    assert approved.template_id == "12345678"
    assert approved.at == datetime(2023, 10, 25, 21, 6, 40, tzinfo=UTC)
    [quality] = meta_batch(TEMPLATE_QUALITY["yellow"]).templates
    assert (quality.quality_score, quality.previous_quality_score) == ("YELLOW", "GREEN")
    assert quality.status is None
    [category] = meta_batch(TEMPLATE_CATEGORY["marketing"]).templates
    assert (category.webhook_field, category.category) == ("template_category_update", "MARKETING")


def _template_change(field: str, value: dict[str, Any]) -> dict[str, Any]:
    """A template webhook with the syntax of Meta's ``message_template_status_update`` /
    ``template_category_update`` references."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "time": 1751247548,
                "changes": [{"field": field, "value": value}],
            }
        ],
    }


def test_paused_disabled_and_rejected_templates_keep_why() -> None:
    base = {
        "message_template_id": 1,
        "message_template_name": "ticket_ready",
        "message_template_language": "fr",
    }
    paused = _template_change(
        "message_template_status_update",
        {**base, "event": "PAUSED", "reason": "NONE",
         "other_info": {"title": "FIRST_PAUSE", "description": "Paused for 3 hours"}},
    )  # fmt: skip
    [update] = meta_batch(paused).templates
    assert (update.status, update.details["other_info"]["title"]) == ("PAUSED", "FIRST_PAUSE")
    disabled = _template_change(
        "message_template_status_update",
        {**base, "event": "disabled", "disable_info": {"disable_date": "1751247548"}},
    )
    [update] = meta_batch(disabled).templates
    assert (update.status, update.details["disable_info"]) == (
        "DISABLED",
        {"disable_date": "1751247548"},
    )
    announced = _template_change(
        "template_category_update",
        {**base, "correct_category": "MARKETING", "new_category": "UTILITY",
         "category_update_timestamp": 1751247548},
    )  # fmt: skip
    [update] = meta_batch(announced).templates
    assert (update.category, update.correct_category) == ("UTILITY", "MARKETING")


def test_a_template_update_without_name_or_language_is_unusable() -> None:
    broken = _template_change("message_template_status_update", {"event": "PAUSED"})
    assert meta_batch(broken).ignored_by == {"unusable": 1}


def test_the_category_field_under_its_other_name_is_read_too() -> None:
    base = {
        "message_template_name": "t",
        "message_template_language": "sw",
        "new_category": "UTILITY",
    }
    [update] = meta_batch(_template_change("message_template_category_update", base)).templates
    assert update.category == "UTILITY"


# --- Another business number's events ---------------------------------------------------------


def test_events_for_another_phone_number_id_are_ignored() -> None:
    for payload in (MESSAGES["text"], STATUSES["sent"], CALL_STATUS["call_status"]):
        batch = meta_batch(payload, phone_number_id="999999999")
        assert batch.empty
        assert batch.ignored_by == {"other_phone_number": 1}
    assert len(meta_batch(MESSAGES["text"], phone_number_id=OURS).messages) == 1
    no_metadata = copy.deepcopy(MESSAGES["text"])
    del value_of(no_metadata)["metadata"]
    assert meta_batch(no_metadata, phone_number_id=OURS).ignored_by == {"other_phone_number": 1}


def test_template_updates_carry_no_number_and_are_not_filtered() -> None:
    assert len(meta_batch(TEMPLATE_STATUS["approved"], phone_number_id="999").templates) == 1


# --- New types ---------------------------------------------------------------------------------


def test_a_type_meta_adds_tomorrow_is_kept_as_unknown_with_its_raw_type() -> None:
    payload = copy.deepcopy(MESSAGES["text"])
    message = value_of(payload)["messages"][0]
    message["type"] = "hologram"
    message["hologram"] = {"id": "1"}
    batch = meta_batch(payload)
    [kept] = batch.messages
    assert (kept.kind, kept.details["rawType"], batch.unknown_kinds) == (
        "unknown",
        "hologram",
        ("hologram",),
    )
