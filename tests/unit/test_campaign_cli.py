"""The campaign CLI's output and the campaign_step boundary's refusals (issue 19)."""

from __future__ import annotations

import importlib
import json

import pytest

from functions.boundary.campaigns import parse_step
from functions.boundary.errors import BadRequestError
from functions.boundary.http import RawRequest
from functions.boundary.runtime import Deps
from shared.model.campaign import StepKind
from shared.platform.settings import Settings

# scripts/ is not a package mypy walks as one (it checks the files on their own): import by name.
cli = importlib.import_module("scripts.campaign")
format_results, main = cli.format_results, cli.main


def raw(body: bytes) -> RawRequest:
    return RawRequest("POST", "http", "localhost", "/campaign_step", "", body)


def test_a_step_body_becomes_a_campaign_step_and_a_bad_one_is_a_400() -> None:
    deps = Deps(settings=Settings())
    body = {"campaignId": "C1", "step": "plan", "run": "r", "page": 2, "cursor": "u7"}
    step = parse_step(raw(json.dumps(body).encode()), deps)
    assert (step.kind, step.page, step.cursor) == (StepKind.PLAN, 2, "u7")
    for bad in (b"[]", b"{}", b'{"campaignId": "C1", "step": "launch"}', b"not json"):
        with pytest.raises(BadRequestError):
            parse_step(raw(bad), deps)


def test_results_read_as_a_table_with_the_reason_of_a_pause() -> None:
    doc = {
        "name": "Mega sale",
        "status": "paused",
        "statusReason": "failure_rate",
        "statusDetail": "21 of the last 200 sends failed (10%, limit 10%)",
        "results": {
            "audienceSize": 250,
            "planned": 250,
            "sent": 200,
            "failed": 21,
            "failedByReason": {"63016": 21},
            "revenue": {"KES": 5000.0},
        },
    }
    text = format_results("c1", doc)
    assert text.splitlines()[0] == (
        "campaign c1 (Mega sale): paused - failure_rate: 21 of the last 200 sends failed "
        "(10%, limit 10%)"
    )
    assert "  audience           250" in text
    assert "failed by reason   63016 21" in text
    assert "revenue            KES 5000.0" in text


def test_the_cli_refuses_a_date_without_its_offset() -> None:
    with pytest.raises(SystemExit):
        main(["schedule", "c1", "--at", "2026-12-05T09:00:00"])
