"""Trigger bridge for an emulator the stack did not start (``FIRESTORE_EMULATOR_HOST`` set).

``devstack/firestore/server.mjs`` bridges from inside the emulator it runs. When the developer
brings their own emulator (``firebase emulators:start``), this process listens instead: a
``google-cloud-firestore`` ``on_snapshot`` per watched collection, its own cache of the last seen
version of each document (for the old value and the update mask), and the same delivery as the
Node bridge (binary-mode CloudEvent, in write order per document, retried on connection errors,
429 and 5xx). It serves the same small admin API (``/health``, ``/reset``, ``/bridge/*``).

Differences from production, known and accepted for local work: several writes to one document
in quick succession may be coalesced into one snapshot (so one event) by the listener, and the
timestamps are the snapshot's.

Run: ``python -m devstack.firestore_bridge --project demo-shop --target tickets=URL ...``; it prints
one JSON line ``{"event": "ready", "admin": URL}`` on stdout when listening.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import sys
import threading
import time
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from devstack.eventarc import FirestoreEvent, changed_fields, document_event

COLLECTIONS = ("tickets", "orders", "carts")
WORKERS = 4


class Bridge:
    """Cache, per-document ordering (a document always goes to the same worker) and delivery."""

    def __init__(
        self,
        project: str,
        targets: Mapping[str, str],
        *,
        location: str,
        retries: int = 4,
        timeout: float = 60.0,
    ) -> None:
        self.project = project
        self.targets = dict(targets)
        self.location = location
        self.retries = retries
        self.timeout = timeout
        self.cache: dict[str, tuple[dict[str, Any], datetime]] = {}
        self.lock = threading.Lock()
        self.generation = 0
        self.pending = 0
        self.stats = {"published": 0, "delivered": 0, "failed": 0, "dropped": 0, "skipped": 0}
        self.idle = threading.Condition(self.lock)
        self.queues: list[queue.Queue[tuple[int, str, FirestoreEvent] | None]] = [
            queue.Queue() for _ in range(WORKERS)
        ]
        self.session = requests.Session()
        self.threads = [
            threading.Thread(target=self._work, args=(q,), daemon=True) for q in self.queues
        ]
        for thread in self.threads:
            thread.start()

    # -- changes ------------------------------------------------------------------------------
    def prime(self, path: str, data: dict[str, Any], updated: datetime) -> None:
        with self.lock:
            self.cache[path] = (data, updated)

    def change(self, path: str, data: dict[str, Any] | None, updated: datetime | None) -> None:
        """One observed change of ``path``; publishes an event unless nothing changed."""
        with self.lock:
            previous = self.cache.get(path)
            before = previous[0] if previous else None
            if data is None:
                self.cache.pop(path, None)
            else:
                self.cache[path] = (data, updated or datetime.now(UTC))
            if before is None and data is None:
                return
            if before is not None and data is not None and not changed_fields(before, data):
                self.stats["skipped"] += 1
                return
            event = document_event(
                path,
                before,
                data,
                project=self.project,
                location=self.location,
                time=updated or datetime.now(UTC),
                create_time=previous[1] if previous else None,
            )
            self.stats["published"] += 1
            self.pending += 1
            generation = self.generation
        worker = zlib.crc32(path.encode()) % len(self.queues)
        self.queues[worker].put((generation, path, event))

    # -- delivery -----------------------------------------------------------------------------
    def _work(self, q: queue.Queue[tuple[int, str, FirestoreEvent] | None]) -> None:
        while True:
            item = q.get()
            if item is None:
                return
            generation, path, event = item
            try:
                self._deliver(generation, path, event)
            finally:
                with self.lock:
                    self.pending -= 1
                    self.idle.notify_all()

    def _deliver(self, generation: int, path: str, event: FirestoreEvent) -> None:
        url = self.targets.get(path.split("/", 1)[0])
        if not url:
            with self.lock:
                self.stats["dropped"] += 1
            return
        headers, body = event.binary()
        for attempt in range(self.retries + 1):
            if generation != self.generation:
                with self.lock:
                    self.stats["dropped"] += 1
                return
            if attempt:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 4.0))
            status: int | None = None
            try:
                status = self.session.post(
                    url, data=body, headers=headers, timeout=self.timeout
                ).status_code
            except requests.RequestException as exc:
                _log("WARNING", "event delivery failed", subject=event.subject, error=str(exc))
            if status is not None and status < 300:
                with self.lock:
                    self.stats["delivered"] += 1
                return
            if status is not None and status != 429 and status < 500:
                break
        with self.lock:
            self.stats["failed"] += 1
        _log("ERROR", "event not delivered", subject=event.subject, url=url)

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.cache.clear()

    def wait_idle(self, timeout: float) -> bool:
        with self.lock:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.stats,
                "pending": self.pending,
                "idle": self.pending == 0,
                "targets": self.targets,
                "generation": self.generation,
            }


def _log(severity: str, message: str, **extra: Any) -> None:
    line = {
        "time": datetime.now(UTC).isoformat(),
        "severity": severity,
        "component": "firestore-bridge",
        "message": message,
        **extra,
    }
    print(json.dumps(line, default=str), file=sys.stderr, flush=True)


def listen(bridge: Bridge, collections: tuple[str, ...]) -> list[Any]:
    """Start one ``on_snapshot`` per collection; the first snapshot only primes the cache."""
    from google.cloud import firestore  # noqa: PLC0415

    client = firestore.Client(project=bridge.project)
    watches = []
    for name in collections:
        primed = threading.Event()

        def on_snapshot(
            docs: list[Any], changes: list[Any], read_time: Any, primed: threading.Event = primed
        ) -> None:
            if not primed.is_set():
                for doc in docs:
                    bridge.prime(doc.reference.path, doc.to_dict() or {}, doc.update_time)
                primed.set()
                return
            for change in changes:
                doc = change.document
                if change.type.name == "REMOVED":
                    bridge.change(doc.reference.path, None, None)
                else:
                    bridge.change(doc.reference.path, doc.to_dict() or {}, doc.update_time)

        watches.append(client.collection(name).on_snapshot(on_snapshot))
        primed.wait(30)
    return watches


def reset_emulator(host: str, project: str) -> None:
    """Empty the Firebase emulator's database (its documented REST endpoint)."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
    requests.delete(url, timeout=10).raise_for_status()


