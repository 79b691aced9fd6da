"""Over HTTP on the stack: the STOP demo scenario, and the fake Twilio's signed status callbacks."""

from __future__ import annotations

from typing import Any

from devstack.fakes.client import FakeProvidersClient
from devstack.scenarios.stop import run_stop_scenario, text_the_shop
from devstack.stack import Stack
from tests.integration.webhook_kit import docs, seed_profile, unique_mobile
from tests.support.wait import wait_for


def test_customer_who_texts_stop_gets_a_confirmation_and_no_more_sms(clean_stack: Stack) -> None:
    result = run_stop_scenario(clean_stack, say=lambda _: None)
    assert len(result.sms_before_stop) == 1
    assert result.confirmation is not None
    assert "START" in result.confirmation
    assert result.sms_after_stop == []
    assert result.completed_status in {"skipped", "cancelled"}
    assert result.completed_reason == "opted_out"  # her STOP, in plain words on the console


def test_status_callbacks_from_the_fake_twilio_reach_the_reply_over_http(
    clean_stack: Stack, fakes: FakeProvidersClient, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "c-" + unique_id, phone)
    assert text_the_shop(clean_stack, phone, "STOP").status_code == 200
    [sent] = wait_for(
        lambda: [m for m in fakes.messages("twilio") if m.get("to") == phone],
        timeout=20,
        message="the confirmation at the fake Twilio",
    )
    for status in ("delivered", "sent"):  # out of order, signed by the fake, over HTTP
        callback = fakes.send_twilio_status(sent["sid"], status)
        assert callback["response_status"] == 204, callback

    def reply() -> dict[str, Any] | None:
        found = [d for d in docs(firestore_client, "notification_history") if d["to"] == phone]
        return found[0] if found and found[0]["status"] == "delivered" else None

    doc = wait_for(reply, timeout=10, message="the reply marked delivered")
    assert doc is not None
    assert doc["providerMessageId"] == sent["sid"]
    assert doc["providerStatus"] == "delivered"
    assert doc["deliveredAt"] is not None
