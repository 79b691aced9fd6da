"""Small helpers for HTTP entry points: JSON bodies in, JSON responses out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.platform.errors import InvalidInputError

Response = tuple[str, int, dict[str, str]]


class BadRequestError(InvalidInputError):
    """A request body or parameter that cannot be understood (answered with 400)."""


def json_response(body: Mapping[str, Any], status: int = 200) -> Response:
    return json.dumps(body, default=str), status, {"Content-Type": "application/json"}


def parse_json_object(raw: bytes, *, max_bytes: int = 64 * 1024) -> dict[str, Any]:
    """The body as a JSON object, or ``BadRequestError`` saying what is wrong with it."""
    if len(raw) > max_bytes:
        raise BadRequestError(f"body larger than {max_bytes} bytes")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep nesting recurses
        raise BadRequestError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadRequestError("body must be a JSON object")
    return value
