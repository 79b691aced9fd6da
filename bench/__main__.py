"""``python -m bench`` (``make bench``): every benchmark in one run, one table of ratios.

Starts a bare Firestore emulator and the fake providers (loopback, kernel-chosen ports), runs
the cold start, pipeline, sweep and webhook benchmarks against them, prints the table (stdout;
progress goes to stderr) and stops everything. Bounded: a few minutes on 2 cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # before grpc loads: no C-core info lines

import argparse
import logging
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import coldstart, latency, pipeline, sweep, webhooks
from bench.infra import services
from shared.platform.queues import NOTIFICATIONS_QUEUE

PARTS = ("coldstart", "pipeline", "sweep", "webhooks", "latency", "campaign", "console")
MEMORY_LIMIT_MB = 200.0
SETTINGS_TTL = 5  # shared.platform.settings' default SHOP_SETTINGS_CACHE_SECONDS


@dataclass(frozen=True)
class Row:
    """One line of the table: a measured ratio against its target."""

    measure: str
    value: float
    target: str
    met: bool
    detail: str
    why: str = ""  # when not met: the honest reason


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ms(items: Sequence[tuple[str, float]], limit: int) -> str:
    return ", ".join(f"{name} {ms:.0f} ms" for name, ms in items[:limit] if ms >= 0.5)


def coldstart_rows(results: Sequence[coldstart.ColdStart]) -> list[Row]:
    rows = []
    for r in results:
        third_party = [(n, ms) for n, ms in r.extra if n not in {"shared", "functions"}]
        ours = sum(ms for n, ms in r.extra if n in {"shared", "functions"})
        why = (
            f"{r.target_ms - r.baseline_ms:.0f} ms of imports beyond the SDKs: our modules "
            f"{ours:.0f} ms ({_ms(r.own, 3)}), libraries {_ms(third_party, 4)}; main.py "
            f"(lazy: the registry and this target only) adds {r.other_targets:.0f} ms over "
            f"the target's own module (which alone measures {r.single_ratio:.2f})"
        )
        rows.append(
            Row(
                f"cold start {r.target}",
                r.ratio,
                "<= 1.15",
                r.ratio <= 1.15,
                f"{r.target_ms:.0f} ms vs {r.baseline_ms:.0f} ms bare + {'+'.join(r.sdks)}"
                f" (median of {r.runs})",
                why,
            )
        )
    return rows


def pipeline_rows(r: pipeline.PipelineResult) -> list[Row]:
    cpu = sum(r.cpu_ms.values())
    raw_cpu = sum(r.raw_cpu_ms.values())
    ratio = r.per_second / r.ceiling
    ours = r.cpu_ms["bench process (triggers + delivery)"]
    why = (
        f"CPU-bound on {os.cpu_count()} cores: a notification costs {cpu:.1f} ms of CPU "
        f"(this process {ours:.1f} ms: event decoding, plan, render, SDK and "
        f"{(r.rpc['commits'] + r.rpc['reads']) / r.notifications:.0f} Firestore RPCs through the "
        f"Python gRPC client; emulator {r.cpu_ms['Firestore emulator']:.1f} ms; fake providers "
        f"{r.cpu_ms['fake providers']:.1f} ms) against {r.writes * raw_cpu:.1f} ms for its "
        f"{r.writes:.0f} raw writes ({raw_cpu:.2f} ms each), so "
        f"{os.cpu_count()} cores allow at most ~{1000 * (os.cpu_count() or 1) / cpu:.0f}/s"
    )
    sends = "" if r.provider_sends == r.notifications else f", {r.provider_sends} provider sends!"
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(r.outcomes.items()))
    return [
        Row(
            "pipeline Firestore writes per notification",
            r.writes,
            "<= 3",
            r.writes <= 3,
            f"{r.rpc['writes']} writes in {r.rpc['commits']} commits for {r.notifications}",
            "exactly once needs three writes of the history document (its create, the claim "
            "before the send, the outcome after it) and the contract wants the sent message in "
            "its conversation (conversations/{key}/messages/{id}), a fourth document; it now "
            "shares the outcome's commit (3 commits per notification), but a document written "
            "is a write",
        ),
        Row(
            "pipeline Firestore reads per notification",
            r.reads,
            "<= 3",
            r.reads <= 3,
            f"{r.rpc['reads']} documents read, {r.rpc['queries']} queries"
            f" ({r.rpc['empty_queries']} empty, billed 1 read each)",
            "3 per notification (the profile at the trigger, the history document at the claim, "
            "the profile again at the live re-check) plus the shop's settings document, read once "
            f"per {SETTINGS_TTL} s per instance (one reader per expiry): "
            f"{r.rpc['reads'] - 3 * r.notifications} reads in this run",
        ),
        Row(
            "pipeline throughput / (raw write rate / writes)",
            ratio,
            ">= 0.5",
            ratio >= 0.5,
            f"{r.per_second:.0f} notifications/s trigger->sent ({outcomes}{sends}; "
            f"{r.workers} workers) vs {r.raw_writes_per_second:.0f} raw writes/s / "
            f"{r.writes:.2f} = {r.ceiling:.0f}/s",
            why,
        ),
    ]


def sweep_rows(r: sweep.SweepResult) -> list[Row]:
    ratio = r.reads_per_due
    return [
        Row(
            "sweep reads per due cart",
            ratio,
            "<= 2",
            ratio <= 2,
            f"{r.reads} reads ({r.queries} queries; sweep reports {r.reported_reads}) for "
            f"{r.due} due of {r.carts:,} carts, {r.reminded} reminded, {r.seconds:.1f} s",
            "per due cart the cart (from the query) and its customer's profile, which carries "
            "the replayed consent ledger (consentState: no ledger query), plus the shop's "
            "settings document once per sweep: 2 x due + 1 (a profile without a state adds "
            "its ledger query)",
        )
    ]


def webhook_rows(r: webhooks.WebhookResult) -> list[Row]:
    cpu = sum(v for k, v in r.cpu_ms.items() if k != "load generator")
    why = (
        f"each callback is a Firestore query on providerMessageId, plus one update with the "
        f"query's update_time as precondition when it changes something (the delivered half; a "
        f"duplicate or late one is the query alone): {r.cpu_ms['twilio_status process']:.1f} ms "
        f"of CPU in the function process and {r.cpu_ms['Firestore emulator']:.1f} ms in the "
        f"emulator per callback, against {r.bare_cpu_ms:.2f} ms for the bare endpoint; half the "
        f"bare rate would leave ~{2 * r.bare_cpu_ms:.1f} ms per callback, less than the "
        f"emulator's CPU for the query alone"
    )
    return [
        Row(
            "webhook throughput vs bare endpoint",
            r.ratio,
            ">= 0.5",
            r.ratio >= 0.5,
            f"{r.status_per_second:.0f} signed twilio_status callbacks/s vs "
            f"{r.bare_per_second:.0f} req/s bare ({r.clients} clients, {r.callbacks} callbacks, "
            f"{r.errors} errors, final {r.statuses}; {cpu:.1f} ms CPU each)",
            why,
        )
    ]


def latency_rows(r: latency.LatencyResult) -> list[Row]:
    cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in list(r.cpu_ms.items())[:6])
    total = sum(r.cpu_ms.values())
    why = (
        f"at {r.achieved_rate:.1f} notifications/s the stack's processes use {total:.0f} ms "
        f"of CPU per notification ({cpu} ms) on {os.cpu_count()} shared cores: the queueing "
        f"for CPU, not any one process, is what the p95 measures"
    )
    legs = ", ".join(f"{leg} {ms:.0f}" for leg, ms in r.legs_ms.items())
    if legs:
        why += (
            f"; p95 of each leg under load: {legs} ms (trigger: ticket write to history "
            f"created; queue: created to delivery start, where the notifications queue's "
            f"{NOTIFICATIONS_QUEUE.max_dispatches_per_second:g} dispatches/s meet an offered "
            f"{r.rate:g}/s; delivery: start to the provider)"
        )
    missing = "" if r.sent == r.expected else f", {r.expected - r.sent} never arrived!"
    return [
        Row(
            "latency under load p95 / idle p95",
            r.ratio,
            "<= 3",
            r.ratio <= 3 and r.sent == r.expected,
            f"{r.load_p95:.0f} ms p95 trigger->provider at {r.achieved_rate:.1f}/s for "
            f"{r.seconds:.0f} s ({r.sent} sent{missing}; median "
            f"{statistics.median(r.load_ms):.0f} ms) vs "
            f"{r.idle_p95:.0f} ms idle p95 ({len(r.idle_ms)} single notifications)",
            why,
        )
    ]


def memory_rows(peaks: dict[str, dict[str, float]]) -> list[Row]:
    """One row: the largest peak RSS of any target's process, every target's in the detail."""
    if not peaks:
        return []
    per_target = {t: max(by.values()) for t, by in peaks.items()}
    worst = max(per_target, key=lambda t: per_target[t])
    detail = ", ".join(f"{t} {mb:.0f}" for t, mb in sorted(per_target.items(), key=lambda i: -i[1]))
    where = ", ".join(f"{src} {mb:.0f}" for src, mb in peaks[worst].items())
    return [
        Row(
            "memory: peak RSS of a target's process (MiB)",
            per_target[worst],
            f"<= {MEMORY_LIMIT_MB:.0f}",
            per_target[worst] <= MEMORY_LIMIT_MB,
            f"largest {worst} ({where}); {detail}",
            f"{worst} holds {per_target[worst]:.0f} MiB at its peak",
        )
    ]


def render(rows: Sequence[Row], seconds: float) -> str:
    width = max(len(r.measure) for r in rows)
    head = (
        f"bench: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {seconds:.0f} s"
    )
    out = [head, "", f"{'measure':<{width}}  {'value':>7}  {'target':<8}  met  detail"]
    out.append("-" * (width + 80))
    for r in rows:
        met = "yes" if r.met else "NO"
        out.append(f"{r.measure:<{width}}  {r.value:>7.2f}  {r.target:<8}  {met:<3}  {r.detail}")
    missed = [r for r in rows if not r.met]
    if missed:
        out += ["", "why the targets marked NO are not met:"]
        out += [f"- {r.measure}: {r.why}" for r in missed]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated parts (default all: {','.join(PARTS)})")
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per cold start")
    parser.add_argument("--notifications", type=int, default=300)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--load-seconds",
        type=float,
        default=60.0,
        help="latency under load: how long the load lasts (default 60, the issue's)",
    )
    parser.add_argument("--load-rate", type=float, default=20.0, help="notifications/s")
    parser.add_argument("--campaign-size", type=int, default=10_000, help="campaign recipients")
    args = parser.parse_args(argv)
    parts = [p for p in (args.only or ",".join(PARTS)).split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")

    from shared.platform.log import configure  # noqa: PLC0415

    configure("bench", level=logging.ERROR)  # the pipeline's info lines would drown the table
    start = time.perf_counter()
    rows: list[Row] = []
    peaks: dict[str, dict[str, float]] = {}  # target -> where measured -> peak RSS (MiB)

    def peak(target: str, where: str, mb: float) -> None:
        if mb > 0:
            peaks.setdefault(target, {})[where] = mb

    @contextmanager
    def part(name: str) -> Iterator[None]:
        """One part's failure (an emulator error under load) is a row, not the lost table."""
        try:
            yield
        except Exception as exc:
            traceback.print_exc()
            detail = f"{type(exc).__name__}: {str(exc)[:120]}"
            rows.append(Row(f"{name}: FAILED", float("nan"), "", False, detail, detail))

    with services() as running:
        if "coldstart" in parts:
            _say("cold start (fresh interpreters, -X importtime):")
            with part("cold start"):
                starts = coldstart.measure(running, runs=args.runs, say=_say)
                rows += coldstart_rows(starts)
                for cold in starts:
                    peak(cold.target, "first request", cold.peak_mb)
        if "pipeline" in parts:
            _say("pipeline:")
            with part("pipeline"):
                result = pipeline.measure(
                    running, notifications=args.notifications, workers=args.workers, say=_say
                )
                rows += pipeline_rows(result)
        if "sweep" in parts:
            _say("sweep:")
            with part("sweep"):
                rows += sweep_rows(sweep.measure(running, say=_say))
        if "webhooks" in parts:
            _say("webhooks:")
            with part("webhooks"):
                hooks = webhooks.measure(running, say=_say)
                rows += webhook_rows(hooks)
                peak("twilio_status", "webhook load", hooks.peak_mb)
    if "latency" in parts:  # a stack of its own, once the shared emulator is stopped
        _say(f"latency under load ({args.load_rate:g}/s for {args.load_seconds:g} s):")
        with part("latency under load"):
            loaded = latency.measure(rate=args.load_rate, seconds=args.load_seconds, say=_say)
            rows += latency_rows(loaded)
            for target, mb in loaded.memory_mb.items():
                peak(target, "local stack under load", mb)
    if "campaign" in parts:  # issue 19: bench/campaign.py
        from bench import campaign  # noqa: PLC0415

        _say(f"campaign ({args.campaign_size} recipients):")
        with part("campaign"):
            with services() as running:
                planned = campaign.measure_planning(running, size=args.campaign_size, say=_say)
            planned = campaign.measure_latency(planned, say=_say)
            rows += [Row(**row) for row in campaign.rows(planned)]
    if "console" in parts:  # issue 17: bench/console.py, a stack of its own
        from bench import console  # noqa: PLC0415

        _say("console pages (10,000 history documents):")
        with part("console"):
            rows += [Row(**row) for row in console.rows(console.measure(say=_say))]
    rows += memory_rows(peaks)
    print(render(rows, time.perf_counter() - start), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
