"""Give every profile its ``consentState`` (the customer's consent ledger, replayed), once.

    python -m scripts.consent_state

``on_consent_written`` keeps the state as events are recorded; this fills it in for profiles
whose events were written before that trigger was deployed (run it once after the deploy that
brings it, and at any time after: it only ever moves a state to a newer replay). The ledger is
read once, in ``customerId`` order; each customer's events are replayed together. Profiles
without a state are still served, from the ledger, only slower (a campaign page queries it).

Firestore is the project's (``GOOGLE_CLOUD_PROJECT`` and the usual credentials) or the
emulator at ``FIRESTORE_EMULATOR_HOST``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):  # run as ``python scripts/consent_state.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.flows.consent_state import backfill
from shared.store.client import get_db

if TYPE_CHECKING:
    from google.cloud.firestore import Client


def main(argv: Sequence[str] | None = None, *, db: Client | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.consent_state",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    done = backfill(db or get_db())
    print(
        f"{done.customers} customer(s) with consent events: {done.written} state(s) written, "
        f"{done.no_profile} without a profile",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
