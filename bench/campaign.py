"""Campaign bench (issue 19): planning a campaign of ``size`` recipients (10,000 by default),
and the service messages it must never delay.

- **planning** (a bare emulator, ``bench.infra.services``): ``size`` Kenyan profiles with a
  WhatsApp marketing proof each are seeded (batched, in a project of their own), and their
  ``consentState`` filled in by the backfill (``shared.flows.consent_state.backfill``: what
  ``on_consent_written`` keeps in a deployed shop; the project has no triggers); then every page
  of the campaign is planned in process, one after the other as its Cloud Tasks chain runs them
  (``shared.flows.campaigns.plan.plan_page``), the messages' tasks recorded. Reads and writes
  are counted at the client's RPC layer (``RpcCounter``; the reads also per collection), the
  CPU of the emulator and of this process per recipient from ``/proc``. Planning throughput
  (recipients/s) is compared with the emulator's raw write rate (single-document ``set()``
  commits from 8 threads); reads per recipient with the target of 2. Afterwards one query of
  each shape the planning could use (an ``in`` of 30 customers, an equality, a batched get of
  30) is timed on the seeded ledger: what the emulator charges for it at this size.
- **service latency during a campaign** (the whole local stack): the p95 of single service
  notifications (a ticket to an SMS customer: trigger to the fake Twilio) while idle, then while
  a campaign of ``size`` recipients is being planned and sent from its own queue (the
  ``campaigns`` queue at its default pace); the ratio must stay <= 2. For each window: the
  cores each process of the stack used, and the p95 of each leg of the service notifications
  (ticket write to history created, created to delivery start, start to provider)."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.infra import RpcCounter, Services, group_cpu_seconds, write_all
from bench.latency import Arrivals, _customer, p95
from bench.pipeline import raw_write_rate

RUN = "bench-run"
WINDOWS = {  # marketing may go at any hour of the bench
    "KE": {"days": list(range(1, 8)), "start": "00:00", "end": "23:59",
           "timezone": "Africa/Nairobi", "holidays": True},
}  # fmt: skip
CONTENT = {
    "whatsapp": {
        "sw": {
            "metaName": "bench_sale",
            "metaLanguage": "sw",
            "contentSid": "HX" + "be" * 16,
            "variables": ["$customerName", "20%"],
        }
    }
}


def _recipients(count: int, tag: str, now: datetime) -> list[tuple[str, str, dict[str, Any]]]:
    """Profiles of the segment and the consent event proving each one's WhatsApp opt-in."""
    docs: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(count):
        cid = f"cp-{tag}-{i:05d}"
        phone = f"+25471{i:07d}"
        docs.append(
            (
                "customer_profiles",
                cid,
                {
                    "displayName": f"Mteja {i}",
                    "phoneNumber": phone,
                    "country": "KE",
                    "language": "sw",
                    "tags": [tag],
                    "notificationPreferences": {"marketingEnabled": True, "whatsappEnabled": True},
                },
            )
        )
        docs.append(
            (
                "consent_events",
                f"proof-{cid}",
                {
                    "channel": "whatsapp",
                    "purpose": "marketing",
                    "action": "opt_in",
                    "source": "counter",
                    "customerId": cid,
                    "to": phone,
                    "at": now - timedelta(days=30),
                },
            )
        )
    return docs


def _campaign(tag: str, *, status: str, planning: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Bench sale",
        "purpose": "marketing",
        "status": status,
        "audience": {"country": "KE", "tags": [tag]},
        "channels": ["whatsapp"],
        "content": CONTENT,
    }
    if planning:
        doc["planning"] = {"run": RUN, "page": 0, "cursor": None, "done": False}
    return doc


@dataclass
class CampaignResult:
    size: int
    planned: int
    seconds: float
    raw_writes_per_second: float
    rpc: dict[str, int]
    pages: int
    seed_seconds: float
    idle_ms: list[float] = field(default_factory=list)
    during_ms: list[float] = field(default_factory=list)
    campaign_sent_during: int = 0
    campaign_planned_during: int = 0
    # process -> cores used (CPU seconds per second of wall time) in each window
    idle_cores: dict[str, float] = field(default_factory=dict)
    during_cores: dict[str, float] = field(default_factory=dict)
    # p95 of each leg of the service notifications (ms): ticket write -> history created (the
    # trigger), created -> delivery started (the queue), started -> provider (the delivery)
    idle_legs: dict[str, float] = field(default_factory=dict)
    during_legs: dict[str, float] = field(default_factory=dict)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end of the campaign
    planning_load: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end of planning
    reads_by: dict[str, int] = field(default_factory=dict)  # collection -> documents read
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per recipient planned
    # one query of each shape on the seeded ledger, after planning (ms)
    probe_ms: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.planned / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.per_second / self.raw_writes_per_second

    @property
    def reads_per_recipient(self) -> float:
        return (self.rpc["reads"] + self.rpc["empty_queries"]) / max(self.planned, 1)

    @property
    def latency_ratio(self) -> float:
        return p95(self.during_ms) / p95(self.idle_ms) if self.idle_ms and self.during_ms else 0


