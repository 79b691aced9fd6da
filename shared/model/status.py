"""The order of notification statuses, and provider statuses mapped onto them.

The lifecycle moves forward only::

    pending ─┬─> scheduled ─┐
             └──────────────┴─> sending ─> sent ─> delivered ─> read
                                   │         └───────────────────┘ (read without delivered)
                                   ├─> failed / undelivered   (also from sent: late failure)
                                   └─> skipped / cancelled    (also from pending, scheduled)

Decisions where the contract is silent:

- Forward jumps are allowed (``sending`` -> ``delivered`` when the callback beats our own
  ``sent`` write); moves back or sideways are refused, so a late ``sent`` never overwrites
  ``delivered`` and a duplicate callback changes nothing.
- Final: ``read``, ``failed``, ``undelivered``, ``skipped``, ``cancelled``. ``delivered`` only
  moves to ``read``: a failure reported after delivery is not believed.
- ``scheduled`` never goes back to ``pending``: a due scheduled message is claimed straight into
  ``sending``.
- ``skipped`` and ``cancelled`` are reachable from ``sending`` too: delivery claims a message
  before re-checking live state (ticket picked up, order paid, provider gone), and the claim
  holder must be able to close it without a send. Once ``sent``, a message cannot be cancelled.
- ``UNKNOWN`` as the new status never changes anything; a document whose current status is
  unreadable (``UNKNOWN``) may be moved to any known status, so it can be repaired.
"""

from __future__ import annotations

from shared.model.enums import NotificationStatus as S

FINAL: frozenset[S] = frozenset({S.READ, S.FAILED, S.UNDELIVERED, S.SKIPPED, S.CANCELLED})
"""Statuses nothing moves out of."""

OUTSTANDING: frozenset[S] = frozenset({S.PENDING, S.SCHEDULED})
"""Not yet attempted: may be claimed for delivery."""

HANDED_OVER: frozenset[S] = frozenset({S.SENT, S.DELIVERED, S.READ, S.UNDELIVERED})
"""The provider took the message (what it did with it may still change)."""

REACHED: frozenset[S] = frozenset({S.SENT, S.DELIVERED, S.READ})
"""Sent and not known to have failed: the customer can have seen it."""

AFTER_ATTEMPT: frozenset[S] = FINAL | HANDED_OVER
"""Nothing left to deliver: handed over, or finished without a send."""

_TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING: frozenset(
        {S.SCHEDULED, S.SENDING, S.SENT, S.DELIVERED, S.READ}
        | {S.FAILED, S.UNDELIVERED, S.SKIPPED, S.CANCELLED}
    ),
    S.SCHEDULED: frozenset(
        {S.SENDING, S.SENT, S.DELIVERED, S.READ, S.FAILED, S.UNDELIVERED, S.SKIPPED, S.CANCELLED}
    ),
    S.SENDING: frozenset(
        {S.SENT, S.DELIVERED, S.READ, S.FAILED, S.UNDELIVERED, S.SKIPPED, S.CANCELLED}
    ),
    S.SENT: frozenset({S.DELIVERED, S.READ, S.FAILED, S.UNDELIVERED}),
    S.DELIVERED: frozenset({S.READ}),
}

RANK: dict[S, int] = {
    S.PENDING: 0,
    S.SCHEDULED: 1,
    S.SENDING: 2,
    S.SENT: 3,
    S.DELIVERED: 4,
    S.READ: 5,
    S.UNDELIVERED: 5,
    S.FAILED: 5,
    S.SKIPPED: 5,
    S.CANCELLED: 5,
}
"""Progress of each known status: every allowed transition strictly increases it."""


def can_transition(current: S | str, new: S | str) -> bool:
    """Whether a notification in ``current`` may move to ``new``."""
    cur, nxt = S(current), S(new)
    if nxt is S.UNKNOWN:
        return False
    if cur is S.UNKNOWN:
        return True
    return nxt in _TRANSITIONS.get(cur, frozenset())


def next_status(current: S | str, new: S | str) -> S:
    """The status after ``new`` is reported: ``new`` when allowed, else ``current`` unchanged."""
    cur = S(current)
    return S(new) if can_transition(cur, new) else cur


def is_final(status: S | str) -> bool:
    return S(status) in FINAL


def from_twilio_status(value: str | None) -> S:
    """Twilio ``MessageStatus`` -> our status; unknown or inbound values -> ``UNKNOWN``.

    ``queued``/``accepted``/``scheduled``/``sending`` mean Twilio holds the message: ``sending``
    (ignored after our ``sent``). ``partially_delivered`` is ``sent``: full delivery is unproven.
    """
    return _TWILIO.get((value or "").strip().lower(), S.UNKNOWN)


def from_meta_status(value: str | None) -> S:
    """WhatsApp Cloud API ``statuses[].status`` -> our status; others -> ``UNKNOWN``.

    ``deleted`` (the customer deleted it) and ``warning`` (catalog issues) say nothing about
    delivery, so they change nothing.
    """
    return _META.get((value or "").strip().lower(), S.UNKNOWN)


_TWILIO: dict[str, S] = {
    "queued": S.SENDING,
    "accepted": S.SENDING,
    "scheduled": S.SENDING,
    "sending": S.SENDING,
    "sent": S.SENT,
    "partially_delivered": S.SENT,
    "delivered": S.DELIVERED,
    "read": S.READ,
    "undelivered": S.UNDELIVERED,
    "failed": S.FAILED,
    "canceled": S.CANCELLED,
    "cancelled": S.CANCELLED,
}

_META: dict[str, S] = {
    "sent": S.SENT,
    "delivered": S.DELIVERED,
    "read": S.READ,
    "played": S.READ,
    "failed": S.FAILED,
}
