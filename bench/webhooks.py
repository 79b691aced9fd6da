"""Webhook throughput: signed Twilio status callbacks per second on one functions-framework process,
against a bare functions-framework endpoint in the same run.

Both are ``functions-framework`` processes started the way the local stack starts them (gunicorn,
one worker, its default threads). ``twilio_status`` is the real target from ``main.py`` on the
emulator, with ``sent`` notifications seeded; each message then gets the two callbacks Twilio
sends, ``sent`` and ``delivered``, in order, signed over the URL and form as Twilio signs them
(signatures computed before the clock starts). The bare endpoint answers 204 and reads nothing.
The same client (``clients`` threads, one keep-alive connection each) drives both; the bare
endpoint is measured before and after the real one and its mean is the reference.
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.infra import (
    BARE_SOURCE,
    Services,
    cpu_seconds,
    group_cpu_seconds,
    group_peak_rss_mb,
    write_all,
)
from devstack.config import FAKE_CREDENTIALS, ROOT
from devstack.fakes.signing import TWILIO_SIGNATURE_HEADER, twilio_signature

PROJECT = "bench-webhooks"
Request = tuple[str, bytes, dict[str, str]]  # path, body, headers


@dataclass
class WebhookResult:
    status_per_second: float
    bare_per_second: float
    callbacks: int
    clients: int
    errors: int
    statuses: dict[str, int]
    cpu_ms: dict[str, float]  # per callback, per process
    bare_cpu_ms: float  # per request, the bare endpoint's process
    peak_mb: float = 0.0  # peak RSS of the twilio_status worker

    @property
    def ratio(self) -> float:
        return self.status_per_second / self.bare_per_second


def drive(url: str, requests: Sequence[Request], clients: int) -> tuple[float, dict[int, int]]:
    """Send every request once, ``clients`` at a time (request i on connection i % clients);
    requests per second and the count of each status code."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    shares = [requests[i::clients] for i in range(clients)]
    codes: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def work(share: Sequence[Request]) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        mine: dict[int, int] = {}
        barrier.wait()
        for path, body, headers in share:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            mine[response.status] = mine.get(response.status, 0) + 1
        connection.close()
        with lock:
            for code, count in mine.items():
                codes[code] = codes.get(code, 0) + count

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(requests) / (time.perf_counter() - start), codes


def status_callbacks(url: str, sids: Sequence[str], clients: int) -> list[Request]:
    """``sent`` then ``delivered`` for each message, both on the same connection, in order."""
    path = urlsplit(url).path
    token = FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"]
    per_client: list[list[Request]] = [[] for _ in range(clients)]
    for i, sid in enumerate(sids):
        for status in ("sent", "delivered"):
            params = {
                "MessageSid": sid,
                "SmsSid": sid,
                "MessageStatus": status,
                "SmsStatus": status,
                "AccountSid": FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
                "To": "+33612345678",
                "From": FAKE_CREDENTIALS["TWILIO_SMS_FROM"],
                "ApiVersion": "2010-04-01",
            }
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                TWILIO_SIGNATURE_HEADER: twilio_signature(token, url, params),
            }
            per_client[i % clients].append((path, urlencode(params).encode(), headers))
    # Interleave back so that ``drive`` gives client i exactly per_client[i], in order.
    longest = max(len(p) for p in per_client)
    return [p[k] for k in range(longest) for p in per_client if k < len(p)]


def _seed(db: Any, count: int) -> list[str]:
    sids = ["SM" + uuid.uuid4().hex for _ in range(count)]
    now = datetime.now(UTC)
    docs = [
        (
            "notification_history",
            f"n-{sid}",
            {
                "type": "order.placed",
                "channel": "sms",
                "provider": "twilio",
                "status": "sent",
                "statusReason": "sms_no_email",
                "providerMessageId": sid,
                "to": "+33612345678",
                "attempts": 1,
                "sentAt": now,
                "metadata": {"segments": 1, "cost": 0.08},
            },
        )
        for sid in sids
    ]
    write_all(db, docs)
    return sids


def measure(
    services: Services,
    *,
    messages: int = 300,
    bare_requests: int = 1500,
    clients: int = 8,
    say: Callable[[str], None] = print,
) -> WebhookResult:
    project = f"{PROJECT}-{uuid.uuid4().hex[:6]}"
    env = services.function_env(project)
    status_url, status_fn = services.start_function(
        "twilio_status",
        source=ROOT / "main.py",
        target="twilio_status",
        signature="http",
        env=env,
    )
    bare_url, bare_fn = services.start_function(
        "bare", source=BARE_SOURCE, target="bare_http", signature="http", env=env
    )
    db = services.client(project)
    warm = _seed(db, clients * 4)
    sids = _seed(db, messages)
    drive(status_url, status_callbacks(status_url, warm, clients), clients)  # warm up
    bare_path = urlsplit(bare_url).path
    form = urlencode({"MessageSid": "SM0", "MessageStatus": "sent"}).encode()
    bare = [(bare_path, form, {"Content-Type": "application/x-www-form-urlencoded"})]
    drive(bare_url, bare * (clients * 4), clients)  # warm up

    emulator = services.child("firestore").pid
    bare_cpu = group_cpu_seconds(bare_fn.pid)
    before, _ = drive(bare_url, bare * bare_requests, clients)
    bare_cpu = group_cpu_seconds(bare_fn.pid) - bare_cpu
    callbacks = status_callbacks(status_url, sids, clients)
    cpu = (group_cpu_seconds(status_fn.pid), cpu_seconds(emulator), time.process_time())
    status_rate, codes = drive(status_url, callbacks, clients)
    cpu_ms = {
        name: 1000 * (used - start) / len(callbacks)
        for name, used, start in zip(
            ("twilio_status process", "Firestore emulator", "load generator"),
            (group_cpu_seconds(status_fn.pid), cpu_seconds(emulator), time.process_time()),
            cpu,
            strict=True,
        )
    }
    after, _ = drive(bare_url, bare * bare_requests, clients)
    say(f"  bare endpoint {before:.0f} and {after:.0f} req/s; twilio_status {status_rate:.0f}/s")
    rows = [s.to_dict() or {} for s in db.collection("notification_history").stream()]
    statuses: dict[str, int] = {}
    for row in rows:
        if row.get("providerMessageId") in set(sids):
            statuses[str(row.get("status"))] = statuses.get(str(row.get("status")), 0) + 1
    return WebhookResult(
        status_per_second=status_rate,
        bare_per_second=(before + after) / 2,
        callbacks=2 * messages,
        clients=clients,
        errors=sum(n for code, n in codes.items() if code >= 300),
        statuses=statuses,
        cpu_ms=cpu_ms,
        bare_cpu_ms=1000 * bare_cpu / bare_requests,
        peak_mb=group_peak_rss_mb(status_fn.pid),
    )
