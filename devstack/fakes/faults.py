"""Fault injection: rules that make the next send requests of a provider fail in a chosen way.

A rule (JSON, as posted to ``POST /_fake/faults``)::

    {"provider": "twilio" | "meta" | "fcm" | "smtp" | "*",
     "action": "error" | "timeout" | "accept_then_timeout",
     "status": 503, "code": 20503, "message": "...",     # for "error" (defaults per provider)
     "times": 2,                                          # next N matching sends (default 1)
     "probability": 0.3, "seed": 7,                       # or a seeded fraction (times: unlimited)
     "to": "+33612345678",                                # only sends to this recipient
     "delay": 30.0}                                       # how long "timeout"s hang (seconds)

- ``error`` answers the provider's own error shape with ``status`` and ``code``.
- ``timeout`` hangs ``delay`` seconds before answering, without creating anything.
- ``accept_then_timeout`` creates and records the message, then hangs: the lost-response case.

Rules apply to sends only (never to lookups or the control API); the first matching rule that
fires wins. SMTP rules apply at ``RCPT`` (errors, with ``status`` the SMTP reply code) or after
``DATA`` (timeouts).
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PROVIDERS = frozenset({"twilio", "meta", "fcm", "smtp", "*"})
ACTIONS = frozenset({"error", "timeout", "accept_then_timeout"})
DEFAULT_DELAY = 30.0
_PHONE = re.compile(r"(?:whatsapp:)?\+?[\d\s().-]{6,}")


def normalize_recipient(value: str | None) -> str:
    """Compare recipients across providers: phones by digits, emails case-insensitively."""
    if not value:
        return ""
    value = value.strip()
    if "@" in value:
        return value.lower()
    if _PHONE.fullmatch(value):
        return re.sub(r"\D", "", value)
    return value


@dataclass
class FaultRule:
    """One injected fault; ``times`` counts down each time it fires (``None``: unlimited)."""

    provider: str
    action: str = "error"
    status: int | None = None
    code: int | str | None = None
    message: str | None = None
    times: int | None = 1
    probability: float | None = None
    seed: int | None = None
    to: str | None = None
    delay: float = DEFAULT_DELAY
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        unknown = set(data) - {
            "provider", "action", "status", "code", "message", "times", "probability", "seed",
            "to", "delay",
        }  # fmt: skip
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        provider = str(data.get("provider", "")).lower()
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {sorted(PROVIDERS)}, got {provider!r}")
        action = str(data.get("action", "error"))
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {sorted(ACTIONS)}, got {action!r}")
        probability = data.get("probability")
        if probability is not None and not 0 <= float(probability) <= 1:
            raise ValueError("probability must be between 0 and 1")
        times = data.get("times", None if probability is not None else 1)
        seed = data.get("seed")
        status = data.get("status")
        if action == "error" and status is None and data.get("code") is None:
            raise ValueError("an error fault needs a status or a code")
        return cls(
            provider=provider,
            action=action,
            status=None if status is None else int(status),
            code=data.get("code"),
            message=data.get("message"),
            times=None if times is None else int(times),
            probability=None if probability is None else float(probability),
            seed=None if seed is None else int(seed),
            to=data.get("to"),
            delay=float(data.get("delay", DEFAULT_DELAY)),
            _rng=random.Random(seed),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "action": self.action,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "times": self.times,
            "probability": self.probability,
            "seed": self.seed,
            "to": self.to,
            "delay": self.delay,
            "fired": self.fired,
        }

    def _matches(self, provider: str, to: str | None) -> bool:
        if self.provider not in {provider, "*"}:
            return False
        if self.to and normalize_recipient(self.to) != normalize_recipient(to):
            return False
        return self.times is None or self.times > 0


class FaultBook:
    """The active rules, consulted once per send request (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def set(self, rules: Iterable[FaultRule], *, append: bool = False) -> None:
        with self._lock:
            self._rules = [*self._rules, *rules] if append else list(rules)

    def clear(self) -> None:
        self.set([])

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def take(self, provider: str, to: str | None) -> FaultRule | None:
        """The rule that fires for this send, if any (counted as fired)."""
        with self._lock:
            for rule in self._rules:
                if not rule._matches(provider, to):
                    continue
                if rule.probability is not None and rule._rng.random() >= rule.probability:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.fired += 1
                return replace(rule)
        return None
