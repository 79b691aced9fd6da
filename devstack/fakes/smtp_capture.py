"""SMTP capture: an aiosmtpd server that records every message (and can be made to fail).

No TLS: clients must not ask for STARTTLS (``SMTP_STARTTLS=false``). AUTH is offered without
TLS and accepts the configured login (any login when none is configured).
"""

from __future__ import annotations

import asyncio
import socket
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from devstack.fakes.faults import FaultRule
from devstack.fakes.state import FakeState, now

DEFAULT_ERROR_REPLY = {
    421: "4.3.0 Service not available, try again later",
    450: "4.2.1 Mailbox busy, try again later",
    451: "4.3.0 Local error in processing",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 The email account that you tried to reach does not exist",
    552: "5.3.4 Message size exceeds fixed limit",
    554: "5.7.1 Message rejected",
}


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    return str(part.get_content())


class CaptureHandler:
    """aiosmtpd handler: faults at RCPT (errors) or DATA (hangs), else record and accept."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        fault = self.state.faults.take("smtp", address)
        if fault is not None and fault.action == "error":
            code = int(fault.status or fault.code or 451)
            return f"{code} {fault.message or DEFAULT_ERROR_REPLY.get(code, 'Rejected')}"
        if fault is not None:
            session.fake_fault = fault  # type: ignore[attr-defined]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        fault: FaultRule | None = getattr(session, "fake_fault", None)
        session.fake_fault = None  # type: ignore[attr-defined]
        if fault is not None and fault.action == "timeout":
            await asyncio.to_thread(self.state.hang, fault.delay)
            return "451 4.4.2 Timeout elapsed"
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        parsed = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(parsed, EmailMessage)
        record: dict[str, Any] = {
            "time": now().isoformat(),
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(parsed.get("From", "")),
            "to": str(parsed.get("To", "")),
            "subject": str(parsed.get("Subject", "")),
            "message_id": str(parsed.get("Message-ID", "")),
            "headers": {k: str(v) for k, v in parsed.items()},
            "content_type": parsed.get_content_type(),
            "text": _part(parsed, "plain"),
            "html": _part(parsed, "html"),
            "authenticated": bool(session.authenticated),
            "fault": fault.action if fault else None,
            "raw": data.decode("utf-8", "replace"),
        }
        self.state.add_email(record)
        if fault is not None:  # accept_then_timeout: kept, then the 250 is lost
            await asyncio.to_thread(self.state.hang, fault.delay)
        return "250 2.0.0 OK: queued"


class CaptureController(Controller):
    """aiosmtpd's threaded controller, bound to a socket made up front (port 0 allowed)."""

    def __init__(self, state: FakeState, host: str, port: int) -> None:
        self.state = state
        self._sock = socket.create_server((host, port))
        actual_port = self._sock.getsockname()[1]
        super().__init__(
            CaptureHandler(state),
            hostname=host,
            port=actual_port,
            server_hostname="fake-smtp.local",
            auth_require_tls=False,
            authenticator=self._authenticate,
            ready_timeout=5.0,
        )

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)

    def _authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth: Any
    ) -> AuthResult:
        cfg = self.state.config
        if not isinstance(auth, LoginPassword):
            return AuthResult(success=False, handled=False)
        if cfg.smtp_username is None:
            return AuthResult(success=True)
        ok = auth.login.decode() == cfg.smtp_username and auth.password.decode() == (
            cfg.smtp_password or ""
        )
        return AuthResult(success=ok, handled=False)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self._sock.close()
