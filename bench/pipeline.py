"""Pipeline throughput: notifications per second from the Firestore event to ``sent``.

In this process, as production runs it but without the network in between:

- **trigger**: each ticket creation arrives as the CloudEvent Eventarc sends (binary mode,
  protobuf ``DocumentEventData``), parsed with ``cloudevents.http.from_http`` as
  functions-framework does, then ``functions.boundary.cloudevents.run`` with the
  real ``handle_ticket_change`` (plan, history ``create()``, enqueue); ``producers`` events at once.
- **tasks**: the queue is in memory and hands each notification to ``workers`` concurrent
  delivery workers, as Cloud Tasks dispatches concurrently in production (the local Tasks
  emulator dispatches one at a time). The gRPC call to Cloud Tasks is not part of the figure.
- **delivery**: ``shared.flows.deliver.deliver`` with the real adapters (Twilio SDK, smtplib)
  sending to the fake providers' process; half the customers get an SMS, half an email.

Firestore reads and writes are counted at the client's RPC layer (``bench.infra.RpcCounter``).
The emulator's raw write rate is measured in the same run, on the same client, with the same
number of threads: single-document ``set()`` commits of a small document.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bench.infra import RpcCounter, Services, cpu_seconds, write_all
from devstack.eventarc import document_event
from devstack.fakes import FakeProvidersClient

PROJECT = "bench-pipeline"


@dataclass
class PipelineResult:
    notifications: int
    workers: int
    seconds: float
    raw_writes_per_second: float
    rpc: dict[str, int]
    outcomes: dict[str, int]
    provider_sends: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per notification, per process
    raw_cpu_ms: dict[str, float] = field(default_factory=dict)  # per raw write, per process

    @property
    def per_second(self) -> float:
        return self.notifications / self.seconds

    @property
    def writes(self) -> float:
        return self.rpc["writes"] / self.notifications

    @property
    def reads(self) -> float:
        return self.rpc["reads"] / self.notifications

    @property
    def ceiling(self) -> float:
        """What the emulator's raw write rate allows at this many writes per notification."""
        return self.raw_writes_per_second / self.writes


class WorkQueue:
    """The Cloud Tasks boundary: every enqueued notification goes to the delivery workers."""

    def __init__(self) -> None:
        self.items: queue.Queue[str | None] = queue.Queue()

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: datetime | None = None
    ) -> str:
        self.items.put(notification_id)
        return f"{notification_id}-{generation}"


def raw_write_rate(db: Any, *, threads: int, writes: int) -> float:
    """Single-document ``set()`` commits per second with ``threads`` threads at once."""
    collection = db.collection(f"raw_writes_{uuid.uuid4().hex[:6]}")
    per_thread = writes // threads
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for i in range(per_thread):
            collection.document().set({"i": i, "at": datetime.now(UTC), "status": "pending"})

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    return per_thread * threads / (time.perf_counter() - start)


def _customers(count: int, tag: str) -> list[tuple[str, str, dict[str, Any]]]:
    docs = []
    for i in range(count):
        if i % 2 == 0:
            profile = {
                "displayName": f"Client {i}",
                "country": "FR",
                "language": "fr",
                "phoneNumber": f"+3361{i:07d}",
                "notificationPreferences": {"smsEnabled": True, "emailEnabled": False},
            }
        else:
            profile = {
                "displayName": f"Client {i}",
                "country": "FR",
                "language": "fr",
                "email": f"client{i}.{tag}@example.com",
            }
        docs.append(("customer_profiles", f"{tag}-{i}", profile))
    return docs


