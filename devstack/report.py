"""Readable tables of what customers received (the fakes' recordings) and of the history.

Used by the demo and handy in a shell next to ``make dev``::

    print_report(fakes_client, firestore_client)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

HISTORY_COLUMNS = (
    "id",
    "type",
    "channel",
    "provider",
    "to",
    "status",
    "statusReason",
    "attempts",
    "errorCode",
    "fallbackOf",
)
RECEIVED_COLUMNS = ("to", "channel", "via", "status", "content")


def _text(value: Any, width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
    text = " ".join(str(value).split())  # one line
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    max_width: int = 60,
) -> str:
    """A plain-text table; ``columns`` default to every key seen, in first-seen order."""
    rows = list(rows)
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    cells = [[_text(row.get(c), max_width) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    if not cells:
        lines.append("(none)")
    return "\n".join(lines)


def received_rows(fakes: Any) -> list[dict[str, Any]]:
    """Everything the fake providers accepted, one row per message, grouped by recipient.

    ``fakes`` is a ``devstack.fakes.FakeProvidersClient`` (or an in-process ``FakeProviders``).
    """
    rows: list[dict[str, Any]] = []
    for m in fakes.messages("twilio"):
        to = str(m.get("to") or "")
        rows.append(
            {
                "to": to.removeprefix("whatsapp:"),
                "channel": "whatsapp" if to.startswith("whatsapp:") else "sms",
                "via": "twilio",
                "status": m.get("status"),
                "content": m.get("body"),
                "id": m.get("sid"),
                "time": m.get("date_created"),
            }
        )
    for m in fakes.messages("meta"):
        template = m.get("template") or {}
        content = m.get("text") or (f"[template {template.get('name')}]" if template else "")
        rows.append(
            {
                "to": f"+{m.get('wa_id')}" if m.get("wa_id") else m.get("to"),
                "channel": "whatsapp",
                "via": "meta",
                "status": m.get("status"),
                "content": content,
                "id": m.get("id"),
                "time": m.get("created"),
            }
        )
    for m in fakes.messages("fcm"):
        note = m.get("notification") or {}
        rows.append(
            {
                "to": f"token {str(m.get('token') or '')[:12]}",
                "channel": "push",
                "via": "fcm",
                "status": "accepted",
                "content": f"{note.get('title', '')}: {note.get('body', '')}",
                "id": m.get("name"),
                "time": m.get("created"),
            }
        )
    for e in fakes.emails():
        rows.append(
            {
                "to": e.get("to"),
                "channel": "email",
                "via": "smtp",
                "status": "captured",
                "content": f"{e.get('subject', '')} | {e.get('text') or ''}",
                "id": e.get("message_id"),
                "time": e.get("time"),
            }
        )
    rows.sort(key=lambda r: (str(r["to"]), str(r.get("time") or "")))
    return rows


def history_rows(db: Any, collection: str = "notification_history") -> list[dict[str, Any]]:
    """Every ``notification_history`` document, oldest first (``db``: a Firestore client)."""
    rows = []
    for snapshot in db.collection(collection).stream():
        row = {"id": snapshot.id, **(snapshot.to_dict() or {})}
        rows.append(row)
    rows.sort(key=lambda r: (str(r.get("createdAt") or ""), r["id"]))
    return rows


def print_report(fakes: Any, db: Any, out: TextIO | None = None) -> None:
    """What each customer received, then the history rows."""
    stream = out or sys.stdout
    print(
        format_table(received_rows(fakes), RECEIVED_COLUMNS, title="\nWhat customers received"),
        file=stream,
    )
    print(
        format_table(
            history_rows(db), HISTORY_COLUMNS, title="\nnotification_history", max_width=36
        ),
        file=stream,
    )
