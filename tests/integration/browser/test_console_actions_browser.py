"""Issue 18 in a real headless Chromium on the local stack: a member of staff replies inside and
outside the WhatsApp window, retries a failed SMS with a double click (one send), changes the
quiet hours (the next message waits), sees a template edit add SMS segments in the preview; a
customer unsubscribes from offers on their preference page (the next cart reminder is skipped
for it) and a tampered link is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from devstack.environment import LOCAL_PREFERENCES_SECRET
from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from shared.rules.preference_link import LinkSubject, PreferenceLinks, SubjectKind
from tests.integration.cart_kit import Shop
from tests.integration.test_staff_retry import _failed, _posts_to
from tests.integration.webhook_kit import seed_profile, unique_mobile
from tests.support import console_auth
from tests.support.wait import wait_for

pytestmark = pytest.mark.integration
TEMPLATE_SID = "HX" + "7" * 32


def _sign_in(page: Any, console: str, clean_stack: Stack) -> None:
    assert clean_stack.auth_host
    staff = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=True)
    page.goto(f"{console}/")
    page.wait_for_selector("#signin-form")
    page.fill("#email", staff.email)
    page.fill("#password", staff.password)
    page.click("#signin-button")
    page.wait_for_url(re.compile(r".*/console/$"))


def _history(db: Any, field: str, value: str) -> list[dict[str, Any]]:
    query = db.collection("notification_history").where(filter=FieldFilter(field, "==", value))
    return [d.to_dict() or {} for d in query.get()]


def test_staff_reply_retry_settings_and_template_preview(
    page: Any, clean_stack: Stack, firestore_client: Any, fakes: FakeProvidersClient,
    unique_id: str, shots: Path,
) -> None:  # fmt: skip
    db = firestore_client
    console = clean_stack.urls["console"]
    db.collection("settings").document("notifications").set(
        {"quietHours": {}, "shopName": "Atelier",
         "whatsappTemplates": {"reply.staff": {"contentSid": TEMPLATE_SID}}}
    )  # fmt: skip
    inside, outside = unique_mobile(unique_id), unique_mobile(unique_id[::-1])
    now = datetime.now(UTC)
    seed_profile(db, "in-window", inside, lastInboundAt={"whatsapp": now - timedelta(hours=1)})
    seed_profile(db, "out-window", outside, lastInboundAt={"whatsapp": now - timedelta(days=3)})
    _sign_in(page, console, clean_stack)

    # A reply inside the window: free-form WhatsApp, the route said before sending.
    page.goto(f"{console}/reply?customer=in-window")
    assert page.get_attribute(".route", "data-route") == "whatsapp_free_form"
    page.fill("textarea[name=text]", "Votre iPhone est réparé, à tout à l'heure.")
    page.screenshot(path=str(shots / "6-reply.png"), full_page=True)
    page.click("#send")
    page.wait_for_selector("p.done")
    [free] = wait_for(lambda: _posts_to(fakes, f"whatsapp:{inside}"), timeout=30)
    assert free["Body"] == "Votre iPhone est réparé, à tout à l'heure."
    # Outside it: the shop's approved reply template carries the words.
    page.goto(f"{console}/reply?customer=out-window")
    assert page.get_attribute(".route", "data-route") == "whatsapp_template"
    page.fill("textarea[name=text]", "Votre devis : 89 EUR.")
    page.click("#send")
    page.wait_for_selector("p.done")
    [templated] = wait_for(lambda: _posts_to(fakes, f"whatsapp:{outside}"), timeout=30)
    assert templated["ContentSid"] == TEMPLATE_SID
    assert "Votre devis : 89 EUR." in templated["ContentVariables"]

    # A failed SMS retried with a double click: one send.
    phone = unique_mobile(unique_id[1:] + "0")
    original = _failed(db, phone, unique_id, status_reason="retries_exhausted")
    page.goto(f"{console}/messages/{original}")
    page.dblclick("#retry")
    page.wait_for_selector("p.done")
    wait_for(lambda: _posts_to(fakes, phone), timeout=30, message="the retried SMS")
    assert len(_posts_to(fakes, phone)) == 1

    # Quiet hours all day long: the next message waits for the morning.
    page.goto(f"{console}/settings")
    page.fill(
        "#f-quietHours", '{"FR": {"start": "00:00", "end": "23:59", "timezone": "Europe/Paris"}}'
    )
    page.screenshot(path=str(shots / "7-settings.png"), full_page=True)
    page.click("#save")
    page.wait_for_selector("p.done")
    sms_only = unique_mobile(unique_id[2:] + "00")
    prefs = {"whatsappEnabled": False, "emailEnabled": False}
    seed_profile(db, "night", sms_only, notificationPreferences=prefs)
    db.collection("tickets").document(f"TQ-{unique_id}").set(
        {"customerId": "night", "status": "received", "device": "Pixel 8"}
    )
    [held] = wait_for(lambda: _history(db, "ticketId", f"TQ-{unique_id}"), timeout=30)
    assert (held["channel"], held["status"]) == ("sms", "scheduled")

    # A template edit that pushes the SMS to two segments is flagged in the preview.
    page.goto(f"{console}/templates/ticket.completed/fr")
    assert page.get_attribute("p.sms", "data-segments") == "1"
    page.fill("#t-sms", "$shopName: " + "votre téléphone est réparé et vous attend. " * 5)
    page.click("#preview")
    page.wait_for_selector("p.flag[data-flag=more_segments]")
    assert int(page.get_attribute("p.sms", "data-segments") or "0") >= 2
    page.screenshot(path=str(shots / "8-template.png"), full_page=True)


@pytest.fixture
def shop(
    stack_env: dict[str, str], firestore_client: Any, fakes: FakeProvidersClient, clean_stack: Stack
) -> Shop:
    return Shop(clean_stack, firestore_client, fakes)


def test_a_customer_unsubscribes_on_their_page_and_a_tampered_link_is_refused(
    page: Any, clean_stack: Stack, shop: Shop, shots: Path
) -> None:
    email = shop.customer("ana")
    links = PreferenceLinks(clean_stack.urls["console"] + "/preferences", LOCAL_PREFERENCES_SECRET)
    url = links.page(LinkSubject(SubjectKind.CUSTOMER, "ana"), datetime.now(UTC))

    page.goto(url)
    page.wait_for_selector("table.choices")
    assert page.is_checked("input[name='email.offers']")
    page.screenshot(path=str(shots / "9-preferences.png"), full_page=True)
    page.uncheck("input[name='email.offers']")
    page.click("#save")
    page.wait_for_selector("p.done")
    assert not page.is_checked("input[name='email.offers']")

    shop.abandon("cart-ana", "ana", idle=timedelta(hours=3))
    shop.sweep()
    shop.deliver()
    [reminder] = shop.history("cart-ana")
    assert (reminder["status"], reminder["statusReason"]) == (
        "skipped",
        "marketing_consent_not_recorded",
    )
    assert shop.cart_emails_to(email) == []

    tampered = url.replace("t=v1.", "t=v1.Zm9v")
    answer = page.goto(tampered)
    assert answer is not None
    assert answer.status == 403
    assert page.is_visible("p.refused")
    assert page.query_selector("table.choices") is None
