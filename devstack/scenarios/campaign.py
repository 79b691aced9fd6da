"""Demo scenario: a WhatsApp campaign to a Kenyan segment, paced, consented, measured.

Duka la Simu tells its Nairobi customers about a sale. Four customers carry the ``duka`` tag:
Amani and Neema accepted offers on WhatsApp at the counter (the ledger holds the proof); Baraka
accepted too but later turned WhatsApp off on his preference page; Rehema accepted with a
Tanzanian number, whose marketing window (for the demo: it opens tomorrow) is closed now. The
shop counts the audience and schedules the campaign; ``on_campaign_written`` plans it in pages
(``campaign_step`` tasks), every message goes on the ``campaigns`` queue to
``deliver_notification`` and out through the fake Twilio WhatsApp as the approved template;
then the results.

``run_campaign_scenario(stack)`` runs it on a started ``devstack.stack.Stack`` and returns the
campaign's results; ``say`` prints the narration (the demo passes its own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from devstack.fakes.client import FakeProvidersClient
from devstack.scenarios.stop import _firestore, _wait
from devstack.stack import Stack
from shared.flows.campaigns import control
from shared.flows.campaigns.monitor import monitor
from shared.flows.consent import record_consent
from shared.model.consent import ConsentAction, ConsentPurpose, ConsentSource
from shared.model.enums import Channel
from shared.platform.settings import Settings

CAMPAIGN_ID = "sale-duka-ke"
PEOPLE = (
    # (customer id, name, number, opted out since)
    ("cust-amani", "Amani Otieno", "+254711000101", False),
    ("cust-neema", "Neema Wambui", "+254711000102", False),
    ("cust-baraka", "Baraka Kiptoo", "+254711000103", True),
    ("cust-rehema", "Rehema Juma", "+255712000104", False),
)
CAMPAIGN = {
    "name": "Duka la Simu: 20% off chargers",
    "audience": {"country": "KE", "tags": ["duka"]},
    "channels": ["whatsapp"],
    "content": {
        "whatsapp": {
            "sw": {
                "metaName": "duka_sale",
                "metaLanguage": "sw",
                "contentSid": "HX" + "d0" * 16,
                "variables": ["$customerName", "20%"],
                "preview": "Habari $customerName! Punguzo la 20% kwa chaja wiki hii.",
            },
            "en": {
                "metaName": "duka_sale",
                "metaLanguage": "en",
                "contentSid": "HX" + "e0" * 16,
                "variables": ["$customerName", "20%"],
                "preview": "Hello $customerName! 20% off chargers this week.",
            },
        }
    },
}


@dataclass(frozen=True)
class CampaignResult:
    """What the campaign did: its status, results, and each person's message status."""

    status: str
    results: dict[str, Any]
    by_customer: dict[str, tuple[str, str]]  # customer id -> (status, statusReason)
    whatsapp_sent: int


def _windows(now: datetime) -> dict[str, Any]:
    """Kenya's window open all day for the demo; Tanzania's only tomorrow (closed now)."""
    tomorrow = (now.astimezone(ZoneInfo("Africa/Dar_es_Salaam")) + timedelta(days=1)).isoweekday()
    return {
        "KE": {"days": list(range(1, 8)), "start": "00:00", "end": "23:59",
               "timezone": "Africa/Nairobi", "holidays": True},
        "TZ": {"days": [tomorrow], "start": "08:00", "end": "18:00",
               "timezone": "Africa/Dar_es_Salaam"},
    }  # fmt: skip


