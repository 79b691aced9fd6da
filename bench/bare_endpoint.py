"""Bare functions-framework functions: the floor every benchmark of a target is compared with.

They do nothing: no SDK, no parsing beyond what functions-framework itself does.
"""

from __future__ import annotations

from typing import Any

import functions_framework


@functions_framework.http
def bare_http(request: Any) -> tuple[str, int]:
    return "", 204


@functions_framework.cloud_event
def bare_cloudevent(event: Any) -> None:
    return None
