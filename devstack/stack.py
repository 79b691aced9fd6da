"""The local stack: real emulators, fake providers and every function, started and stopped as one.

Order: the Firestore emulator with its trigger bridge (or the developer's own emulator plus the
Python bridge), the Cloud Tasks emulator with the queues of ``shared/queues.py``, the fake
providers, then one functions-framework process per target. Each child runs in its own process
group and dies with the orchestrator (``stop()`` on exit, exception, SIGINT, SIGTERM; the kernel's
parent-death signal if the orchestrator is killed outright).

From code and tests::

    with Stack(StackConfig.from_env()) as stack:
        stack.urls["deliver_notification"]; stack.env["FIRESTORE_EMULATOR_HOST"]

From a shell: ``python -m devstack.stack up`` (what ``make dev`` runs) until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
NODE_SERVER = ROOT / "devstack" / "firestore" / "server.mjs"
TASKS_PYTHON = ROOT / ".venv-tasks" / "bin" / "python"
TASKS_EMULATOR = ROOT / "devstack" / "tasks" / "emulator.py"  # the emulator, with fixes
DEFAULT_PROJECT = "demo-shop"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_LOCATION = "europe-west1"

CLOUDEVENT = "cloudevent"
HTTP = "http"

# Every target of main.py and how it is triggered.
TARGETS: dict[str, str] = {
    "on_ticket_written": CLOUDEVENT,
    "on_order_written": CLOUDEVENT,
    "on_cart_written": CLOUDEVENT,
    "deliver_notification": HTTP,
    "cart_sweep": HTTP,
    "twilio_inbound": HTTP,
    "twilio_status": HTTP,
    "meta_webhook": HTTP,
}
# Eventarc triggers: collection -> target.
TRIGGERS: dict[str, str] = {
    "tickets": "on_ticket_written",
    "orders": "on_order_written",
    "carts": "on_cart_written",
}

# Credentials the fakes accept and the functions use: fixed, local, not secret.
FAKE_CREDENTIALS: dict[str, str] = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 30 + "01",
    "TWILIO_AUTH_TOKEN": "devstack-twilio-auth-token",
    "TWILIO_SMS_FROM": "+15005550006",
    "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
    "META_WHATSAPP_TOKEN": "devstack-meta-token",
    "META_PHONE_NUMBER_ID": "106540352242922",
    "META_APP_SECRET": "devstack-meta-app-secret",
    "META_VERIFY_TOKEN": "devstack-meta-verify-token",
    "SMTP_FROM": "Repair Shop <shop@example.com>",
}


def fake_credential_flags() -> list[str]:
    """The ``python -m devstack.fakes`` flags that give the fakes the functions' credentials."""
    return [
        "--twilio-account-sid",
        FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
        "--twilio-auth-token",
        FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"],
        "--meta-token",
        FAKE_CREDENTIALS["META_WHATSAPP_TOKEN"],
        "--meta-app-secret",
        FAKE_CREDENTIALS["META_APP_SECRET"],
        "--meta-phone-number-id",
        FAKE_CREDENTIALS["META_PHONE_NUMBER_ID"],
    ]


# Variables a function must never inherit from the developer's shell (real credentials, a
# production project): the stack sets its own or leaves them unset.
_SCRUBBED_PREFIXES = ("TWILIO_", "META_", "SMTP_", "TASKS_", "FCM_", "INTERNAL_")
_SCRUBBED = {
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "FIRESTORE_EMULATOR_HOST",
    "CLOUD_TASKS_EMULATOR_HOST",
    "DELIVER_URL",
    "PUBLIC_BASE_URL",
    "DEFAULT_COUNTRY",
    "REGISTRATION_URL",
    "WHATSAPP_PROVIDER",
}

