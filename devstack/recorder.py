"""A recording CloudEvent target: the stand-in function that checks what reaches a function.

Run as any target (``functions-framework --source devstack/recorder.py --target record_event
--signature-type cloudevent``). Each event is decoded with the production decoder
(``functions.boundary.cloudevents.decode_document_change``) and appended as one JSON line to
``RECORDER_FILE``, with its raw ``ce-*`` attributes. ``RECORDER_FAIL_FIRST=N`` (or the number in the
file ``$RECORDER_FILE.fail``, read on every request so a test can switch it on and off) answers 500
to the first N deliveries of each event id, to watch the router retry.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from functions.boundary.cloudevents import decode_document_change

_lock = threading.Lock()
_attempts: Counter[str] = Counter()


class InjectedFailure(RuntimeError):
    """Raised on purpose (``RECORDER_FAIL_FIRST``) so the caller sees a 500 and retries."""


@functions_framework.cloud_event
def record_event(event: CloudEvent) -> None:
    attributes: dict[str, Any] = dict(event.get_attributes())
    event_id = str(attributes.get("id", ""))
    with _lock:
        _attempts[event_id] += 1
        attempt = _attempts[event_id]
    if attempt <= _fail_first():
        raise InjectedFailure(f"failing delivery {attempt} of {event_id} on purpose")
    change = decode_document_change(
        event_id=event_id,
        event_type=str(attributes.get("type", "")),
        subject=attributes.get("subject"),
        data=event.data,
        content_type=str(attributes.get("datacontenttype") or "application/protobuf"),
        time=attributes.get("time"),
    )
    line = {
        "attributes": attributes,
        "attempt": attempt,
        "path": change.path,
        "before": change.before,
        "after": change.after,
        "update_mask": list(change.update_mask),
    }
    with _lock, Path(os.environ["RECORDER_FILE"]).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, default=str) + "\n")


def _fail_first() -> int:
    control = Path(os.environ["RECORDER_FILE"] + ".fail")
    try:
        return int(control.read_text().strip() or 0)
    except (OSError, ValueError):
        return int(os.environ.get("RECORDER_FAIL_FIRST", "0"))


def read_records(path: Path) -> list[dict[str, Any]]:
    """What the recorder wrote so far, oldest first."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]
