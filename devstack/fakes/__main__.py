"""``python -m devstack.fakes``: run the fake providers until SIGINT/SIGTERM.

Prints one JSON line when ready: ``http_url``, ``control_url``, ``twilio_base_url``,
``meta_graph_base_url``, ``fcm_base_url``, ``smtp_host``, ``smtp_port`` and ``env`` (the
variables that point the functions at the fakes). Ports 0 pick free ones.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from devstack.fakes.server import FakeProviders
from devstack.fakes.state import (
    DEFAULT_META_API_VERSION,
    DEFAULT_META_APP_SECRET,
    DEFAULT_META_TOKEN,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
)


def _env(name: str, default: str) -> str:
    """A credential from the environment: the stack passes none on the command line."""
    return os.environ.get(name, default)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.fakes", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=0)
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument(
        "--twilio-account-sid",
        default=_env("FAKES_TWILIO_ACCOUNT_SID", DEFAULT_TWILIO_ACCOUNT_SID),
    )
    parser.add_argument(
        "--twilio-auth-token",
        default=_env("FAKES_TWILIO_AUTH_TOKEN", DEFAULT_TWILIO_AUTH_TOKEN),
    )
    parser.add_argument("--meta-token", default=_env("FAKES_META_TOKEN", DEFAULT_META_TOKEN))
    parser.add_argument(
        "--meta-app-secret",
        default=_env("FAKES_META_APP_SECRET", DEFAULT_META_APP_SECRET),
    )
    parser.add_argument("--meta-webhook-url", default=None)
    parser.add_argument(
        "--meta-phone-number-id", default=os.environ.get("FAKES_META_PHONE_NUMBER_ID")
    )
    parser.add_argument("--meta-api-version", default=DEFAULT_META_API_VERSION)
    parser.add_argument("--fcm-project", default=None)
    parser.add_argument("--smtp-username", default=None)
    parser.add_argument("--smtp-password", default=None)
    parser.add_argument(
        "--auto-callbacks",
        action="store_true",
        help="after each accepted Twilio/Meta send, post 'sent' then 'delivered' callbacks",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    fakes = FakeProviders(
        host=args.host,
        http_port=args.http_port,
        smtp_port=args.smtp_port,
        twilio_account_sid=args.twilio_account_sid,
        twilio_auth_token=args.twilio_auth_token,
        meta_token=args.meta_token,
        meta_app_secret=args.meta_app_secret,
        meta_webhook_url=args.meta_webhook_url,
        meta_phone_number_id=args.meta_phone_number_id,
        meta_api_version=args.meta_api_version,
        fcm_project=args.fcm_project,
        smtp_username=args.smtp_username,
        smtp_password=args.smtp_password,
    )
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    fakes.start()
    try:
        if args.auto_callbacks:
            fakes.set_auto_callbacks(True)
        sys.stdout.write(json.dumps(fakes.describe()) + "\n")
        sys.stdout.flush()
        while not stopping.wait(0.5):
            pass
    finally:
        fakes.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
