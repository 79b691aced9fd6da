"""Campaigns (issue 19) on the emulator with the fake providers: the audience as indexed pages,
one message per recipient however the pages and deliveries are replayed, consent and windows
at send time, pause within a minute, auto-pause on failures, results.

Each test is a Kenyan shop in a project of its own on the stack's emulator (no trigger there):
the trigger, the pages and the deliveries run in process, as Cloud Tasks would call them, with
recording queues; the sends go through the real SDKs to the stack's fakes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.infra import RpcCounter
from devstack.fakes import FakeProvidersClient
from devstack.stack import Stack
from shared.flows.campaigns import control
from shared.flows.campaigns.attribution import attribute_order
from shared.model.campaign import StepKind
from shared.model.change import DocumentChange
from shared.model.enums import Channel
from shared.model.ids import campaign_notification_id
from tests.integration.campaign_kit import Shop, drop_projects, shop_on

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Nairobi: the window is open


@pytest.fixture
def shop(stack: Stack, stack_env: dict[str, str], fakes: FakeProvidersClient) -> Iterator[Shop]:
    yield shop_on(stack, NOW)
    drop_projects(stack)


def whatsapp_to(fakes: FakeProvidersClient, number: str) -> list[dict[str, Any]]:
    return [m for m in fakes.messages("twilio") if m.get("to") == f"whatsapp:{number}"]


def test_the_audience_is_read_in_indexed_pages_and_filters_hold(shop: Shop) -> None:
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=20)
    shop.customer("amina", tags=["vip"], lastOrderAt=old)
    shop.customer("baraka", tags=["vip", "battery"], lastOrderAt=recent, cartStatus="active")
    shop.customer("chebet", tags=["battery"], lastOrderAt=recent)
    shop.customer("daudi", tags=["vip"])  # no order yet
    shop.customer("eloise", country="FR", phone="+33612345678", tags=["vip"], lastOrderAt=old)
    shop.customer("faraji", tags=["vip"], channels=(), notificationPreferences={})
    for i in range(9):
        shop.customer(f"vip{i}", tags=["vip"], lastOrderAt=old - timedelta(days=i))

    def audience(campaign_id: str, **filters: Any) -> set[str]:
        shop.campaign(campaign_id, status="draft", audience={"country": "KE", **filters})
        count = control.count_audience(shop.db, campaign_id, now=NOW, page_size=4)
        assert count.matched == count.eligible  # everyone here has a WhatsApp proof
        before = shop.doc(campaign_id)
        shop.db.collection("campaigns").document(campaign_id).update({"status": "scheduled"})
        shop.written(campaign_id, before)
        shop.plan_all(page_size=4)
        planned = {d["customerId"] for d in shop.history(campaign_id)}
        assert len(planned) == count.matched
        return planned

    nine = {f"vip{i}" for i in range(9)}
    assert audience("c-vip", tags=["vip"]) == {"amina", "baraka", "daudi"} | nine
    assert audience("c-two-tags", tags=["vip", "battery"]) == {"baraka"}
    assert audience("c-no-order", hasOrder=False) == {"daudi"}
    assert audience("c-ordered", hasOrder=True, tags=["battery"]) == {"baraka", "chebet"}
    last_year = {
        "lastOrderFrom": NOW - timedelta(days=500),
        "lastOrderTo": NOW - timedelta(days=100),
    }
    assert audience("c-last-year", **last_year) == {"amina"} | nine
    assert audience("c-cart", cartStatus="active") == {"baraka"}
    assert audience("c-no-cart", cartStatus="none", tags=["battery"]) == {"chebet"}


def test_pages_replayed_and_deliveries_raced_send_one_message_per_recipient(
    shop: Shop, fakes: FakeProvidersClient
) -> None:
    numbers = {f"k{i:02d}": shop.customer(f"k{i:02d}") for i in range(24)}
    shop.campaign("c1")
    assert shop.written("c1", None, event_id="ev-1")["outcome"] == "scheduled"
    shop.written("c1", None, event_id="ev-1")  # delivered twice: same run, same task names
    assert len(shop.steps.of(StepKind.PLAN)) == 1
    outcomes = shop.plan_all(page_size=5)
    assert [o.outcome for o in outcomes] == ["planned"] * 5
    # Every page again, twice at once: nothing is created twice.
    with ThreadPoolExecutor(4) as pool:
        replays = list(pool.map(shop.plan, shop.steps.of(StepKind.PLAN) * 2))
    assert sum(r.created for r in replays) == 0
    history = shop.history("c1")
    assert len(history) == 24
    assert {d["id"] for d in history} == {campaign_notification_id("c1", c) for c in numbers}
    # Cloud Tasks delivers each task, some twice and concurrently.
    tasks = [n for n, _, _ in shop.queue.take()]
    assert len(tasks) == 24 * 3  # the first run and two replays enqueued each message
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(shop.deliver, tasks))
    assert Counter(r.outcome for r in results)["sent"] == 24
    sent = fakes.messages("twilio")
    assert Counter(m.get("to") for m in sent) == Counter(f"whatsapp:{n}" for n in numbers.values())
    assert all(m.get("_content_sid") == "HX0123456789abcdef0123456789abcdef" for m in sent)
    tick = shop.monitor(campaign_id="c1")
    assert tick.status == "completed"
    assert (tick.results["planned"], tick.results["sent"]) == (24, 24)


def test_customers_sharing_a_number_get_the_campaign_once_replays_included(
    shop: Shop, fakes: FakeProvidersClient
) -> None:
    """A couple (one page) and a duplicate profile (a later page) on one number: it hears the
    campaign once; the others' records say why; replayed pages change nothing."""
    shared = "+254711000111"
    for i in range(6):
        shop.customer(f"d{i}", phone=shared if i in (0, 1, 4) else None)
    shop.campaign("c-shared")
    shop.written("c-shared", None)
    outcomes = shop.plan_all(page_size=2)
    assert [o.matched for o in outcomes] == [2, 2, 2, 0]  # a full last page: one empty after
    with ThreadPoolExecutor(3) as pool:
        replays = list(pool.map(shop.plan, shop.steps.of(StepKind.PLAN)))
    assert sum(r.created for r in replays) == 0

    by_customer = {d["customerId"]: d for d in shop.history("c-shared")}
    assert len(by_customer) == 6
    assert by_customer["d0"]["status"] == "pending"
    for duplicate in ("d1", "d4"):
        doc = by_customer[duplicate]
        assert (doc["status"], doc["statusReason"]) == ("skipped", "same_destination")
        assert by_customer["d0"]["id"] in doc["statusDetail"]
    tasks = [n for n, _, _ in shop.queue.take()]
    for task in tasks:
        shop.deliver(task)
    sent = Counter(m.get("to") for m in fakes.messages("twilio"))
    assert sent[f"whatsapp:{shared}"] == 1
    assert sum(sent.values()) == 4  # d0 for the three, d2, d3, d5


