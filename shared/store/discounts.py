"""Single-use discount codes of second reminders (``discount_codes/{code}``).

A code is random (``secrets``), drawn once per (cart, episode) when the sweep claims the
second reminder and kept in the claim document, so a retried or concurrent sweep offers the
same code. Redemption is claimed with ``create()`` on ``discount_redemptions/{code}``: of two
orders carrying the same code, exactly one gets it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.platform.clock import as_datetime
from shared.platform.errors import PermanentError
from shared.platform.log import get_logger
from shared.store.client import create_if_absent, read
from shared.store.collections import DISCOUNT_CODES, DISCOUNT_REDEMPTIONS

if TYPE_CHECKING:
    from google.cloud.firestore import Client

log = get_logger(__name__)

# No 0/O, 1/I/L: codes are read aloud at the counter and typed on phones (as shared.ids).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 31**8, about 8.5e11 codes: guessing one is hopeless, collisions negligible


class DiscountCodeCollisionError(PermanentError):
    """A freshly drawn code already belongs to another cart (astronomically rare)."""


def draw_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(value: Any) -> str | None:
    """A code as typed by a customer (spaces, lower case) -> the stored form, or ``None``."""
    if not isinstance(value, str):
        return None
    code = "".join(value.split()).upper()
    ok = 4 <= len(code) <= 32 and all(ch.isalnum() for ch in code)
    return code if ok else None


@dataclass(frozen=True)
class Offer:
    """A discount offered with a second reminder."""

    code: str
    percent: int
    expires_at: datetime

    @classmethod
    def new(cls, *, percent: int, valid_days: int, now: datetime) -> Offer:
        return cls(draw_code(), percent, now + timedelta(days=valid_days))

    @classmethod
    def from_claim(cls, claim: Mapping[str, Any]) -> Offer | None:
        code, percent = claim.get("discountCode"), claim.get("discountPercent")
        expires_at = as_datetime(claim.get("discountExpiresAt"))
        if isinstance(code, str) and isinstance(percent, int) and expires_at is not None:
            return cls(code, percent, expires_at)
        return None

    def claim_fields(self) -> dict[str, Any]:
        return {
            "discountCode": self.code,
            "discountPercent": self.percent,
            "discountExpiresAt": self.expires_at,
        }


def ensure_code(
    db: Client, offer: Offer, *, cart_id: str, customer_id: str | None, now: datetime
) -> bool:
    """Create ``discount_codes/{code}`` for this cart (idempotent). True if this call made it."""
    ref = db.collection(DISCOUNT_CODES).document(offer.code)
    doc = {
        "percent": offer.percent,
        "expiresAt": offer.expires_at,
        "cartId": cart_id,
        "customerId": customer_id,
        "usedAt": None,
        "orderId": None,
        "createdAt": now,
    }
    if create_if_absent(ref, doc):
        return True
    existing = read(ref) or {}
    if existing.get("cartId") != cart_id:
        raise DiscountCodeCollisionError(f"code {offer.code} already belongs to another cart")
    return False


def code_problem(
    code_doc: Mapping[str, Any] | None, *, customer_id: str | None, now: datetime
) -> str | None:
    """Why a code cannot be used now (``None``: it can): what a checkout would check."""
    if code_doc is None:
        return "unknown_code"
    if code_doc.get("usedAt") is not None or code_doc.get("orderId"):
        return "already_used"
    expires_at = as_datetime(code_doc.get("expiresAt"))
    if expires_at is not None and expires_at <= now:
        return "expired"
    owner = code_doc.get("customerId")
    if owner and customer_id and owner != customer_id:
        return "other_customer"
    return None


@dataclass(frozen=True)
class Redemption:
    """What recording an order's code did: ``redeemed``, ``used_by_other_order``,
    ``unknown_code``; ``problem`` notes a code used past its expiry or by another customer
    (recorded anyway: the shop's checkout accepted it)."""

    code: str
    outcome: str
    order_id: str
    problem: str | None = None


def redeem(
    db: Client, raw_code: Any, *, order_id: str, customer_id: str | None, at: datetime
) -> Redemption | None:
    """Mark the order's code used (``usedAt``, ``orderId``), once, by the first order only."""
    code = normalize_code(raw_code)
    if code is None:
        return None
    code_ref = db.collection(DISCOUNT_CODES).document(code)
    code_doc = read(code_ref)
    if code_doc is None:
        log.warning("order %s carries unknown discount code", order_id)
        return Redemption(code, "unknown_code", order_id)
    claim_ref = db.collection(DISCOUNT_REDEMPTIONS).document(code)
    claim = {"code": code, "orderId": order_id, "customerId": customer_id, "redeemedAt": at}
    if not create_if_absent(claim_ref, claim):
        holder = (read(claim_ref) or {}).get("orderId")
        if holder != order_id:
            log.warning("discount code of order %s was already used by %s", order_id, holder)
            return Redemption(code, "used_by_other_order", order_id, problem="already_used")
    unused = {**code_doc, "usedAt": None, "orderId": None}
    problem = code_problem(unused, customer_id=customer_id, now=at)
    if code_doc.get("orderId") != order_id:
        code_ref.update({"usedAt": at, "orderId": order_id})
    return Redemption(code, "redeemed", order_id, problem=problem)
