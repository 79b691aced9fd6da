"""Fake WhatsApp Cloud API: ``POST /{version}/{phone-number-id}/messages``.

Bearer token checked (Graph error 190 otherwise); ``text`` and ``template`` messages validated
the way the Cloud API does for the fields this project uses; answers
``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}``
and errors in Graph shape ``{"error": {"message", "type", "code", "error_data", "error_subcode",
"fbtrace_id"}}``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack.fakes.faults import FaultRule
from devstack.fakes.state import FakeState, now

VERSION = re.compile(r"v\d+\.\d+")
USER_ID = re.compile(r"[A-Za-z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")  # a business-scoped user id

# code -> (HTTP status, title, details)
ERRORS: dict[int, tuple[int, str, str]] = {
    100: (400, "Invalid parameter", "A parameter is missing or invalid."),
    190: (401, "Invalid OAuth access token - Cannot parse access token", ""),
    130429: (400, "Rate limit hit", "Cloud API message throughput has been reached."),
    131000: (500, "Something went wrong", "Something went wrong."),
    131016: (503, "Service unavailable", "A service is temporarily unavailable."),
    131026: (
        400,
        "Message undeliverable",
        "Message failed to send because the recipient is not a WhatsApp user.",
    ),
    131047: (
        400,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131051: (400, "Unsupported message type", "Message type is not currently supported."),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit", ""),
    132000: (400, "Number of parameters does not match the expected number of params", ""),
    132001: (404, "Template name does not exist in the translation", ""),
}
CODE_FOR_STATUS = {401: 190, 429: 130429, 500: 131000, 503: 131016}


def error_response(status: int | None, code: int | None, message: str | None) -> Response:
    if code is None:
        code = CODE_FOR_STATUS.get(status or 400, 100)
    known_status, title, details = ERRORS.get(code, (status or 400, f"Error {code}", ""))
    error: dict[str, Any] = {
        "message": f"(#{code}) {message or title}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": base64.urlsafe_b64encode(os.urandom(12)).decode(),
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    body = json.dumps({"error": error})
    return Response(body, status=status or known_status, mimetype="application/json")


def new_wamid(wa_id: str) -> str:
    raw = b"\x15\x02\x00\x11\x18\x12" + wa_id.encode() + os.urandom(16)
    return "wamid." + base64.b64encode(raw).decode()


def _validate(payload: Any) -> str | None:
    """What is wrong with a send body, or ``None``."""
    if not isinstance(payload, dict):
        return "the body must be a JSON object"
    if payload.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    recipient = str(payload.get("recipient") or "")
    if not payload.get("to") and USER_ID.fullmatch(recipient):
        pass  # a business-scoped user id, sent as "recipient" without "to"
    elif not re.fullmatch(r"\d{7,15}", str(payload.get("to") or "").lstrip("+")):
        return "to must be a phone number (or recipient a business-scoped user id)"
    kind = payload.get("type", "text")
    if kind == "text":
        text = payload.get("text")
        if not isinstance(text, dict) or not text.get("body"):
            return "text.body is required"
        return None
    if kind == "template":
        template = payload.get("template")
        if not isinstance(template, dict) or not template.get("name"):
            return "template.name is required"
        language = template.get("language")
        if not isinstance(language, dict) or not language.get("code"):
            return "template.language.code is required"
        return None
    return f"unsupported type for this fake: {kind}"


class MetaApi:
    """The messages endpoint over a ``FakeState``; ``on_accepted(id)`` after each send."""

    def __init__(self, state: FakeState, on_accepted: Callable[[str], None]) -> None:
        self.state = state
        self.on_accepted = on_accepted

    def _auth_ok(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header == f"Bearer {self.state.config.meta_token}"

    def send(self, request: Request, version: str, phone_number_id: str) -> Response:
        try:
            payload: Any = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            payload = None
        entry = self.state.record_request(
            {
                "provider": "meta",
                "method": request.method,
                "path": request.path,
                "version": version,
                "phone_number_id": phone_number_id,
                "json": payload,
                "auth": "ok" if self._auth_ok(request) else "rejected",
                "status": None,
                "fault": None,
            }
        )
        if not self._auth_ok(request):
            self.state.update_request(entry, status=401)
            return error_response(401, 190, None)
        expected = self.state.config.meta_phone_number_id
        if not VERSION.fullmatch(version) or (expected and phone_number_id != expected):
            self.state.update_request(entry, status=400)
            return error_response(
                400,
                100,
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist",
            )
        to = (
            str(payload.get("to") or payload.get("recipient") or "")
            if isinstance(payload, dict)
            else ""
        )
        fault = self.state.faults.take("meta", to)
        if fault is not None and fault.action != "accept_then_timeout":
            return self._fault(fault, entry)
        problem = _validate(payload)
        if problem is not None:
            self.state.update_request(entry, status=400, error_code=100)
            return error_response(400, 100, f"Invalid parameter: {problem}")
        user_id = to if USER_ID.fullmatch(to) else None
        wa_id = "" if user_id else to.lstrip("+")
        wamid = new_wamid(wa_id or to)
        message: dict[str, Any] = {
            "id": wamid,
            "to": to,
            "wa_id": wa_id,
            "user_id": user_id,
            "phone_number_id": phone_number_id,
            "type": payload.get("type", "text"),
            "text": (payload.get("text") or {}).get("body"),
            "template": payload.get("template"),
            "biz_opaque_callback_data": payload.get("biz_opaque_callback_data"),
            "status": "accepted",
            "created": now().isoformat(),
        }
        self.state.add_message("meta", wamid, message)
        self.state.update_request(entry, status=200, message_id=wamid)
        first: dict[str, Any] = {"id": wamid}
        if message["type"] == "template":
            first["message_status"] = "accepted"
        body = json.dumps(
            {
                "messaging_product": "whatsapp",
                "contacts": [
                    {"input": to, "user_id": user_id} if user_id else {"input": to, "wa_id": wa_id}
                ],
                "messages": [first],
            }
        )
        self.on_accepted(wamid)
        if fault is not None:
            self.state.update_request(entry, fault=fault.action, status=None)
            self.state.hang(fault.delay)
        return Response(body, status=200, mimetype="application/json")

    def _fault(self, fault: FaultRule, entry: dict[str, Any]) -> Response:
        if fault.action == "timeout":
            self.state.update_request(entry, fault="timeout", status=None)
            self.state.hang(fault.delay)
            return error_response(503, 131016, "fake timeout elapsed")
        code = None if fault.code is None else int(fault.code)
        response = error_response(fault.status, code, fault.message)
        self.state.update_request(
            entry, fault="error", status=response.status_code, error_code=code
        )
        return response
