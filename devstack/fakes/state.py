"""What the fake providers remember: configuration, requests, messages, emails, callbacks."""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devstack.fakes.faults import FaultBook

DEFAULT_TWILIO_ACCOUNT_SID = "AC" + "f4" * 16
DEFAULT_TWILIO_AUTH_TOKEN = "fake-twilio-auth-token"
DEFAULT_META_TOKEN = "fake-meta-access-token"
DEFAULT_META_APP_SECRET = "fake-meta-app-secret"
DEFAULT_META_API_VERSION = "v21.0"
DEFAULT_META_WABA_ID = "102290129340398"
DEFAULT_META_DISPLAY_PHONE = "15550783881"
PROVIDERS = ("twilio", "meta", "fcm")


@dataclass
class FakeConfig:
    """Credentials the fakes check and where they send callbacks."""

    twilio_account_sid: str = DEFAULT_TWILIO_ACCOUNT_SID
    twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN
    meta_token: str = DEFAULT_META_TOKEN
    meta_app_secret: str = DEFAULT_META_APP_SECRET
    meta_webhook_url: str | None = None
    meta_phone_number_id: str | None = None  # None: any phone-number id is accepted
    meta_api_version: str = DEFAULT_META_API_VERSION
    fcm_project: str | None = None  # None: any project is accepted
    smtp_username: str | None = None  # None: any login is accepted
    smtp_password: str | None = None


def now() -> datetime:
    return datetime.now(UTC)


class FakeState:
    """Thread-safe memory of everything the fakes received and created."""

    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.faults = FaultBook()
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._requests: list[dict[str, Any]] = []
        self._messages: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in PROVIDERS}
        self._emails: list[dict[str, Any]] = []
        self._callbacks: list[dict[str, Any]] = []
        self._wake = threading.Event()

    # -- recording -------------------------------------------------------------------------
    def next_seq(self) -> int:
        with self._lock:
            return next(self._seq)

    def record_request(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Keep ``entry`` (the handler may still fill in ``status``, ``message_id``...)."""
        with self._lock:
            entry.setdefault("seq", next(self._seq))
            entry.setdefault("time", now().isoformat())
            self._requests.append(entry)
        return entry

    def update_request(self, entry: dict[str, Any], **fields: Any) -> None:
        with self._lock:
            entry.update(fields)

    def requests(self, provider: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            items = [r for r in self._requests if provider in {None, r["provider"]}]
            return copy.deepcopy(items)

    def add_message(self, provider: str, key: str, message: dict[str, Any]) -> None:
        with self._lock:
            message.setdefault("_seq", next(self._seq))
            self._messages[provider][key] = message

    def message(self, provider: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._messages[provider].get(key)
            return copy.deepcopy(found) if found is not None else None

    def update_message(self, provider: str, key: str, **fields: Any) -> dict[str, Any] | None:
        with self._lock:
            found = self._messages[provider].get(key)
            if found is None:
                return None
            found.update(fields)
            return copy.deepcopy(found)

    def messages(self, provider: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._messages[provider].values()))

    def add_email(self, email: Mapping[str, Any]) -> None:
        with self._lock:
            self._emails.append({"seq": next(self._seq), **email})

    def emails(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._emails)

    def add_callback(self, entry: Mapping[str, Any]) -> None:
        with self._lock:
            self._callbacks.append({"seq": next(self._seq), **entry})

    def callbacks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._callbacks)

    # -- hanging ---------------------------------------------------------------------------
    def hang(self, seconds: float) -> None:
        """Sleep like a provider that does not answer; woken early by ``reset`` or ``stop``."""
        with self._lock:
            wake = self._wake
        wake.wait(seconds)

    def wake_all(self) -> None:
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()

    def reset(self) -> None:
        """Forget everything received and every fault; configuration is kept."""
        self.faults.clear()
        self.wake_all()
        with self._lock:
            self._requests.clear()
            for messages in self._messages.values():
                messages.clear()
            self._emails.clear()
            self._callbacks.clear()


def public(message: Mapping[str, Any]) -> dict[str, Any]:
    """A stored message without the fake's bookkeeping (keys starting with ``_``)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}