def test_planning_reads_each_recipient_once_and_the_campaign_once_a_page(shop: Shop) -> None:
    """Per recipient its profile (the audience query), which carries its replayed ledger
    (``consentState``), nothing else, and two writes (its message, the destination's claim);
    per page the campaign (still running? the same run?) and at most once the shop's settings
    (cached 5 s); the first page also marks the campaign ``sending`` (a read-decide-write) and
    advances it from what that write left (a read)."""
    for i in range(12):
        shop.customer(f"r{i:02d}")
    shop.campaign("c-cost")
    shop.written("c-cost", None)
    counter = RpcCounter(shop.db)
    outcomes = shop.plan_all(page_size=5)
    assert [(o.outcome, o.matched, o.enqueued) for o in outcomes] == [("planned", 5, 5)] * 2 + [
        ("planned", 2, 2)
    ]
    assert [o.reads for o in outcomes] == [5, 5, 2]  # what each page reports: the same count
    rpc = counter.snapshot()
    per_recipient, per_page, first_page = 12, len(outcomes), 2
    reads = rpc["reads"] + rpc["empty_queries"]
    assert per_recipient + per_page + first_page + 1 <= reads
    assert reads <= per_recipient + 2 * per_page + first_page
    # messages and their destination claims, each page's summary and advance
    assert rpc["writes"] == 2 * 12 + 2 * per_page + 1
    # Each next page is paced after the one before: planning stays ahead of the campaigns
    # queue's 5 messages/s as deployed (twice as fast), not of the whole audience; pages of 5
    # are the floor's one every 2 s.
    pages = [(s.page, at) for _, s, at in shop.steps.steps if s.kind is StepKind.PLAN]
    assert pages[1:] == [(1, shop.now + timedelta(seconds=2)), (2, shop.now + timedelta(seconds=2))]