def run_campaign_scenario(
    stack: Stack, *, db: Any = None, say: Callable[[str], None] = print, timeout: float = 60.0
) -> CampaignResult:
    """Run the scenario on a started stack; see the module docstring."""
    db = db if db is not None else _firestore(stack)
    fakes = FakeProvidersClient(str(stack.fakes.get("control_url") or ""))
    now = datetime.now(UTC).replace(microsecond=0)
    settings = Settings.from_env(stack.env)
    db.collection("settings").document("notifications").set(
        {"quietHours": {}, "marketingWindows": _windows(now)}, merge=True
    )
    say(
        "Campaign: Duka la Simu (Nairobi) tells its 'duka' customers about a sale on WhatsApp. "
        "Amani and Neema said yes to offers at the counter; Baraka too, then turned WhatsApp "
        "off on his preference page; "
        "Rehema's number is Tanzanian, where the marketing window opens tomorrow"
    )
    for customer_id, name, number, stopped in PEOPLE:
        db.collection("customer_profiles").document(customer_id).set(
            {
                "displayName": name,
                "phoneNumber": number,
                "country": "KE",
                "language": "sw",
                "tags": ["duka"],
                "notificationPreferences": {"whatsappEnabled": True},
            }
        )
        record_consent(
            db,
            source=ConsentSource.COUNTER,
            channel=Channel.WHATSAPP,
            purpose=ConsentPurpose.MARKETING,
            action=ConsentAction.OPT_IN,
            cause=f"counter-offers-{customer_id}",
            at=now - timedelta(days=30),
            to=number,
            customer_id=customer_id,
            recorded_by="staff-counter",
        )
        if stopped:
            record_consent(
                db,
                source=ConsentSource.PREFERENCE_PAGE,
                channel=Channel.WHATSAPP,
                purpose=ConsentPurpose.ALL,
                action=ConsentAction.OPT_OUT,
                cause=f"prefs-stop-{customer_id}",
                at=now - timedelta(days=2),
                to=number,
                customer_id=customer_id,
            )
    stack.flush_triggers(timeout)

    control.create(db, CAMPAIGN_ID, CAMPAIGN, now=now)
    count = control.count_audience(db, CAMPAIGN_ID, settings=settings, now=now)
    say(
        f"Before scheduling: {count.matched} profiles match, {count.eligible} would get it "
        f"({', '.join(f'{k} {v}' for k, v in sorted(count.refused.items())) or 'nobody left out'})"
    )
    say("The shop schedules it now: on_campaign_written plans it page by page")
    control.schedule(db, CAMPAIGN_ID, now=now)
    stack.flush_triggers(timeout)

    def history() -> dict[str, tuple[str, str]]:
        from google.cloud.firestore import FieldFilter  # noqa: PLC0415

        docs = (
            db.collection("notification_history")
            .where(filter=FieldFilter("campaignId", "==", CAMPAIGN_ID))
            .stream()
        )
        return {
            str(d.get("customerId")): (str(d.get("status")), str(d.get("statusReason") or ""))
            for d in docs
        }

    def settled() -> bool:
        seen = history()
        return len(seen) == len(PEOPLE) and not any(
            s in ("pending", "sending") for s, _ in seen.values()
        )

    _wait(settled, timeout)
    _wait(lambda: history().get("cust-amani", ("",))[0] in ("delivered", "read"), 10)
    tick = monitor(CAMPAIGN_ID, db=db, reschedule=False)
    results = dict(tick.results) if tick else {}
    by_customer = history()
    sent = [
        m for m in fakes.messages("twilio") if str(m.get("_content_sid", "")).startswith("HXd0")
    ]
    lines = []
    for cid, name, _, _ in PEOPLE:
        status, reason = by_customer.get(cid, ("-", ""))
        lines.append(f"{name}: {status} {reason}".rstrip())
    say(
        "The campaign's results: "
        + ", ".join(
            f"{k} {results.get(k, 0)}"
            for k in ("audienceSize", "planned", "sent", "delivered", "waiting", "skipped")
        )
        + f"; skipped by reason {results.get('skippedByReason', {})}\n    "
        + "\n    ".join(lines)
    )
    fakes.close()
    return CampaignResult(
        status=str(tick.status if tick else "?"),
        results=results,
        by_customer=by_customer,
        whatsapp_sent=len(sent),
    )
