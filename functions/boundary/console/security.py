"""The console's request hygiene: session and CSRF cookies, same-origin POSTs, response headers.

CSRF: the double-submit pattern. Every page carries a random ``csrf`` cookie (``SameSite=Strict``,
HttpOnly) and the same value in its forms and in the sign-in page's meta tag; a POST passes only
when the posted token equals the cookie (``hmac.compare_digest``) and its ``Origin`` (when the
browser sends one) is this host. A page on another site can neither read the cookie nor set it.
The session cookie is ``__session`` (the one name Firebase Hosting forwards), HttpOnly,
``SameSite=Lax``, Secure unless served over plain HTTP on a loopback address.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

import flask

SESSION_COOKIE = "__session"
CSRF_COOKIE = "console_csrf"
CSRF_FIELD = "csrfToken"


def csrf_token() -> str:
    """This browser's CSRF token (made once per browser and set by ``finish``)."""
    token = flask.g.get("csrf_token")
    if token is None:
        existing = flask.request.cookies.get(CSRF_COOKIE, "")
        token = existing if 20 <= len(existing) <= 100 else secrets.token_urlsafe(32)
        flask.g.csrf_token = token
    return str(token)


def same_origin_post(posted: str | None) -> bool:
    """A POST from our own pages: the token matches the cookie and the origin is ours."""
    cookie = flask.request.cookies.get(CSRF_COOKIE)
    if not cookie or not posted or not hmac.compare_digest(cookie, posted):
        return False
    origin = flask.request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == flask.request.host


def secure_cookies() -> bool:
    """Secure cookies everywhere but plain HTTP on a loopback address (the local stack)."""
    if flask.request.headers.get("X-Forwarded-Proto", flask.request.scheme) == "https":
        return True
    host = flask.request.host.rsplit(":", 1)[0].strip("[]")
    return host not in {"127.0.0.1", "localhost", "::1"}


def content_security_policy(auth_origin: str) -> str:
    """Scripts and styles from us only; the sign-in page talks to Firebase Auth only."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {auth_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )


def finish(response: flask.Response, *, auth_origin: str) -> flask.Response:
    """Headers every answer carries, and the CSRF cookie when this request made one."""
    response.headers["Content-Security-Policy"] = content_security_policy(auth_origin)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if not flask.request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    token = flask.g.get("csrf_token")
    if token is not None and flask.request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            secure=secure_cookies(),
            samesite="Strict",
            path="/",
        )
    return response
