"""``FakeProvidersClient``: the control API of a fake running in another process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests


class FakeProvidersClient:
    """Talks to ``/_fake/`` at ``base_url`` (the fake's HTTP root or its control URL)."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/").removesuffix("/_fake")
        self.timeout = timeout
        self._session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._session.request(
            method, f"{self.base_url}/_fake/{path}", timeout=self.timeout, **kwargs
        )
        if response.status_code >= 400:
            raise RuntimeError(f"fake control API {method} {path}: {response.text}")
        return response.json()

    def health(self) -> bool:
        return bool(self._call("GET", "health").get("ok"))

    def requests(self, provider: str | None = None) -> list[dict[str, Any]]:
        params = {"provider": provider} if provider else {}
        result: list[dict[str, Any]] = self._call("GET", "requests", params=params)
        return result

    def messages(self, provider: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "messages", params={"provider": provider})
        return result

    def emails(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "emails")
        return result

    def callbacks_sent(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "callbacks")
        return result

    def reset(self) -> None:
        self._call("POST", "reset")

    def set_faults(self, rules: Sequence[Mapping[str, Any]], *, append: bool = False) -> None:
        self._call("POST", "faults", json={"rules": list(rules), "append": append})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def send_twilio_status(
        self, sid: str, status: str, *, error_code: int | str | None = None, url: str | None = None
    ) -> dict[str, Any]:
        body = {"provider": "twilio", "sid": sid, "status": status, "error_code": error_code}
        result: dict[str, Any] = self._call("POST", "callbacks", json={**body, "url": url})
        return result

    def send_meta_status(
        self,
        message_id: str,
        status: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        body = {"provider": "meta", "id": message_id, "status": status, "errors": errors}
        result: dict[str, Any] = self._call("POST", "callbacks", json={**body, "url": url})
        return result

    def set_auto_callbacks(
        self, enabled: bool, statuses: Sequence[str] | None = None, delay: float | None = None
    ) -> None:
        body: dict[str, Any] = {"enabled": enabled}
        if statuses is not None:
            body["statuses"] = list(statuses)
        if delay is not None:
            body["delay"] = delay
        self._call("POST", "auto-callbacks", json=body)

    def set_meta_webhook_url(self, url: str | None) -> None:
        self._call("POST", "config", json={"meta_webhook_url": url})

    def close(self) -> None:
        self._session.close()
