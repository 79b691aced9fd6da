"""Signing in to the console the way the sign-in page does, without a browser.

``id_token`` asks the Auth emulator's REST API (what the Firebase JS SDK calls) for a fresh ID
token; ``session`` gets the sign-in page (its CSRF cookie and token) and posts the token to
``/session`` like ``signin.js``, returning a ``requests.Session`` holding the session cookie.
"""

from __future__ import annotations

import re
import uuid

import requests

from devstack import auth

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def new_user(auth_host: str, project: str, *, staff: bool, email: str | None = None) -> auth.User:
    """A fresh account on the emulator (the ``staff`` claim when asked)."""
    user = auth.User(
        email or f"user-{uuid.uuid4().hex[:10]}@example.com",
        "a-password-1",
        "Test user",
        {"staff": True} if staff else {},
    )
    auth.create_user(auth_host, project, user)
    return user


def id_token(auth_host: str, user: auth.User) -> str:
    """A fresh ID token for ``user`` (``accounts:signInWithPassword``, as the JS SDK does)."""
    response = requests.post(
        f"http://{auth_host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword",
        params={"key": "local-emulator-key"},
        json={"email": user.email, "password": user.password, "returnSecureToken": True},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["idToken"])


def csrf_of(browser: requests.Session, console_url: str) -> str:
    """Open the sign-in page (sets the CSRF cookie) and read its token."""
    page = browser.get(f"{console_url}/signin", timeout=10)
    page.raise_for_status()
    match = CSRF.search(page.text)
    assert match, "the sign-in page carries its CSRF token"
    return match.group(1)


def post_token(
    browser: requests.Session, console_url: str, token: str, csrf: str
) -> requests.Response:
    return browser.post(
        f"{console_url}/session",
        json={"idToken": token, "csrfToken": csrf},
        headers={"Origin": console_url.rsplit("/", 1)[0]},
        timeout=10,
    )


def session(console_url: str, auth_host: str, user: auth.User) -> requests.Session:
    """A client signed in as ``user`` (asserts the console accepted the sign-in)."""
    browser = requests.Session()
    csrf = csrf_of(browser, console_url)
    answer = post_token(browser, console_url, id_token(auth_host, user), csrf)
    assert answer.status_code == 200, answer.text
    return browser
