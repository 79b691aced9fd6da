"""What a staff retry or reroute may do (issue 18)."""

from __future__ import annotations

import pytest

from shared.model.enums import Channel, NotificationStatus, Provider
from shared.model.record import NotificationRecord
from shared.rules.manual_retry import may_reroute, may_retry


def _record(**fields: object) -> NotificationRecord:
    base: dict[str, object] = {
        "notification_id": "n1",
        "type": "ticket.completed",
        "channel": Channel.SMS,
        "provider": Provider.TWILIO,
        "to": "+33612345678",
        "customer_id": "c1",
        "status": NotificationStatus.FAILED,
    }
    base.update(fields)
    return NotificationRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "ok", "reason"),
    [
        ({"status_reason": "retries_exhausted"}, True, "transient"),
        ({"status_reason": "rate_limited", "error_code": "20429"}, True, "transient"),
        ({"status_reason": "landline", "error_code": "21407"}, False, "permanent_failure"),
        ({"status_reason": "opt_out", "error_code": "21610"}, False, "permanent_failure"),
        ({"status_reason": "template", "provider": Provider.META, "error_code": "132001"}, False,
         "permanent_failure"),
        ({"status": NotificationStatus.DELIVERED}, False, "not_failed"),
        ({"status": NotificationStatus.SKIPPED}, False, "not_failed"),
    ],
)  # fmt: skip
def test_only_a_temporary_failure_is_retried_on_its_channel(
    fields: dict[str, object], ok: bool, reason: str
) -> None:
    allowed = may_retry(_record(**fields))
    assert (allowed.ok, allowed.reason) == (ok, reason)
    assert allowed.detail


def test_a_reroute_needs_the_plans_next_channel() -> None:
    planned = _record(
        channel=Channel.WHATSAPP, fallback_channel=Channel.SMS, fallback_to="+33612345678"
    )
    assert may_reroute(planned).ok
    assert may_reroute(_record()).reason == "no_other_channel"
    assert may_reroute(_record(status=NotificationStatus.SENT)).reason == "not_failed"
