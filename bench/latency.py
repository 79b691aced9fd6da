"""Latency under load: trigger to provider on the local stack, loaded against idle.

The whole local stack of ``make dev`` (``devstack.stack.Stack``: the Firestore emulator with its
triggers and the router, the Tasks emulator, every target in its functions-framework process,
the fakes), on free ports. The shop's settings are cached 5 seconds per instance, as deployed
(the stack's default of 0 is for tests that change them). Each notification is one ticket
created for an SMS-only customer of its own: the emulator's trigger reaches
``on_ticket_written``, which records ``ticket.received`` and enqueues its task; the Tasks
emulator dispatches it to ``deliver_notification``, which sends it to the fake Twilio. Its
latency is from just before the ticket's write to the fake's record of the send (same clock).

- **idle**: ``idle`` notifications one at a time, each after the previous one reached the
  provider; their p95 is the reference.
- **load**: ``rate`` tickets per second for ``seconds`` seconds (one writer on a fixed schedule,
  so a slow write does not lower the rate), then until every one has reached the provider; the
  p95 of all of them.

The ratio is p95(load) / p95(idle). The peak RSS of every function process is read from
``/proc`` at the end (``VmHWM``: the high-water mark of the whole run).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.infra import group_cpu_seconds, group_peak_rss_mb

SETTINGS_CACHE_SECONDS = "5"  # production's default (shared.platform.settings)


@dataclass
class LatencyResult:
    rate: float
    seconds: float
    sent: int
    expected: int
    idle_ms: list[float]
    load_ms: list[float]
    achieved_rate: float  # tickets written per second during the load
    memory_mb: dict[str, float] = field(default_factory=dict)  # target -> peak RSS
    # p95 of each leg under load (ms): ticket write -> history created (the trigger), created ->
    # delivery started (the queue and its dispatch), started -> provider (delivery and send)
    legs_ms: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per notification under load

    @property
    def idle_p95(self) -> float:
        return p95(self.idle_ms)

    @property
    def load_p95(self) -> float:
        return p95(self.load_ms)

    @property
    def ratio(self) -> float:
        return self.load_p95 / self.idle_p95


def p95(values: list[float]) -> float:
    """The 95th percentile (inclusive method: within the samples' range)."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _customer(i: int, tag: str) -> tuple[str, dict[str, Any]]:
    return f"lat-{tag}-{i}", {
        "displayName": f"Client {i}",
        "country": "FR",
        "language": "fr",
        "phoneNumber": f"+3367{int(tag, 16) % 100:02d}{i:05d}",
        "notificationPreferences": {"smsEnabled": True, "emailEnabled": False},
    }


class Arrivals:
    """When each phone number's first send reached the fake Twilio (epoch seconds)."""

    def __init__(self, fakes: Any) -> None:
        self.fakes = fakes
        self.seen: dict[str, float] = {}

    def poll(self) -> None:
        for entry in self.fakes.requests("twilio"):
            to = str((entry.get("params") or {}).get("To") or "")
            if to and entry.get("status") == 201 and to not in self.seen:
                self.seen[to] = datetime.fromisoformat(str(entry["time"])).timestamp()

    def wait(self, phones: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if phones <= self.seen.keys():
                return True
            time.sleep(0.05)
        return False


def _legs(db: Any, tag: str, written: dict[str, float], seen: dict[str, float]) -> dict[str, float]:
    """Where the time of the loaded notifications went, from their history documents'
    ``createdAt`` (the trigger recorded it) and ``sentAt`` (the delivery attempt began)."""
    trigger: list[float] = []
    queue: list[float] = []
    send: list[float] = []
    fields = ["to", "ticketId", "createdAt", "sentAt"]
    for snap in db.collection("notification_history").select(fields).stream():
        doc = snap.to_dict() or {}
        to = str(doc.get("to") or "")
        created, started = doc.get("createdAt"), doc.get("sentAt")
        if not str(doc.get("ticketId") or "").startswith(f"T-{tag}-") or to not in written:
            continue
        if created is None or started is None or to not in seen:
            continue
        trigger.append(1000 * (created.timestamp() - written[to]))
        queue.append(1000 * (started.timestamp() - created.timestamp()))
        send.append(1000 * (seen[to] - started.timestamp()))
    if not trigger:
        return {}
    return {"trigger": p95(trigger), "queue": p95(queue), "delivery": p95(send)}


def measure(
    *,
    rate: float = 20.0,
    seconds: float = 60.0,
    idle: int = 20,
    say: Callable[[str], None] = print,
) -> LatencyResult:
    from devstack.config import StackConfig  # noqa: PLC0415
    from devstack.stack import Stack  # noqa: PLC0415

    expected = int(rate * seconds)
    tag = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as logs:
        config = StackConfig(
            log_dir=Path(logs),
            env_file=None,
            extra_env={"SHOP_SETTINGS_CACHE_SECONDS": SETTINGS_CACHE_SECONDS},
        )
        with Stack(config) as stack:
            say(f"  local stack up ({len(stack.urls)} functions)")
            db = stack.firestore_client()
            profiles = [_customer(i, tag) for i in range(idle + expected + 1)]
            batch = db.batch()
            batch.set(db.collection("settings").document("notifications"), {"quietHours": {}})
            for n, (cid, profile) in enumerate(profiles, start=1):
                batch.set(db.collection("customer_profiles").document(cid), profile)
                if n % 400 == 0:
                    batch.commit()
                    batch = db.batch()
            batch.commit()
            arrivals = Arrivals(stack.fakes_client())
            tickets = db.collection("tickets")

            def write(i: int) -> tuple[str, float]:
                cid, profile = profiles[i]
                at = time.time()
                tickets.document(f"T-{tag}-{i}").set(
                    {"customerId": cid, "device": "iPhone 13", "status": "received"}
                )
                return str(profile["phoneNumber"]), at

            # Warm up: the first request of each process pays its imports and clients.
            phone, _ = write(idle + expected)
            if not arrivals.wait({phone}, 60):
                raise RuntimeError("the warm-up notification never reached the provider")

            idle_ms = []
            for i in range(idle):
                phone, at = write(i)
                if not arrivals.wait({phone}, 30):
                    raise RuntimeError(f"idle notification {i} never reached the provider")
                idle_ms.append(1000 * (arrivals.seen[phone] - at))
            say(f"  idle: p95 {p95(idle_ms):.0f} ms over {idle} single notifications")

            pids = {c.name: c.pid for c in stack.children if c.pid is not None}
            cpu_before = {n: group_cpu_seconds(p) for n, p in pids.items()}
            written: dict[str, float] = {}
            lock = threading.Lock()
            start = time.monotonic()
            with ThreadPoolExecutor(8) as pool:  # a slow write must not delay the next one
                futures = []
                for k in range(expected):
                    delay = start + k / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    futures.append(pool.submit(write, idle + k))
                for future in futures:
                    phone, at = future.result()
                    with lock:
                        written[phone] = at
            achieved = expected / (time.monotonic() - start)
            complete = arrivals.wait(set(written), 120)
            cpu = {
                n: 1000 * (group_cpu_seconds(p) - cpu_before[n]) / expected for n, p in pids.items()
            }
            seen = arrivals.seen
            load_ms = [1000 * (seen[p] - at) for p, at in written.items() if p in seen]
            memory = {
                name.removeprefix("fn-"): group_peak_rss_mb(pid)
                for name, pid in pids.items()
                if name.startswith("fn-")
            }
            legs = _legs(db, tag, written, arrivals.seen)
            sent = len(load_ms)
            say(
                f"  load: {sent}/{expected} sent at {achieved:.1f}/s, p95 {p95(load_ms):.0f} ms"
                + ("" if complete else " (some never arrived)")
            )
    return LatencyResult(
        rate=rate,
        seconds=seconds,
        sent=sent,
        expected=expected,
        idle_ms=idle_ms,
        load_ms=load_ms,
        achieved_rate=achieved,
        memory_mb=memory,
        legs_ms=legs,
        cpu_ms={k: v for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 0.05},
    )
