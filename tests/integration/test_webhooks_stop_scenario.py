"""The STOP demo scenario end to end on the stack, over HTTP: STOP, confirmation, no more SMS."""

from __future__ import annotations

from devstack.scenarios.stop import run_stop_scenario
from devstack.stack import Stack


def test_customer_who_texts_stop_gets_a_confirmation_and_no_more_sms(clean_stack: Stack) -> None:
    result = run_stop_scenario(clean_stack, say=lambda _: None)
    assert len(result.sms_before_stop) == 1
    assert result.confirmation is not None
    assert "START" in result.confirmation
    assert result.sms_after_stop == []
    assert result.completed_status in {"skipped", "cancelled"}
