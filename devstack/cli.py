"""``python -m devstack.stack up`` (what ``make dev`` runs): the local stack until Ctrl-C.

Options override the ``DEVSTACK_*`` variables (``StackConfig.from_env``); the Firestore emulator
and the trigger router take the ports of ``firebase.json`` when they are free. SIGTERM and SIGHUP
stop the stack like Ctrl-C; the env file is removed on the way out.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from devstack import firebase_json
from devstack.config import ROOT, StackConfig, main_functions
from devstack.process import StackError, port_is_free
from devstack.stack import Stack

# ``up`` options copied as they are into the configuration when given.
_PASSED = (
    "host",
    "project",
    "firestore_port",
    "router_port",
    "tasks_port",
    "fakes_http_port",
    "fakes_smtp_port",
    "log_dir",
    "whatsapp_provider",
)


def _raise_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def up(config: StackConfig) -> int:
    """Start, print, wait for Ctrl-C or SIGTERM, stop."""
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
    stack = Stack(config)
    try:
        stack.start()
        show = os.environ.get("SHOW_SECRETS", "") not in ("", "0")
        print(stack.describe(show_secrets=show), flush=True)
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


def with_firebase_ports(config: StackConfig) -> StackConfig:
    """``make dev`` on the ports of ``firebase.json`` when they are free (else free ones)."""
    declared = firebase_json.load()
    chosen: dict[str, Any] = {}
    for name, port in (
        ("firestore_port", declared.firestore_port),
        ("router_port", declared.functions_port),
    ):
        if getattr(config, name) or not port:
            continue
        if port_is_free(config.host, port):
            chosen[name] = port
        else:
            print(
                f"devstack: port {port} of firebase.json is taken; using a free one",
                file=sys.stderr,
            )
    if config.external_firestore:
        chosen.pop("firestore_port", None)
    return replace(config, **chosen)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.stack", description="The local stack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("up", help="start everything and wait for Ctrl-C")
    run.add_argument("--host")
    run.add_argument("--project")
    run.add_argument("--firestore-port", type=int)
    run.add_argument("--router-port", type=int)
    run.add_argument("--tasks-port", type=int)
    run.add_argument("--fakes-http-port", type=int)
    run.add_argument("--fakes-smtp-port", type=int)
    run.add_argument("--functions", help="comma-separated targets (default: all)")
    run.add_argument("--no-tasks", action="store_true")
    run.add_argument("--no-fakes", action="store_true")
    run.add_argument("--whatsapp-provider", choices=["twilio", "meta"])
    run.add_argument("--env-file", type=Path, default=ROOT / ".devstack" / "env")
    run.add_argument("--log-dir", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {"env_file": args.env_file}
    for name in _PASSED:
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
    return up(with_firebase_ports(config))


if __name__ == "__main__":
    sys.exit(main())
