"""Every deployed target, declared once: its signature, its role, its trigger and how it runs.

``main.py`` exports these names (importing each module only when asked for it), the local stack
starts one functions-framework process per target and registers the Firestore triggers,
``scripts/deploy.py`` deploys them with these settings, and a test holds this table, main.py,
the modules in ``functions/`` and CONTRACT.md's target table to the same list. Adding a target
is one entry here and its module ``functions/<name>.py``.

Standard library only: main.py imports this on every cold start, and the deploy script and the
stack read it without the functions' dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Signature = Literal["http", "cloudevent"]
Role = Literal["internal", "webhook", "trigger", "console"]

HTTP: Signature = "http"
CLOUDEVENT: Signature = "cloudevent"
# Private HTTP, called with an OIDC token (Cloud Tasks, Cloud Scheduler).
INTERNAL: Role = "internal"
# Public HTTP, called by a provider that signs its requests (Twilio, Meta).
WEBHOOK: Role = "webhook"
# Eventarc: a Firestore document event, delivered as a CloudEvent.
TRIGGER: Role = "trigger"
# Public HTTP for people in a browser, behind its own sign-in (the console).
CONSOLE: Role = "console"

FIRESTORE_WRITTEN = "google.cloud.firestore.document.v1.written"


@dataclass(frozen=True)
class Trigger:
    """A Firestore trigger: the event type and the document path pattern it matches."""

    document: str  # "tickets/{ticketId}"
    event_type: str = FIRESTORE_WRITTEN

    @property
    def collection(self) -> str:
        """The collection the pattern watches (``tickets``)."""
        return self.document.split("/", 1)[0]


@dataclass(frozen=True)
class Deploy:
    """How Cloud Run runs the target (the flags of ``gcloud functions deploy``)."""

    memory: str = "512Mi"
    cpu: str = "1"
    concurrency: int = 20
    timeout: str = "60s"
    min_instances: int = 0
    max_instances: int = 10


@dataclass(frozen=True)
class Target:
    """One functions-framework function of ``main.py``, defined in ``functions/<name>.py``."""

    name: str
    signature: Signature
    role: Role
    deploy: Deploy = field(default_factory=Deploy)
    trigger: Trigger | None = None

    def __post_init__(self) -> None:
        is_trigger = self.role == TRIGGER
        if is_trigger != (self.trigger is not None) or is_trigger != (self.signature == CLOUDEVENT):
            raise ValueError(f"{self.name}: a trigger is a CloudEvent target with a document")

    @property
    def module(self) -> str:
        """The module that defines it."""
        return f"functions.{self.name}"


TARGETS: tuple[Target, ...] = (
    Target(
        "deliver_notification",
        HTTP,
        INTERNAL,
        Deploy(timeout="120s", max_instances=20),
    ),
    Target(
        "cart_sweep",
        HTTP,
        INTERNAL,
        Deploy(concurrency=1, timeout="540s", max_instances=2),
    ),
    Target(
        "on_ticket_written",
        CLOUDEVENT,
        TRIGGER,
        Deploy(timeout="120s"),
        Trigger("tickets/{ticketId}"),
    ),
    Target(
        "on_order_written",
        CLOUDEVENT,
        TRIGGER,
        Deploy(timeout="120s"),
        Trigger("orders/{orderId}"),
    ),
    Target(
        "on_cart_written",
        CLOUDEVENT,
        TRIGGER,
        Deploy(timeout="120s"),
        Trigger("carts/{cartId}"),
    ),
    Target(
        "on_campaign_written",
        CLOUDEVENT,
        TRIGGER,
        Deploy(timeout="60s"),
        Trigger("campaigns/{campaignId}"),
    ),
    Target(
        "on_consent_written",
        CLOUDEVENT,
        TRIGGER,
        Deploy(timeout="60s"),
        Trigger("consent_events/{eventId}"),
    ),
    Target(
        "campaign_step",
        HTTP,
        INTERNAL,
        Deploy(concurrency=4, timeout="300s", max_instances=4),
    ),
    Target(
        "twilio_inbound",
        HTTP,
        WEBHOOK,
        Deploy(concurrency=40, timeout="30s", min_instances=1),
    ),
    Target(
        "twilio_status",
        HTTP,
        WEBHOOK,
        Deploy(concurrency=40, timeout="30s", min_instances=1),
    ),
    Target(
        "meta_webhook",
        HTTP,
        WEBHOOK,
        Deploy(concurrency=40, timeout="30s", min_instances=1),
    ),
    # The shop staff's pages: public URL, its own sign-in (a Firebase Auth session cookie).
    Target("console", HTTP, CONSOLE, Deploy(concurrency=40, timeout="30s")),
)

BY_NAME: Mapping[str, Target] = MappingProxyType({t.name: t for t in TARGETS})
NAMES: tuple[str, ...] = tuple(BY_NAME)
if len(NAMES) != len(TARGETS):
    raise ValueError("a target is declared twice")


def target(name: str) -> Target:
    """The target called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r}; known: {sorted(NAMES)}") from None


def with_role(role: Role) -> tuple[Target, ...]:
    """The targets of one role, in declaration order."""
    return tuple(t for t in TARGETS if t.role == role)
