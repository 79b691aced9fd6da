"""Deterministic ids: the same inputs always give the same id, so a retried or duplicated event
claims the same Firestore document (``create()``) instead of making a second one.

Ids are a short readable prefix and a SHA-256 digest of the parts: Firestore-safe (no ``/``,
never ``.``/``..``/``__x__``, far below 1,500 bytes), Cloud-Tasks-safe (``[A-Za-z0-9_-]``), and
spread evenly (Cloud Tasks and Firestore both dislike sequential names). Parts are joined with a
separator that cannot appear in them unescaped, so ``("a|b", "c")`` and ``("a", "b|c")`` differ.
"""

from __future__ import annotations

import hashlib
import hmac
import re

DIGEST_HEX = 24  # 96 bits: collisions are not a practical concern at a shop's volume
MAX_TASK_NAME = 500
_TASK_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# No 0/O, 1/I/L: codes are read aloud at the counter and typed on phones.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _digest(*parts: str) -> str:
    joined = "\x1f".join(p.replace("\\", "\\\\").replace("\x1f", "\\u") for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:DIGEST_HEX]


def notification_id(source_event_id: str, event_key: str, channel: str) -> str:
    """The history document id of one message to one channel caused by one source event."""
    return "n_" + _digest("notification", source_event_id, str(event_key), str(channel))


def fallback_notification_id(original_id: str, channel: str) -> str:
    """The id of the message that replaces ``original_id`` on ``channel`` after it failed."""
    return "fb_" + _digest("fallback", original_id, str(channel))


def reminder_event_id(kind: str, document_id: str, episode_or_date: str) -> str:
    """A source event id for a delayed reminder, stable per reminder episode.

    ``episode_or_date`` tells one reminder from the next for the same document, e.g. the time the
    ticket was completed for a pickup reminder, ``paymentDueAt`` for a payment reminder, or the
    cart's ``updatedAt`` and stage for a cart reminder.
    """
    return "r_" + _digest("reminder", kind, document_id, episode_or_date)


def reply_event_id(inbound_message_id: str, purpose: str = "reply") -> str:
    """A source event id for an answer to an inbound message (one answer per message)."""
    return "a_" + _digest("reply", inbound_message_id, purpose)


def task_name(notification_id: str, attempt_generation: int = 0) -> str:
    """A Cloud Tasks task id (``[A-Za-z0-9_-]``, at most 500 chars) for one delivery attempt."""
    safe = _TASK_UNSAFE.sub("_", notification_id)
    suffix = f"-g{max(attempt_generation, 0)}"
    if len(safe) + len(suffix) > MAX_TASK_NAME or safe != notification_id:
        safe = "t_" + _digest("task", notification_id)
    return safe + suffix


def discount_code(cart_id: str, secret: str, *, prefix: str = "", length: int = 8) -> str:
    """An unguessable, deterministic discount code for a cart (HMAC of the cart id).

    The same cart always gets the same code, so a retried reminder offers the same code; without
    the secret nobody can derive another cart's code.
    """
    mac = hmac.new(secret.encode(), cart_id.encode(), hashlib.sha256).digest()
    number = int.from_bytes(mac, "big")
    chars: list[str] = []
    for _ in range(max(length, 4)):
        number, index = divmod(number, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[index])
    return prefix.upper() + "".join(chars)


def is_firestore_id(value: str) -> bool:
    """Whether ``value`` can be a Firestore document id."""
    try:
        size = len(value.encode())
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800") is no UTF-8 at all
        return False
    return (
        bool(value)
        and "/" not in value
        and value not in {".", ".."}
        and not (value.startswith("__") and value.endswith("__"))
        and size <= 1500
    )


def inbound_message_id(provider: str, provider_message_id: str) -> str:
    """The stored inbound message's id (``conversations/{key}/messages/{id}``), from the
    provider's message id: a webhook delivered twice finds its own document."""
    return f"{provider}_{_digest(provider, provider_message_id)}"


def consent_event_id(*cause: str) -> str:
    """A ``consent_events`` id from what caused the change (the message and the keyword, the
    provider's refusal, a preference update): one event per cause, however often reported."""
    return "c_" + _digest("consent", *cause)


def orphan_status_id(provider: str, provider_message_id: str, provider_status: str) -> str:
    """A status kept while nobody claims it: one per provider, message and status."""
    return "o_" + _digest("orphan", provider, provider_message_id, provider_status)


def cart_reminder_id(cart_id: str, episode: str, stage: int) -> str:
    """``cart_reminders/{id}``: one reminder of one abandonment episode of one cart."""
    return f"{cart_id}_{episode}_{stage}"


def campaign_notification_id(campaign_id: str, customer_id: str) -> str:
    """The one message of a campaign to one customer, whatever page or channel plans it."""
    return "cm_" + _digest("campaign", campaign_id, customer_id)


def campaign_destination_id(campaign_id: str, destination: str) -> str:
    """The one claim of a campaign on one destination (``channel:address``): two customers
    sharing a number get its message once."""
    return "cd_" + _digest("campaign-destination", campaign_id, destination)


def campaign_task_id(campaign_id: str, step: str, run: str, page: int) -> str:
    """A campaign step's Cloud Tasks task id (``[A-Za-z0-9_-]``): one per page of a run."""
    digest = _digest("campaign-step", campaign_id, step, run)
    return f"cs_{digest}-{step}-{page}"
