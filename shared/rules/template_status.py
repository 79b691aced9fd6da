"""What Meta last said about a WhatsApp template, and whether it may be used for a send.

Pure. Meta reports a template's review status, its quality score and its category in three
separate webhooks (``TemplateUpdate``); ``merge`` folds one into the template's state, each
part moving only forward in time (a late webhook never undoes a newer one), and ``usability``
decides.

Decisions:

- Not usable: ``NOT_USABLE`` (paused, rejected, disabled, pending deletion, deleted, archived,
  still pending review, in appeal, over its limit). A send of such a template would fail at
  Meta: delivery falls back as for a template that is not configured.
- Usable: approved, reinstated, unarchived, flagged (low quality, not yet paused), locked or
  unlocked (about editing, not sending); and a template Meta never wrote about (nothing says
  otherwise) or a status Meta adds tomorrow (Meta's own answer to the send then decides).
- Quality and category are shown to the shop, not acted on: a RED template is still
  approved; one moved to MARKETING is still sendable (its price and consent rules change).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.model.inbound import TemplateUpdate

NOT_USABLE = frozenset(
    {
        "PAUSED",
        "REJECTED",
        "DISABLED",
        "PENDING_DELETION",
        "DELETED",
        "ARCHIVED",
        "PENDING",
        "IN_APPEAL",
        "LIMIT_EXCEEDED",
    }
)
USABLE = frozenset({"APPROVED", "REINSTATED", "UNARCHIVED", "FLAGGED", "LOCKED", "UNLOCKED"})
_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


def template_key(name: str, language: str) -> str:
    """The document id of a template's state: ``{name}_{language}`` (``ticket_ready_fr``);
    a ``/`` (never in Meta's names) is escaped so the id stays one path segment."""
    return f"{name}_{language}".replace("/", "%2F")


@dataclass(frozen=True)
class TemplateState:
    """One template as Meta last described it; each part with the time Meta said it."""

    name: str
    language: str
    template_id: str | None = None
    status: str | None = None
    reason: str | None = None
    status_at: datetime | None = None
    quality_score: str | None = None
    quality_at: datetime | None = None
    category: str | None = None
    previous_category: str | None = None
    correct_category: str | None = None  # an announced change: the category it will get
    category_at: datetime | None = None
    details: MappingProxyType[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Usability:
    """Whether a template may be used, and if not the reason a notification records."""

    usable: bool
    reason: str | None = None


def _newer(at: datetime | None, known: datetime | None) -> bool:
    return known is None or at is None or at >= known


def merge(state: TemplateState | None, update: TemplateUpdate, now: datetime) -> TemplateState:
    """``state`` with what ``update`` says, part by part, where it is not older than what is
    known (an update without a time counts as ``now``)."""
    at = update.at or now
    current = state or TemplateState(name=update.name, language=update.language)
    current = replace(current, template_id=update.template_id or current.template_id)
    if update.status is not None and _newer(at, current.status_at):
        current = replace(
            current,
            status=update.status,
            reason=update.reason,
            status_at=at,
            details=MappingProxyType({**current.details, **update.details}),
        )
    if update.quality_score is not None and _newer(at, current.quality_at):
        current = replace(current, quality_score=update.quality_score, quality_at=at)
    if update.category is not None and _newer(at, current.category_at):
        current = replace(
            current,
            category=update.category,
            previous_category=update.previous_category or current.previous_category,
            correct_category=update.correct_category,
            category_at=at,
        )
    return current


def usability(state: TemplateState | None) -> Usability:
    """May this template be sent (see the module docstring)?"""
    if state is None or state.status is None:
        return Usability(True)
    if state.status in NOT_USABLE:
        return Usability(False, f"template_{state.status.lower()}")
    return Usability(True)
