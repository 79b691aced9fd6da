"""What a provider status writes on a history document (pure part of ``statuses``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.model.enums import NotificationStatus as S
from shared.model.enums import Provider
from shared.model.inbound import StatusUpdate
from shared.model.status import RANK
from shared.rules.status_update import is_permanent_failure, merged, orphan_id, status_fields

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
EARLIER = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def update(status: S, raw: str | None = None, **kwargs: Any) -> StatusUpdate:
    return StatusUpdate(
        provider=kwargs.pop("provider", Provider.TWILIO),
        message_id="SM1",
        provider_status=raw or status.value,
        status=status,
        **kwargs,
    )


def test_delivered_after_sent_moves_forward_with_its_timestamp() -> None:
    fields = status_fields({"status": "sent"}, update(S.DELIVERED, at=EARLIER), NOW)
    assert fields == {
        "status": "delivered",
        "providerStatus": "delivered",
        "deliveredAt": EARLIER,
        "updatedAt": NOW,
    }


def test_a_late_sent_never_overwrites_delivered_but_fills_sent_at() -> None:
    fields = status_fields({"status": "delivered", "deliveredAt": NOW}, update(S.SENT), NOW)
    assert fields == {"sentAt": NOW, "updatedAt": NOW}


def test_a_duplicate_callback_writes_nothing() -> None:
    doc = {"status": "delivered", "deliveredAt": NOW, "sentAt": NOW}
    assert status_fields(doc, update(S.DELIVERED), NOW) == {}


def test_a_failure_after_delivery_is_not_believed() -> None:
    assert status_fields({"status": "delivered"}, update(S.FAILED, error_code="30008"), NOW) == {}


def test_undelivered_records_error_and_time() -> None:
    fields = status_fields(
        {"status": "sent"},
        update(S.UNDELIVERED, error_code="30003", error_message="Unreachable"),
        NOW,
    )
    assert fields["status"] == "undelivered"
    assert fields["undeliveredAt"] == NOW
    assert (fields["errorCode"], fields["errorMessage"]) == ("30003", "Unreachable")


def test_twilio_price_replaces_the_estimate() -> None:
    doc = {"status": "delivered", "metadata": {"cost": 0.07, "costEstimated": True}}
    fields = status_fields(doc, update(S.DELIVERED, cost=0.0075, currency="USD"), NOW)
    assert fields["metadata.cost"] == 0.0075
    assert fields["metadata.currency"] == "USD"
    assert fields["metadata.costEstimated"] is False
    again = merged(doc, fields)
    assert status_fields(again, update(S.DELIVERED, cost=0.0075, currency="USD"), NOW) == {}


def test_meta_pricing_and_conversation_go_to_metadata() -> None:
    pricing = {"billable": True, "pricing_model": "CBP", "category": "service"}
    fields = status_fields(
        {"status": "sent"},
        update(S.DELIVERED, provider=Provider.META, pricing=pricing, conversation={"id": "c1"}),
        NOW,
    )
    assert fields["metadata.pricing"] == pricing
    assert fields["metadata.conversation"] == {"id": "c1"}


def test_unknown_provider_status_changes_nothing() -> None:
    assert status_fields({"status": "sent"}, update(S.UNKNOWN, "bogus"), NOW) == {}


def test_merged_applies_dotted_fields_one_level_down() -> None:
    doc = {"status": "sent", "metadata": {"segments": 1}}
    after = merged(doc, {"status": "delivered", "metadata.cost": 0.1})
    assert after == {"status": "delivered", "metadata": {"segments": 1, "cost": 0.1}}
    assert doc == {"status": "sent", "metadata": {"segments": 1}}


@pytest.mark.parametrize(
    ("upd", "permanent"),
    [
        (update(S.UNDELIVERED, error_code="30003"), True),
        (update(S.FAILED, error_code="21211"), True),
        (update(S.FAILED, error_code="30001"), False),  # queue overflow: a retry could work
        (update(S.UNDELIVERED), True),
        (update(S.FAILED, provider=Provider.META, error_code="131000"), True),
        (update(S.DELIVERED), False),
    ],
)
def test_which_late_failures_call_for_the_fallback(upd: StatusUpdate, permanent: bool) -> None:
    assert is_permanent_failure(upd) is permanent


def test_orphan_ids_are_per_provider_message_and_status() -> None:
    a = orphan_id(update(S.DELIVERED))
    assert a == orphan_id(update(S.DELIVERED))
    assert a != orphan_id(update(S.SENT))
    assert a != orphan_id(update(S.DELIVERED, provider=Provider.META))


statuses = st.sampled_from([s for s in S if s is not S.UNKNOWN])


@given(st.lists(statuses, min_size=1, max_size=8))
def test_any_order_of_callbacks_ends_on_the_most_advanced_reachable_status(
    sequence: list[S],
) -> None:
    doc: dict[str, Any] = {"status": "sent"}
    for status in sequence:
        doc = merged(doc, status_fields(doc, update(status), NOW))
    final = S(doc["status"])
    assert RANK[final] >= RANK[S.SENT]
    # replaying everything again changes nothing: duplicates are harmless
    for status in sequence:
        assert "status" not in status_fields(doc, update(status), NOW)
