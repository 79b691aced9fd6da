"""What the benchmarks run on: a bare Firestore emulator, the fake providers, function processes.

The emulator is the local stack's, Google's Cloud Firestore emulator, without triggers or rules
(the benchmarks drive the handlers themselves). Every benchmark uses a project of its own on it,
so their data never mix. The fakes are
``python -m devstack.fakes`` in their own process; functions are ``functions-framework``
processes started the way the local stack starts them. Everything binds loopback ports chosen
by the kernel and is stopped (process groups, SIGTERM then SIGKILL) when the ``with`` ends.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devstack.config import FAKE_CREDENTIALS, ROOT, fake_credential_env
from devstack.firestore.emulator import client_for
from devstack.firestore.start import start_emulator
from devstack.process import Child, StackError, listening_socket, stop_children

HOST = "127.0.0.1"
BARE_SOURCE = ROOT / "bench" / "bare_endpoint.py"
STARTUP_TIMEOUT = 60.0


@dataclass
class Services:
    """The running emulator and fakes, and every child process started for the bench."""

    log_dir: Path
    firestore_host: str = ""
    fakes: dict[str, Any] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)

    def spawn(self, name: str, argv: Sequence[str], **kwargs: Any) -> Child:
        env = kwargs.pop("env", None) or base_env()
        child = Child(name, argv, env=env, log_path=self.log_dir / f"{name}.log", **kwargs)
        self.children.append(child)
        child.start()
        return child

    def child(self, name: str) -> Child:
        """The child started under ``name`` (``firestore``, ``fakes``, ``fn-<target>``)."""
        return next(c for c in self.children if c.name == name)

    def client(self, project: str) -> Any:
        """A real ``google.cloud.firestore.Client`` on the emulator, for ``project``."""
        return client_for(self.firestore_host, project)

    def provider_env(self) -> dict[str, str]:
        """The variables that point the functions' adapters at the fakes (every provider)."""
        env = dict(FAKE_CREDENTIALS)
        env.update({str(k): str(v) for k, v in dict(self.fakes.get("env") or {}).items()})
        env["SMTP_STARTTLS"] = "false"
        return env

    def function_env(self, project: str, **extra: str) -> dict[str, str]:
        """What a function of ``project`` gets: emulator, fakes, no Cloud Tasks."""
        env = {
            "GOOGLE_CLOUD_PROJECT": project,
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "DEFAULT_COUNTRY": "FR",
            "WHATSAPP_PROVIDER": "twilio",
            **self.provider_env(),
        }
        env.update(extra)
        return env

    def start_function(
        self, name: str, *, source: Path, target: str, signature: str, env: Mapping[str, str]
    ) -> tuple[str, Child]:
        """A functions-framework process (its socket bound here, as the stack does): its URL
        and the child (its pid leads the process group of the server and its worker)."""
        listener = listening_socket(HOST)
        port = int(listener.getsockname()[1])
        full_env = base_env()
        full_env.update(env)
        full_env["PUBLIC_BASE_URL"] = f"http://{HOST}:{port}"
        argv = [
            str(Path(sys.executable).with_name("functions-framework")),
            "--source",
            str(source),
            "--target",
            target,
            "--signature-type",
            signature,
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        child = self.spawn(f"fn-{name}", argv, env=full_env, listener=listener)
        url = f"http://{HOST}:{port}/{target}"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError(f"{name} exited during start-up; {child.hint()}")
            try:
                requests.get(f"http://{HOST}:{port}/robots.txt", timeout=2)
            except requests.RequestException:
                time.sleep(0.1)
                continue
            return url, child
        raise StackError(f"{name} did not answer in {STARTUP_TIMEOUT:.0f}s; {child.hint()}")

    def stop(self) -> None:
        stop_children(self.children)
        self.children.clear()


def base_env() -> dict[str, str]:
    """This process's environment minus anything that could reach a real service."""
    scrubbed = ("TWILIO_", "META_", "SMTP_", "TASKS_", "FCM_", "INTERNAL_", "DEVSTACK_")
    drop = {
        "GOOGLE_CLOUD_PROJECT",
        "GCLOUD_PROJECT",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "FIRESTORE_EMULATOR_HOST",
        "CLOUD_TASKS_EMULATOR_HOST",
        "DELIVER_URL",
        "PUBLIC_BASE_URL",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(scrubbed)}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("GRPC_VERBOSITY", "ERROR")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return env


@contextmanager
def services(log_dir: Path | None = None) -> Iterator[Services]:
    """The emulator and the fakes, up; everything the bench started is stopped on exit."""
    owned = log_dir is None
    tmp = Path(tempfile.mkdtemp(prefix="bench-logs-")) if log_dir is None else log_dir
    running = Services(log_dir=tmp)
    try:
        fakes = running.spawn(
            "fakes",
            [
                sys.executable,
                "-m",
                "devstack.fakes",
                "--host",
                HOST,
                "--http-port",
                "0",
                "--smtp-port",
                "0",
            ],
            ready_json=True,
            env={**base_env(), **fake_credential_env()},
        )
        _, running.firestore_host = start_emulator(
            running.spawn, running.children.remove, host=HOST, timeout=STARTUP_TIMEOUT
        )
        running.fakes = fakes.wait_ready_line(STARTUP_TIMEOUT)
        yield running
    finally:
        running.stop()
        if owned:
            for path in sorted(tmp.glob("*"), reverse=True):
                path.unlink(missing_ok=True)
            tmp.rmdir()


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of one process (Linux ``/proc``; 0 when unknown)."""
    fields = _stat(pid) if pid is not None else None
    if fields is None:
        return 0.0
    # After the command: state, ppid, pgrp, ...; utime and stime are the 12th and 13th.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int | None) -> float:
    """CPU time of every live process of a process group (a gunicorn master and its worker),
    plus what they reaped of their own children."""
    if pgid is None:
        return 0.0
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(entry.name)
        if fields is not None and fields[2] == str(pgid):
            total += sum(int(f) for f in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | str) -> float:
    """The peak resident set of one process so far (``VmHWM``, MB; 0 when unknown)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def group_peak_rss_mb(pgid: int | None) -> float:
    """The largest peak resident set among the live processes of a process group: the
    gunicorn worker that runs a target (its master is smaller)."""
    if pgid is None:
        return 0.0
    peaks = [
        peak_rss_mb(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (_stat(entry.name) or ["", "", ""])[2] == str(pgid)
    ]
    return max(peaks, default=0.0)


class RpcCounter:
    """Firestore reads and writes as the client's RPC layer sees them (the billing unit).

    Wraps the GAPIC methods of one client (as ``tests/integration/test_cart_sweep_cost.py``
    does): writes are the writes of each ``Commit``; reads are the documents ``RunQuery``
    returns and the documents ``BatchGetDocuments`` finds or reports missing (a missing
    document is billed as a read). A query that returns nothing is counted in ``empty_queries``
    (Firestore bills it one read).
    """

    def __init__(self, db: Any) -> None:
        self._lock = threading.Lock()
        self.writes = 0
        self.commits = 0
        self.reads = 0
        self.queries = 0
        self.queries_of: Counter[str] = Counter()  # queries by the collection they ask
        self.empty_queries = 0
        api = db._firestore_api
        commit, run_query, batch_get = api.commit, api.run_query, api.batch_get_documents

        def counted_commit(*args: Any, **kwargs: Any) -> Any:
            request = kwargs.get("request", args[0] if args else None)
            writes = request.get("writes") if isinstance(request, dict) else request.writes  # type: ignore[union-attr]
            with self._lock:
                self.commits += 1
                self.writes += len(writes or ())
            return commit(*args, **kwargs)

        def counted_query(*args: Any, **kwargs: Any) -> Iterator[Any]:
            found = 0
            collection = _queried_collection(kwargs.get("request", args[0] if args else None))
            with self._lock:
                self.queries += 1
                self.queries_of[collection] += 1
            try:
                for response in run_query(*args, **kwargs):
                    if response._pb.HasField("document"):
                        found += 1
                        with self._lock:
                            self.reads += 1
                    yield response
            finally:  # callers may stop early (``next()``): count when the stream is dropped
                if not found:
                    with self._lock:
                        self.empty_queries += 1

        def counted_get(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for response in batch_get(*args, **kwargs):
                if response._pb.HasField("found") or response._pb.HasField("missing"):
                    with self._lock:
                        self.reads += 1  # a missing document is billed as a read too
                yield response

        api.commit = counted_commit
        api.run_query = counted_query
        api.batch_get_documents = counted_get

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "writes": self.writes,
                "commits": self.commits,
                "reads": self.reads,
                "queries": self.queries,
                "empty_queries": self.empty_queries,
            }


def _queried_collection(request: Any) -> str:
    """The collection id a ``RunQuery`` request asks: the client passes a dict holding the
    ``StructuredQuery`` message ("" when it cannot be told)."""
    query = request.get("structured_query") if isinstance(request, dict) else None
    sources = getattr(query, "from_", None)
    return str(sources[0].collection_id) if sources else ""


def write_all(db: Any, docs: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Batched commits of up to 500 writes."""
    for start in range(0, len(docs), 500):
        batch = db.batch()
        for collection, doc_id, data in docs[start : start + 500]:
            batch.set(db.collection(collection).document(doc_id), data)
        batch.commit()
