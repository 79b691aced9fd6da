"""Firebase Authentication for the console: ID token in, session cookie out, and back.

The Admin SDK (``firebase_admin.auth``) does the cryptography: ``create_session_cookie`` checks
the ID token the sign-in page got from the Firebase JS SDK and mints a session cookie;
``verify_session_cookie`` checks that cookie on every request (Google's public keys, or, with
``FIREBASE_AUTH_EMULATOR_HOST`` set, the emulator's unsigned tokens: the SDK reads that
variable itself). The app is injected or made lazily, never at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.platform.errors import PermanentError, TransientError

# A session is minted only from a sign-in this recent (Firebase's own advice): a stolen old ID
# token cannot become a fresh 12-hour session.
RECENT_SIGN_IN = timedelta(minutes=5)


class SignInRefusedError(PermanentError):
    """The ID token or session cookie is invalid, expired, revoked or too old to use."""


class IdentityUnavailableError(TransientError):
    """Firebase Authentication could not be reached or answered an error worth a retry."""


_lock = threading.Lock()
_app: Any = None


def default_app(project: str | None) -> Any:
    """The process's ``firebase_admin`` app (created on first use, with the project id)."""
    global _app  # noqa: PLW0603 - one app per process, created lazily
    if _app is None:
        with _lock:
            if _app is None:
                import firebase_admin  # noqa: PLC0415 - heavy, first use only

                name = "console"
                try:
                    _app = firebase_admin.get_app(name)
                except ValueError:
                    options = {"projectId": project} if project else None
                    _app = firebase_admin.initialize_app(options=options, name=name)
    return _app


@dataclass
class Identity:
    """Session cookies of one Firebase project (``app`` a ``firebase_admin`` App)."""

    app: Any

    def session_cookie(self, id_token: str, *, lifetime: timedelta, now: datetime) -> str:
        """A session cookie for a fresh sign-in's ID token (``SignInRefusedError`` otherwise)."""
        from firebase_admin import auth  # noqa: PLC0415

        claims = self._verify(auth.verify_id_token, id_token)
        signed_in = claims.get("auth_time")
        if not isinstance(signed_in, int | float) or now.timestamp() - signed_in > (
            RECENT_SIGN_IN.total_seconds()
        ):
            raise SignInRefusedError("the sign-in is not recent: sign in again")
        try:
            cookie = auth.create_session_cookie(id_token, expires_in=lifetime, app=self.app)
        except (auth.InvalidIdTokenError, ValueError) as exc:
            raise SignInRefusedError(str(exc)) from exc
        except auth.TokenSignError as exc:  # pragma: no cover - production key problems
            raise IdentityUnavailableError(str(exc)) from exc
        except Exception as exc:
            raise _classified(exc) from exc
        return cookie if isinstance(cookie, str) else cookie.decode()

    def verify_id_token(self, id_token: str) -> Mapping[str, Any]:
        """The claims of a valid, unrevoked ID token (``SignInRefusedError`` otherwise)."""
        from firebase_admin import auth  # noqa: PLC0415

        return self._verify(auth.verify_id_token, id_token)

    def verify_session(self, cookie: str) -> Mapping[str, Any]:
        """The claims of a valid session cookie (``SignInRefusedError`` otherwise)."""
        from firebase_admin import auth  # noqa: PLC0415

        return self._verify(auth.verify_session_cookie, cookie)

    def _verify(self, verify: Any, token: str) -> Mapping[str, Any]:
        from firebase_admin import auth  # noqa: PLC0415

        if not token or len(token) > 8192:
            raise SignInRefusedError("no token")
        try:
            claims = verify(token, check_revoked=True, app=self.app)
        except (
            auth.InvalidIdTokenError,
            auth.InvalidSessionCookieError,
            auth.UserDisabledError,
            ValueError,
        ) as exc:
            raise SignInRefusedError(type(exc).__name__) from exc
        except auth.CertificateFetchError as exc:
            raise IdentityUnavailableError(str(exc)) from exc
        except Exception as exc:
            raise _classified(exc) from exc
        return dict(claims)


def _classified(exc: Exception) -> Exception:
    """A ``firebase_admin`` error as ours: revoked or not found -> refused, else transient."""
    from firebase_admin import exceptions  # noqa: PLC0415

    if isinstance(exc, exceptions.FirebaseError) and exc.code in {
        exceptions.INVALID_ARGUMENT,
        exceptions.NOT_FOUND,
        exceptions.PERMISSION_DENIED,
        exceptions.UNAUTHENTICATED,
    }:
        return SignInRefusedError(exc.code)
    return IdentityUnavailableError(f"{type(exc).__name__}: {exc}")
