"""``whatsapp_template_status/{name}_{language}``: what Meta last said about each template.

One document per template and language, shown in the shop's console and read before a
template send. Written by ``apply`` (read-decide-write, see ``shared.rules.template_status``
for the merge): a redelivered or late webhook changes nothing newer.

Fields: ``name``, ``language``, ``templateId``, ``status``, ``reason``, ``statusAt``,
``qualityScore``, ``qualityAt``, ``category``, ``previousCategory``, ``correctCategory``,
``categoryAt``, ``details`` (Meta's ``other_info`` / ``disable_info`` / ``rejection_info``),
``usable`` and ``unusableReason`` (the rule's answer when it was written), ``updatedAt``.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from shared.platform.clock import as_datetime
from shared.rules.template_status import TemplateState, merge, template_key, usability
from shared.store.client import compare_and_set, create_if_absent, read
from shared.store.collections import WHATSAPP_TEMPLATE_STATUS

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

    from shared.model.inbound import TemplateUpdate


def status_ref(db: Client, name: str, language: str) -> DocumentReference:
    return db.collection(WHATSAPP_TEMPLATE_STATUS).document(template_key(name, language))


def _text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) and value else None


def from_doc(doc: dict[str, Any] | None, name: str, language: str) -> TemplateState | None:
    """The stored document as a ``TemplateState`` (None when there is none yet)."""
    if not doc:
        return None
    details = doc.get("details")
    return TemplateState(
        name=_text(doc, "name") or name,
        language=_text(doc, "language") or language,
        template_id=_text(doc, "templateId"),
        status=_text(doc, "status"),
        reason=_text(doc, "reason"),
        status_at=as_datetime(doc.get("statusAt")),
        quality_score=_text(doc, "qualityScore"),
        quality_at=as_datetime(doc.get("qualityAt")),
        category=_text(doc, "category"),
        previous_category=_text(doc, "previousCategory"),
        correct_category=_text(doc, "correctCategory"),
        category_at=as_datetime(doc.get("categoryAt")),
        details=MappingProxyType(dict(details) if isinstance(details, dict) else {}),
    )


def to_fields(state: TemplateState) -> dict[str, Any]:
    verdict = usability(state)
    return {
        "name": state.name,
        "language": state.language,
        "templateId": state.template_id,
        "status": state.status,
        "reason": state.reason,
        "statusAt": state.status_at,
        "qualityScore": state.quality_score,
        "qualityAt": state.quality_at,
        "category": state.category,
        "previousCategory": state.previous_category,
        "correctCategory": state.correct_category,
        "categoryAt": state.category_at,
        "details": dict(state.details),
        "usable": verdict.usable,
        "unusableReason": verdict.reason,
    }


def get(db: Client, name: str, language: str) -> TemplateState | None:
    """What Meta last said about this template (None: nothing yet)."""
    return from_doc(read(status_ref(db, name, language)), name, language)


def apply(db: Client, update: TemplateUpdate, now: datetime) -> TemplateState:
    """Fold ``update`` into the template's document; the state it holds afterwards."""
    ref = status_ref(db, update.name, update.language)
    create_if_absent(ref, {"name": update.name, "language": update.language, "createdAt": now})
    merged: list[TemplateState] = []

    def decide(current: dict[str, Any] | None) -> dict[str, Any]:
        before = from_doc(current, update.name, update.language)
        after = merge(before, update, now)
        merged[:] = [after]
        fields = to_fields(after)
        if before is not None and to_fields(before) == fields:
            return {}
        return {**fields, "updatedAt": now}

    compare_and_set(ref, decide)
    return merged[-1] if merged else merge(None, update, now)
