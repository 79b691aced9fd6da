"""The demo's campaign on the whole local stack: the trigger, the campaign_step tasks on the
campaign-steps queue, deliveries from the campaigns queue, the fake Twilio WhatsApp."""

from __future__ import annotations

import pytest

from devstack.scenarios.campaign import run_campaign_scenario
from devstack.stack import Stack

pytestmark = pytest.mark.integration


def test_a_kenyan_whatsapp_campaign_reaches_the_consented_and_holds_the_rest(
    clean_stack: Stack,
) -> None:
    result = run_campaign_scenario(clean_stack, say=lambda text: None)
    people = result.by_customer
    assert people["cust-amani"][0] in ("sent", "delivered", "read")
    assert people["cust-neema"][0] in ("sent", "delivered", "read")
    assert people["cust-baraka"] == ("skipped", "opted_out")
    assert people["cust-rehema"][0] == "scheduled"  # Tanzania's window opens tomorrow
    assert result.whatsapp_sent == 2
    assert result.status == "sending"  # one message still waits for its window
    assert (result.results["audienceSize"], result.results["planned"]) == (4, 4)
    assert (result.results["sent"], result.results["waiting"]) == (2, 1)
    assert result.results["skippedByReason"] == {"opted_out": 1}
