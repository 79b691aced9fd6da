"""Meta's template updates: keep what Meta says about each WhatsApp template, and answer
whether one may be used.

``handle_template_update`` stores a ``TemplateUpdate`` from the webhook (status, quality or
category) in ``whatsapp_template_status`` for the shop's console; ``template_usability`` is what
a Meta template send asks first: a paused, rejected, disabled... template is refused there and
the notification falls back as for a template that is not configured (the rule:
``shared.rules.template_status``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.platform.log import get_logger
from shared.rules.template_status import TemplateState, Usability, usability
from shared.store import template_status

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.model.inbound import TemplateUpdate

log = get_logger(__name__)


def handle_template_update(db: Client, update: TemplateUpdate, *, now: datetime) -> TemplateState:
    """Store one template update; the template's state afterwards."""
    state = template_status.apply(db, update, now)
    verdict = usability(state)
    log.log(
        20 if verdict.usable else 30,  # INFO, or WARNING: sends of it now fall back
        "WhatsApp template %s (%s): %s -> status %s, quality %s, category %s%s",
        update.name,
        update.language,
        update.webhook_field,
        state.status,
        state.quality_score,
        state.category,
        "" if verdict.usable else f": not usable ({verdict.reason})",
    )
    return state


def template_usability(db: Client, name: str, language: str) -> Usability:
    """May the Meta template ``name`` in ``language`` be sent? ``Usability(False, reason)`` for
    a template Meta paused, rejected, disabled... (``reason`` such as ``template_paused``)."""
    return usability(template_status.get(db, name, language))
