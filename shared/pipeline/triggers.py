"""Firestore change handlers (filled in by the outbound pipeline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.events import DocumentChange
from shared.log import get_logger

log = get_logger(__name__)


def handle_ticket_change(change: DocumentChange) -> Mapping[str, Any]:
    log.info("ticket change on %s", change.path)
    return {"path": change.path}


def handle_order_change(change: DocumentChange) -> Mapping[str, Any]:
    log.info("order change on %s", change.path)
    return {"path": change.path}


def handle_cart_change(change: DocumentChange) -> Mapping[str, Any]:
    log.info("cart change on %s", change.path)
    return {"path": change.path}
