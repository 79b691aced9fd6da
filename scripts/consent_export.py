"""The consent ledger as CSV: one customer's, or the whole shop's.

    python -m scripts.consent_export --customer cust-123          # to stdout
    python -m scripts.consent_export --out consent-2026-03.csv    # the whole shop, to a file

What a CNIL inspection or a customer's access request asks for: every opt-in and opt-out with
its channel, purpose (``service``, ``marketing``, ``all`` for a whole channel such as STOP),
action, source (``keyword``, ``registration_form``, ``counter``, ``preference_page``,
``provider``), the keyword or the version of the form's text, the customer, the number or
address, and when. One customer's ledger also holds the events of the number and the address
on their profile (a STOP texted before they registered). Oldest first.

Firestore is the project's (``GOOGLE_CLOUD_PROJECT`` and the usual credentials) or the
emulator at ``FIRESTORE_EMULATOR_HOST``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if __package__ in (None, ""):  # run as ``python scripts/consent_export.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.flows.consent import ledger
from shared.model.consent import ConsentEvent
from shared.model.consent_rows import COLUMNS, row
from shared.platform.settings import get_settings
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def write_csv(events: Iterable[ConsentEvent], out: TextIO) -> int:
    """Write the header and one row per event; the number of rows written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for event in events:
        writer.writerow(row(event))
        count += 1
    return count


def main(argv: Sequence[str] | None = None, *, db: Client | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.consent_export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--customer", metavar="ID", help="one customer's ledger (default: all)")
    parser.add_argument("--out", type=Path, help="write the CSV here (default: stdout)")
    args = parser.parse_args(argv)
    if args.customer is not None and (not args.customer.strip() or "/" in args.customer):
        parser.error("--customer needs a customer id")
    settings = get_settings()
    events = ledger(
        db or get_db(),
        args.customer.strip() if args.customer else None,
        default_country=settings.default_country,
    )
    if args.out is None:
        count = write_csv(events, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            count = write_csv(events, out)
    print(f"{count} consent event(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
