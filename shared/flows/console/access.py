"""Staff sign-in: a fresh Firebase ID token becomes a session cookie only for staff; each
request's cookie is checked again (signature, expiry, revocation) and against the staff list."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.adapters.identity import Identity, SignInRefusedError
from shared.platform.log import get_logger
from shared.rules.staff import StaffMember, staff_member
from shared.store.staff import staff_list

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)


class NotStaffError(SignInRefusedError):
    """A valid Firebase user who is neither claimed nor listed as staff."""


def sign_in(
    identity: Identity, db: Client, id_token: str, *, lifetime: timedelta, now: datetime
) -> tuple[str, StaffMember]:
    """(session cookie, the member) for a staff member's fresh ID token; refused otherwise."""
    claims = identity.verify_id_token(id_token)
    member = staff_member(claims, staff_list(db))
    if member is None:
        log.warning("console sign-in refused: not staff", extra={"uid": claims.get("uid")})
        raise NotStaffError("not staff")
    cookie = identity.session_cookie(id_token, lifetime=lifetime, now=now)
    log.info("console sign-in", extra={"uid": member.uid})
    return cookie, member


def staff_of_session(identity: Identity, db: Client, cookie: str | None) -> StaffMember | None:
    """The member of staff this session cookie proves, or None (no, bad or non-staff session)."""
    if not cookie:
        return None
    try:
        claims = identity.verify_session(cookie)
    except SignInRefusedError:
        return None
    return staff_member(claims, staff_list(db))
