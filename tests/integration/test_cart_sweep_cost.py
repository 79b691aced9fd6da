"""The cart sweep on a bare emulator: its reads grow with the due carts, never with all carts;
concurrent sweeps remind each cart once; paging survives ties.

The emulator is the stack's Cloud Firestore emulator, in projects without triggers, so 10,000
carts are seeded once per module and fire nothing. Reads are counted at
the client's RPC boundary (documents returned by ``RunQuery`` and ``BatchGetDocuments``), not
by the code under test, and compared with what the sweep reports.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.firestore import emulator
from devstack.stack import Stack
from shared.adapters.tasks import TaskQueueError
from shared.flows.carts.reminders import LEASE, source_event_id
from shared.flows.carts.sweep import run_sweep
from shared.flows.consent_state import backfill
from shared.model.ids import notification_id
from shared.platform.settings import Settings, SmtpSettings, TwilioSettings
from shared.rules.cart_episodes import episode_of
from shared.store.carts import Reads, paginate

NOW = datetime(2026, 11, 17, 13, 0, tzinfo=UTC)  # a Tuesday, 14:00 in Paris: no quiet hours
SETTINGS = Settings(smtp=SmtpSettings(host="smtp.invalid", sender="shop@example.com"))
TOTAL_CARTS = 10_000
DUE_CARTS = 100


@dataclass
class RecordingQueue:
    """The Cloud Tasks boundary, recorded (thread-safe)."""

    calls: list[str] = field(default_factory=list)
    schedule_times: list[datetime | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        with self.lock:
            self.calls.append(notification_id)
            self.schedule_times.append(schedule_time)
        return f"{notification_id}-{generation}"


class ReadProbe:
    """Counts documents the client receives: ``RunQuery`` results and ``BatchGetDocuments``
    found documents (wraps the client's GAPIC methods, the RPC boundary)."""

    def __init__(self, db: Any) -> None:
        self.documents = 0
        self.queries = 0
        api = db._firestore_api
        run_query, batch_get = api.run_query, api.batch_get_documents

        def counted_query(*args: Any, **kwargs: Any) -> Iterator[Any]:
            self.queries += 1
            for response in run_query(*args, **kwargs):
                if response._pb.HasField("document"):
                    self.documents += 1
                yield response

        def counted_get(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for response in batch_get(*args, **kwargs):
                if response._pb.HasField("found") or response._pb.HasField("missing"):
                    self.documents += 1  # a missing document is billed as a read too
                yield response

        api.run_query = counted_query
        api.batch_get_documents = counted_get

    def reset(self) -> None:
        self.documents = self.queries = 0


_PROJECTS: set[str] = set()


@pytest.fixture(scope="module")
def emulator_host(stack: Stack) -> Iterator[str]:
    """The stack's Cloud Firestore emulator; each test works in a project of its own, where no
    trigger is registered (10,000 seeded carts fire nothing), emptied when the module ends."""
    assert stack.firestore_host is not None
    yield stack.firestore_host
    for project in sorted(_PROJECTS):
        emulator.reset(stack.firestore_host, project)


def client_for(host: str, project: str) -> Any:
    _PROJECTS.add(project)
    return emulator.client_for(host, project)


def write_all(db: Any, docs: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Batched commits of up to 500 writes."""
    for start in range(0, len(docs), 500):
        batch = db.batch()
        for collection, doc_id, data in docs[start : start + 500]:
            batch.set(db.collection(collection).document(doc_id), data)
        batch.commit()


def profile(name: str) -> dict[str, Any]:
    return {
        "displayName": name,
        "email": f"{name.lower()}@example.com",
        "country": "FR",
        "language": "fr",
        "notificationPreferences": {"marketingEnabled": True},
    }


def proof(customer_id: str, channel: str = "email") -> tuple[str, str, dict[str, Any]]:
    """The consent event of the registration form's offers box, ticked (issue 15)."""
    return (
        "consent_events",
        f"proof-{customer_id}-{channel}",
        {
            "channel": channel,
            "purpose": "marketing",
            "action": "opt_in",
            "source": "registration_form",
            "textVersion": "signup-offers-v1",
            "customerId": customer_id,
            "at": NOW - timedelta(days=30),
        },
    )


def due_cart(i: int) -> dict[str, Any]:
    return {
        "customerId": f"due-{i}",
        "items": [{"sku": "CASE", "name": "Coque", "quantity": 1, "price": 15.0}],
        "total": 15.0,
        "currency": "EUR",
        "status": "active",
        "reminderStage": 0,
        "updatedAt": NOW - timedelta(hours=3, seconds=i),
    }


def not_due_cart(i: int) -> dict[str, Any]:
    """A cart no sweep at NOW should touch: recent, bought, recently reminded, or finished."""
    kind = i % 4
    base: dict[str, Any] = {"customerId": f"other-{i}", "total": 20.0, "currency": "EUR"}
    if kind == 0:  # active, idle 30 minutes
        return {
            **base,
            "status": "active",
            "reminderStage": 0,
            "updatedAt": NOW - timedelta(minutes=30),
        }
    if kind == 1:  # bought
        return {
            **base,
            "status": "converted",
            "reminderStage": 0,
            "updatedAt": NOW - timedelta(days=3),
        }
    updated = NOW - timedelta(hours=5)
    if kind == 2:  # first reminder 3 hours ago
        return {**base, "status": "active", "reminderStage": 1, "updatedAt": updated,
                "reminderEpisode": episode_of({"updatedAt": updated}),
                "lastReminderAt": NOW - timedelta(hours=3)}  # fmt: skip
    old = NOW - timedelta(days=4)
    return {**base, "status": "active", "reminderStage": 2, "updatedAt": old,
            "reminderEpisode": episode_of({"updatedAt": old}), "lastReminderAt": old}  # fmt: skip


@pytest.fixture(scope="module")
def ten_thousand_carts(emulator_host: str) -> Any:
    """10,000 carts, 100 of them due for a first reminder (seeded once for the module)."""
    db = client_for(emulator_host, "demo-cart-cost")
    docs = [("carts", f"due-{i:03d}", due_cart(i)) for i in range(DUE_CARTS)]
    docs += [("customer_profiles", f"due-{i}", profile(f"Due{i}")) for i in range(DUE_CARTS)]
    docs += [proof(f"due-{i}") for i in range(DUE_CARTS)]
    docs += [("carts", f"c-{i:05d}", not_due_cart(i)) for i in range(TOTAL_CARTS - DUE_CARTS)]
    write_all(db, docs)
    return db


def test_sweep_over_10000_carts_with_100_due_reads_about_100_documents(
    ten_thousand_carts: Any,
) -> None:
    db = ten_thousand_carts
    probe = ReadProbe(db)
    queue = RecordingQueue()

    summary = run_sweep(db=db, queue=queue, now=NOW, settings=SETTINGS, page_size=40)

    report = summary.as_json()
    assert report["due"] == DUE_CARTS
    assert report["reminded_1"] == DUE_CARTS
    assert report["failed"] == 0
    assert len(set(queue.calls)) == len(queue.calls) == DUE_CARTS
    # Per due cart: the cart itself (from the query), its customer's profile and, as these
    # profiles carry no ``consentState`` (no trigger in this project), the consent event proving
    # the marketing opt-in (one query); plus the settings document. Nothing grows with the 9,900
    # carts that are not due.
    assert probe.documents == report["reads"] == 3 * DUE_CARTS + 1
    assert probe.queries == report["queries"]

    probe.reset()
    again = run_sweep(db=db, queue=queue, now=NOW, settings=SETTINGS).as_json()
    assert (again["due"], again["reminded_1"], again["reminded_2"]) == (0, 0, 0)
    assert probe.documents == again["reads"] == 1  # the settings document only
    assert len(queue.calls) == DUE_CARTS


def _seed_due(db: Any, count: int) -> None:
    docs = [("carts", f"k-{i:03d}", due_cart(i)) for i in range(count)]
    docs += [("customer_profiles", f"due-{i}", profile(f"Due{i}")) for i in range(count)]
    docs += [proof(f"due-{i}") for i in range(count)]
    write_all(db, docs)


def test_a_sweep_reads_the_consent_state_on_the_profile_not_the_ledger(emulator_host: str) -> None:
    """Once the profiles carry their replayed ledger (``on_consent_written``; the backfill
    here), a due cart costs two reads: itself and its customer's profile."""
    db = client_for(emulator_host, "demo-cart-state")
    _seed_due(db, 20)
    done = backfill(db, now=NOW)
    assert (done.customers, done.written, done.no_profile) == (20, 20, 0)
    probe = ReadProbe(db)
    report = run_sweep(
        db=db, queue=RecordingQueue(), now=NOW, settings=SETTINGS, page_size=7
    ).as_json()
    assert (report["due"], report["reminded_1"]) == (20, 20)
    assert probe.documents == report["reads"] == 2 * 20 + 1


def _sweeps_at_once(db: Any, queue: RecordingQueue, now: datetime, n: int) -> list[dict[str, Any]]:
    barrier = threading.Barrier(n)

    def sweep() -> dict[str, Any]:
        barrier.wait()
        return run_sweep(db=db, queue=queue, now=now, settings=SETTINGS, page_size=7).as_json()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: sweep(), range(n)))


def test_concurrent_sweeps_remind_each_cart_once_with_one_code(emulator_host: str) -> None:
    db = client_for(emulator_host, "demo-cart-concurrency")
    _seed_due(db, 30)
    queue = RecordingQueue()

    first = _sweeps_at_once(db, queue, NOW, 4)
    assert sum(s["reminded_1"] for s in first) == 30
    assert sum(s["failed"] for s in first) == 0
    assert len(queue.calls) == len(set(queue.calls)) == 30

    later = NOW + timedelta(hours=25)
    second = _sweeps_at_once(db, queue, later, 4)
    assert sum(s["reminded_2"] for s in second) == 30
    assert len(queue.calls) == len(set(queue.calls)) == 60

    history = [s.to_dict() for s in db.collection("notification_history").stream()]
    assert sorted(h["type"] for h in history) == ["cart.reminder_1"] * 30 + ["cart.reminder_2"] * 30
    codes = {s.id: s.to_dict() for s in db.collection("discount_codes").stream()}
    assert len(codes) == 30
    for snap in db.collection("carts").stream():
        cart = snap.to_dict()
        assert cart["reminderStage"] == 2
        assert codes[cart["discountCode"]]["cartId"] == snap.id
        offered = [
            h for h in history if h.get("cartId") == snap.id and h["type"] == "cart.reminder_2"
        ]
        assert [h["data"]["discountCode"] for h in offered] == [cart["discountCode"]]


def test_paging_yields_every_document_once_even_with_ties_across_pages(emulator_host: str) -> None:
    from google.cloud.firestore_v1.base_query import FieldFilter  # noqa: PLC0415

    db = client_for(emulator_host, "demo-cart-paging")
    tie = NOW - timedelta(hours=5)
    docs = [("items", f"tie-{i:02d}", {"kind": "x", "at": tie}) for i in range(25)]
    docs += [
        ("items", f"later-{i}", {"kind": "x", "at": tie + timedelta(minutes=i + 1)})
        for i in range(5)
    ]
    docs += [("items", "other", {"kind": "y", "at": tie})]
    write_all(db, docs)
    base = db.collection("items").where(filter=FieldFilter("kind", "==", "x"))
    reads = Reads()

    seen = [s.id for s in paginate(base, "at", page_size=10, reads=reads)]

    assert sorted(seen) == sorted(d[1] for d in docs if d[2]["kind"] == "x")
    assert len(seen) == len(set(seen)) == 30


@dataclass
class FlakyQueue(RecordingQueue):
    """Cloud Tasks refusing the first task of one cart's reminder (an outage, a crash)."""

    fail_once: set[str] = field(default_factory=set)

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        if notification_id in self.fail_once:
            self.fail_once.discard(notification_id)
            raise TaskQueueError(f"could not enqueue {notification_id}")
        return super().enqueue(notification_id, generation=generation, schedule_time=schedule_time)


def test_one_failing_cart_never_stops_the_sweep_and_is_finished_by_a_later_one(
    emulator_host: str,
) -> None:
    db = client_for(emulator_host, "demo-cart-failure")
    _seed_due(db, 3)
    cart = db.collection("carts").document("k-001").get()
    episode = episode_of(cart.to_dict())
    assert episode is not None
    # The notification id the planner gives k-001's first reminder by email.
    doomed = notification_id(source_event_id("k-001", episode, 1), "cart.reminder_1", "email")
    queue = FlakyQueue(fail_once={doomed})

    first = run_sweep(db=db, queue=queue, now=NOW, settings=SETTINGS).as_json()
    same_time = run_sweep(db=db, queue=queue, now=NOW, settings=SETTINGS).as_json()
    later = run_sweep(db=db, queue=queue, now=NOW + LEASE, settings=SETTINGS).as_json()

    assert (first["reminded_1"], first["failed"]) == (2, 1)
    assert first["failures"][0]["cartId"] == "k-001"
    assert first["failures"][0]["error"] == "TaskQueueError"
    assert (same_time["due"], same_time["resumed"]) == (0, 0)  # its claim's lease still runs
    assert (later["resumed"], later["reminded_1"], later["failed"]) == (1, 1, 0)
    assert doomed in queue.calls
    assert len(queue.calls) == len(set(queue.calls)) == 3
    claims = [s.to_dict() for s in db.collection("cart_reminders").stream()]
    assert sorted(c["claim"]["state"] for c in claims) == ["completed"] * 3


def test_sms_reminder_due_in_quiet_hours_waits_for_the_morning(emulator_host: str) -> None:
    db = client_for(emulator_host, "demo-cart-night")
    write_all(db, [("carts", "k-sms", due_cart(0))])
    sms_only = {"marketingEnabled": True, "smsEnabled": True, "emailEnabled": False}
    sms_customer = {
        "phoneNumber": "06 12 34 56 78",
        "country": "FR",
        "notificationPreferences": sms_only,
    }
    write_all(db, [("customer_profiles", "due-0", sms_customer), proof("due-0", "sms")])
    twilio = TwilioSettings(account_sid="AC" + "0" * 32, auth_token="t", sms_from="+15005550006")
    queue = RecordingQueue()
    night = datetime(2026, 11, 17, 22, 30, tzinfo=UTC)  # 23:30 in Paris, quiet until 08:00

    summary = run_sweep(db=db, queue=queue, now=night, settings=Settings(twilio=twilio)).as_json()

    assert summary["messages"] == {"scheduled": 1}
    morning = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    assert queue.schedule_times == [morning]
    [reminder] = [s.to_dict() for s in db.collection("notification_history").stream()]
    assert (reminder["status"], reminder["scheduledFor"]) == ("scheduled", morning)


def test_a_sweep_with_more_due_carts_than_it_may_take_leaves_the_rest_to_the_next(
    emulator_host: str,
) -> None:
    db = client_for(emulator_host, "demo-cart-backlog")
    _seed_due(db, 5)
    queue = RecordingQueue()

    first = run_sweep(db=db, queue=queue, now=NOW, settings=SETTINGS, max_carts=3).as_json()
    second = run_sweep(db=db, queue=queue, now=NOW, settings=SETTINGS, max_carts=3).as_json()

    assert (first["reminded_1"], first["more"]) == (3, True)
    assert (second["reminded_1"], second["more"]) == (2, False)
    assert len(set(queue.calls)) == 5
