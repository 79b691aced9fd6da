"""Cold start per target: what a fresh instance imports until it has answered its first request.

For each target, in a fresh interpreter with ``-X importtime`` (``bench/coldstart_probe.py``):

- **target**: functions-framework loads ``main.py`` (as the platform does: ``--source=.``) and
  asks it for the target; ``main.py`` imports the target registry and, through its module
  ``__getattr__``, that target's module only. The app answers one representative request
  against the emulator and the fakes; the lazy imports of that first request (SDK clients, the
  domain modules it needs) count too.
- **baseline**: functions-framework loads a bare function of the same signature, the SDKs that
  target cannot do without are imported, and the bare function answers the same request.
- **single**: as the target, with ``functions/<target>.py`` itself as the source: what
  ``main.py`` adds (its registry) is the difference.

The ratio is the median of the first over the median of the second. Import time is the sum of
the top-level entries of ``-X importtime`` between the probe's markers. The modules imported by
the target and not by the baseline are grouped by package to say where the difference goes.
"""

from __future__ import annotations

import base64
import json
import statistics
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bench.infra import BARE_SOURCE, Services, base_env, write_all
from devstack.config import FAKE_CREDENTIALS, ROOT
from devstack.eventarc import document_event
from devstack.fakes.signing import meta_signature, twilio_signature

PROJECT = "bench-coldstart"
PROBE = ROOT / "bench" / "coldstart_probe.py"
MAIN = ROOT / "main.py"
BEGIN, END = "bench-coldstart-begin", "bench-coldstart-end"
# Names of ``bench/coldstart_probe.py``'s SDKS: import, and make and touch a client if any.
FIRESTORE = "firestore"  # google.cloud.firestore, a Client, one document read
EVENTS = "events"  # google.events.cloud.firestore_v1 (DocumentEventData)
TASKS = "tasks"  # google.cloud.tasks_v2
TWILIO_REST = "twilio_rest"  # twilio.rest.Client(...).messages (loads the Messages API)
TWILIO_VALIDATOR = "twilio_validator"  # twilio.request_validator

# What each target cannot do without for the request it answers (see module doc).
SDKS: dict[str, tuple[str, ...]] = {
    "on_ticket_written": (FIRESTORE, EVENTS, TASKS),
    "on_order_written": (FIRESTORE, EVENTS, TASKS),
    "on_cart_written": (FIRESTORE, EVENTS),
    "deliver_notification": (FIRESTORE, TWILIO_REST),
    "cart_sweep": (FIRESTORE, TASKS),
    "twilio_inbound": (FIRESTORE, TWILIO_VALIDATOR, TASKS),
    "twilio_status": (FIRESTORE, TWILIO_VALIDATOR),
    "meta_webhook": (FIRESTORE,),
}
CLOUDEVENT_TARGETS = {"on_ticket_written", "on_order_written", "on_cart_written"}


@dataclass
class ImportProfile:
    """One probe run: total import time (ms) and each module's self time (ms)."""

    total_ms: float
    modules: dict[str, float] = field(default_factory=dict)
    peak_mb: float = 0.0  # the probe's peak resident set once it had answered


@dataclass
class ColdStart:
    """The medians of one target, and where its extra import time goes."""

    target: str
    target_ms: float
    baseline_ms: float
    single_ms: float  # the same, had the platform loaded only this target's module
    sdks: tuple[str, ...]
    extra: list[tuple[str, float]]  # package -> ms the target imports beyond the baseline
    own: list[tuple[str, float]]  # our modules (shared.*, functions.*) -> ms, largest first
    other_targets: float  # ms of modules imported by main.py beyond this target's own module
    runs: int
    peak_mb: float = 0.0  # the largest peak resident set of the target's probes

    @property
    def ratio(self) -> float:
        return self.target_ms / self.baseline_ms

    @property
    def single_ratio(self) -> float:
        return self.single_ms / self.baseline_ms


def parse_importtime(stderr: str) -> ImportProfile:
    """Sum the top-level ``-X importtime`` entries between the probe's markers."""
    inside = False
    total = 0
    modules: dict[str, float] = {}
    for line in stderr.splitlines():
        if line == BEGIN:
            inside = True
            continue
        if line == END:
            break
        if not inside or not line.startswith("import time:"):
            continue
        head, cumulative, name = line.split("|", 2)
        if cumulative.strip() == "cumulative":
            continue
        modules[name.strip()] = int(head.split(":", 1)[1]) / 1000
        if name.startswith(" ") and not name.startswith("  "):
            total += int(cumulative)
    if not inside:
        raise RuntimeError(f"the cold start probe printed no marker:\n{stderr[-2000:]}")
    return ImportProfile(total / 1000, modules)


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "google" and len(parts) > 1 else parts[0]


