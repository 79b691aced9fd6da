"""Fake FCM HTTP v1: ``POST /v1/projects/{project}/messages:send``.

Any bearer token is accepted (the adapter's local credential is static); answers
``{"name": "projects/{project}/messages/0:...}"`` and errors in Google's shape with the
``FcmError`` detail that firebase-admin maps to its exception classes.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack.fakes.faults import FaultRule
from devstack.fakes.state import FakeState, now

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# FCM error code -> (HTTP status, canonical status, message)
ERRORS: dict[str, tuple[int, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    ),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for the sending rate."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "APNs or web push auth error."),
}
CODE_FOR_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "SENDER_ID_MISMATCH",
    404: "UNREGISTERED",
    429: "QUOTA_EXCEEDED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error_response(status: int | None, code: str | None, message: str | None) -> Response:
    code = code or CODE_FOR_STATUS.get(status or 500, "INTERNAL")
    known_status, canonical, known_message = ERRORS.get(code, (status or 500, "UNKNOWN", code))
    status = status or known_status
    body = {
        "error": {
            "code": status,
            "message": message or known_message,
            "status": canonical,
            "details": [{"@type": FCM_ERROR_TYPE, "errorCode": code}],
        }
    }
    return Response(json.dumps(body), status=status, mimetype="application/json")


class FcmApi:
    """The send endpoint over a ``FakeState``."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    def send(self, request: Request, project: str) -> Response:
        try:
            payload: Any = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            payload = None
        message = payload.get("message") if isinstance(payload, dict) else None
        token = str(message.get("token") or "") if isinstance(message, dict) else ""
        authorized = request.headers.get("Authorization", "").startswith("Bearer ")
        entry = self.state.record_request(
            {
                "provider": "fcm",
                "method": request.method,
                "path": request.path,
                "project": project,
                "json": payload,
                "token": token,
                "auth": "ok" if authorized else "rejected",
                "status": None,
                "fault": None,
            }
        )
        if not authorized:
            self.state.update_request(entry, status=401)
            return error_response(401, "THIRD_PARTY_AUTH_ERROR", "Request is missing credentials")
        expected = self.state.config.fcm_project
        if expected and project != expected:
            self.state.update_request(entry, status=403)
            return error_response(403, "SENDER_ID_MISMATCH", f"unknown project {project}")
        fault = self.state.faults.take("fcm", token)
        if fault is not None and fault.action != "accept_then_timeout":
            return self._fault(fault, entry)
        if not isinstance(message, dict) or not (
            token or message.get("topic") or message.get("condition")
        ):
            self.state.update_request(entry, status=400)
            return error_response(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        name = f"projects/{project}/messages/0:{time.time_ns() // 1000}%{os.urandom(8).hex()}"
        self.state.add_message(
            "fcm",
            name,
            {
                "name": name,
                "token": token,
                "notification": message.get("notification"),
                "data": message.get("data"),
                "validate_only": bool(payload.get("validate_only")),
                "created": now().isoformat(),
            },
        )
        self.state.update_request(entry, status=200, message_id=name)
        if fault is not None:
            self.state.update_request(entry, fault=fault.action, status=None)
            self.state.hang(fault.delay)
        return Response(json.dumps({"name": name}), status=200, mimetype="application/json")

    def _fault(self, fault: FaultRule, entry: dict[str, Any]) -> Response:
        if fault.action == "timeout":
            self.state.update_request(entry, fault="timeout", status=None)
            self.state.hang(fault.delay)
            return error_response(503, "UNAVAILABLE", "fake timeout elapsed")
        code = None if fault.code is None else str(fault.code)
        response = error_response(fault.status, code, fault.message)
        self.state.update_request(
            entry, fault="error", status=response.status_code, error_code=code
        )
        return response
