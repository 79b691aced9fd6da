"""The console's door on the local stack: the Auth emulator, the console's process, real HTTP.

Only staff (the ``staff`` claim, or listed in ``settings/staff``) get a session cookie; every
page without one answers the sign-in page; the session POST needs the page's CSRF token and our
own origin; signing out ends the session.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from devstack.stack import Stack
from tests.support import console_auth

pytestmark = pytest.mark.integration


@pytest.fixture
def console(functions: dict[str, str]) -> str:
    return functions["console"]


def test_a_page_without_a_session_answers_the_sign_in_page(console: str) -> None:
    answer = requests.get(f"{console}/messages?q=x", timeout=10, allow_redirects=False)

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/signin?next=")
    page = requests.get(f"{console}/messages", timeout=10)
    assert page.url.startswith(f"{console}/signin")
    assert 'id="signin-form"' in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert requests.get(f"{console}/consent.csv", timeout=10).status_code == 401


def test_staff_signs_in_sees_the_pages_and_signs_out(console: str, clean_stack: Stack) -> None:
    assert clean_stack.auth_host
    staff = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=True)

    browser = console_auth.session(console, clean_stack.auth_host, staff)
    cookie = browser.cookies.get("__session")

    assert cookie
    home = browser.get(f"{console}/", timeout=10)
    assert home.status_code == 200
    assert 'action="/console/signout"' in home.text
    csrf = browser.cookies.get("console_csrf")
    out = browser.post(
        f"{console}/signout", data={"csrfToken": csrf}, timeout=10, allow_redirects=False
    )
    assert out.status_code == 302
    assert "__session" not in browser.cookies
    again = requests.get(f"{console}/", cookies={"__session": "forged"}, timeout=10)
    assert again.url.startswith(f"{console}/signin")


def test_a_valid_user_who_is_not_staff_gets_no_session(console: str, clean_stack: Stack) -> None:
    assert clean_stack.auth_host
    user = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=False)
    browser = requests.Session()
    csrf = console_auth.csrf_of(browser, console)

    answer = console_auth.post_token(
        browser, console, console_auth.id_token(clean_stack.auth_host, user), csrf
    )

    assert answer.status_code == 403
    assert answer.json() == {"error": "not_staff"}
    assert "__session" not in browser.cookies
    assert browser.get(f"{console}/", timeout=10).url.startswith(f"{console}/signin")


def test_a_user_listed_in_settings_staff_by_verified_email_may_enter(
    console: str, clean_stack: Stack, firestore_client: Any
) -> None:
    assert clean_stack.auth_host
    user = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=False)
    firestore_client.collection("settings").document("staff").set({"emails": [user.email.upper()]})

    browser = console_auth.session(console, clean_stack.auth_host, user)

    assert browser.get(f"{console}/", timeout=10).status_code == 200


def test_the_session_post_needs_the_csrf_token_and_our_origin(
    console: str, clean_stack: Stack
) -> None:
    assert clean_stack.auth_host
    staff = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=True)
    browser = requests.Session()
    csrf = console_auth.csrf_of(browser, console)
    token = console_auth.id_token(clean_stack.auth_host, staff)

    wrong = console_auth.post_token(browser, console, token, csrf + "x")
    other_site = browser.post(
        f"{console}/session",
        json={"idToken": token, "csrfToken": csrf},
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    garbage = console_auth.post_token(browser, console, "not-a-token", csrf)

    assert wrong.status_code == 403
    assert other_site.status_code == 403
    assert garbage.status_code == 401
    assert "__session" not in browser.cookies
