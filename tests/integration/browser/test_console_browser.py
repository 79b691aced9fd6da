"""The console in a real headless Chromium on the local stack: a member of staff signs in
through the Auth emulator with the page's Firebase JS SDK, opens every page, finds a message by
a number typed "06 12 34 56 78" and sees its timeline; someone not on the staff is refused.
A screenshot of each page is written to the test output folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from devstack.stack import Stack
from tests.integration.console_kit import PHONE, seed_shop
from tests.support import console_auth

pytestmark = pytest.mark.integration


def _sign_in(page: Any, console: str, email: str, password: str) -> None:
    page.goto(f"{console}/")
    page.wait_for_selector("#signin-form")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#signin-button")


def test_staff_signs_in_and_reads_every_page(
    page: Any,
    clean_stack: Stack,
    firestore_client: Any,
    unique_id: str,
    shots: Path,
) -> None:
    assert clean_stack.auth_host
    console = clean_stack.urls["console"]
    shop = seed_shop(firestore_client, unique_id)
    staff = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=True)

    _sign_in(page, console, staff.email, staff.password)
    page.wait_for_url(re.compile(r".*/console/$"))
    page.wait_for_selector("#kpi-total")
    page.screenshot(path=str(shots / "1-overview.png"), full_page=True)
    assert page.inner_text("#kpi-total") == "2"

    page.click("header nav >> text=Messages")
    page.fill("#q", "06 12 34 56 78")
    page.press("#q", "Enter")
    page.wait_for_selector("#results")
    assert PHONE in page.inner_text("#understood")
    page.screenshot(path=str(shots / "2-messages.png"), full_page=True)
    page.click(f"a[href$='/messages/{shop['delivered']}']")
    page.wait_for_selector("#timeline")
    steps = page.eval_on_selector_all("#timeline li", "items => items.map(i => i.dataset.step)")
    assert steps == ["planned", "sent", "delivered"]
    assert "iPhone 12" in page.inner_text("#saw")
    page.screenshot(path=str(shots / "3-message.png"), full_page=True)

    page.click("text=fiche client")
    page.wait_for_selector("#window")
    assert "ouverte" in page.inner_text("#window")
    page.screenshot(path=str(shots / "4-customer.png"), full_page=True)

    for name, selector in (("inbox", "#inbox"), ("carts", "#funnel"), ("consent", "#ledger")):
        page.goto(f"{console}/{name}")
        page.wait_for_selector(selector)
        page.screenshot(path=str(shots / f"5-{name}.png"), full_page=True)
    assert "STOP" in page.inner_text("#ledger")

    page.click("text=Se déconnecter")
    page.wait_for_selector("#signin-form")
    page.goto(f"{console}/inbox")
    page.wait_for_selector("#signin-form")


def test_a_user_who_is_not_staff_is_refused(
    page: Any, clean_stack: Stack, firestore_client: Any, unique_id: str, shots: Path
) -> None:
    assert clean_stack.auth_host
    console = clean_stack.urls["console"]
    seed_shop(firestore_client, unique_id)
    user = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=False)

    _sign_in(page, console, user.email, user.password)

    page.wait_for_selector("#signin-error:not([hidden])")
    assert "pas membre de l'équipe" in page.inner_text("#signin-error")
    page.screenshot(path=str(shots / "0-refused.png"), full_page=True)
    assert not [c for c in page.context.cookies() if c["name"] == "__session"]
    page.goto(f"{console}/messages?q=0612345678")
    page.wait_for_selector("#signin-form")
    assert PHONE not in page.content()
