"""Start the Cloud Firestore emulator as a child of the stack (or of the bench, or a test).

Port 0 does not work with this emulator, so a free port is picked; another process may take it
before the JVM binds it, in which case the emulator exits with a ``BindException`` and is
started again on another port.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.firestore import emulator
from devstack.process import Child, StackError, free_port, stop_children, tail

ATTEMPTS = 5


def start_emulator(
    spawn: Callable[[str, Sequence[str]], Child],
    forget: Callable[[Child], None],
    *,
    host: str,
    port: int = 0,
    functions_emulator: str | None = None,
    rules: Path | None = None,
    timeout: float = 90.0,
) -> tuple[Child, str]:
    """The running emulator's child process and ``host:port``.

    ``spawn(name, argv)`` starts a child the caller keeps track of; ``forget(child)`` drops one
    that was stopped after a failed bind. ``StackError`` says why when it cannot start.
    """
    try:
        install = emulator.find_install()
    except emulator.EmulatorMissingError as exc:
        raise StackError(str(exc)) from exc
    for attempt in range(1, ATTEMPTS + 1):
        chosen = port or free_port(host)
        argv = install.argv(
            host=host, port=chosen, functions_emulator=functions_emulator, rules=rules
        )
        child = spawn("firestore", argv)
        address = f"{host}:{chosen}"
        deadline = time.monotonic() + timeout
        while child.alive() and time.monotonic() < deadline:
            if emulator.is_ready(address):
                return child, address
            time.sleep(0.1)
        retry = not child.alive() and emulator.bind_failed(tail(child.log_path, 60))
        if not retry or port or attempt == ATTEMPTS:
            raise StackError(f"the Firestore emulator did not start; {child.hint()}")
        stop_children([child])
        forget(child)
    raise StackError("the Firestore emulator did not start")  # pragma: no cover - loop returns
