"""Captured payloads under ``tests/fixtures`` (see its README for sources and licenses)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_path(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.exists():
        raise FileNotFoundError(f"no fixture {relative} under {FIXTURES}")
    return path


def load_json(relative: str) -> Any:
    """``load_json("meta/message_status.json")``."""
    return json.loads(fixture_path(relative).read_text(encoding="utf-8"))