def serve_admin(bridge: Bridge, host: str, port: int, emulator: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: Mapping[str, Any]) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path == "/health":
                self._reply(200, {"ok": True, "firestore": emulator, "bridge": bridge.snapshot()})
            elif path == "/bridge/stats":
                self._reply(200, bridge.snapshot())
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            parsed = urlparse(self.path)
            timeout = float(parse_qs(parsed.query).get("timeout", ["30"])[0])
            if parsed.path == "/bridge/wait-idle":
                idle = bridge.wait_idle(timeout)
                self._reply(200 if idle else 504, {"idle": idle, "bridge": bridge.snapshot()})
            elif parsed.path == "/reset":
                bridge.reset()
                settled = bridge.wait_idle(min(timeout, 10))
                try:
                    reset_emulator(emulator, bridge.project)
                except requests.RequestException as exc:
                    self._reply(502, {"ok": False, "error": str(exc)})
                    return
                self._reply(200, {"ok": True, "settled": settled})
            else:
                self._reply(404, {"error": "not found"})

        def do_PUT(self) -> None:
            if urlparse(self.path).path != "/bridge/targets":
                self._reply(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            bridge.targets = {k: v for k, v in body.items() if isinstance(v, str) and v}
            self._reply(200, {"targets": bridge.targets})

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-shop"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--admin-port", type=int, default=0)
    parser.add_argument("--target", action="append", default=[], help="collection=URL")
    parser.add_argument("--location", default="europe-west1")
    parser.add_argument("--retries", type=int, default=4)
    args = parser.parse_args(argv)
    emulator = os.environ.get("FIRESTORE_EMULATOR_HOST")
    if not emulator:
        parser.error("FIRESTORE_EMULATOR_HOST must point at the emulator to listen to")
    targets = dict(item.split("=", 1) for item in args.target)
    bridge = Bridge(args.project, targets, location=args.location, retries=args.retries)
    admin = serve_admin(bridge, args.host, args.admin_port, emulator)
    watches = listen(bridge, COLLECTIONS)
    print(
        json.dumps(
            {
                "event": "ready",
                "firestore": emulator,
                "admin": f"http://{args.host}:{admin.server_port}",
                "targets": targets,
            }
        ),
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for watch in watches:
        watch.unsubscribe()
    admin.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