@dataclass
class _Steps:
    """The campaign-steps queue, recorded: the next page's step."""

    steps: list[Any] = field(default_factory=list)

    def enqueue_step(self, task_id: str, body: Any, *, schedule_time: Any = None) -> str:
        from shared.model.campaign import CampaignStep  # noqa: PLC0415

        self.steps.append(CampaignStep.from_body(body))
        return task_id


@dataclass
class _Queue:
    """The campaigns queue, counted."""

    count: int = 0

    def enqueue(
        self, notification_id: str, *, generation: int = 0, schedule_time: Any = None
    ) -> str:
        self.count += 1
        return notification_id


class _ReadsByCollection:
    """Documents read per collection at the RPC layer (``RunQuery`` results, ``BatchGetDocuments``
    found or missing, as ``RpcCounter`` counts them): where the reads come from."""

    def __init__(self, db: Any) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        api = db._firestore_api
        run_query, batch_get = api.run_query, api.batch_get_documents

        def query(*args: Any, **kwargs: Any) -> Iterator[Any]:
            request: Any = kwargs.get("request", args[0] if args else None)
            structured = (
                request["structured_query"]
                if isinstance(request, dict)
                else request.structured_query
            )
            name = structured.from_[0].collection_id
            found = 0
            for response in run_query(*args, **kwargs):
                found += response._pb.HasField("document")
                yield response
            with self._lock:
                self.counts[name if found else f"{name} (empty query)"] += max(found, 1)

        def get(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for response in batch_get(*args, **kwargs):
                doc = response.found.name if response._pb.HasField("found") else response.missing
                if doc:
                    with self._lock:
                        self.counts[doc.split("/documents/", 1)[1].split("/", 1)[0]] += 1
                yield response

        api.run_query, api.batch_get_documents = query, get


def _probe(db: Any, tag: str, size: int) -> dict[str, float]:
    """One query of each shape the planning could use, on the ledger it just read (ms, the best
    of three): what the emulator charges per customer."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    ledger = db.collection("consent_events")
    ids = [f"cp-{tag}-{i:05d}" for i in range(min(size, 30))]

    def best(run: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            run()
            times.append(1000 * (time.perf_counter() - start))
        return min(times)

    return {
        "in-query of 30 customers": best(
            lambda: list(ledger.where(filter=FieldFilter("customerId", "in", ids)).stream())
        ),
        "equality query, 1 customer": best(
            lambda: list(ledger.where(filter=FieldFilter("customerId", "==", ids[0])).stream())
        ),
        "batched get of 30 documents": best(
            lambda: list(db.get_all([ledger.document(f"proof-{c}") for c in ids]))
        ),
    }


def measure_planning(
    services: Services, *, size: int, say: Callable[[str], None] = print
) -> CampaignResult:
    from shared.flows.campaigns.plan import plan_page  # noqa: PLC0415
    from shared.flows.consent_state import backfill  # noqa: PLC0415
    from shared.model.campaign import CampaignStep, StepKind  # noqa: PLC0415
    from shared.platform.settings import Settings, TwilioSettings  # noqa: PLC0415

    tag = uuid.uuid4().hex[:6]
    now = datetime.now(UTC).replace(microsecond=0)
    db: Any = services.client(f"bench-campaign-{tag}")
    start = time.perf_counter()
    docs = _recipients(size, tag, now)
    docs.append(("settings", "notifications", {"quietHours": {}, "marketingWindows": WINDOWS}))
    docs.append(("campaigns", f"camp-{tag}", _campaign(tag, status="sending", planning=True)))
    write_all(db, docs)
    seeded = time.perf_counter() - start
    start = time.perf_counter()
    states = backfill(db, now=now)  # as on_consent_written keeps them (no triggers here)
    say(
        f"  seeded {size} recipients and their proofs in {seeded:.1f} s; their consent states "
        f"({states.written}) in {time.perf_counter() - start:.1f} s"
    )
    raw = raw_write_rate(db, threads=8, writes=2000)
    say(f"  raw emulator writes: {raw:.0f}/s")
    settings = Settings(
        project="bench",
        twilio=TwilioSettings(
            account_sid="AC" + "0" * 32, auth_token="t", whatsapp_from="whatsapp:+15005550006"
        ),
    )
    counter = RpcCounter(db)
    by_collection = _ReadsByCollection(db)
    emulator = services.child("firestore").pid
    steps, queue = _Steps(), _Queue()
    step = CampaignStep(f"camp-{tag}", StepKind.PLAN, RUN, 0, None)
    pages = 0
    cpu_before = (group_cpu_seconds(emulator), time.process_time())
    start = time.perf_counter()
    while True:
        plan_page(step, db=db, queue=queue, steps=steps, settings=settings, now=now)
        pages += 1
        if not steps.steps:
            break
        step = steps.steps.pop()
    seconds = time.perf_counter() - start
    per = 1000 / max(queue.count, 1)
    cpu = {
        "Firestore emulator": per * (group_cpu_seconds(emulator) - cpu_before[0]),
        "planning (this process)": per * (time.process_time() - cpu_before[1]),
    }
    load = os.getloadavg()
    say(f"  planned {queue.count} of {size} in {seconds:.1f} s ({pages} pages; load {load[0]:.1f})")
    reads_by, rpc = dict(by_collection.counts), counter.snapshot()
    probe = _probe(db, tag, size)  # after the counts: its reads are not the planning's
    say(f"  reads {_fmt(reads_by)}; cpu per recipient (ms) {_fmt(cpu, 1)}; {_fmt(probe, 1)} ms")
    return CampaignResult(
        size=size,
        planned=queue.count,
        seconds=seconds,
        raw_writes_per_second=raw,
        rpc=rpc,
        pages=pages,
        seed_seconds=seeded,
        planning_load=load,
        reads_by=reads_by,
        cpu_ms=cpu,
        probe_ms=probe,
    )


def _service_legs(
    db: Any, tag: str, written: dict[str, float], seen: dict[str, float]
) -> dict[str, float]:
    """p95 of each leg of the service notifications whose tickets ``written`` names (phone ->
    when its ticket was written), from their history documents' ``createdAt`` and ``sentAt``."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    legs: dict[str, list[float]] = {"trigger": [], "queue": [], "delivery": []}
    phones = sorted(written)
    snaps = [
        snap
        for start in range(0, len(phones), 30)  # an ``in`` takes 30 values
        for snap in db.collection("notification_history")
        .where(filter=FieldFilter("to", "in", phones[start : start + 30]))
        .select(["to", "createdAt", "sentAt"])
        .stream()
    ]
    for snap in snaps:
        doc = snap.to_dict() or {}
        to, created, started = str(doc.get("to") or ""), doc.get("createdAt"), doc.get("sentAt")
        if to not in written or to not in seen or created is None or started is None:
            continue
        legs["trigger"].append(1000 * (created.timestamp() - written[to]))
        legs["queue"].append(1000 * (started.timestamp() - created.timestamp()))
        legs["delivery"].append(1000 * (seen[to] - started.timestamp()))
    return {leg: p95(values) for leg, values in legs.items() if values}


class _Cpu:
    """Cores used by each process group of the stack over a window (CPU s per wall s)."""

    def __init__(self, stack: Any) -> None:
        self.pids = {c.name: c.pid for c in stack.children if c.pid is not None}
        self.start = time.monotonic()
        self.before = {n: group_cpu_seconds(p) for n, p in self.pids.items()}

    def cores(self) -> dict[str, float]:
        wall = time.monotonic() - self.start
        used = {n: (group_cpu_seconds(p) - self.before[n]) / wall for n, p in self.pids.items()}
        return {n: c for n, c in sorted(used.items(), key=lambda kv: -kv[1]) if c >= 0.01}


SAMPLES = 40
SPACING = 0.5  # seconds from one sample's ticket to the next's


def measure_latency(
    result: CampaignResult,
    *,
    samples: int = SAMPLES,
    spacing: float = SPACING,
    say: Callable[[str], None] = print,
) -> CampaignResult:
    """Service p95 idle, then during a campaign of ``result.size`` on the whole local stack.
    Each window is ``samples`` tickets, one every ``spacing`` seconds (or as soon as the one
    before has reached the provider), so the campaign's window spans its planning pages (one
    every ``campaign_pacing.page_interval``) and its sends, not only its first instants."""
    from google.cloud.firestore import FieldFilter  # noqa: PLC0415

    from devstack.config import StackConfig  # noqa: PLC0415
    from devstack.stack import Stack  # noqa: PLC0415
    from shared.flows.consent_state import backfill  # noqa: PLC0415

    tag = uuid.uuid4().hex[:6]
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as logs:
        config = StackConfig(
            log_dir=Path(logs), env_file=None, extra_env={"SHOP_SETTINGS_CACHE_SECONDS": "5"}
        )
        with Stack(config) as stack:
            db = stack.firestore_client()
            service = [_customer(i, tag) for i in range(2 * samples + 1)]
            docs: list[tuple[str, str, dict[str, Any]]] = [
                ("customer_profiles", cid, doc) for cid, doc in service
            ]
            recipients = _recipients(result.size, tag, now)
            docs.append(
                ("settings", "notifications", {"quietHours": {}, "marketingWindows": WINDOWS})
            )
            # The proofs first: their on_consent_written find no profile yet (one read each);
            # then the profiles, and their states from the backfill, as the trigger would
            # have kept them over the shop's life.
            write_all(db, [d for d in recipients if d[0] == "consent_events"])
            stack.flush_triggers(300)
            write_all(db, docs + [d for d in recipients if d[0] != "consent_events"])
            backfill(db, now=now)
            stack.flush_triggers(60)
            arrivals = Arrivals(stack.fakes_client())
            written: dict[str, float] = {}

            def one(i: int) -> float:
                cid, profile = service[i]
                phone = str(profile["phoneNumber"])
                at = written[phone] = time.time()
                db.collection("tickets").document(f"T-{tag}-{i}").set(
                    {"customerId": cid, "device": "iPhone 13", "status": "received"}
                )
                if not arrivals.wait({phone}, 60):
                    raise RuntimeError(f"service notification {i} never reached the provider")
                return 1000 * (arrivals.seen[phone] - at)

            def spaced(first: int) -> list[float]:
                out: list[float] = []
                for i in range(first, first + samples):
                    start = time.monotonic()
                    out.append(one(i))
                    time.sleep(max(0.0, spacing - (time.monotonic() - start)))
                return out

            one(2 * samples)  # warm-up: every process pays its imports once
            written.clear()
            cpu = _Cpu(stack)
            result.idle_ms = spaced(0)
            result.idle_cores = cpu.cores()
            result.idle_legs = _service_legs(db, tag, dict(written), arrivals.seen)
            say(f"  idle: service p95 {p95(result.idle_ms):.0f} ms")
            written.clear()
            campaign = db.collection("campaigns").document(f"camp-{tag}")
            campaign.set(_campaign(tag, status="scheduled", planning=False))
            history = db.collection("notification_history").where(
                filter=FieldFilter("campaignId", "==", f"camp-{tag}")
            )
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not history.limit(1).get():
                time.sleep(0.2)  # until planning is under way
            cpu = _Cpu(stack)
            result.during_ms = spaced(samples)
            result.during_cores = cpu.cores()
            counted: Any = history.count().get()
            result.campaign_planned_during = int(counted[0][0].value)
            sent = [
                m for m in stack.fakes_client().messages("twilio")
                if str(m.get("_content_sid", "")).startswith("HXbe")
            ]  # fmt: skip
            result.campaign_sent_during = len(sent)
            campaign.update({"status": "cancelled"})
            result.load_average = os.getloadavg()
            result.during_legs = _service_legs(db, tag, dict(written), arrivals.seen)
            say(
                f"  during the campaign ({result.campaign_planned_during} planned, "
                f"{result.campaign_sent_during} sent meanwhile): service p95 "
                f"{p95(result.during_ms):.0f} ms"
            )
            say(f"  legs idle {_fmt(result.idle_legs)}; during {_fmt(result.during_legs)}")
            say(f"  cores idle {_fmt(result.idle_cores, 2)}; during {_fmt(result.during_cores, 2)}")
    return result


def _fmt(values: Mapping[str, float], digits: int = 0) -> str:
    return ", ".join(f"{k} {v:.{digits}f}" for k, v in values.items())


def _throughput_why(r: CampaignResult) -> str:
    probe = r.probe_ms
    in_query = probe.get("in-query of 30 customers", float("nan"))
    return (
        f"per recipient the emulator spent {r.cpu_ms.get('Firestore emulator', float('nan')):.1f}"
        f" ms of CPU and this process "
        f"{r.cpu_ms.get('planning (this process)', float('nan')):.1f} ms (profile, decision, "
        f"the batched commit of its message and its destination's claim); the page's profiles "
        f"come with their replayed ledger (consentState), so no ledger query runs (for "
        f"comparison, on this ledger an in-query of 30 customers costs {in_query:.0f} ms, a "
        f"batched get of 30 documents "
        f"{probe.get('batched get of 30 documents', float('nan')):.0f} ms)"
    )


def _latency_why(r: CampaignResult) -> str:
    def cores(window: dict[str, float], name: str) -> float:
        return window.get(name, 0.0)

    grown = {
        leg: r.during_legs[leg] - r.idle_legs.get(leg, 0.0)
        for leg in r.during_legs
        if leg in r.idle_legs
    }
    legs = ", ".join(f"{leg} {r.idle_legs[leg]:.0f} -> {r.during_legs[leg]:.0f}" for leg in grown)
    most = max(grown, key=lambda leg: grown[leg]) if grown else "?"
    return (
        f"the Firestore emulator and the cores are what the service shares with the campaign: "
        f"the emulator used "
        f"{cores(r.idle_cores, 'firestore'):.2f} cores while idle and "
        f"{cores(r.during_cores, 'firestore'):.2f} during the campaign (campaign_step "
        f"{cores(r.during_cores, 'fn-campaign_step'):.2f}, deliver_notification "
        f"{cores(r.during_cores, 'fn-deliver_notification'):.2f}, on {os.cpu_count()} cores, "
        f"load average {r.load_average[0]:.1f}); the service's legs (p95, ms: {legs}) grew "
        f"most in the {most} leg, each leg being Firestore calls (the trigger's profile and "
        f"ledger reads and its create, delivery's claim and live re-check). A campaign "
        f"message's live check reads its customer's consent from the profile it re-reads "
        f"anyway (consentState, kept by the flow that records a change), not the ledger, "
        f"which this emulator would answer with a pass over all "
        f"{r.size:,} events ("
        f"{r.probe_ms.get('equality query, 1 customer', float('nan')):.0f} ms). The queues are "
        f"apart (a campaign message never goes on the notifications queue, "
        f"``shared.platform.queues.queue_for``); the emulator (one JVM, a serial collector), "
        f"which the campaign's reads and writes keep busy, is not"
    )


def rows(r: CampaignResult) -> list[dict[str, Any]]:
    """The bench table's rows (``bench.__main__.Row`` fields)."""
    per = max(r.planned, 1)
    reads = ", ".join(f"{n:,} {name}" for name, n in r.reads_by.items())
    out = [
        {
            "measure": "campaign planning throughput / raw write rate",
            "value": r.ratio,
            "target": ">= 0.5",
            "met": r.ratio >= 0.5,
            "detail": f"{r.per_second:.0f} recipients/s ({r.planned} of {r.size} in "
            f"{r.seconds:.1f} s, {r.pages} pages; {r.rpc['writes'] / per:.2f} writes in "
            f"{r.rpc['commits']} commits; load {r.planning_load[0]:.1f}) vs "
            f"{r.raw_writes_per_second:.0f} raw writes/s",
            "why": _throughput_why(r),
        },
        {
            "measure": "campaign reads per recipient",
            "value": r.reads_per_recipient,
            "target": "<= 2",
            "met": r.reads_per_recipient <= 2,
            "detail": f"{r.rpc['reads'] + r.rpc['empty_queries']} reads ({reads}) for "
            f"{r.planned} recipients ({r.reads_per_recipient:.4f})",
            "why": "1 per recipient (its profile from the audience query, which carries its "
            "replayed ledger, consentState) and, per page of 200, the campaign (a pause, a "
            "cancellation or a resume's new run must stop a page before it creates anything) "
            "and the shop's settings (at most 10 s old, cached 5 s per instance: read "
            f"{r.reads_by.get('settings', 0)} times for {r.pages} pages of "
            f"{r.seconds / max(r.pages, 1):.1f} s each), plus one empty query when the "
            "audience ends on a full page: 1 + 2/200 is the floor while a page reads the "
            "campaign and the settings",
        },
    ]
    if r.idle_ms and r.during_ms:
        out.append(
            {
                "measure": "service p95 during a campaign / idle p95",
                "value": r.latency_ratio,
                "target": "<= 2",
                "met": r.latency_ratio <= 2,
                "detail": f"{p95(r.during_ms):.0f} ms vs {p95(r.idle_ms):.0f} ms idle "
                f"({len(r.during_ms)} tickets each; {r.campaign_planned_during} campaign "
                f"messages planned, {r.campaign_sent_during} sent meanwhile; load "
                f"{r.load_average[0]:.1f})",
                "why": _latency_why(r),
            }
        )
    return out