def measure(
    services: Services,
    *,
    notifications: int = 300,
    workers: int = 16,
    producers: int = 4,
    raw_writes: int = 2000,
    say: Callable[[str], None] = print,
) -> PipelineResult:
    os.environ.update(services.function_env(PROJECT))
    from cloudevents.http import from_http  # noqa: PLC0415

    from functions.boundary import cloudevents  # noqa: PLC0415
    from shared.adapters.channels.factory import Senders  # noqa: PLC0415
    from shared.flows.deliver import deliver  # noqa: PLC0415
    from shared.flows.notify import handle_ticket_change  # noqa: PLC0415
    from shared.platform.settings import Settings, get_settings  # noqa: PLC0415

    get_settings.cache_clear()
    db = services.client(PROJECT)
    tag = uuid.uuid4().hex[:6]
    write_all(
        db, [("settings", "notifications", {"quietHours": {}}), *_customers(notifications, tag)]
    )
    events = []
    for i in range(notifications):
        ticket = {"customerId": f"{tag}-{i}", "device": "iPhone 13", "status": "received"}
        event = document_event(f"tickets/T-{tag}-{i}", None, ticket, project=PROJECT)
        events.append(event.binary())
    senders = Senders(Settings.from_env())
    # Warm up: the first send of each channel makes its client; the first query its channel.
    deliver_warm_up(db, senders)
    emulator, fakes_pid = services.child("firestore").pid, services.child("fakes").pid
    before = (time.process_time(), cpu_seconds(emulator))
    raw = raw_write_rate(db, threads=workers, writes=raw_writes)
    raw_cpu = {
        "bench process": 1000 * (time.process_time() - before[0]) / raw_writes,
        "Firestore emulator": 1000 * (cpu_seconds(emulator) - before[1]) / raw_writes,
    }
    say(f"  raw write rate: {raw:.0f} writes/s ({workers} threads)")

    fakes = FakeProvidersClient(str(services.fakes["control_url"]))
    fakes.reset()
    counter = RpcCounter(db)
    work = WorkQueue()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    done = threading.Event()

    def deliver_loop() -> None:
        while (nid := work.items.get()) is not None:
            outcome = deliver(nid, db=db, senders=senders, queue=work).outcome
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if sum(outcomes.values()) >= notifications:
                    done.set()

    def trigger(encoded: tuple[dict[str, str], bytes]) -> None:
        headers, body = encoded
        cloudevents.run(from_http(headers, body), partial(handle_ticket_change, db=db, queue=work))

    emulator_cpu = cpu_seconds(emulator)
    fakes_cpu = cpu_seconds(fakes_pid)
    own_cpu = time.process_time()
    start = time.perf_counter()
    pool = [threading.Thread(target=deliver_loop) for _ in range(workers)]
    for thread in pool:
        thread.start()
    with ThreadPoolExecutor(producers) as triggers:
        list(triggers.map(trigger, events))
    finished = done.wait(timeout=300)
    seconds = time.perf_counter() - start
    cpu = {
        "bench process (triggers + delivery)": time.process_time() - own_cpu,
        "Firestore emulator": cpu_seconds(emulator) - emulator_cpu,
        "fake providers": cpu_seconds(fakes_pid) - fakes_cpu,
    }
    for _ in pool:
        work.items.put(None)
    for thread in pool:
        thread.join()
    if not finished:
        raise RuntimeError(f"the pipeline did not finish: {outcomes}")
    accepted = [r for r in fakes.requests("twilio") if r.get("status") == 201]
    sends = len(accepted) + len(fakes.emails())
    return PipelineResult(
        notifications=notifications,
        workers=workers,
        seconds=seconds,
        raw_writes_per_second=raw,
        rpc=counter.snapshot(),
        outcomes=outcomes,
        provider_sends=sends,
        cpu_ms={k: 1000 * v / notifications for k, v in cpu.items()},
        raw_cpu_ms=raw_cpu,
    )


def deliver_warm_up(db: Any, senders: Any) -> None:
    """One notification per channel through ``deliver`` before anything is measured."""
    from shared.flows.deliver import deliver  # noqa: PLC0415

    base = {
        "type": "ticket.completed",
        "status": "pending",
        "attempts": 0,
        "language": "fr",
        "template": "ticket.completed",
        "country": "FR",
        "createdAt": datetime.now(UTC),
        "data": {"ticketId": "T0", "device": "iPhone"},
    }
    docs = [
        (
            "notification_history",
            "warm-sms",
            {**base, "channel": "sms", "provider": "twilio", "to": "+33699999999"},
        ),
        (
            "notification_history",
            "warm-email",
            {**base, "channel": "email", "provider": "smtp", "to": "warm@example.com"},
        ),
    ]
    write_all(db, docs)
    for nid in ("warm-sms", "warm-email"):
        deliver(nid, db=db, senders=senders)
