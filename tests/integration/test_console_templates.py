"""The console's template editor on the local stack (issue 18): the preview flags an emoji and
an extra segment, a saved wording is what the next SMS says, and a reset brings the catalog's
words back."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests

from devstack.fakes import FakeProvidersClient
from tests.integration.test_console_actions import signed_in, staff_user
from tests.integration.test_staff_retry import _posts_to
from tests.integration.webhook_kit import national, unique_mobile
from tests.support.wait import wait_for

__all__ = ["signed_in", "staff_user"]
pytestmark = pytest.mark.integration


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match
    return match.group(1)


def test_preview_flags_then_the_saved_wording_is_sent_and_reset_restores_the_catalog(
    functions: dict[str, str], signed_in: requests.Session, firestore_client: Any,
    fakes: FakeProvidersClient, unique_id: str,
) -> None:  # fmt: skip
    console = functions["console"]
    firestore_client.collection("settings").document("notifications").set(
        {"quietHours": {}, "shopName": "Atelier"}
    )
    url = f"{console}/templates/ticket.completed/fr"
    page = signed_in.get(url, timeout=10)
    assert page.status_code == 200
    assert 'data-encoding="GSM-7"' in page.text
    form = {"csrfToken": _hidden(page.text, "csrfToken"), "clickId": _hidden(page.text, "clickId")}

    emoji_sms = "$shopName: votre $device est réparé 🎉"
    emoji = signed_in.post(url, data={**form, "action": "preview", "sms": emoji_sms}, timeout=10)
    assert 'data-flag="ucs2"' in emoji.text
    assert (
        firestore_client.collection("settings")
        .document("notifications")
        .get()
        .to_dict()["shopName"]
        == "Atelier"
    )  # a preview writes nothing

    wording = "$shopName: bonne nouvelle, votre $device est prêt !"
    saved = signed_in.post(url, data={**form, "action": "save", "sms": wording}, timeout=10)
    assert saved.status_code == 200
    stored = firestore_client.collection("settings").document("notifications").get().to_dict()
    assert stored["templateOverrides"]["ticket.completed"]["fr"] == {"sms": wording}

    phone = unique_mobile(unique_id)
    firestore_client.collection("tickets").document(f"T-{unique_id}").set(
        {"clientName": "Awa", "clientPhone": national(phone), "device": "iPhone 12",
         "status": "completed"}
    )  # fmt: skip
    bodies = wait_for(
        lambda: [p["Body"] for p in _posts_to(fakes, phone) if "bonne nouvelle" in p["Body"]],
        timeout=30,
        message="the SMS in the shop's own words",
    )
    assert bodies == ["Atelier: bonne nouvelle, votre iPhone 12 est prêt !"]

    page = signed_in.get(url, timeout=10)
    assert html.escape(wording, quote=False) in page.text or wording in page.text
    form["clickId"] = _hidden(page.text, "clickId")
    reset = signed_in.post(url, data={**form, "action": "reset"}, timeout=10)
    assert reset.status_code == 200
    stored = firestore_client.collection("settings").document("notifications").get().to_dict()
    assert "templateOverrides" not in stored