def run_probe(spec: Mapping[str, Any], env: Mapping[str, str]) -> ImportProfile:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(PROBE), json.dumps(spec)],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"probe failed ({result.returncode}): {result.stderr[-2000:]}")
    profile = parse_importtime(result.stderr)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    profile.peak_mb = int(answer.get("peakKb") or 0) / 1024
    return profile


# -- representative first requests ------------------------------------------------------------
def _http(path: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": path,
        "headers": dict(headers),
        "body": base64.b64encode(body).decode(),
    }


def _event(path: str, after: Mapping[str, Any]) -> dict[str, Any]:
    event = document_event(path, None, after, project=PROJECT, event_id=str(uuid.uuid4()))
    headers, body = event.binary()
    return _http("/", body, headers)


def _twilio(target: str, params: Mapping[str, str]) -> dict[str, Any]:
    url = f"http://localhost/{target}"
    signature = twilio_signature(FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"], url, params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return _http(f"/{target}", urlencode(params).encode(), headers)


def _meta_status(wamid: str) -> dict[str, Any]:
    status = {
        "id": wamid,
        "status": "delivered",
        "timestamp": "1700000000",
        "recipient_id": "33612345678",
    }
    value = {"messaging_product": "whatsapp", "statuses": [status]}
    body = json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": meta_signature(FAKE_CREDENTIALS["META_APP_SECRET"], body),
    }
    return _http("/meta_webhook", body, headers)


