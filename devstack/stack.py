"""The local stack: real emulators, fake providers and every function, started and stopped as one.

Order: the trigger router (the Firestore emulator needs its address), Google's Cloud Firestore
emulator with ``firestore.rules`` and the triggers registered (or a developer's own emulator),
the Cloud Tasks emulator with the queues of ``shared/platform/queues.py``, the fake providers, then
one functions-framework process per target. Each child runs in its own process group and dies with
the orchestrator (``devstack.process``).

From code and tests::

    with Stack(StackConfig.from_env()) as stack:
        stack.urls["deliver_notification"]; stack.env["FIRESTORE_EMULATOR_HOST"]

The functions are the targets of ``functions/registry.py`` (``main_functions()``) and the
emulator's triggers its Firestore documents (``devstack.config.watched``). What each process's
environment holds is ``devstack.environment``'s; the command line (``python -m devstack.stack
up``, what ``make dev`` runs, until Ctrl-C) is ``devstack.cli``'s.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests

from devstack import auth, environment
from devstack.config import (
    HTTP,
    ROOT,
    FunctionSpec,
    StackConfig,
    fake_credential_env,
    fakes_argv,
    trigger_ids,
    watched,
)
from devstack.firestore import emulator
from devstack.firestore.router import BARRIER_COLLECTION, BARRIER_TRIGGER
from devstack.firestore.start import start_emulator
from devstack.process import Child, StackError, listening_socket, stop_children, wait_http
from devstack.tasks.queues import ensure_queues, queue_paths, tasks_argv

TASKS_PYTHON = ROOT / ".venv-tasks" / "bin" / "python"


class Stack:
    """Start with ``start()`` (or ``with Stack(...)``), stop with ``stop()``. See module doc."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.children: list[Child] = []
        self.urls: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.env: dict[str, str] = {}
        self.firestore_host: str | None = None
        self.router_url: str | None = None
        self.tasks_host: str | None = None
        self.auth_host: str | None = None
        self.staff_uid: str | None = None
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

        router = self._spawn_router()
        auth_child = self._spawn_auth() if cfg.auth else None
        fakes = self._spawn_fakes() if cfg.fakes else None
        self.router_url = str(router.wait_ready_line(cfg.startup_timeout)["url"])
        self.ports["router"] = urlsplit(self.router_url).port or 0
        self._start_firestore()
        tasks = self._spawn_tasks() if cfg.tasks else None
        if fakes is not None:
            self.fakes = fakes.wait_ready_line(cfg.startup_timeout)
            self.ports["fakes-http"] = urlsplit(str(self.fakes["http_url"])).port or 0
            self.ports["fakes-smtp"] = int(self.fakes["smtp_port"])
        if tasks is not None:
            self._start_tasks(tasks)
        if auth_child is not None:
            self._start_auth(auth_child)

        self.env = self._function_env()
        started = [(spec, self._spawn_function(spec)) for spec in cfg.functions]
        for spec, child in started:
            base = f"http://{host}:{self.ports[spec.name]}"
            probe = "/robots.txt" if spec.signature == HTTP else "/"
            wait_http(base + probe, child, cfg.startup_timeout)
        if cfg.env_file is not None:
            self.write_env_file(cfg.env_file)

    def _spawn(self, name: str, argv: Sequence[str], **kwargs: Any) -> Child:
        env = kwargs.pop("env", None) or self._base_env()
        child = Child(name, argv, env=env, log_path=self.log_dir / f"{name}.log", **kwargs)
        self.children.append(child)
        child.start()
        return child

    def _base_env(self) -> dict[str, str]:
        """What every child inherits (``devstack.environment.base_env``)."""
        return environment.base_env()

    def _spawn_router(self) -> Child:
        listener = listening_socket(self.config.host, self.config.router_port)
        argv = [sys.executable, "-m", "devstack.firestore.router", "--host", self.config.host]
        return self._spawn("trigger-router", argv, ready_json=True, listener=listener)

    def _start_firestore(self) -> None:
        """The emulator (ours, or the developer's), its triggers, and the router told of it."""
        cfg = self.config
        if cfg.external_firestore:
            self.firestore_host = self._check_external(cfg.external_firestore)
            print(
                f"devstack: using the Firestore emulator at {self.firestore_host}; its writes "
                f"reach the functions only if it runs with --functions_emulator="
                f"{urlsplit(self.router_url or '').netloc} (set DEVSTACK_ROUTER_PORT to fix it)",
                file=sys.stderr,
            )
        else:
            self.firestore_host = self._spawn_emulator()
        self.ports["firestore"] = int(self.firestore_host.rsplit(":", 1)[1])
        ids = trigger_ids(cfg.triggers)
        triggers = [
            emulator.Trigger(ids[c], watched(c).document, watched(c).event_type)
            for c in cfg.triggers
        ]
        triggers.append(emulator.Trigger(BARRIER_TRIGGER, f"{BARRIER_COLLECTION}/{{barrierId}}"))
        emulator.register_triggers(self.firestore_host, cfg.project, triggers)
        config = {
            "emulator": self.firestore_host,
            "project": cfg.project,
            "location": cfg.tasks_location,
            "targets": {ids[c]: self.urls[t] for c, t in cfg.triggers.items() if t in self.urls},
        }
        requests.put(f"{self.router_url}/config", json=config, timeout=10).raise_for_status()

    def _check_external(self, address: str) -> str:
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), 2).close()
        except (OSError, ValueError) as exc:
            raise StackError(
                f"FIRESTORE_EMULATOR_HOST={address} is set but nothing answers there; unset "
                "it to let the stack start its own emulator"
            ) from exc
        return f"{host or '127.0.0.1'}:{port}"

    def _spawn_emulator(self) -> str:
        cfg = self.config
        _, host = start_emulator(
            self._spawn,
            self.children.remove,
            host=cfg.host,
            port=cfg.firestore_port,
            functions_emulator=urlsplit(self.router_url or "").netloc,
            rules=cfg.rules,
            timeout=cfg.startup_timeout,
        )
        return host

    def queue_paths(self) -> list[str]:
        return queue_paths(self.config.project, self.config.tasks_location)

    def _spawn_tasks(self) -> Child:
        if not TASKS_PYTHON.exists():
            raise StackError(f"{TASKS_PYTHON} is missing: run scripts/setup.sh")
        argv = tasks_argv(str(TASKS_PYTHON), self.config.tasks_port, host=self.config.host)
        return self._spawn("tasks", argv, ready_json=True)

    def _start_tasks(self, child: Child) -> None:
        """Once the emulator says where it listens: the queues of ``shared/platform/queues.py``."""
        ready = child.wait_ready_line(self.config.startup_timeout)
        self.tasks_host = str(ready["host"])
        self.ports["tasks"] = int(ready["port"])
        ensure_queues(
            self.tasks_client(),
            self.config.project,
            self.config.tasks_location,
            backoff_scale=self.config.tasks_backoff_scale,
        )

    def _spawn_auth(self) -> Child:
        """The Firebase Auth emulator (``devstack/auth``), started early: Node takes a while."""
        argv = auth.argv(self.config.host, self.config.auth_port, self.config.project)
        return self._spawn("auth", argv, ready_json=True)

    def _start_auth(self, child: Child) -> None:
        """Once it listens: the seeded member of staff (``devstack.auth.STAFF``)."""
        ready = child.wait_ready_line(self.config.startup_timeout)
        self.auth_host = f"{ready['host']}:{ready['port']}"
        self.ports["auth"] = int(ready["port"])
        self.staff_uid = auth.create_user(self.auth_host, self.config.project, auth.STAFF)

    def _spawn_fakes(self) -> Child:
        argv = fakes_argv(self.config, self.urls.get("meta_webhook"))
        env = {**self._base_env(), **fake_credential_env()}
        return self._spawn("fakes", argv, ready_json=True, env=env)

    def _fakes_env(self) -> dict[str, str]:
        return environment.fakes_env(self.fakes)

    def _function_env(self) -> dict[str, str]:
        """What every function process gets (plus its own ``PUBLIC_BASE_URL``)."""
        return environment.function_env(
            self.config,
            firestore_host=self.firestore_host,
            tasks_host=self.tasks_host,
            urls=self.urls,
            fakes=self.fakes,
            auth_host=self.auth_host,
        )

    def _spawn_function(self, spec: FunctionSpec) -> Child:
        port = self.ports[spec.name]
        env = self._base_env()
        env.update(self.env)
        env["PUBLIC_BASE_URL"] = f"http://{self.config.host}:{port}"
        env.update(spec.env)
        argv = spec.argv(self.config.host, port)
        listener = self._listeners.pop(spec.name)
        return self._spawn(f"fn-{spec.name}", argv, env=env, listener=listener)

    # -- use ---------------------------------------------------------------------------------
    def reset(self, timeout: float = 10.0) -> None:
        """Isolation between tests: purge the queues, empty Firestore (no event of what it
        held reaches a function; deliveries on the wire finish first), purge again what those
        enqueued, clear the fakes' recordings."""
        self.purge_queues()
        if self.router_url:
            requests.post(
                f"{self.router_url}/reset", params={"timeout": timeout}, timeout=timeout * 2 + 5
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
        return emulator.client_for(self.firestore_host, self.config.project)

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

    def flush_triggers(self, timeout: float = 30.0) -> bool:
        """Until every trigger event of the writes made so far has been delivered (or given
        up): a barrier document passes through the emulator, then the router drains."""
        if not self.router_url:
            return True
        response = requests.post(
            f"{self.router_url}/flush", params={"timeout": timeout}, timeout=timeout + 5
        )
        return bool(response.json().get("idle"))

    def trigger_events(self, limit: int = 200) -> list[dict[str, Any]]:
        """The router's latest deliveries: id, subject, kind, trigger, url, status, attempts,
        outcome."""
        if not self.router_url:
            return []
        response = requests.get(f"{self.router_url}/events", params={"limit": limit}, timeout=5)
        events: list[dict[str, Any]] = response.json().get("events", [])
        return events

    def trigger_stats(self) -> dict[str, Any]:
        if not self.router_url:
            return {}
        result: dict[str, Any] = requests.get(f"{self.router_url}/stats", timeout=5).json()
        return result

    def developer_env(self) -> dict[str, str]:
        """The variables a shell needs to talk to this stack (written to ``.devstack/env``)."""
        return environment.developer_env(
            self.env, urls=self.urls, router_url=self.router_url, fakes=self.fakes
        )

    def write_env_file(self, path: Path) -> None:
        environment.write_env_file(path, self.developer_env())

    def describe(self, *, show_secrets: bool = False) -> str:
        """A table of services and addresses, then the environment (``make dev`` prints it);
        secret values only when asked (they are in the env file either way)."""
        rows: list[tuple[str, str, str]] = []
        if self.firestore_host:
            kind = "your emulator" if self.config.external_firestore else "Cloud Firestore emulator"
            rows.append(("firestore", self.firestore_host, f"{kind}, rules: firestore.rules"))
        if self.router_url:
            rows.append(("trigger router", self.router_url, "GET /stats /events, POST /flush"))
        if self.tasks_host:
            rows.append(("cloud tasks", self.tasks_host, ", ".join(self.queue_paths())))
        if self.auth_host:
            rows.append(("firebase auth", self.auth_host, f"Auth emulator {auth.version()}"))
        rows += environment.fake_rows(self.fakes, self.config.host)
        rows += [(s.name, self.urls[s.name], s.signature) for s in self.config.functions]
        text = environment.describe(
            rows, self.developer_env(), self.log_dir, show_secrets=show_secrets
        )
        return f"{text}\n{self.console_sign_in()}" if self.console_sign_in() else text

    def console_sign_in(self) -> str:
        """Where the console is and who may sign in (the seeded, local-only staff user)."""
        if "console" not in self.urls or not self.auth_host:
            return ""
        return (
            f"console: {self.urls['console']}/  sign in as {auth.STAFF.email} / "
            f"{auth.STAFF.password} (local Auth emulator only)"
        )


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


if __name__ == "__main__":  # ``python -m devstack.stack up``: see devstack/cli.py
    from devstack.cli import main

    sys.exit(main())
