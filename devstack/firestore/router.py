"""The trigger router: the Cloud Firestore emulator's own triggers, delivered as Eventarc does.

The emulator is started with ``--functions_emulator`` naming this router, and posts every write
matching a registered trigger to ``/functions/projects/{p}/triggers/{triggerId}``, one event at
a time for the whole emulator, waiting for each answer, never retrying. The router:

- answers the emulator at once (so one slow function never holds every other trigger back);
- rewrites the event into what Eventarc sends (``devstack.firestore.events``) and drops the
  ones Eventarc would not send (no-op writes, deletes of missing documents);
- delivers to the function named by the trigger id, in order per document and in parallel
  across documents (``Lanes``), retrying 429, 5xx and refused connections with backoff;
- logs every delivery (event, subject, target, status, attempts, queue and response times);
- has a drop mode closed by a **barrier document**: on ``POST /reset`` it drops what is queued,
  lets what is on the wire finish, empties the project through the emulator (whose delete storm
  is dropped), then writes a barrier document on a trigger of its own and leaves drop mode when
  that event arrives: every event of the storm came before it. ``POST /flush`` uses the same
  barrier to wait until every write made so far has been delivered.

Run: ``python -m devstack.firestore.router --host H --port P`` (or with a listening socket
handed over as fd 3, ``LISTEN_FDS=1``); it prints one JSON "ready" line. ``PUT /config`` then
tells it the emulator's address, the project, the location and the trigger id -> URL table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devstack.firestore import emulator
from devstack.firestore.events import Dropped, EventarcRequest, to_eventarc
from devstack.firestore.lanes import Lanes

BARRIER_TRIGGER = "devstack-barrier"
BARRIER_COLLECTION = "devstack_barriers"
TRIGGER_PATH = "/functions/projects/"
STAT_KEYS = (
    "published",
    "delivered",
    "failed",
    "dropped",
    "no_target",
    "skipped_no_op",
    "skipped_nothing_exists",
    "skipped_undecodable",
)
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


def log(severity: str, message: str, **fields: Any) -> None:
    entry = {"time": datetime.now(UTC).isoformat(), "severity": severity, "message": message}
    entry.update(fields)
    sys.stderr.write(json.dumps(entry, default=str) + "\n")
    sys.stderr.flush()


@dataclass
class Config:
    """What the stack tells the router once the emulator is up."""

    emulator: str = ""
    project: str = ""
    location: str = "europe-west1"
    targets: dict[str, str] = field(default_factory=dict)  # trigger id -> URL


@dataclass
class Job:
    request: EventarcRequest
    trigger_id: str
    received: float


class Router:
    """Deliveries, drop mode, barriers and statistics (the HTTP handler calls into it)."""

    def __init__(self, *, workers: int, retries: int, timeout: float) -> None:
        self.config = Config()
        self.retries = retries
        self.timeout = timeout
        self.stats: Counter[str] = Counter(dict.fromkeys(STAT_KEYS, 0))
        self.recent: deque[dict[str, Any]] = deque(maxlen=1000)
        self._lock = threading.Lock()
        self._dropping = False
        self._barriers: dict[str, threading.Event] = {}
        self.lanes: Lanes[Job] = Lanes(self._deliver, workers=workers, on_drop=self._dropped)

    # -- from the emulator --------------------------------------------------------------------
    def accept(self, trigger_id: str, headers: Mapping[str, str], body: bytes) -> None:
        cfg = self.config
        converted = to_eventarc(headers, body, project=cfg.project, location=cfg.location)
        if trigger_id == BARRIER_TRIGGER:
            if isinstance(converted, EventarcRequest) and converted.kind == "create":
                self._barrier_seen(converted.document.rpartition("/")[2])
            return
        if isinstance(converted, Dropped):
            self.stats[f"skipped_{converted.reason}"] += 1
            return
        with self._lock:
            dropping = self._dropping
        if dropping:
            self.stats["dropped"] += 1
            return
        self.stats["published"] += 1
        job = Job(converted, trigger_id, time.monotonic())
        self.lanes.submit(converted.document, job)

    # -- to the functions ---------------------------------------------------------------------
    def _dropped(self, job: Job) -> None:
        self.stats["dropped"] += 1

    def _deliver(self, job: Job) -> None:
        url = self.config.targets.get(job.trigger_id)
        record: dict[str, Any] = {
            "id": job.request.event_id,
            "subject": job.request.subject,
            "kind": job.request.kind,
            "trigger": job.trigger_id,
            "url": url,
            "status": None,
            "attempts": 0,
            "outcome": "pending",
        }
        self.recent.append(record)
        if not url:
            record["outcome"] = "no-target"
            self.stats["no_target"] += 1
            log("WARNING", "no function for this trigger", trigger=job.trigger_id)
            return
        for attempt in range(1, self.retries + 2):
            if attempt > 1:
                time.sleep(min(0.25 * 2 ** (attempt - 2), 4.0))
            record["attempts"] = attempt
            sent = time.monotonic()
            status, error = self._post(url, job.request)
            record["status"] = status
            fields = {
                "id": job.request.event_id,
                "subject": job.request.subject,
                "trigger": job.trigger_id,
                "status": status,
                "attempt": attempt,
                "queuedMs": round((sent - job.received) * 1000),
                "responseMs": round((time.monotonic() - sent) * 1000),
            }
            if status is not None and status < 300:
                record["outcome"] = "delivered"
                self.stats["delivered"] += 1
                log("INFO", "event delivered", **fields)
                return
            retryable = status is None or status in RETRYABLE
            log("WARNING", "event delivery failed", error=error, retryable=retryable, **fields)
            if not retryable:
                break
        record["outcome"] = "failed"
        self.stats["failed"] += 1

    def _post(self, url: str, request: EventarcRequest) -> tuple[int | None, str | None]:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=self.timeout
        )
        try:
            connection.request(
                "POST", parts.path or "/", body=request.body, headers=dict(request.headers)
            )
            response = connection.getresponse()
            response.read()
            return response.status, None
        except OSError as exc:  # refused, reset, timed out: Eventarc retries these
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    # -- barriers, flush, reset ---------------------------------------------------------------
    def _barrier_seen(self, barrier_id: str) -> None:
        with self._lock:
            waiter = self._barriers.get(barrier_id)
        if waiter is not None:
            waiter.set()

    def _pass_barrier(self, timeout: float) -> bool:
        """Write a barrier document and wait for its event: every earlier write has arrived."""
        cfg = self.config
        barrier_id = uuid.uuid4().hex
        waiter = threading.Event()
        with self._lock:
            self._barriers[barrier_id] = waiter
        path = f"{BARRIER_COLLECTION}/{barrier_id}"
        try:
            emulator.put_document(cfg.emulator, cfg.project, path, {"at": str(time.time())})
            seen = waiter.wait(timeout)
        finally:
            with self._lock:
                self._barriers.pop(barrier_id, None)
        with contextlib.suppress(OSError):
            emulator.delete_document(cfg.emulator, cfg.project, path)  # its event is ignored
        return seen

    def flush(self, timeout: float) -> bool:
        """Until every event of the writes made so far has been delivered (or given up),
        including the writes the functions make while handling them: rounds of barrier then
        drain, until a quiet round."""
        deadline = time.monotonic() + timeout
        while True:
            # Quiet round: nothing running when it began (no function could write after the
            # barrier) and nothing published until the barrier came back.
            idle_at_start = self.lanes.pending == 0
            seen = self.stats["published"]
            left = deadline - time.monotonic()
            if left <= 0 or not self._pass_barrier(left):
                return False
            if not self.lanes.wait_idle(max(deadline - time.monotonic(), 0.0)):
                return False
            if idle_at_start and self.stats["published"] == seen:
                return True

    def reset(self, timeout: float) -> bool:
        """Empty the project; no event of what it held, queued or deleted, reaches a function."""
        with self._lock:
            self._dropping = True
        try:
            self.lanes.drop_queued()
            settled = self.lanes.wait_idle(timeout)
            emulator.reset(self.config.emulator, self.config.project)
            return self._pass_barrier(timeout) and settled
        finally:
            with self._lock:
                self._dropping = False

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.stats,
            "pending": self.lanes.pending,
            "idle": self.lanes.pending == 0,
            "targets": dict(self.config.targets),
            "project": self.config.project,
        }


def _handler(router: Router) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _number(self, name: str, default: float) -> float:
            values = parse_qs(urlsplit(self.path).query).get(name)
            return float(values[0]) if values else default

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith(TRIGGER_PATH):
                # Queued before answering (the next post waits for the answer: order is kept),
                # delivered later (one slow function never holds back the emulator).
                router.accept(path.rsplit("/", 1)[-1], dict(self.headers.items()), self._body())
                self._reply(200, {"ok": True})
                return
            self._body()
            if path == "/flush":
                idle = router.flush(self._number("timeout", 30))
                self._reply(200 if idle else 504, {"idle": idle, "router": router.snapshot()})
            elif path == "/reset":
                settled = router.reset(self._number("timeout", 10))
                self._reply(200, {"ok": True, "settled": settled})
            else:
                self._reply(404, {"error": "not found"})

        def do_PUT(self) -> None:
            if urlsplit(self.path).path != "/config":
                self._reply(404, {"error": "not found"})
                return
            try:
                body = json.loads(self._body() or b"{}")
                router.config = Config(
                    emulator=str(body["emulator"]),
                    project=str(body["project"]),
                    location=str(body.get("location") or "europe-west1"),
                    targets={str(k): str(v) for k, v in dict(body.get("targets") or {}).items()},
                )
            except (ValueError, KeyError, TypeError) as exc:
                self._reply(400, {"error": f"bad config: {exc}"})
                return
            self._reply(200, {"config": router.config.__dict__})

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/health":
                self._reply(200, {"ok": True, "router": router.snapshot()})
            elif path == "/stats":
                self._reply(200, router.snapshot())
            elif path == "/events":
                limit = int(self._number("limit", 100))
                self._reply(200, {"events": list(router.recent)[-limit:]})
            else:
                self._reply(404, {"error": "not found"})

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(host: str, port: int, router: Router) -> _Server:
    """The HTTP server on a socket handed over as fd 3 (``LISTEN_FDS``) or bound here."""
    handler = _handler(router)
    if os.environ.get("LISTEN_FDS") == "1" and os.environ.get("LISTEN_PID") == str(os.getpid()):
        sock = socket.socket(fileno=3)
        server = _Server(sock.getsockname()[:2], handler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        return server
    return _Server((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.firestore.router")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--retries", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per delivery")
    args = parser.parse_args(argv)
    router = Router(workers=args.workers, retries=args.retries, timeout=args.timeout)
    server = serve(args.host, args.port, router)
    host, port = server.server_address[:2]
    print(json.dumps({"event": "ready", "url": f"http://{host!s}:{port}"}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        router.lanes.close()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
