"""Child processes of the local stack: started in their own group, stopped with nothing left.

Each child runs in its own process group and dies with the orchestrator: ``stop_children`` on
exit, exception, SIGINT or SIGTERM, and the kernel's parent-death signal (set by ``_LAUNCHER``)
if the orchestrator is killed outright. A listening socket bound by the orchestrator can be
handed to a child the way systemd does, so a port is never free for another process to take.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOST = "127.0.0.1"

# Sets PR_SET_PDEATHSIG, then execs the real command: a child whose orchestrator is killed
# outright (SIGKILL, OOM) is killed too instead of living on as an orphan (Linux only). SIGKILL,
# not SIGTERM: nobody is left to wait for a graceful end, and a JVM's shutdown hooks or a gRPC
# server's drain could take longer than the machine's patience on a loaded CI runner. (A
# gunicorn master's workers notice their parent is gone and exit within a second.)
# With a listening socket's fd (argv[2] >= 0) it hands the socket over the way systemd does
# (fd 3, LISTEN_FDS, LISTEN_PID), which gunicorn (functions-framework's server) adopts: the
# port is bound by the orchestrator and never free for another process to take in between.
_LAUNCHER = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))
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


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


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


def wait_http(url: str, child: Child, timeout: float) -> None:
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
