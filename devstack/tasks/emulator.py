"""The local Cloud Tasks emulator: ``.venv-tasks/bin/python devstack/tasks/emulator.py start``.

Runs under ``.venv-tasks`` (gcloud-tasks-emulator 0.6.2 and protobuf<5, which the functions'
runtime cannot share). Of that package only the generated gRPC servicer plumbing is kept; its
``QueueState``/``Processor`` walked each queue one task at a time (a slow target stalled every
task behind it), spun over future tasks, retried at once without backoff and had no task-name
dedup. This one dispatches as Cloud Tasks does; see ``state.py`` and ``schedule.py``.

Queues are created through the API, as in production: ``devstack.tasks.queues.ensure_queues``
(main venv) creates those of ``shared/platform/queues.py`` with their rate and retry configuration.
``--default-queue`` (with ``--max-retries``) is still accepted for callers not moved yet; it
creates a queue with Cloud Tasks' defaults.

Prints one JSON line on stdout when the gRPC server is ready (``{"event": "ready", "host":
"127.0.0.1:PORT", "port": PORT}``; ``--port 0`` binds a free port and says which), then logs JSON
lines on stderr, one per dispatch (queue, task, attempt, status, latency). SIGTERM or SIGINT
stops it at once: attempts still on the wire are abandoned. ``DEVSTACK_TASKS_DISPATCH_DEADLINE``
(seconds, default 60) is the dispatch deadline of a task that sets none (Cloud Tasks: 10 min).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent import futures
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):  # run as a script: make ``devstack.tasks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# google.api_core warns on import about Python versions it will stop supporting: not ours to fix.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\..*")

import grpc  # noqa: E402
from google.api_core import exceptions  # noqa: E402
from google.cloud import tasks_v2  # noqa: E402

from devstack.tasks.servicer import register  # noqa: E402
from devstack.tasks.state import Emulator  # noqa: E402

DEADLINE_ENV = "DEVSTACK_TASKS_DISPATCH_DEADLINE"
DEFAULT_DEADLINE = 60.0
log = logging.getLogger("tasks-emulator")


class JsonLines(logging.Formatter):
    """One JSON object per record, with the ``severity`` Cloud Logging reads."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "severity": record.levelname,
            "component": "tasks-emulator",
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="emulator.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="serve the Cloud Tasks API")
    start.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    start.add_argument("-p", "--port", type=int, default=9022, help="0: a free port")
    start.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    start.add_argument(
        "-d", "--default-queue", action="append", default=[], help="legacy: a queue path"
    )
    start.add_argument(
        "-r", "--max-retries", type=int, default=-1, help="legacy: for --default-queue"
    )
    return parser.parse_args(argv)


def dispatch_deadline(environ: Mapping[str, str]) -> float:
    """The deadline of a task that sets none: the variable, else 60 s."""
    raw = environ.get(DEADLINE_ENV, "").strip()
    return float(raw) if raw else DEFAULT_DEADLINE


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, handlers=[handler])

    emulator = Emulator(default_deadline=dispatch_deadline(os.environ))
    for path in args.default_queue:
        queue = tasks_v2.Queue(name=path)
        if args.max_retries >= 0:
            queue.retry_config = tasks_v2.RetryConfig(max_attempts=args.max_retries + 1)
        with contextlib.suppress(exceptions.AlreadyExists):  # named twice
            emulator.create_queue(path.rsplit("/queues/", 1)[0], queue)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="grpc"))
    register(server, emulator)
    try:
        port = server.add_insecure_port(f"{args.host}:{args.port}")
    except RuntimeError as exc:  # grpcio raises when it cannot bind
        log.error("cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 1
    if not port:
        log.error("cannot listen on %s:%s", args.host, args.port)
        return 1

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    address = f"{args.host}:{port}"
    log.info("gRPC server ready on %s", address, extra={"fields": {"event": "ready"}})
    print(json.dumps({"event": "ready", "host": address, "port": port}), flush=True)
    stop.wait()
    log.info("stopping")
    emulator.close()
    server.stop(grace=0.5).wait(2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