class Requests:
    """Each target's first request, against data seeded once (fresh ids for every run)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.sid = "SM" + uuid.uuid4().hex
        now = datetime.now(UTC)
        sms_only = {"smsEnabled": True, "emailEnabled": False}
        marketing = {"marketingEnabled": True}
        docs: list[tuple[str, str, dict[str, Any]]] = [
            ("settings", "notifications", {"quietHours": {}}),
            (
                "customer_profiles",
                "cold-sms",
                {
                    "displayName": "Lucie",
                    "country": "FR",
                    "phoneNumber": "+33611223344",
                    "notificationPreferences": sms_only,
                },
            ),
            (
                "customer_profiles",
                "cold-mkt",
                {
                    "displayName": "Marc",
                    "country": "FR",
                    "email": "marc@example.com",
                    "notificationPreferences": marketing,
                },
            ),
            (  # the proof of Marc's opt-in to offers by email (issue 15)
                "consent_events",
                "cold-mkt-proof",
                {
                    "channel": "email",
                    "purpose": "marketing",
                    "action": "opt_in",
                    "source": "registration_form",
                    "textVersion": "bench-v1",
                    "customerId": "cold-mkt",
                    "to": "marc@example.com",
                    "at": now,
                },
            ),
            (
                "notification_history",
                "cold-sent",
                {
                    "type": "order.placed",
                    "channel": "sms",
                    "provider": "twilio",
                    "status": "sent",
                    "providerMessageId": self.sid,
                    "to": "+33611223344",
                    "sentAt": now,
                },
            ),
        ]
        write_all(db, docs)

    def __call__(self, target: str) -> dict[str, Any]:
        key = uuid.uuid4().hex[:10]
        builders: dict[str, Callable[[], dict[str, Any]]] = {
            "on_ticket_written": lambda: _event(
                f"tickets/T-{key}",
                {"customerId": "cold-sms", "device": "Pixel", "status": "received"},
            ),
            "on_order_written": lambda: _event(
                f"orders/O-{key}", {"customerId": "cold-sms", "status": "placed", "total": 20}
            ),
            "on_cart_written": lambda: self._cart_event(key),
            "deliver_notification": lambda: self._pending(key),
            "cart_sweep": lambda: self._due_cart(key),
            "twilio_inbound": lambda: _twilio(
                "twilio_inbound",
                {
                    "MessageSid": "SM" + uuid.uuid4().hex,
                    "From": f"+3361{int(key, 16) % 10**7:07d}",
                    "To": FAKE_CREDENTIALS["TWILIO_SMS_FROM"],
                    "Body": "Bonjour",
                    "NumMedia": "0",
                    "AccountSid": FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
                },
            ),
            "twilio_status": lambda: _twilio(
                "twilio_status",
                {"MessageSid": self.sid, "MessageStatus": "delivered", "SmsStatus": "delivered"},
            ),
            "meta_webhook": lambda: _meta_status(f"wamid.{key}"),
        }
        return builders[target]()

    def _cart_event(self, key: str) -> dict[str, Any]:
        cart = {
            "customerId": "cold-mkt",
            "status": "active",
            "total": 15.0,
            "items": [{"sku": "CASE", "name": "Coque", "quantity": 1, "price": 15.0}],
            "updatedAt": datetime.now(UTC),
        }
        write_all(self.db, [("carts", f"cart-{key}", cart)])
        return _event(f"carts/cart-{key}", cart)

    def _pending(self, key: str) -> dict[str, Any]:
        doc = {
            "type": "ticket.completed",
            "channel": "sms",
            "provider": "twilio",
            "to": "+33611223344",
            "status": "pending",
            "attempts": 0,
            "template": "ticket.completed",
            "language": "fr",
            "country": "FR",
            "data": {"ticketId": "T1", "device": "iPhone"},
            "createdAt": datetime.now(UTC),
        }
        write_all(self.db, [("notification_history", f"cold-n-{key}", doc)])
        body = json.dumps({"notificationId": f"cold-n-{key}"}).encode()
        return _http("/deliver_notification", body, {"Content-Type": "application/json"})

    def _due_cart(self, key: str) -> dict[str, Any]:
        cart = {
            "customerId": "cold-mkt",
            "status": "active",
            "total": 15.0,
            "currency": "EUR",
            "reminderStage": 0,
            "updatedAt": datetime.now(UTC) - timedelta(hours=3),
            "items": [{"sku": "CASE", "name": "Coque", "quantity": 1, "price": 15.0}],
        }
        write_all(self.db, [("carts", f"due-{key}", cart)])
        return _http("/cart_sweep", b"{}", {"Content-Type": "application/json"})


def measure(
    services: Services, *, runs: int = 5, say: Callable[[str], None] = print
) -> list[ColdStart]:
    """Every target's cold start against its baseline (``runs`` fresh interpreters each)."""
    env = base_env()
    env.update(services.function_env(PROJECT, PUBLIC_BASE_URL="http://localhost"))
    requests = Requests(services.client(PROJECT))
    results = []
    for target, sdks in SDKS.items():
        signature = "cloudevent" if target in CLOUDEVENT_TARGETS else "http"
        bare = "bare_cloudevent" if signature == "cloudevent" else "bare_http"
        own = ROOT / "functions" / f"{target}.py"
        mine: list[ImportProfile] = []
        floor: list[ImportProfile] = []
        single: list[ImportProfile] = []
        for _ in range(runs):  # interleaved, so a busy moment hurts each alike
            request = requests(target)
            mine.append(
                run_probe(
                    {
                        "source": str(MAIN),
                        "target": target,
                        "signature": signature,
                        "sdks": [],
                        "request": request,
                    },
                    env,
                )
            )
            floor.append(
                run_probe(
                    {
                        "source": str(BARE_SOURCE),
                        "target": bare,
                        "signature": signature,
                        "sdks": list(sdks),
                        "request": request,
                    },
                    env,
                )
            )
            single.append(
                run_probe(
                    {
                        "source": str(own),
                        "target": target,
                        "signature": signature,
                        "sdks": [],
                        "request": requests(target),
                    },
                    env,
                )
            )
        result = ColdStart(
            target=target,
            target_ms=statistics.median(p.total_ms for p in mine),
            baseline_ms=statistics.median(p.total_ms for p in floor),
            single_ms=statistics.median(p.total_ms for p in single),
            sdks=sdks,
            extra=_extra(mine, floor, _package),
            own=_extra(mine, floor, str, only=("shared.", "functions.")),
            other_targets=sum(ms for _, ms in _extra(mine, single, _package)),
            runs=runs,
            peak_mb=max(p.peak_mb for p in mine),
        )
        say(
            f"  cold start {target}: {result.target_ms:.0f} ms (only its module:"
            f" {result.single_ms:.0f} ms) vs SDKs {result.baseline_ms:.0f} ms"
        )
        results.append(result)
    return results


def _extra(
    mine: list[ImportProfile],
    floor: list[ImportProfile],
    key: Callable[[str], str],
    only: tuple[str, ...] = (),
) -> list[tuple[str, float]]:
    """Self time (median per run) of modules the target imports and the baseline does not,
    grouped by ``key``; with ``only``, modules of those prefixes only."""
    baseline = set().union(*(p.modules for p in floor))
    per_run: list[dict[str, float]] = []
    for profile in mine:
        groups: dict[str, float] = defaultdict(float)
        for module, ms in profile.modules.items():
            if module not in baseline and (not only or module.startswith(only)):
                groups[key(module)] += ms
        per_run.append(groups)
    names = set().union(*per_run)
    medians = {n: statistics.median(r.get(n, 0.0) for r in per_run) for n in names}
    return sorted(medians.items(), key=lambda item: -item[1])
