"""WhatsApp edits and deletions of messages the customer sent earlier (Meta ``edit`` / ``revoke``).

- An edit is a new version of the original message (``shared.store.conversations.add_version``:
  its new text or media, every earlier version kept); the original's inbox item shows the new
  text, ``edited``. An edit that says STOP (or START) counts: the customer's latest words are
  what they want, recorded as a keyword like any other, with ``editsMessageId``. An edit of a
  message we never stored (sent before this system, or lost) stands for the message: it is
  handled as new. Edits are never answered again (a status question edited gets no new answer).
- A deletion marks the original ``deleted`` and its inbox item ``deleted`` (status
  ``deleted``): it never reaches the staff as an empty message. It does not undo what the
  message did (a STOP stays a STOP: WhatsApp's "delete for everyone" is not a START).

Both are stored as messages of their own first (the inbound flow's claim), with
``editsMessageId`` / ``revokesMessageId``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.flows.inbound_answers import Answer, for_a_person
from shared.flows.inbound_consent import keyword_consent
from shared.flows.inbound_context import Context
from shared.model.ids import inbound_message_id
from shared.platform.log import get_logger
from shared.rules.keywords import Intent, detect
from shared.store import conversations, inbox

if TYPE_CHECKING:
    from collections.abc import Iterator

log = get_logger(__name__)


def _original_keys(ctx: Context, original_id: str) -> Iterator[tuple[str, str]]:
    """Where the original may be stored: the customer's conversation, else their address's
    (the message came before the number or id was linked to them)."""
    doc_id = inbound_message_id(ctx.message.provider.value, original_id)
    seen = set()
    for conversation in (ctx.customer.conversation_id, ctx.customer.address):
        if conversation and conversation not in seen:
            seen.add(conversation)
            yield conversation, doc_id


def edit(ctx: Context) -> Answer:
    """A new version of the original message; an opt-out or opt-in keyword counts."""
    message = ctx.message
    original_id = message.edits_message_id
    latest = None
    if original_id:
        version = {
            "text": message.text,
            "media": [dict(m) for m in message.media],
            "kind": message.details.get("editedKind") or message.kind,
            "at": message.at or ctx.now,  # Meta's time orders the versions
            "providerMessageId": message.message_id,
        }
        for conversation, doc_id in _original_keys(ctx, original_id):
            latest = conversations.add_version(ctx.db, conversation, doc_id, version)
            if latest is not None:
                inbox.amend(
                    ctx.db,
                    doc_id,
                    {
                        "text": latest.get("text") or "",
                        "mediaCount": len(latest.get("media") or []),
                        "edited": True,
                        "editedAt": latest.get("at"),
                    },
                )
                break
    detected = detect(message.text, opt_out_type=message.opt_out_type)
    if detected.intent in (Intent.OPT_OUT, Intent.OPT_IN):
        log.info("an edited message says %s: it counts", detected.keyword)
        return keyword_consent(ctx, detected.intent, detected.keyword)
    if latest is None:
        log.info("an edit of a message not stored here: handled as a new message")
        return for_a_person(ctx)
    return "edited", []


def revoke(ctx: Context) -> Answer:
    """The original is marked deleted, in its conversation and in the staff inbox."""
    message = ctx.message
    original_id = message.revokes_message_id
    if not original_id:
        return "stored", []
    for conversation, doc_id in _original_keys(ctx, original_id):
        marked = conversations.mark_deleted(
            ctx.db, conversation, doc_id, at=ctx.now, revoked_by=message.message_id
        )
        if marked:
            inbox.amend(
                ctx.db, doc_id, {"deleted": True, "deletedAt": ctx.now, "status": "deleted"}
            )
            return "revoked", []
    log.info("a deletion of a message not stored here")
    return "revoked", []
