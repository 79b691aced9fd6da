"""Who is shop staff: a pure decision on a verified Firebase identity and the shop's staff list.

A user is staff when their token carries the custom claim ``staff: true`` (set with the Admin
SDK's ``set_custom_user_claims``) or when ``settings/staff`` lists their uid, or their email
provided the provider says that email is verified (an unverified email is anyone's claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StaffList:
    """``settings/staff``: ``uids`` and ``emails`` (lists; emails compared case-insensitively)."""

    uids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    @classmethod
    def from_document(cls, doc: Mapping[str, Any] | None) -> StaffList:
        """Lenient: a missing document or a malformed field is an empty list."""
        doc = doc or {}
        return cls(
            uids=frozenset(_texts(doc.get("uids"))),
            emails=frozenset(e.lower() for e in _texts(doc.get("emails"))),
        )


def _texts(value: Any) -> Iterable[str]:
    if not isinstance(value, list | tuple):
        return ()
    return (v.strip() for v in value if isinstance(v, str) and v.strip())


@dataclass(frozen=True)
class StaffMember:
    """A signed-in member of staff, as the pages show and log them."""

    uid: str
    email: str | None
    name: str | None


def staff_member(claims: Mapping[str, Any], staff: StaffList) -> StaffMember | None:
    """The member of staff these verified claims prove, or None (not staff)."""
    uid = claims.get("uid") or claims.get("sub")
    if not isinstance(uid, str) or not uid:
        return None
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    verified_email = email.lower() if email and claims.get("email_verified") is True else None
    if (
        claims.get("staff") is True
        or uid in staff.uids
        or (verified_email is not None and verified_email in staff.emails)
    ):
        name = claims.get("name")
        return StaffMember(uid=uid, email=email, name=name if isinstance(name, str) else None)
    return None