def test_a_profile_without_its_consent_state_is_planned_from_the_ledger(shop: Shop) -> None:
    """Profiles written before ``on_consent_written`` existed (or whose trigger has not run):
    the page queries their events, and decides as it would from the state."""
    for name in ("amani", "baraka", "chiku"):
        shop.customer(name)
    shop.customer("dalila", channels=())  # never opted in
    shop.without_state("baraka", "dalila")  # as if written before the state existed
    shop.opt_out("chiku", Channel.WHATSAPP, NOW - timedelta(days=1))  # kept on chiku's state
    shop.campaign("c-fallback")
    shop.written("c-fallback", None)
    (outcome,) = shop.plan_all(page_size=10)
    assert outcome.reads == 4 + 1  # four profiles, baraka's proof (dalila's query: nothing)
    by_customer = {d["customerId"]: d for d in shop.history("c-fallback")}
    assert {c: d["status"] for c, d in by_customer.items()} == {
        "amani": "pending",
        "baraka": "pending",
        "chiku": "skipped",
        "dalila": "skipped",
    }
    assert by_customer["chiku"]["statusReason"] == by_customer["dalila"]["statusReason"]
    assert by_customer["dalila"]["statusReason"] == "marketing_consent_not_recorded"
    shop.deliver_all(now=NOW + timedelta(minutes=1))
    after = {d["customerId"]: d["status"] for d in shop.history("c-fallback")}
    assert after["amani"] == after["baraka"] == "sent"


def test_an_opt_out_after_planning_stops_the_message_whoever_recorded_it(
    shop: Shop, fakes: FakeProvidersClient
) -> None:
    """At send time the live check reads the profile it re-reads anyway: its state, kept by
    our flow as it records (amani), by the trigger for a device's event (baraka); the ledger
    for a profile without a state (chiku)."""
    for name in ("amani", "baraka", "chiku", "dalila"):
        shop.customer(name)
    shop.without_state("chiku")
    shop.campaign("c-late")
    shop.written("c-late", None)
    shop.plan_all()
    assert {d["status"] for d in shop.history("c-late")} == {"pending"}
    later = NOW + timedelta(seconds=1)
    shop.opt_out("amani", Channel.WHATSAPP, later)
    shop.device_opt_out("baraka", Channel.WHATSAPP, later, trigger=True)
    shop.device_opt_out("chiku", Channel.WHATSAPP, later, trigger=False)
    for name in ("amani", "baraka"):
        state = shop.profile(name)["consentState"]
        assert (state["marketing"], state["events"]) == ([], 2)
    counter = RpcCounter(shop.db)
    shop.deliver_all(now=NOW + timedelta(minutes=1))
    assert counter.queries_of["consent_events"] == 1  # chiku's: the others' states answered
    after = {d["customerId"]: d for d in shop.history("c-late")}
    assert {c: d["status"] for c, d in after.items()} == {
        "amani": "cancelled",
        "baraka": "cancelled",
        "chiku": "cancelled",
        "dalila": "sent",
    }
    assert {d["statusReason"] for c, d in after.items() if c != "dalila"} == {
        "marketing_consent_not_recorded"
    }
    for name in ("amani", "baraka", "chiku"):
        assert whatsapp_to(fakes, shop.phones[name]) == []


def test_consent_and_the_window_hold_at_send_time(shop: Shop, fakes: FakeProvidersClient) -> None:
    shop.customer("wanjiku")
    shop.customer("otieno")
    shop.customer("achieng", channels=())  # no proof: planned skipped
    # A Tanzanian number in the Kenyan segment: Tanzania's window is closed at 10:00 Nairobi.
    shop.customer("juma", phone="+255712345678")
    shop.settings(
        marketingWindows={
            "KE": {"days": [1, 2, 3, 4, 5, 6], "start": "08:00", "end": "18:00",
                   "timezone": "Africa/Nairobi"},
            "TZ": {"days": [1, 2, 3, 4, 5, 6], "start": "12:00", "end": "18:00",
                   "timezone": "Africa/Dar_es_Salaam"},
        }
    )  # fmt: skip
    shop.campaign("c2")
    shop.written("c2", None)
    shop.plan_all()
    by_customer = {d["customerId"]: d for d in shop.history("c2")}
    assert by_customer["achieng"]["status"] == "skipped"
    assert by_customer["achieng"]["statusReason"] == "marketing_consent_not_recorded"
    assert by_customer["juma"]["status"] == "scheduled"  # held to Tanzania's window
    # Otieno opts out after planning, before his message goes.
    shop.opt_out("otieno", Channel.WHATSAPP, NOW + timedelta(seconds=1))
    outcomes = {o.outcome for o in shop.deliver_all(now=NOW + timedelta(minutes=1))}
    assert outcomes >= {"sent", "cancelled"}
    after = {d["customerId"]: d for d in shop.history("c2")}
    assert after["wanjiku"]["status"] == "sent"
    assert (after["otieno"]["status"], after["otieno"]["statusReason"]) == (
        "cancelled",
        "marketing_consent_not_recorded",
    )
    assert after["juma"]["status"] == "scheduled"
    assert whatsapp_to(fakes, shop.phones["otieno"]) == []
    assert len(whatsapp_to(fakes, shop.phones["wanjiku"])) == 1


