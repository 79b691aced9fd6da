"""WhatsApp's ``system`` messages about who the customer is (Meta ``identity_change``).

- ``user_changed_number``: the customer's WhatsApp moved to ``new_wa_id``. Their profile (or a
  walk-in's client record) gets ``whatsappPhone``, where WhatsApp goes from now on (SMS stays on
  the number they gave), and ``phone_index`` finds them by the new number
  (``shared.store.whatsapp_users.move_number``).
- ``user_changed_user_id``: the new business-scoped user id stands for whom the previous one
  did (``move_user_id``).
- ``customer_identity_changed`` (a reinstall, a new device) and any other type: stored only.

The message document records what was done (``action``) with its ``identityChange``. Never
answered: it is WhatsApp talking, not the customer.
"""

from __future__ import annotations

from shared.flows.inbound_answers import Answer
from shared.flows.inbound_context import Context
from shared.platform.log import get_logger
from shared.store.lookup import normalize_sender
from shared.store.whatsapp_users import move_number, move_user_id

log = get_logger(__name__)


def identity_changed(ctx: Context) -> Answer:
    """Follow a changed number or user id; anything else is only stored."""
    change = ctx.message.identity_change
    if change is None:
        return "stored", []
    if change.kind == "user_changed_number" and change.new_wa_id:
        new = normalize_sender(change.new_wa_id, ctx.settings.default_country)
        if new is None:
            log.warning("a changed number that is not a phone number: ignored")
            return "stored", []
        moved = move_number(ctx.db, ctx.customer, new, now=ctx.now)
        log.info(
            "WhatsApp number of %s changed%s",
            ctx.customer.masked,
            "" if moved else " (nobody on file to update)",
        )
        return "number_changed", []
    if change.kind == "user_changed_user_id" and change.new_user_id and change.previous_user_id:
        move_user_id(ctx.db, change.previous_user_id, change.new_user_id, ctx.customer, now=ctx.now)
        return "user_id_changed", []
    return "stored", []
