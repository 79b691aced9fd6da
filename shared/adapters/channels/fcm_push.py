"""Push through Firebase Cloud Messaging (firebase-admin), one message per device token.

The messaging client is injected: anything with ``send_each_for_multicast(MulticastMessage)``
returning firebase-admin's ``BatchResponse``. The default binds ``firebase_admin.messaging`` to
an app of its own, created on first use with the runtime's default credentials.

``FCM_API_BASE_URL`` (local stack and tests): the app gets a static-token credential (so no
Google auth happens) and its messaging service's send URL (``_fcm_url``, fixed to
``https://fcm.googleapis.com/v1/projects/{project}/messages:send`` in firebase-admin 7.7.0) is
pointed at ``{FCM_API_BASE_URL}/v1/projects/{project}/messages:send``. That attribute is
private; ``tests/integration/test_adapters_fcm.py`` fails loudly if an upgrade renames it.

Outcome per token: UNREGISTERED / SENDER_ID_MISMATCH / NOT_FOUND, and INVALID_ARGUMENT about
the token, make the token invalid (returned in ``invalid_tokens``, for the pipeline to remove
from the profile). One accepted token makes the send a success, even if others failed
transiently (retrying would notify the accepted devices twice). No token accepted: transient if
any failure was transient, else permanent.

Lost responses: FCM cannot be asked, so ``find_previous`` answers ``None``; a duplicate push is
the accepted risk.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import firebase_admin
import google.oauth2.credentials
from firebase_admin import credentials, messaging
from firebase_admin.exceptions import FirebaseError

from shared.model.enums import Provider
from shared.model.messages import OutboundMessage, SendResult
from shared.platform.settings import Settings
from shared.rules.provider_errors import (
    ErrorKind,
    ProviderError,
    ProviderNotConfiguredError,
    classify_fcm,
    provider_error,
)

DEFAULT_TIMEOUT = 10.0
_TOKENS_DEPRECATED = r"MulticastMessage\.tokens is deprecated"
LOCAL_TOKEN = "local-fake-fcm-token"  # noqa: S105 - not a secret: only a local fake reads it


class FcmClient(Protocol):
    """What the sender needs from firebase-admin's messaging."""

    def send_each_for_multicast(self, multicast_message: Any) -> Any: ...


class StaticTokenCredential(credentials.Base):  # type: ignore[misc]
    """A credential that never refreshes: for a local FCM fake that only checks for a token."""

    def __init__(self, token: str = LOCAL_TOKEN) -> None:
        self._credential = google.oauth2.credentials.Credentials(token=token)  # type: ignore[no-untyped-call]

    def get_credential(self) -> google.oauth2.credentials.Credentials:
        return self._credential


@dataclass(frozen=True)
class FirebaseMessagingClient:
    """``firebase_admin.messaging`` bound to one app."""

    app: Any

    def send_each_for_multicast(self, multicast_message: Any) -> Any:
        return messaging.send_each_for_multicast(multicast_message, app=self.app)


def make_fcm_client(settings: Settings, *, timeout: float = DEFAULT_TIMEOUT) -> FcmClient:
    """The default client: an app of our own, aimed at ``FCM_API_BASE_URL`` when set."""
    project = settings.project
    base_url = settings.fcm_api_base_url
    key = hashlib.sha256(f"{project}|{base_url}|{timeout}".encode()).hexdigest()[:12]
    name = f"shared-channels-fcm-{key}"
    try:
        app = firebase_admin.get_app(name)
    except ValueError:
        credential = StaticTokenCredential() if base_url else credentials.ApplicationDefault()
        options = {"projectId": project, "httpTimeout": timeout}
        app = firebase_admin.initialize_app(credential, options, name=name)
    if base_url:
        service = messaging._get_messaging_service(app)  # private: see module docstring
        service._fcm_url = f"{base_url.rstrip('/')}/v1/projects/{project}/messages:send"
    return FirebaseMessagingClient(app)


def multicast(message: OutboundMessage, tokens: list[str]) -> Any:
    """The ``MulticastMessage`` for ``message`` (data values are strings, as FCM requires)."""
    data = {str(k): str(v) for k, v in message.data.items()}
    data.setdefault("notificationId", message.notification_id)
    # Profiles store registration tokens (the contract's ``fcmTokens``), which FCM v1 still
    # takes; firebase-admin 7.7 deprecates them for installation ids the apps do not keep.
    # Silence exactly that warning (the SDK does the same when it expands the multicast).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", _TOKENS_DEPRECATED, DeprecationWarning)
        return messaging.MulticastMessage(
            tokens=tokens,
            notification=messaging.Notification(
                title=message.title or message.subject, body=message.text
            ),
            data=data,
        )


@dataclass
class FcmPushSender:
    """Sends push notifications with an injected messaging client (made lazily)."""

    settings: Settings
    client: FcmClient | None = None
    timeout: float = DEFAULT_TIMEOUT
    provider: Provider = field(default=Provider.FCM, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def _client(self) -> FcmClient:
        if self.client is None:
            with self._lock:
                if self.client is None:
                    if not self.settings.push_configured:
                        raise ProviderNotConfiguredError(
                            "push needs GOOGLE_CLOUD_PROJECT (and FCM_ENABLED)",
                            provider=Provider.FCM,
                        )
                    self.client = make_fcm_client(self.settings, timeout=self.timeout)
        return self.client

    def send(self, message: OutboundMessage) -> SendResult:
        tokens = list(dict.fromkeys(t for t in message.push_tokens if t))
        if not tokens:
            raise provider_error(Provider.FCM, ErrorKind.INVALID_RECIPIENT, "no push token")
        client = self._client()
        try:
            batch = client.send_each_for_multicast(multicast(message, tokens))
        except (FirebaseError, ValueError, OSError) as exc:
            raise classify_fcm(exc) from exc
        accepted: list[str] = []
        invalid: list[str] = []
        failures: list[ProviderError] = []
        for token, response in zip(tokens, batch.responses, strict=True):
            if response.success:
                accepted.append(str(response.message_id))
                continue
            error = classify_fcm(response.exception)
            if error.kind is ErrorKind.INVALID_TOKEN:
                invalid.append(token)
            else:
                failures.append(error)
        if accepted:
            return SendResult(
                provider=Provider.FCM,
                provider_message_id=accepted[0],
                status="sent",
                invalid_tokens=tuple(invalid),
                raw={
                    "message_ids": accepted,
                    "success_count": len(accepted),
                    "failure_count": len(tokens) - len(accepted),
                },
            )
        raise _all_failed(len(tokens), failures, tuple(invalid))

    def find_previous(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """Always ``None``: FCM cannot be asked (see the module docstring)."""
        return None


def _all_failed(
    count: int, failures: list[ProviderError], invalid: tuple[str, ...]
) -> ProviderError:
    """No device accepted: transient if any failure was, else the first permanent reason."""
    worst = next((f for f in failures if f.transient), failures[0] if failures else None)
    if worst is None:
        return provider_error(
            Provider.FCM,
            ErrorKind.INVALID_TOKEN,
            f"all {count} push tokens are invalid",
            code="UNREGISTERED",
            invalid_tokens=invalid,
        )
    return provider_error(
        Provider.FCM,
        worst.kind,
        f"no device accepted the push ({count} tokens): {worst.message}",
        code=worst.code,
        http_status=worst.http_status,
        invalid_tokens=invalid,
    )
