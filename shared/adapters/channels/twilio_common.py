"""What Twilio SMS and Twilio WhatsApp share: the client, error mapping, receipts and lookups.

``TWILIO_API_BASE_URL``: the SDK builds every URL from ``https://api.twilio.com`` (its ``Api``
domain's fixed base URL, next-page links included); ``BaseUrlHttpClient``, a
``TwilioHttpClient`` subclass, rewrites that prefix to the configured base URL just before the
request leaves, so the real SDK (auth, form encoding, paging, error parsing) talks to a local fake
unchanged. It also sets the timeout the SDK otherwise leaves unbounded, and a quiet logger
(the SDK logs every request's headers and query at INFO).

Lost responses: Twilio has no idempotency key for Messages, so ``find_previous`` lists the
newest messages to the same ``To`` (and ``From`` when we send from a fixed number) and matches
those created since the previous attempt on their body (for templates: on the variables, which
the rendered body contains). It lists without a ``DateSent`` filter on purpose: a message still
``queued`` or ``accepted`` has no ``date_sent`` yet and would be missed, and that is exactly the
state of a message whose response was just lost.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from shared.model.enums import Provider
from shared.model.messages import OutboundMessage, SendResult
from shared.platform.settings import DEFAULT_TWILIO_API_BASE_URL, TwilioSettings
from shared.rules.provider_errors import (
    ProviderNotConfiguredError,
    classify_transport,
    classify_twilio,
)

DEFAULT_TIMEOUT = 10.0
LOOKUP_LIMIT = 50
CLOCK_SKEW = timedelta(minutes=2)

_sdk_log = logging.getLogger("shared.channels.twilio_sdk")
_sdk_log.setLevel(logging.WARNING)


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, aimed at ``base_url`` instead of ``https://api.twilio.com``."""

    def __init__(self, base_url: str = DEFAULT_TWILIO_API_BASE_URL, timeout: float = 10.0):
        super().__init__(timeout=timeout, logger=_sdk_log)
        self.base_url = base_url.rstrip("/")

    def rewrite(self, url: str) -> str:
        if url.startswith(DEFAULT_TWILIO_API_BASE_URL):
            return self.base_url + url[len(DEFAULT_TWILIO_API_BASE_URL) :]
        return url

    def request(  # noqa: PLR0917 - the SDK's signature
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def make_twilio_client(settings: TwilioSettings, *, timeout: float = DEFAULT_TIMEOUT) -> Client:
    """A Twilio REST client for ``settings``, aimed at ``settings.api_base_url``."""
    return Client(
        username=settings.account_sid,
        password=settings.auth_token,
        account_sid=settings.account_sid,
        http_client=BaseUrlHttpClient(settings.api_base_url, timeout),
    )


@contextmanager
def twilio_errors() -> Iterator[None]:
    """Turn the SDK's and the network's exceptions into classified ``ProviderError``s."""
    try:
        yield
    except TwilioRestException as exc:
        raise classify_twilio(exc.status, exc.code, str(exc.msg)) from exc
    except TwilioServiceException as exc:
        message = exc.detail or exc.title
        raise classify_twilio(exc.status, exc.code, str(message)) from exc
    except (requests.RequestException, OSError) as exc:
        raise classify_transport(Provider.TWILIO, exc) from exc


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


_RAW_FIELDS = (
    "sid",
    "status",
    "num_segments",
    "num_media",
    "price",
    "price_unit",
    "error_code",
    "error_message",
    "messaging_service_sid",
    "direction",
    "api_version",
)


def result_from_message(message: Any) -> SendResult:
    """A ``SendResult`` from a ``MessageInstance`` (created, fetched or listed)."""
    raw: dict[str, Any] = {k: getattr(message, k, None) for k in _RAW_FIELDS}
    created = getattr(message, "date_created", None)
    raw["date_created"] = created.isoformat() if isinstance(created, datetime) else None
    return SendResult(
        provider=Provider.TWILIO,
        provider_message_id=message.sid,
        status=str(message.status),
        segments=_int(message.num_segments) if message.num_segments is not None else None,
        price=None if message.price is None else str(message.price),
        price_unit=message.price_unit,
        raw=raw,
    )


def fingerprint(text: str | None) -> str:
    """Letters and digits only, accents dropped: survives Twilio's smart encoding of quotes."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if ch.isalnum()).casefold()


def body_matcher(text: str) -> Callable[[str | None], bool]:
    expected = fingerprint(text)
    return lambda body: fingerprint(body) == expected


def variables_matcher(variables: tuple[str, ...]) -> Callable[[str | None], bool]:
    wanted = [fingerprint(v) for v in variables if fingerprint(v)]
    return lambda body: all(w in fingerprint(body) for w in wanted)


def find_previous_message(
    client: Client,
    *,
    to: str,
    from_: str | None,
    messaging_service_sid: str | None,
    since: datetime,
    matches: Callable[[str | None], bool],
) -> SendResult | None:
    """The newest outbound message to ``to`` created since ``since`` whose body ``matches``."""
    filters: Mapping[str, Any] = {"to": to, **({"from_": from_} if from_ else {})}
    with twilio_errors():
        candidates = client.messages.list(**filters, limit=LOOKUP_LIMIT, page_size=LOOKUP_LIMIT)
    for message in candidates:
        created = message.date_created
        if isinstance(created, datetime) and created < since - CLOCK_SKEW:
            continue
        if str(message.direction or "outbound-api") not in {"outbound-api", "outbound-reply"}:
            continue
        service = message.messaging_service_sid
        if messaging_service_sid and service and service != messaging_service_sid:
            continue
        if matches(message.body):
            return result_from_message(message)
    return None


@dataclass
class TwilioSender:
    """What the SMS and WhatsApp senders share: the lazily made client and the send itself.

    Subclasses say whether their settings are complete (``configured``), what they need
    otherwise (``missing``), and how a message becomes ``messages.create`` arguments.
    """

    settings: TwilioSettings
    client: Client | None = None
    timeout: float = DEFAULT_TIMEOUT
    provider: Provider = field(default=Provider.TWILIO, init=False)
    missing: ClassVar[str] = "Twilio credentials"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def configured(self) -> bool:
        raise NotImplementedError

    def params(self, message: OutboundMessage) -> dict[str, Any]:
        raise NotImplementedError

    def _client(self) -> Client:
        if self.client is None:
            with self._lock:
                if self.client is None:
                    if not self.configured():
                        raise ProviderNotConfiguredError(
                            f"Twilio needs {self.missing}", provider=Provider.TWILIO
                        )
                    self.client = make_twilio_client(self.settings, timeout=self.timeout)
        return self.client

    def send(self, message: OutboundMessage) -> SendResult:
        params = self.params(message)
        client = self._client()
        with twilio_errors():
            created = client.messages.create(**params)
        return result_from_message(created)
