"""Campaigns from the command line (until the console has them): create, count the audience
before scheduling, schedule, pause, resume, cancel, and watch the results.

    python -m scripts.campaign create sale-ke --file campaign.json   # a draft (docs/campaigns.md)
    python -m scripts.campaign count sale-ke          # who would get it, by channel; who not, why
    python -m scripts.campaign schedule sale-ke [--at 2026-12-05T09:00:00+03:00]
    python -m scripts.campaign pause sale-ke | resume sale-ke | cancel sale-ke
    python -m scripts.campaign results sale-ke [--refresh] [--watch SECONDS]

Firestore is the project's (``GOOGLE_CLOUD_PROJECT`` and the usual credentials) or the emulator
at ``FIRESTORE_EMULATOR_HOST`` (``source .devstack/env`` for the local stack). Everything after
``schedule`` is done by ``on_campaign_written`` and the ``campaign_step`` tasks; ``results
--refresh`` recomputes the figures now instead of waiting for the monitor's next tick.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python scripts/campaign.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.flows.campaigns import control
from shared.flows.campaigns.monitor import monitor
from shared.platform.clock import utcnow
from shared.platform.errors import InvalidInputError
from shared.store import campaigns
from shared.store.client import get_db

RESULT_ROWS = (
    ("audienceSize", "audience"),
    ("planned", "planned"),
    ("eligible", "eligible"),
    ("waiting", "waiting"),
    ("sent", "sent"),
    ("delivered", "delivered"),
    ("read", "read"),
    ("failed", "failed"),
    ("cancelled", "cancelled"),
    ("skipped", "skipped"),
    ("optOuts", "opt-outs caused"),
    ("ordersAttributed", "orders attributed"),
)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs its UTC offset (+03:00, Z...)")
    return value


def format_results(campaign_id: str, doc: Mapping[str, Any]) -> str:
    """The campaign's status and results as a small table."""
    results = doc.get("results") if isinstance(doc.get("results"), Mapping) else {}
    assert isinstance(results, Mapping)
    lines = [f"campaign {campaign_id} ({doc.get('name', '')}): {doc.get('status')}"]
    if doc.get("statusReason"):
        lines[0] += f" - {doc.get('statusReason')}"
        if doc.get("statusDetail"):
            lines[0] += f": {doc.get('statusDetail')}"
    width = max(len(label) for _, label in RESULT_ROWS)
    for key, label in RESULT_ROWS:
        lines.append(f"  {label:<{width}}  {results.get(key, 0)}")
    for key, label in (
        ("failedByReason", "failed by reason"),
        ("skippedByReason", "skipped by reason"),
        ("revenue", "revenue"),
        ("cost", "cost (estimated)"),
    ):
        value = results.get(key) or {}
        if value:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
            lines.append(f"  {label:<{width}}  {shown}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.campaign",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="a draft campaign from a JSON file")
    create.add_argument("campaign_id")
    create.add_argument("--file", type=Path, required=True)
    sub.add_parser("count", help="the audience before scheduling").add_argument("campaign_id")
    schedule = sub.add_parser("schedule", help="draft -> scheduled")
    schedule.add_argument("campaign_id")
    schedule.add_argument("--at", type=_when, help="sendAt (default: now)")
    for name in ("pause", "resume", "cancel"):
        sub.add_parser(name).add_argument("campaign_id")
    results = sub.add_parser("results", help="status and results")
    results.add_argument("campaign_id")
    results.add_argument("--refresh", action="store_true", help="recompute now")
    results.add_argument("--watch", type=float, metavar="SECONDS", help="again every SECONDS")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    db = get_db()
    try:
        out = _run(db, args)
    except InvalidInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if out is not None:
        print(json.dumps(out, indent=2, default=str) if args.json else _text(args, out))
    return 0


def _run(db: Any, args: argparse.Namespace) -> dict[str, Any] | None:
    cid = args.campaign_id
    if args.action == "create":
        fields = json.loads(args.file.read_text(encoding="utf-8"))
        control.create(db, cid, fields, now=utcnow())
        return {"campaignId": cid, "status": "draft"}
    if args.action == "count":
        return control.count_audience(db, cid).as_json()
    if args.action == "schedule":
        return _status(control.schedule(db, cid, send_at=args.at))
    if args.action in ("pause", "resume", "cancel"):
        return _status(getattr(control, args.action)(db, cid))
    while True:
        if args.refresh:
            monitor(cid, db=db, reschedule=False)
        doc = campaigns.get(db, cid)
        if doc is None:
            raise control.CampaignControlError(f"no campaign {cid}")
        if not args.watch:
            return {"campaignId": cid, **doc}
        print(format_results(cid, doc), flush=True)
        time.sleep(args.watch)


def _status(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("status", "statusReason", "sendAt")}


def _text(args: argparse.Namespace, out: Mapping[str, Any]) -> str:
    if args.action == "results":
        return format_results(args.campaign_id, out)
    if args.action == "count":
        lines = [f"{out['matched']} profiles match, {out['eligible']} would get it"]
        lines += [f"  on {k}: {v}" for k, v in sorted(out["channels"].items())]
        lines += [f"  not sent ({k}): {v}" for k, v in sorted(out["refused"].items())]
        return "\n".join(lines)
    return " ".join(f"{k}={v}" for k, v in out.items() if v is not None)


if __name__ == "__main__":
    sys.exit(main())
