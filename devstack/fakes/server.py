"""``FakeProviders``: the fake Twilio, Meta and FCM endpoints and the SMTP capture, in-process.

    fakes = FakeProviders(meta_webhook_url="http://127.0.0.1:8081/").start()
    settings = Settings.from_env({**os.environ, **fakes.env()})
    ...
    fakes.requests("twilio"); fakes.emails(); fakes.set_faults([...]); fakes.stop()

One threaded HTTP server (werkzeug) serves every provider and the ``/_fake/`` control API
(``devstack.fakes.app``); SMTP runs on its own port (aiosmtpd). Ports 0 pick free ones.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from devstack.fakes.app import FakeApp
from devstack.fakes.callbacks import Callbacks
from devstack.fakes.faults import FaultRule
from devstack.fakes.smtp_capture import CaptureController
from devstack.fakes.state import (
    DEFAULT_META_API_VERSION,
    DEFAULT_META_APP_SECRET,
    DEFAULT_META_TOKEN,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    FakeConfig,
    FakeState,
)


class _QuietHandler(WSGIRequestHandler):
    """No access log (the fakes record requests themselves); errors still go to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


class _Server(ThreadedWSGIServer):
    request_queue_size = 256  # socketserver's default backlog of 5 drops bursts of clients


class FakeProviders:
    """Start with ``start()`` (or ``with``); everything is recorded until ``reset()``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        http_port: int = 0,
        smtp_port: int = 0,
        twilio_account_sid: str = DEFAULT_TWILIO_ACCOUNT_SID,
        twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN,
        meta_token: str = DEFAULT_META_TOKEN,
        meta_app_secret: str = DEFAULT_META_APP_SECRET,
        meta_webhook_url: str | None = None,
        meta_phone_number_id: str | None = None,
        meta_api_version: str = DEFAULT_META_API_VERSION,
        fcm_project: str | None = None,
        smtp_username: str | None = None,
        smtp_password: str | None = None,
    ) -> None:
        self.host = host
        self._http_port = http_port
        self._smtp_port = smtp_port
        self.config = FakeConfig(
            twilio_account_sid=twilio_account_sid,
            twilio_auth_token=twilio_auth_token,
            meta_token=meta_token,
            meta_app_secret=meta_app_secret,
            meta_webhook_url=meta_webhook_url,
            meta_phone_number_id=meta_phone_number_id,
            meta_api_version=meta_api_version,
            fcm_project=fcm_project,
            smtp_username=smtp_username,
            smtp_password=smtp_password,
        )
        self.state = FakeState(self.config)
        self.callbacks = Callbacks(self.state)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._smtp: CaptureController | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeProviders:
        app = FakeApp(self.state, self.callbacks)
        try:
            self._server = _Server(self.host, self._http_port, app, _QuietHandler)
        except SystemExit as exc:  # werkzeug exits on a busy port; a library must not
            raise OSError(f"cannot listen on {self.host}:{self._http_port}") from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
            name="fake-providers-http",
        )  # fmt: skip
        self._thread.start()
        self._smtp = CaptureController(self.state, self.host, self._smtp_port)
        self._smtp.start()
        return self

    def stop(self) -> None:
        self.state.wake_all()
        self.callbacks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def __enter__(self) -> FakeProviders:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def http_port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeProviders not started")
        return int(self._server.port)

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def control_url(self) -> str:
        return f"{self.http_url}/_fake"

    @property
    def twilio_base_url(self) -> str:
        """``TWILIO_API_BASE_URL``: the SDK appends ``/2010-04-01/Accounts/...``."""
        return self.http_url

    @property
    def meta_graph_base_url(self) -> str:
        """``META_GRAPH_BASE_URL``: with the API version, like ``graph.facebook.com/v21.0``."""
        return f"{self.http_url}/{self.config.meta_api_version}"

    @property
    def fcm_base_url(self) -> str:
        """``FCM_API_BASE_URL``: the adapter appends ``/v1/projects/{project}/messages:send``."""
        return self.http_url

    @property
    def smtp_port(self) -> int:
        if self._smtp is None:
            raise RuntimeError("FakeProviders not started")
        return int(self._smtp.port)

    def env(self) -> dict[str, str]:
        """The environment variables that point the functions at these fakes."""
        cfg = self.config
        env = {
            "TWILIO_API_BASE_URL": self.twilio_base_url,
            "TWILIO_ACCOUNT_SID": cfg.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": cfg.twilio_auth_token,
            "META_GRAPH_BASE_URL": self.meta_graph_base_url,
            "META_WHATSAPP_TOKEN": cfg.meta_token,
            "META_APP_SECRET": cfg.meta_app_secret,
            "FCM_API_BASE_URL": self.fcm_base_url,
            "SMTP_HOST": self.host,
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_STARTTLS": "false",
        }
        if cfg.meta_phone_number_id:
            env["META_PHONE_NUMBER_ID"] = cfg.meta_phone_number_id
        return env

    def describe(self) -> dict[str, Any]:
        """What the CLI prints when ready."""
        return {
            "http_url": self.http_url,
            "control_url": self.control_url,
            "twilio_base_url": self.twilio_base_url,
            "twilio_api_base_url": self.twilio_base_url,
            "meta_graph_base_url": self.meta_graph_base_url,
            "fcm_base_url": self.fcm_base_url,
            "fcm_api_base_url": self.fcm_base_url,
            "smtp_host": self.host,
            "smtp_port": self.smtp_port,
            "env": self.env(),
        }

    # -- what happened -----------------------------------------------------------------------
    def requests(self, provider: str | None = None) -> list[dict[str, Any]]:
        return self.state.requests(provider)

    def messages(self, provider: str) -> list[dict[str, Any]]:
        return self.state.messages(provider)

    def emails(self) -> list[dict[str, Any]]:
        return self.state.emails()

    def callbacks_sent(self) -> list[dict[str, Any]]:
        return self.state.callbacks()

    # -- control -----------------------------------------------------------------------------
    def reset(self) -> None:
        self.state.reset()

    def set_faults(self, rules: Sequence[Mapping[str, Any]], *, append: bool = False) -> None:
        self.state.faults.set([FaultRule.from_json(r) for r in rules], append=append)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def send_twilio_status(
        self, sid: str, status: str, *, error_code: int | str | None = None, url: str | None = None
    ) -> dict[str, Any]:
        return self.callbacks.twilio(sid, status, error_code=error_code, url=url)

    def send_meta_status(
        self,
        message_id: str,
        status: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        url: str | None = None,
    ) -> dict[str, Any]:
        return self.callbacks.meta(message_id, status, errors=errors, url=url)

    def set_auto_callbacks(
        self, enabled: bool, statuses: Sequence[str] | None = None, delay: float | None = None
    ) -> None:
        self.callbacks.configure_auto(enabled, statuses, delay)

    def set_meta_webhook_url(self, url: str | None) -> None:
        self.config.meta_webhook_url = url
