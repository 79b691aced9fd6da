"""The console's staff actions over HTTP on the local stack (issue 18), signed in as staff:
a reply previewed then sent once for a double click, a retry once per click, a settings change
validated per field and recorded with who made it; without a session nothing happens."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from tests.integration.test_staff_retry import _failed, _posts_to
from tests.integration.webhook_kit import docs, seed_profile, unique_mobile
from tests.support import console_auth
from tests.support.wait import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def staff_user(clean_stack: Stack) -> Any:
    assert clean_stack.auth_host
    return console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=True)


@pytest.fixture
def signed_in(clean_stack: Stack, staff_user: Any) -> requests.Session:
    assert clean_stack.auth_host
    return console_auth.session(clean_stack.urls["console"], clean_stack.auth_host, staff_user)


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def test_a_reply_says_its_route_then_goes_once_for_a_double_click(
    functions: dict[str, str], signed_in: requests.Session, firestore_client: Any,
    fakes: FakeProvidersClient, unique_id: str,
) -> None:  # fmt: skip
    console = functions["console"]
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, "marie", phone,
                 lastInboundAt={"whatsapp": datetime.now(UTC) - timedelta(hours=1)})  # fmt: skip
    firestore_client.collection("settings").document("notifications").set({"quietHours": {}})

    page = signed_in.get(f"{console}/reply", params={"customer": "marie"}, timeout=10)
    assert page.status_code == 200
    assert 'data-route="whatsapp_free_form"' in page.text
    form = {
        "csrfToken": _hidden(page.text, "csrfToken"),
        "clickId": _hidden(page.text, "clickId"),
        "customer": "marie",
        "text": "Votre téléphone est prêt.",
    }
    for _ in range(2):
        sent = signed_in.post(f"{console}/reply", data=form, timeout=10)
        assert sent.status_code == 200
    wait_for(lambda: _posts_to(fakes, f"whatsapp:{phone}"), timeout=30, message="the reply")
    replies = [
        d for d in docs(firestore_client, "notification_history") if d["type"] == "reply.staff"
    ]
    assert len(replies) == 1
    assert replies[0]["staffId"]
    assert len(_posts_to(fakes, f"whatsapp:{phone}")) == 1


def test_a_retry_click_sends_once(
    functions: dict[str, str], signed_in: requests.Session, firestore_client: Any,
    fakes: FakeProvidersClient, unique_id: str,
) -> None:  # fmt: skip
    console = functions["console"]
    phone = unique_mobile(unique_id)
    firestore_client.collection("settings").document("notifications").set({"quietHours": {}})
    original = _failed(firestore_client, phone, unique_id, status_reason="retries_exhausted")
    page = signed_in.get(f"{console}/settings", timeout=10)  # any page gives the CSRF token
    form = {"csrfToken": _hidden(page.text, "csrfToken"), "clickId": f"c{unique_id}"}
    for _ in range(2):
        answer = signed_in.post(f"{console}/messages/{original}/retry", data=form, timeout=10)
        assert answer.status_code == 200
    wait_for(lambda: _posts_to(fakes, phone), timeout=30, message="the retried SMS")
    assert len(_posts_to(fakes, phone)) == 1


def test_settings_are_validated_per_field_and_the_change_is_recorded(
    functions: dict[str, str], signed_in: requests.Session, firestore_client: Any,
    staff_user: Any,
) -> None:  # fmt: skip
    console = functions["console"]
    firestore_client.collection("settings").document("notifications").set({"shopName": "Atelier"})
    page = signed_in.get(f"{console}/settings", timeout=10)
    assert page.status_code == 200
    textareas = re.findall(
        r'<textarea id="f-[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page.text
    )
    form = {name: html.unescape(value) for name, value in textareas}  # as a browser sends it
    form["csrfToken"] = _hidden(page.text, "csrfToken")
    form["clickId"] = _hidden(page.text, "clickId")
    form["quietHours"] = '{"FR": {"start": "25:00"}}'
    form["discountPercent"] = "not json"

    bad = signed_in.post(f"{console}/settings", data=form, timeout=10)
    assert bad.status_code == 422
    fields = set(re.findall(r'class="field-problem" data-field="([^"]+)"', bad.text))
    assert fields == {"discountPercent"}  # JSON first; then the parser's own check
    form["discountPercent"] = "15"
    bad = signed_in.post(f"{console}/settings", data=form, timeout=10)
    assert set(re.findall(r'class="field-problem" data-field="([^"]+)"', bad.text)) == {
        "quietHours"
    }
    stored = firestore_client.collection("settings").document("notifications").get().to_dict()
    assert stored == {"shopName": "Atelier"}

    form["quietHours"] = '{"FR": {"start": "22:00", "end": "07:00", "timezone": "Europe/Paris"}}'
    good = signed_in.post(f"{console}/settings", data=form, timeout=10)
    assert good.status_code == 200
    stored = firestore_client.collection("settings").document("notifications").get().to_dict()
    assert stored["quietHours"]["FR"]["start"] == "22:00"
    assert stored["discountPercent"] == 15
    [entry] = docs(firestore_client, "settings_history")
    assert entry["staffId"]  # the uid the Auth emulator gave the signed-in member of staff
    assert entry["staffId"] != "anonymous"
    assert set(entry["changes"]) == {"quietHours", "discountPercent"}


def test_without_a_staff_session_no_action_is_taken(
    functions: dict[str, str], firestore_client: Any
) -> None:
    console = functions["console"]
    firestore_client.collection("settings").document("notifications").set({"shopName": "A"})
    answer = requests.post(f"{console}/settings", data={"shopName": '"B"'}, timeout=10,
                           allow_redirects=False)  # fmt: skip
    assert answer.status_code in {302, 303}
    assert "signin" in answer.headers["Location"]
    stored = firestore_client.collection("settings").document("notifications").get().to_dict()
    assert stored == {"shopName": "A"}
