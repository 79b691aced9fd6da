"""Cart recovery numbers for a date range, as a table (or JSON).

    python -m scripts.cart_report --from 2026-11-01 --to 2026-11-30
    python -m scripts.cart_report --from 2026-11-01 --to 2026-11-30 --json

Dates are whole days in UTC, both included. Firestore is the project's (``GOOGLE_CLOUD_PROJECT``
and the usual credentials) or the emulator at ``FIRESTORE_EMULATOR_HOST``. What the numbers
mean: ``shared/flows/carts/report.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as ``python scripts/cart_report.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.flows.carts.report import format_report, recovery_report
from shared.store.client import get_db


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.cart_report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--from", dest="start", type=_day, required=True, help="first day")
    parser.add_argument("--to", dest="end", type=_day, required=True, help="last day (included)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    if args.end < args.start:
        parser.error("--to is before --from")
    start = datetime.combine(args.start, time(0), UTC)
    end = datetime.combine(args.end + timedelta(days=1), time(0), UTC)
    report = recovery_report(get_db(), start, end)
    print(json.dumps(report.as_json(), indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
