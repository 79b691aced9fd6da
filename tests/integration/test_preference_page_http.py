"""The customer's preference page over HTTP (issue 18), the console's real app on the stack's
emulator: a signed link opens it, a choice saved is a consent event once per form, the one-click
unsubscribe works without cookies, and a forged or expired link changes nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.boundary.console.app import Console, create_app
from functions.boundary.runtime import Deps
from shared.platform.settings import Settings
from shared.rules.preference_link import LinkSubject, PreferenceLinks, SubjectKind
from tests.integration.cart_kit import Shop
from tests.integration.test_preference_page import shop

__all__ = ["shop"]
pytestmark = pytest.mark.integration
SECRET = "page-test-secret"
BASE = "http://localhost/preferences"
ANA = LinkSubject(SubjectKind.CUSTOMER, "ana")


@pytest.fixture
def client(stack_env: dict[str, str], firestore_client: Any) -> Any:
    settings = replace(Settings.from_env(), preferences_url=BASE, preferences_secret=SECRET)
    app = create_app(Console(Deps(settings=settings, db=firestore_client)))
    return app.test_client()


def _path(url: str) -> str:
    return url.removeprefix("http://localhost")


def _events(db: Any, customer_id: str) -> list[dict[str, Any]]:
    query = db.collection("consent_events").where(
        filter=FieldFilter("customerId", "==", customer_id)
    )
    events = [d.to_dict() or {} for d in query.get()]
    return [e for e in events if e.get("source") == "preference_page"]


def _form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(t|formId|csrfToken)" value="([^"]*)"', html))
    for name in re.findall(r'name="([a-z]+\.(?:messages|offers))" checked', html):
        fields[name] = "on"
    return fields


def test_a_customer_turns_offers_off_once_per_form(client: Any, shop: Shop) -> None:
    email = shop.customer("ana")
    page = client.get(_path(PreferenceLinks(BASE, SECRET).page(ANA, datetime.now(UTC))))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert email not in html  # masked: a link may be forwarded
    assert 'name="email.offers" checked' in html
    form = _form(html)
    del form["email.offers"]

    for _ in range(2):  # the same form sent twice
        saved = client.post("/preferences", data=form)
        assert saved.status_code == 303
    assert [(e["channel"], e["purpose"], e["action"]) for e in _events(shop.db, "ana")] == [
        ("email", "marketing", "opt_out")
    ]
    after = client.get(_path(saved.headers["Location"]))
    assert 'name="email.offers" checked' not in after.get_data(as_text=True)


def test_a_post_without_the_pages_csrf_token_changes_nothing(client: Any, shop: Shop) -> None:
    shop.customer("ana")
    html = client.get(_path(PreferenceLinks(BASE, SECRET).page(ANA, datetime.now(UTC)))).get_data(
        as_text=True
    )
    form = _form(html)
    form["csrfToken"] = "forged-token-forged-token"
    assert client.post("/preferences", data=form).status_code == 403
    assert _events(shop.db, "ana") == []


def test_the_one_click_unsubscribe_needs_only_the_signed_link(
    stack_env: dict[str, str], firestore_client: Any, shop: Shop
) -> None:
    shop.customer("ana")
    url = _path(PreferenceLinks(BASE, SECRET).unsubscribe(ANA, "email", datetime.now(UTC)))
    settings = replace(Settings.from_env(), preferences_url=BASE, preferences_secret=SECRET)
    mail_provider = create_app(Console(Deps(settings=settings, db=firestore_client))).test_client()
    confirm = mail_provider.get(url)
    assert 'id="unsubscribe"' in confirm.get_data(as_text=True)
    done = mail_provider.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert mail_provider.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert [(e["channel"], e["action"]) for e in _events(firestore_client, "ana")] == [
        ("email", "opt_out")
    ]


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda: PreferenceLinks(BASE, "another-secret").page(ANA, datetime.now(UTC)), 403),
        (lambda: PreferenceLinks(BASE, SECRET, timedelta(seconds=-5)).page(ANA, datetime.now(UTC)),
         410),
        (lambda: PreferenceLinks(BASE, SECRET).page(ANA, datetime.now(UTC)).replace("v1.", "v1.x"),
         403),
        (lambda: BASE + "?t=", 403),
    ],
    ids=["other-key", "expired", "altered", "empty"],
)  # fmt: skip
def test_a_forged_altered_or_expired_link_gets_a_clear_page_and_changes_nothing(
    client: Any, shop: Shop, make: Any, status: int
) -> None:
    shop.customer("ana")
    url = _path(make())
    page = client.get(url)
    assert page.status_code == status
    assert 'role="alert"' in page.get_data(as_text=True)
    assert (
        client.post(url.replace("/preferences", "/preferences/unsubscribe")).status_code == status
    )
    assert _events(shop.db, "ana") == []