# Sets PR_SET_PDEATHSIG, then execs the real command: a child whose orchestrator is killed
# outright (SIGKILL, OOM) receives SIGTERM instead of living on as an orphan (Linux only).
# With a listening socket's fd (argv[2] >= 0) it hands the socket over the way systemd does
# (fd 3, LISTEN_FDS, LISTEN_PID), which gunicorn (functions-framework's server) adopts: the
# port is bound by the orchestrator and never free for another process to take in between.
_LAUNCHER = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
fd = int(sys.argv[2])
if fd >= 0:
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
os.execvp(sys.argv[3], sys.argv[3:])
"""


class StackError(RuntimeError):
    """A service of the local stack failed to start or answer."""


def listening_socket(host: str, port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port) and listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise StackError(f"cannot listen on {host}:{port}: {exc}") from exc
    return sock


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port free right now on ``host`` (the kernel's pick; another process may take it later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class FunctionSpec:
    """One functions-framework process."""

    name: str
    signature: str
    source: Path = ROOT / "main.py"
    target: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def entry_point(self) -> str:
        return self.target or self.name


def main_functions(names: Sequence[str] | None = None) -> tuple[FunctionSpec, ...]:
    """Specs for the targets of ``main.py`` (all of them by default)."""
    chosen = list(TARGETS) if names is None else list(names)
    unknown = [n for n in chosen if n not in TARGETS]
    if unknown:
        raise ValueError(f"unknown targets {unknown}; known: {sorted(TARGETS)}")
    return tuple(FunctionSpec(n, TARGETS[n]) for n in chosen)


def _env_int(env: Mapping[str, str], name: str) -> int:
    value = env.get(name, "").strip()
    return int(value) if value else 0


@dataclass(frozen=True)
class StackConfig:
    """What to start and on which ports (0: a free port). ``from_env`` reads ``DEVSTACK_*``."""

    project: str = DEFAULT_PROJECT
    host: str = DEFAULT_HOST
    firestore_port: int = 0
    admin_port: int = 0
    tasks_port: int = 0
    fakes_http_port: int = 0
    fakes_smtp_port: int = 0
    function_ports: Mapping[str, int] = field(default_factory=dict)
    functions: tuple[FunctionSpec, ...] = field(default_factory=main_functions)
    triggers: Mapping[str, str] = field(default_factory=lambda: dict(TRIGGERS))
    tasks: bool = True
    fakes: bool = True
    fakes_auto_callbacks: bool = False
    external_firestore: str | None = None
    tasks_location: str = DEFAULT_LOCATION
    whatsapp_provider: str = "twilio"
    default_country: str = "FR"
    registration_url: str = "https://shop.example.com/register"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    env_file: Path | None = None
    startup_timeout: float = 90.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> StackConfig:
        """Ports and options from ``DEVSTACK_*`` variables; an external emulator from
        ``FIRESTORE_EMULATOR_HOST``. Keyword arguments win over the environment."""
        env = os.environ if environ is None else environ
        ports: dict[str, int] = {}
        for item in env.get("DEVSTACK_FUNCTION_PORTS", "").split(","):
            if "=" in item:
                name, _, port = item.partition("=")
                ports[name.strip()] = int(port)
        names = [n.strip() for n in env.get("DEVSTACK_FUNCTIONS", "").split(",") if n.strip()]
        log_dir = env.get("DEVSTACK_LOG_DIR")
        values: dict[str, Any] = {
            "project": env.get("DEVSTACK_PROJECT") or DEFAULT_PROJECT,
            "host": env.get("DEVSTACK_HOST") or DEFAULT_HOST,
            "firestore_port": _env_int(env, "DEVSTACK_FIRESTORE_PORT"),
            "admin_port": _env_int(env, "DEVSTACK_ADMIN_PORT"),
            "tasks_port": _env_int(env, "DEVSTACK_TASKS_PORT"),
            "fakes_http_port": _env_int(env, "DEVSTACK_FAKES_HTTP_PORT"),
            "fakes_smtp_port": _env_int(env, "DEVSTACK_FAKES_SMTP_PORT"),
            "function_ports": ports,
            "functions": main_functions(names or None),
            "external_firestore": env.get("FIRESTORE_EMULATOR_HOST") or None,
            "tasks_location": env.get("DEVSTACK_TASKS_LOCATION") or DEFAULT_LOCATION,
            "whatsapp_provider": env.get("DEVSTACK_WHATSAPP_PROVIDER") or "twilio",
            "log_dir": Path(log_dir) if log_dir else None,
        }
        values.update(overrides)
        return cls(**values)


class Child:
    """A child process in its own process group, its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        ready_json: bool = False,
        stdin_pipe: bool = False,
        listener: socket.socket | None = None,
    ) -> None:
        self.name = name
        self.listener = listener
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.ready_json = ready_json
        self.stdin_pipe = stdin_pipe
        self.proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log.write(f"$ {shlex.join(self.argv)}\n".encode())
        self._log.flush()
        fd = self.listener.fileno() if self.listener is not None else -1
        launcher = [sys.executable, "-c", _LAUNCHER, str(os.getpid()), str(fd)]
        try:
            self.proc = subprocess.Popen(
                [*launcher, *self.argv],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE if self.stdin_pipe else subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.ready_json else self._log,
                stderr=self._log,
                start_new_session=True,
                pass_fds=(fd,) if fd >= 0 else (),
            )
        except OSError as exc:
            raise StackError(f"{self.name}: cannot run {self.argv[0]}: {exc}") from exc
        finally:
            if self.listener is not None:
                self.listener.close()  # the child has its own copy
        if self.ready_json:
            threading.Thread(target=self._pump, daemon=True, name=f"{self.name}-out").start()

    def _pump(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        assert self._log is not None
        found = False
        for raw in self.proc.stdout:
            with contextlib.suppress(ValueError):  # log closed at stop
                self._log.write(raw)
                self._log.flush()
            if found:
                continue
            with contextlib.suppress(ValueError):
                line = json.loads(raw)
                if isinstance(line, dict):
                    found = True
                    self._lines.put(line)
        self._lines.put(None)

    def wait_ready_line(self, timeout: float) -> dict[str, Any]:
        """The first JSON object the child prints on stdout (its "ready" line)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            msg = f"{self.name} did not get ready in {timeout:.0f}s; {self.hint()}"
            raise StackError(msg) from None
        if line is None:
            raise StackError(f"{self.name} exited before it was ready; {self.hint()}")
        return line

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def hint(self) -> str:
        return f"see {self.log_path}:\n{tail(self.log_path)}"

    def signal_group(self, sig: int) -> bool:
        """Signal the whole process group; False when it is gone."""
        if self.proc is None:
            return False
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def group_alive(self) -> bool:
        if self.proc is None:
            return False
        self.proc.poll()  # reap the leader so a zombie does not count
        return self.signal_group(0)

    def close_log(self) -> None:
        if self.proc is not None:
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        if self._log is not None:
            self._log.close()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_children(children: Sequence[Child], timeout: float = 8.0) -> None:
    """SIGTERM every group, wait, SIGKILL what is left, reap: nothing survives."""
    for child in reversed(children):
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(c.group_alive() for c in children):
        time.sleep(0.05)
    for child in children:
        if child.group_alive():
            child.signal_group(signal.SIGKILL)
    for child in children:
        if child.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=5)
        end = time.monotonic() + 5
        while child.group_alive() and time.monotonic() < end:
            time.sleep(0.05)
        child.close_log()


def _wait_http(url: str, child: Child, timeout: float) -> None:
    """Until ``url`` answers anything at all (a 404 or 405 is an answer), while ``child`` lives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise StackError(f"{child.name} exited during start-up; {child.hint()}")
        try:
            requests.get(url, timeout=2)
        except requests.RequestException:
            time.sleep(0.1)
            continue
        return
    raise StackError(f"{child.name} did not answer {url} in {timeout:.0f}s; {child.hint()}")


class Stack:
    """Start with ``start()`` (or ``with Stack(...)``), stop with ``stop()``. See module doc."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.children: list[Child] = []
        self.urls: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.env: dict[str, str] = {}
        self.firestore_host: str | None = None
        self.admin_url: str | None = None
        self.tasks_host: str | None = None
        self.fakes: dict[str, Any] = {}
        self.log_dir = self.config.log_dir or (
            ROOT / ".devstack" / "logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        )
        self._stopped = False
        self._lock = threading.Lock()
        self._tasks_client: Any = None
        self._fakes_client: Any = None
        self._listeners: dict[str, socket.socket] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Stack:
        """Everything up, in order, each one answering before the next needs it."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every child (idempotent)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._tasks_client is not None:
            with contextlib.suppress(Exception):
                self._tasks_client.transport.close()
        if self._fakes_client is not None:
            self._fakes_client.close()
        for listener in self._listeners.values():
            listener.close()
        self._listeners.clear()
        stop_children(self.children)

    def pids(self) -> list[int]:
        """Process group ids of the children (each child leads its own group)."""
        return [c.pid for c in self.children if c.pid is not None]

    # -- start-up ----------------------------------------------------------------------------
    def _start(self) -> None:
        cfg = self.config
        host = cfg.host
        # Function ports are bound here and handed to each process (no race for a free port).
        for spec in cfg.functions:
            listener = listening_socket(host, cfg.function_ports.get(spec.name, 0))
            self._listeners[spec.name] = listener
            port = int(listener.getsockname()[1])
            self.ports[spec.name] = port
            self.urls[spec.name] = f"http://{host}:{port}/{spec.name}"
        targets = {
            coll: self.urls[name] for coll, name in cfg.triggers.items() if name in self.urls
        }

        firestore = self._spawn_firestore(targets)
        tasks = self._spawn_tasks() if cfg.tasks else None
        fakes = self._spawn_fakes() if cfg.fakes else None

        ready = firestore.wait_ready_line(cfg.startup_timeout)
        self.firestore_host = str(ready["firestore"])
        self.admin_url = str(ready["admin"])
        self.ports["firestore"] = int(self.firestore_host.rsplit(":", 1)[1])
        self.ports["firestore-admin"] = int(self.admin_url.rsplit(":", 1)[1])
        if fakes is not None:
            self.fakes = fakes.wait_ready_line(cfg.startup_timeout)
            self.ports["fakes-http"] = urlsplit(str(self.fakes["http_url"])).port or 0
            self.ports["fakes-smtp"] = int(self.fakes["smtp_port"])
        if tasks is not None:
            self._wait_tasks_with_retries(tasks)

        self.env = self._function_env()
        started = [(spec, self._spawn_function(spec)) for spec in cfg.functions]
        for spec, child in started:
            base = f"http://{host}:{self.ports[spec.name]}"
            probe = "/robots.txt" if spec.signature == HTTP else "/"
            _wait_http(base + probe, child, cfg.startup_timeout)
        if cfg.env_file is not None:
            self.write_env_file(cfg.env_file)

    def _spawn(self, name: str, argv: Sequence[str], **kwargs: Any) -> Child:
        env = kwargs.pop("env", None) or self._base_env()
        child = Child(name, argv, env=env, log_path=self.log_dir / f"{name}.log", **kwargs)
        self.children.append(child)
        child.start()
        return child

    def _base_env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
        }
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("GRPC_VERBOSITY", "ERROR")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        return env

    def _spawn_firestore(self, targets: Mapping[str, str]) -> Child:
        cfg = self.config
        target_args = [
            arg for coll, url in targets.items() for arg in ("--target", f"{coll}={url}")
        ]
        if cfg.external_firestore:
            ext_host, _, ext_port = cfg.external_firestore.rpartition(":")
            try:
                socket.create_connection((ext_host or "127.0.0.1", int(ext_port)), 2).close()
            except (OSError, ValueError) as exc:
                raise StackError(
                    f"FIRESTORE_EMULATOR_HOST={cfg.external_firestore} is set but nothing answers"
                    " there; unset it to let the stack start its own emulator"
                ) from exc
            env = self._base_env()
            env["FIRESTORE_EMULATOR_HOST"] = cfg.external_firestore
            argv = [
                sys.executable,
                "-m",
                "devstack.firestore_bridge",
                "--project",
                cfg.project,
                "--host",
                cfg.host,
                "--admin-port",
                str(cfg.admin_port),
                "--location",
                cfg.tasks_location,
                *target_args,
            ]
            return self._spawn("firestore-bridge", argv, env=env, ready_json=True)
        node = shutil.which("node")
        if node is None:
            raise StackError("node is not on PATH: install Node.js 18+ (see docs/local-stack.md)")
        if not (ROOT / "node_modules" / "@firestore-emulator" / "server").is_dir():
            raise StackError("node_modules is missing: run scripts/setup.sh (npm ci)")
        argv = [
            node,
            str(NODE_SERVER),
            "--host",
            cfg.host,
            "--port",
            str(cfg.firestore_port),
            "--admin-port",
            str(cfg.admin_port),
            "--location",
            cfg.tasks_location,
            "--exit-on-stdin-close",
            *target_args,
        ]
        return self._spawn("firestore", argv, ready_json=True, stdin_pipe=True)

    def queue_paths(self) -> list[str]:
        from shared.queues import QUEUES  # noqa: PLC0415

        cfg = self.config
        return [
            f"projects/{cfg.project}/locations/{cfg.tasks_location}/queues/{q.name}" for q in QUEUES
        ]

    def _wait_tasks_with_retries(self, child: Child, attempts: int = 3) -> None:
        """The Tasks emulator binds its own port (no hand-over): a free port picked here may be
        taken before it binds, so with a picked port a failed start is retried on another."""
        for attempt in range(1, attempts + 1):
            try:
                self._wait_tasks(child)
                return
            except StackError:
                if self.config.tasks_port or attempt == attempts:
                    raise
            stop_children([child])
            self.children.remove(child)
            child = self._spawn_tasks()

    def _spawn_tasks(self) -> Child:
        from shared.queues import QUEUES  # noqa: PLC0415

        if not TASKS_PYTHON.exists():
            raise StackError(f"{TASKS_PYTHON} is missing: run scripts/setup.sh")
        port = self.config.tasks_port or free_port(self.config.host)
        self.ports["tasks"] = port
        self.tasks_host = f"{self.config.host}:{port}"
        # The emulator retries a failed task without backoff; bound it like the real queue.
        retries = max(q.max_attempts for q in QUEUES) - 1
        argv = [
            str(TASKS_PYTHON),
            str(TASKS_EMULATOR),
            "start",
            "--port",
            str(port),
            "--max-retries",
            str(retries),
        ]
        for path in self.queue_paths():
            argv += ["--default-queue", path]
        return self._spawn("tasks", argv)

    def _wait_tasks(self, child: Child) -> None:
        assert self.tasks_host is not None
        from google.api_core import exceptions as gexc  # noqa: PLC0415

        client = self.tasks_client()
        deadline = time.monotonic() + self.config.startup_timeout
        path = self.queue_paths()[0]
        while time.monotonic() < deadline:
            if not child.alive():
                raise StackError(f"the Tasks emulator exited during start-up; {child.hint()}")
            try:
                client.get_queue(name=path, timeout=2)
            except (gexc.GoogleAPICallError, gexc.RetryError):
                time.sleep(0.1)
                continue
            return
        raise StackError(f"the Tasks emulator did not answer; {child.hint()}")

    def _spawn_fakes(self) -> Child:
        cfg = self.config
        # 0 lets the fakes bind free ports themselves; their ready line says which.
        http_port = cfg.fakes_http_port
        smtp_port = cfg.fakes_smtp_port
        meta_url = self.urls.get("meta_webhook", "")
        argv = [
            sys.executable,
            "-m",
            "devstack.fakes",
            "--host",
            cfg.host,
            "--http-port",
            str(http_port),
            "--smtp-port",
            str(smtp_port),
            *fake_credential_flags(),
            "--fcm-project",
            cfg.project,
        ]
        if meta_url:
            argv += ["--meta-webhook-url", meta_url]
        if cfg.fakes_auto_callbacks:
            argv.append("--auto-callbacks")
        return self._spawn("fakes", argv, ready_json=True)

    def _fakes_env(self) -> dict[str, str]:
        """Provider variables pointing at the fakes: their ready line's ``env`` (URLs, SMTP),
        plus the senders and secrets the stack shares with them."""
        if not self.fakes:
            return {}
        env = dict(FAKE_CREDENTIALS)
        env.update({str(k): str(v) for k, v in dict(self.fakes.get("env") or {}).items()})
        env["SMTP_STARTTLS"] = "false"
        return env

    def _function_env(self) -> dict[str, str]:
        """What every function process gets (plus its own ``PUBLIC_BASE_URL``)."""
        cfg = self.config
        env: dict[str, str] = {
            "GOOGLE_CLOUD_PROJECT": cfg.project,
            "FIRESTORE_EMULATOR_HOST": self.firestore_host or "",
            "TASKS_LOCATION": cfg.tasks_location,
            "TASKS_QUEUE": "notifications",
            "DEFAULT_COUNTRY": cfg.default_country,
            "REGISTRATION_URL": cfg.registration_url,
            "WHATSAPP_PROVIDER": cfg.whatsapp_provider,
            # Tests change settings/notifications between writes: no stale copy in a process.
            "SHOP_SETTINGS_CACHE_SECONDS": "0",
        }
        if self.tasks_host:
            env["CLOUD_TASKS_EMULATOR_HOST"] = self.tasks_host
        if "deliver_notification" in self.urls:
            env["DELIVER_URL"] = self.urls["deliver_notification"]
        if "twilio_status" in self.urls:
            env["TWILIO_STATUS_CALLBACK_URL"] = self.urls["twilio_status"]
        env.update(self._fakes_env())
        env.update(cfg.extra_env)
        return {k: v for k, v in env.items() if v != ""}

    def _spawn_function(self, spec: FunctionSpec) -> Child:
        port = self.ports[spec.name]
        env = self._base_env()
        env.update(self.env)
        env["PUBLIC_BASE_URL"] = f"http://{self.config.host}:{port}"
        env.update(spec.env)
        argv = [
            str(Path(sys.executable).with_name("functions-framework")),
            "--source",
            str(spec.source),
            "--target",
            spec.entry_point,
            "--signature-type",
            spec.signature,
            "--host",
            self.config.host,
            "--port",
            str(port),
        ]
        listener = self._listeners.pop(spec.name)
        return self._spawn(f"fn-{spec.name}", argv, env=env, listener=listener)

    # -- use ---------------------------------------------------------------------------------
    def reset(self, timeout: float = 10.0) -> None:
        """Isolation between tests: purge the queues, empty Firestore (queued bridge events are
        dropped, deliveries on the wire finish first), purge again what those enqueued, clear the
        fakes' recordings."""
        self.purge_queues()
        if self.admin_url:
            requests.post(
                f"{self.admin_url}/reset", params={"timeout": timeout}, timeout=timeout + 5
            ).raise_for_status()
        self.purge_queues()
        if self.fakes:
            fakes = self.fakes_client()
            fakes.reset()
            fakes.set_auto_callbacks(self.config.fakes_auto_callbacks)
            fakes.set_meta_webhook_url(self.urls.get("meta_webhook"))

    def fakes_client(self) -> Any:
        """``devstack.fakes.FakeProvidersClient`` on this stack's fakes (one per stack)."""
        if not self.fakes:
            raise StackError("this stack runs no fakes")
        if self._fakes_client is None:
            from devstack.fakes import FakeProvidersClient  # noqa: PLC0415

            self._fakes_client = FakeProvidersClient(str(self.fakes["control_url"]))
        return self._fakes_client

    def firestore_client(self) -> Any:
        """A new ``google.cloud.firestore.Client`` on this stack's emulator."""
        if self.firestore_host is None:
            raise StackError("the stack is not started")
        return firestore_client_for(self.firestore_host, self.config.project)

    def tasks_client(self) -> Any:
        """A Cloud Tasks client on this stack's emulator (one per stack)."""
        if self.tasks_host is None:
            raise StackError("this stack runs no Tasks emulator")
        if self._tasks_client is None:
            self._tasks_client = tasks_client(self.tasks_host)
        return self._tasks_client

    def purge_queues(self) -> None:
        if self.tasks_host:
            client = self.tasks_client()
            for path in self.queue_paths():
                client.purge_queue(name=path, timeout=5)

    def wait_bridge_idle(self, timeout: float = 30.0) -> bool:
        """Until every event of the writes made so far has been delivered (or given up)."""
        if not self.admin_url:
            return True
        response = requests.post(
            f"{self.admin_url}/bridge/wait-idle", params={"timeout": timeout}, timeout=timeout + 5
        )
        return bool(response.json().get("idle"))

    def bridge_events(self, limit: int = 200) -> list[dict[str, Any]]:
        """The bridge's latest deliveries: id, subject, kind, url, status, attempts, outcome."""
        if not self.admin_url:
            return []
        response = requests.get(
            f"{self.admin_url}/bridge/events", params={"limit": limit}, timeout=5
        )
        events: list[dict[str, Any]] = response.json().get("events", [])
        return events

    def bridge_stats(self) -> dict[str, Any]:
        if not self.admin_url:
            return {}
        result: dict[str, Any] = requests.get(f"{self.admin_url}/bridge/stats", timeout=5).json()
        return result

    def developer_env(self) -> dict[str, str]:
        """The variables a shell needs to talk to this stack (written to ``.devstack/env``)."""
        env = dict(self.env)
        for name, url in self.urls.items():
            env[f"DEVSTACK_URL_{name.upper()}"] = url
        if self.admin_url:
            env["DEVSTACK_FIRESTORE_ADMIN_URL"] = self.admin_url
        if self.fakes.get("control_url"):
            env["DEVSTACK_FAKES_CONTROL_URL"] = str(self.fakes["control_url"])
        return env

    def write_env_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# Written by devstack/stack.py: `source` it to talk to the running stack."]
        lines += [f"export {k}={shlex.quote(v)}" for k, v in sorted(self.developer_env().items())]
        path.write_text("\n".join(lines) + "\n")

    def describe(self) -> str:
        """A table of services and addresses, then the environment (``make dev`` prints it)."""
        rows: list[tuple[str, str, str]] = []
        fs_kind = (
            "external emulator + Python bridge"
            if self.config.external_firestore
            else "emulator + bridge"
        )
        if self.firestore_host:
            rows.append(("firestore", self.firestore_host, fs_kind))
        if self.admin_url:
            rows.append(("firestore admin", self.admin_url, "GET /health, POST /reset, /bridge/*"))
        if self.tasks_host:
            rows.append(("cloud tasks", self.tasks_host, ", ".join(self.queue_paths())))
        if self.fakes:
            shown = {
                "fakes (control)": ("control_url", "/_fake/: recordings, faults, callbacks"),
                "fake twilio": ("twilio_base_url", "TWILIO_API_BASE_URL"),
                "fake meta graph": ("meta_graph_base_url", "META_GRAPH_BASE_URL"),
                "fake fcm": ("fcm_base_url", "FCM_API_BASE_URL"),
                "smtp capture": ("smtp_port", "SMTP_HOST:SMTP_PORT, no TLS"),
            }
            for label, (key, note) in shown.items():
                value = self.fakes.get(key)
                if value is not None:
                    if key == "smtp_port":
                        value = f"{self.fakes.get('smtp_host', self.config.host)}:{value}"
                    rows.append((label, str(value), note))
        for spec in self.config.functions:
            rows.append((spec.name, self.urls[spec.name], spec.signature))
        width = max(len(r[0]) for r in rows)
        url_width = max(len(r[1]) for r in rows)
        out = [
            f"{'service':<{width}}  {'address':<{url_width}}  notes",
            "-" * (width + url_width + 20),
        ]
        out += [f"{a:<{width}}  {b:<{url_width}}  {c}" for a, b, c in rows]
        out.append("")
        out.append("environment:")
        out += [f"  {k}={v}" for k, v in sorted(self.developer_env().items())]
        out.append(f"logs: {self.log_dir}")
        return "\n".join(out)


