"""A real run of a plan: each command in order, retried where the plan says, stopped at the
first failure. The project number, when looked up, makes the plan again (the URLs depend on it).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Sequence

from .config import ROOT, Config
from .plan import Step, build_plan

RETRY_PAUSE_SECONDS = 15.0


class StepFailedError(RuntimeError):
    """A command of a real run failed; nothing after it ran."""


def _run(argv: Sequence[str], *, capture: bool = False) -> str:
    """Run one command (no stdin); a non-zero exit raises ``StepFailedError``."""
    result = subprocess.run(
        list(argv),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StepFailedError(f"failed ({result.returncode}): {shlex.join(argv)}")
    return result.stdout or ""


def _run_with_attempts(step: Step) -> str:
    for attempt in range(1, step.attempts + 1):
        try:
            return _run(step.command, capture=step.expect_url is not None)
        except StepFailedError:
            if attempt == step.attempts:
                raise
            print(f"  (attempt {attempt} failed; again in {RETRY_PAUSE_SECONDS:g}s)", flush=True)
            time.sleep(RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")


def _exists(argv: Sequence[str]) -> bool:
    """Whether a describe command succeeds (its output is not shown)."""
    result = subprocess.run(
        list(argv),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def _check_url(output: str, url: str) -> None:
    service = json.loads(output)
    annotations = service.get("metadata", {}).get("annotations", {})
    urls = set(json.loads(annotations.get("run.googleapis.com/urls", "[]")))
    urls.add(service.get("status", {}).get("url", ""))
    if url not in urls:
        raise StepFailedError(
            f"{url} is not a URL of this service ({sorted(u for u in urls if u)}): set "
            "DEPLOY_DELIVER_URL / DEPLOY_SWEEP_URL to one of them"
        )


def execute(cfg: Config, plan: list[Step]) -> Config:
    """Run the plan in order; the first failing step raises ``StepFailedError``."""
    for step in plan:
        print(f"+ {step.render()}", flush=True)
        if step.command[:3] == ["gcloud", "projects", "describe"]:
            number = _run(step.command, capture=True).strip()
            if not number.isdigit():
                raise StepFailedError(f"no project number for {cfg.project}: {number!r}")
            cfg.project_number = number
            return execute(cfg, build_plan(cfg))  # the URLs are known now
        if step.exists is None:
            output = _run_with_attempts(step)
            if step.expect_url:
                _check_url(output, step.expect_url)
            continue
        if not _exists(step.exists):
            _run(step.otherwise or [])
        elif step.command:
            _run(step.command)
    return cfg
