"""``campaign_step``: a campaign's own Cloud Tasks (a page planned, a page resumed, the
monitor's tick). Private like ``deliver_notification``: an allowed invoker's OIDC token first,
then the body ``{"campaignId", "step", "run", "page", "cursor"}`` as a ``CampaignStep``.

A body naming no step is refused (400: Cloud Tasks does not retry it); a campaign the step
cannot use (deleted, unreadable) is answered 200 with what happened, never retried forever.
"""

from __future__ import annotations

from typing import Any

from functions.boundary.errors import BadRequestError, Caller
from functions.boundary.http import RawRequest, Response, json_response, parse_json_object
from functions.boundary.internal import MAX_BODY, authorize
from functions.boundary.runtime import Deps
from functions.boundary.serve import Target
from shared.model.campaign import CampaignStep, InvalidCampaignError, StepKind


def parse_step(raw: RawRequest, deps: Deps) -> CampaignStep:
    try:
        return CampaignStep.from_body(parse_json_object(raw.body))
    except InvalidCampaignError as exc:
        raise BadRequestError(str(exc)) from exc


def run_step(step: CampaignStep, deps: Deps) -> dict[str, Any]:
    # Imported per step: an instance loads only what its work needs.
    if step.kind is StepKind.PLAN:
        from shared.flows.campaigns.plan import plan_page  # noqa: PLC0415

        return plan_page(step, db=deps.db, queue=deps.queue, now=deps.clock()).as_json()
    if step.kind is StepKind.RESUME:
        from shared.flows.campaigns.resume import resume_page  # noqa: PLC0415

        return resume_page(step, db=deps.db, queue=deps.queue, now=deps.clock()).as_json()
    from shared.flows.campaigns.monitor import monitor  # noqa: PLC0415

    tick = monitor(step.campaign_id, db=deps.db, now=deps.clock())
    if tick is None:
        return {"campaignId": step.campaign_id, "outcome": "gone"}
    return tick.as_json()


def answer_step(result: dict[str, Any]) -> Response:
    return json_response(result)


CAMPAIGN_STEP = Target(
    name="campaign_step",
    caller=Caller.INTERNAL,
    authorize=authorize,
    parse=parse_step,
    run=run_step,
    answer=answer_step,
    limit=MAX_BODY,
)