def firestore_client_for(host: str, project: str) -> Any:
    """A real Firestore client on the emulator at ``host``. The client reads
    ``FIRESTORE_EMULATOR_HOST`` once, when it is made; the variable is set only for that moment
    (under a lock), so the process environment is left as it was."""
    from google.cloud import firestore  # noqa: PLC0415

    with _ENV_LOCK:
        saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
        os.environ["FIRESTORE_EMULATOR_HOST"] = host
        try:
            return firestore.Client(project=project)
        finally:
            if saved is None:
                os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
            else:
                os.environ["FIRESTORE_EMULATOR_HOST"] = saved


_ENV_LOCK = threading.Lock()


def tasks_client(host: str) -> Any:
    """A Cloud Tasks client on the emulator's insecure gRPC channel."""
    import grpc  # noqa: PLC0415
    from google.cloud import tasks_v2  # noqa: PLC0415
    from google.cloud.tasks_v2.services.cloud_tasks.transports import (  # noqa: PLC0415
        CloudTasksGrpcTransport,
    )

    channel = grpc.insecure_channel(host)
    return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))


@contextlib.contextmanager
def running(config: StackConfig | None = None) -> Iterator[Stack]:
    """``with running(cfg) as stack:`` (the same as ``with Stack(cfg) as stack:``)."""
    stack = Stack(config)
    with stack:
        yield stack