def test_pause_holds_every_unsent_message_and_resume_continues(
    shop: Shop, fakes: FakeProvidersClient
) -> None:
    for i in range(10):
        shop.customer(f"p{i}")
    shop.campaign("c3")
    shop.written("c3", None)
    shop.plan_all(page_size=4)
    tasks = [n for n, _, _ in shop.queue.take()]
    for notification_id in tasks[:3]:
        assert shop.deliver(notification_id).outcome == "sent"
    before = shop.doc("c3")
    control.pause(shop.db, "c3", now=NOW)
    shop.written("c3", before)
    # Within the next minute every task still in the queue arrives and finds the pause.
    held = [shop.deliver(n, now=NOW + timedelta(seconds=30)) for n in tasks[3:]]
    assert {o.outcome for o in held} == {"held"}
    assert len(fakes.messages("twilio")) == 3
    waiting = [d for d in shop.history("c3") if d["status"] == "scheduled"]
    assert len(waiting) == 7
    assert {d["statusReason"] for d in waiting} == {"campaign_paused"}
    # Resume: the held messages are enqueued again (a new generation) and go.
    before = shop.doc("c3")
    control.resume(shop.db, "c3", now=NOW + timedelta(minutes=2))
    assert shop.doc("c3")["status"] == "sending"
    shop.written("c3", before)
    shop.resume_all()
    again = shop.queue.take()
    assert len(again) == 7
    assert all(generation >= 1 for _, generation, _ in again)
    results = [shop.deliver(n, now=NOW + timedelta(minutes=3)) for n, _, _ in again]
    assert Counter(r.outcome for r in results) == {"sent": 7}
    assert len(fakes.messages("twilio")) == 10


def test_the_campaign_pauses_itself_on_failures_and_says_why(
    shop: Shop, fakes: FakeProvidersClient
) -> None:
    for i in range(12):
        shop.customer(f"f{i:02d}")
    shop.campaign("c4", settings={"minSends": 5, "failureRateLimit": 0.10})
    shop.written("c4", None)
    shop.plan_all(page_size=6)
    fakes.set_faults([{"provider": "twilio", "action": "error", "status": 400, "code": 63016,
                       "times": 4}])  # fmt: skip
    tasks = [n for n, _, _ in shop.queue.take()]
    first = [shop.deliver(n, now=NOW + timedelta(seconds=5)) for n in tasks[:8]]
    assert Counter(o.outcome for o in first)["failed"] == 4
    tick = shop.monitor(campaign_id="c4", now=NOW + timedelta(seconds=30))
    assert tick.status == "paused"
    doc = shop.doc("c4")
    assert doc["statusReason"] == "failure_rate"
    assert "4 of the last 8 sends failed" in doc["statusDetail"]
    assert doc["pausedBy"] == "system"
    rest = [shop.deliver(n, now=NOW + timedelta(seconds=40)) for n in tasks[8:]]
    assert {o.outcome for o in rest} == {"held"}
    assert doc["results"]["failedByReason"] == {"63016": 4}


def test_results_count_sends_opt_outs_and_attributed_orders(
    shop: Shop, fakes: FakeProvidersClient
) -> None:
    for name in ("r1", "r2", "r3", "r4"):
        shop.customer(name)
    shop.customer("r5", channels=())
    shop.campaign("c5")
    shop.written("c5", None)
    shop.plan_all()
    shop.deliver_all(now=NOW)
    # r1 opts out after the message; r2 buys within the window, r3 after it.
    shop.opt_out("r1", Channel.WHATSAPP, NOW + timedelta(hours=1))
    for order_id, customer, when in (
        ("o1", "r2", NOW + timedelta(days=1)),
        ("o2", "r3", NOW + timedelta(days=4)),
        ("o3", "r2", NOW + timedelta(days=2)),
    ):
        order = {"customerId": customer, "total": 2500, "currency": "KES", "status": "placed"}
        change = DocumentChange(
            event_id=f"ev-{order_id}",
            event_type="google.cloud.firestore.document.v1.written",
            path=f"orders/{order_id}",
            before=None,
            after=order,
            time=when,
        )
        attribute_order(change, db=shop.db, now=when)
        attribute_order(change, db=shop.db, now=when)  # the event again: counted once
    tick = shop.monitor(campaign_id="c5", now=NOW + timedelta(days=2))
    results = tick.results
    assert results["audienceSize"] == 5
    assert (results["planned"], results["eligible"], results["sent"]) == (5, 4, 4)
    assert results["skippedByReason"] == {"marketing_consent_not_recorded": 1}
    assert results["optOuts"] == 1
    assert (results["ordersAttributed"], results["revenue"]) == (2, {"KES": 5000.0})
    assert tick.status == "completed"
    assert shop.doc("c5")["results"]["sent"] == 4
