"""At send time, may a campaign's message go? The campaign's own state decides first.

Pure. The campaign document as it is now and what Meta last said about its template come in:

- the campaign deleted or ``cancelled``: the message is cancelled (``campaign_cancelled``);
- ``paused`` (or back to ``draft``): the message is held, not sent and not lost
  (``campaign_paused``); resuming the campaign enqueues it again;
- its WhatsApp template paused, rejected, disabled... at Meta: the message is held and the
  campaign pauses itself, saying why (``template_paused``...);
- otherwise the usual live checks go on (opt-outs since planning, the marketing window, quiet
  hours: ``shared.rules.live``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.model.campaign import STOPPED, CampaignStatus
from shared.rules.template_status import Usability


@dataclass(frozen=True)
class Gate:
    """``go``, ``hold`` or ``cancel``; ``pause_campaign``: why the campaign must pause."""

    action: str = "go"
    reason: str = ""
    pause_campaign: str = ""
    detail: str = ""


GO = Gate()


def gate(campaign: Mapping[str, Any] | None, template: Usability | None = None) -> Gate:
    """The verdict for one message of ``campaign`` (see the module rules)."""
    if campaign is None:
        return Gate("cancel", "campaign_deleted")
    status = CampaignStatus.parse(campaign.get("status"))
    if status is CampaignStatus.CANCELLED:
        return Gate("cancel", "campaign_cancelled")
    if status is None or status in STOPPED:
        return Gate("hold", "campaign_paused")
    if template is not None and not template.usable:
        reason = template.reason or "template_not_usable"
        return Gate(
            "hold",
            reason,
            pause_campaign=reason,
            detail=f"the WhatsApp template can no longer be sent ({reason})",
        )
    return GO