def _raise_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def up(config: StackConfig) -> int:
    """Start, print, wait for Ctrl-C or SIGTERM, stop."""
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
    stack = Stack(config)
    try:
        stack.start()
        print(stack.describe(), flush=True)
        print(f"\nenv written to {config.env_file}; Ctrl-C stops everything.", flush=True)
        while True:
            dead = [c.name for c in stack.children if not c.alive()]
            if dead:
                print(f"stopping: {', '.join(dead)} exited (see {stack.log_dir})", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping the stack...", flush=True)
        return 0
    except StackError as exc:
        print(f"the stack failed to start: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        if config.env_file is not None:
            config.env_file.unlink(missing_ok=True)  # no stale env for the next shell


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.stack", description="The local stack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("up", help="start everything and wait for Ctrl-C")
    run.add_argument("--host")
    run.add_argument("--project")
    run.add_argument("--firestore-port", type=int)
    run.add_argument("--tasks-port", type=int)
    run.add_argument("--fakes-http-port", type=int)
    run.add_argument("--fakes-smtp-port", type=int)
    run.add_argument("--functions", help="comma-separated targets (default: all)")
    run.add_argument("--no-tasks", action="store_true")
    run.add_argument("--no-fakes", action="store_true")
    run.add_argument("--whatsapp-provider", choices=["twilio", "meta"])
    run.add_argument("--env-file", type=Path, default=ROOT / ".devstack" / "env")
    run.add_argument("--log-dir", type=Path)
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {"env_file": args.env_file}
    for name in (
        "host",
        "project",
        "firestore_port",
        "tasks_port",
        "fakes_http_port",
        "fakes_smtp_port",
        "log_dir",
        "whatsapp_provider",
    ):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    if args.functions is not None:
        overrides["functions"] = main_functions([n for n in args.functions.split(",") if n])
    if args.no_tasks:
        overrides["tasks"] = False
    if args.no_fakes:
        overrides["fakes"] = False
    config = StackConfig.from_env(**overrides)
    return up(replace(config))


if __name__ == "__main__":
    sys.exit(main())
