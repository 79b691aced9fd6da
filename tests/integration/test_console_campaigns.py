"""The console's campaign pages on the local stack (issue 19), signed in as staff: a draft
created from its document, the audience counted before scheduling, pause and cancel, and a
document that cannot be a campaign refused with its reason."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.integration.test_console_actions import signed_in, staff_user

__all__ = ["signed_in", "staff_user"]
pytestmark = pytest.mark.integration


def _csrf(page: str) -> str:
    match = re.search(r'name="csrfToken" value="([^"]*)"', page)
    assert match
    return match.group(1)


def _profile(db: Any, customer_id: str, phone: str, *, proof: bool) -> None:
    db.collection("customer_profiles").document(customer_id).set(
        {"displayName": customer_id, "phoneNumber": phone, "country": "KE", "language": "sw",
         "notificationPreferences": {"smsEnabled": True, "marketingEnabled": True}}
    )  # fmt: skip
    if proof:
        db.collection("consent_events").document(f"proof-{customer_id}").set(
            {"channel": "sms", "purpose": "marketing", "action": "opt_in", "source": "counter",
             "customerId": customer_id, "to": phone, "at": datetime.now(UTC) - timedelta(days=9)}
        )  # fmt: skip


def test_a_campaign_is_created_counted_paused_and_cancelled_from_the_console(
    functions: dict[str, str], signed_in: requests.Session, firestore_client: Any,
    unique_id: str,
) -> None:  # fmt: skip
    console = functions["console"]
    _profile(firestore_client, f"wanjiku-{unique_id}", "+254712000001", proof=True)
    _profile(firestore_client, f"otieno-{unique_id}", "+254712000002", proof=False)
    page = signed_in.get(f"{console}/campaigns", timeout=10)
    assert page.status_code == 200
    csrf = _csrf(page.text)
    document = {
        "name": "Punguzo",
        "audience": {"country": "KE"},
        "channels": ["sms"],
        "content": {"sms": {"sw": "$shopName: punguzo la 20%, $customerName!"}},
        "sendAt": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    }
    junk = {"csrfToken": csrf, "campaignId": "c1", "document": "{not json"}
    bad = signed_in.post(f"{console}/campaigns", data=junk, timeout=10)
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    created = signed_in.post(
        f"{console}/campaigns", timeout=10,
        data={"csrfToken": csrf, "campaignId": f"sale-{unique_id}",
              "document": json.dumps(document)},
    )  # fmt: skip
    assert created.status_code == 200  # followed to the campaign's page
    assert 'data-status="draft"' in created.text
    assert 'data-eligible="1"' in created.text  # Otieno has no recorded proof
    assert 'data-matched="2"' in created.text

    campaign = f"{console}/campaigns/sale-{unique_id}"
    scheduled = signed_in.post(f"{campaign}/schedule", data={"csrfToken": csrf}, timeout=10)
    assert 'data-status="scheduled"' in scheduled.text or "scheduled" in scheduled.text
    signed_in.post(f"{campaign}/pause", data={"csrfToken": csrf}, timeout=10)
    doc = firestore_client.collection("campaigns").document(f"sale-{unique_id}").get().to_dict()
    assert doc["status"] == "paused"
    signed_in.post(f"{campaign}/cancel", data={"csrfToken": csrf}, timeout=10)
    doc = firestore_client.collection("campaigns").document(f"sale-{unique_id}").get().to_dict()
    assert doc["status"] == "cancelled"
    listed = signed_in.get(f"{console}/campaigns", timeout=10)
    assert f"sale-{unique_id}" in listed.text
    refused = requests.post(f"{campaign}/resume", data={"csrfToken": csrf}, timeout=10,
                            allow_redirects=False)  # fmt: skip
    assert refused.status_code in {302, 303}  # no session: the sign-in page, nothing moves
