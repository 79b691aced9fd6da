"""Page 6, the consent ledger: every opt-in and opt-out with its source and time, filtered,
newest first, 50 a page; and the same filter as CSV (the export's columns), page after page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.model.consent import ConsentEvent
from shared.model.consent_rows import COLUMNS, row
from shared.store import console as store

if TYPE_CHECKING:
    from google.cloud.firestore import Client

FILTERS = store.CONSENT_FILTERS
CSV_MAX_ROWS = 50_000


@dataclass(frozen=True)
class LedgerPage:
    events: Sequence[ConsentEvent]
    next_cursor: str | None


def clean_filters(raw: Mapping[str, str]) -> dict[str, str]:
    """The known filters with a value (short texts only)."""
    return {k: v.strip()[:200] for k in FILTERS if (v := raw.get(k) or "").strip()}


def ledger_page(db: Client, filters: Mapping[str, str], cursor: str | None = None) -> LedgerPage:
    page = store.consent_events(db, clean_filters(filters), cursor)
    events = [ConsentEvent.from_document(event_id, doc) for event_id, doc in page.rows]
    return LedgerPage(events, page.next_cursor)


def ledger_csv(db: Client, filters: Mapping[str, str]) -> Iterator[str]:
    """The filtered ledger as CSV text chunks (header first), one page of the query a chunk."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield out.getvalue()
    cursor: str | None = None
    written = 0
    while written < CSV_MAX_ROWS:
        page = store.consent_events(db, clean_filters(filters), cursor, size=500)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        for event_id, doc in page.rows:
            writer.writerow(row(ConsentEvent.from_document(event_id, doc)))
        written += len(page.rows)
        yield out.getvalue()
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
