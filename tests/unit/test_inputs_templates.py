"""Meta template updates folded into a template's state, and whether it may be used (issue 14).

Samples: pywa's template update fixtures (tests/fixtures/README.md), and events from the list
of Meta's ``message_template_status_update`` reference.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.boundary.payloads import meta_batch
from shared.model.inbound import TemplateUpdate
from shared.rules.template_status import (
    NOT_USABLE,
    USABLE,
    TemplateState,
    Usability,
    merge,
    template_key,
    usability,
)
from tests.support.fixtures import load_json

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T0 = NOW - timedelta(hours=2)


def status(event: str, at: datetime | None = T0, **extra: object) -> TemplateUpdate:
    return TemplateUpdate(
        webhook_field="message_template_status_update",
        name="ticket_ready",
        language="fr",
        status=event,
        at=at,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("event", sorted(NOT_USABLE))
def test_paused_rejected_disabled_and_the_like_are_not_usable(event: str) -> None:
    state = merge(None, status(event), NOW)
    assert usability(state) == Usability(False, f"template_{event.lower()}")


@pytest.mark.parametrize("event", sorted(USABLE))
def test_approved_and_the_like_are_usable(event: str) -> None:
    assert usability(merge(None, status(event), NOW)).usable


def test_a_template_meta_never_wrote_about_or_a_new_status_is_usable() -> None:
    assert usability(None) == Usability(True)
    assert usability(merge(None, status("SOMETHING_NEW"), NOW)).usable


def test_a_paused_template_approved_again_is_usable_and_a_late_pause_changes_nothing() -> None:
    paused = merge(None, status("PAUSED", T0), NOW)
    approved = merge(paused, status("APPROVED", T0 + timedelta(hours=1)), NOW)
    assert usability(approved).usable
    late = merge(approved, status("PAUSED", T0), NOW)  # redelivered, older than what we know
    assert late == approved


def test_quality_and_category_are_kept_apart_from_the_status() -> None:
    batch = meta_batch(load_json("meta/template_quality_update.json")["yellow"])
    [quality] = batch.templates
    state = merge(None, quality, NOW)
    assert (state.quality_score, state.status, usability(state).usable) == ("YELLOW", None, True)
    red = TemplateUpdate(
        webhook_field="message_template_quality_update",
        name=quality.name,
        language=quality.language,
        quality_score="RED",
        at=quality.at,
    )
    assert usability(merge(merge(state, red, NOW), status("APPROVED"), NOW)).usable
    [category] = meta_batch(load_json("meta/template_category_update.json")["marketing"]).templates
    moved = merge(state, category, NOW)
    assert moved.category == "MARKETING"
    assert moved.quality_score == "YELLOW"


def test_an_update_without_a_time_counts_as_now() -> None:
    state = merge(None, status("PAUSED", at=None), NOW)
    assert state.status_at == NOW
    assert merge(state, status("APPROVED", at=T0), NOW).status == "PAUSED"


def test_the_reason_and_meta_details_follow_the_status() -> None:
    update = status(
        "REJECTED", reason="INVALID_FORMAT", details={"rejection_info": {"reason": "x"}}
    )
    state = merge(None, update, NOW)
    assert (state.reason, dict(state.details)) == (
        "INVALID_FORMAT",
        {"rejection_info": {"reason": "x"}},
    )


def test_the_document_id_is_name_underscore_language() -> None:
    assert template_key("ticket_ready", "fr") == "ticket_ready_fr"
    assert template_key("order_shipped", "en_US") == "order_shipped_en_US"
    assert "/" not in template_key("a/b", "fr")


def test_a_state_is_a_plain_value() -> None:
    state = TemplateState(name="t", language="fr")
    assert merge(state, status("APPROVED"), NOW).name == "t"
