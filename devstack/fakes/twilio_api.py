"""Fake Twilio Messages API (2010-04-01), shaped like the real one for the real SDK.

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: form fields as Twilio takes them
  (``To``, ``From``, ``MessagingServiceSid``, ``Body``, ``ContentSid``, ``ContentVariables``,
  ``StatusCallback``...), Basic auth with the account sid and auth token; 201 with the message
  resource (``sid`` ``SM`` + 32 hex, ``status`` ``queued``, or ``accepted`` for a messaging
  service without ``From``), errors as ``{"code", "message", "more_info", "status"}``.
- ``GET .../Messages.json``: newest first, filters ``To``, ``From``, ``DateSent``,
  ``DateSent<``, ``DateSent>``, paging with ``PageSize`` and ``Page``.
- ``GET .../Messages/{Sid}.json``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from devstack.fakes.faults import FaultRule
from devstack.fakes.state import FakeState, now, public

API_VERSION = "2010-04-01"
E164 = re.compile(r"\+[1-9]\d{6,14}")
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = frozenset("\f^{}\\[~]|€")

# code -> (HTTP status, message); "{to}" is replaced by the recipient.
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "Invalid 'To' Phone Number: {to}"),
    21408: (
        400,
        "Permission to send an SMS has not been enabled for the region indicated by the "
        "'To' number: {to}",
    ),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21635: (400, "'To' number cannot be a landline"),
    21656: (400, "The Content Variables parameter is invalid."),
    21910: (400, "Invalid From and To pair. From and To should be of the same channel"),
    63016: (
        400,
        "Failed to send freeform message because you are outside the allowed window. If you "
        "are using WhatsApp, please use a Message Template.",
    ),
}
CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


def error_response(
    status: int | None, code: int | None, message: str | None, to: str = ""
) -> Response:
    """Twilio's error JSON; missing pieces filled from ``ERRORS``."""
    if code is None:
        code = CODE_FOR_STATUS.get(status or 400, 21211 if (status or 400) == 400 else 20500)
    known_status, known_message = ERRORS.get(code, (status or 400, f"Error {code}"))
    status = status or known_status
    body = {
        "code": code,
        "message": message or known_message.replace("{to}", to),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(json.dumps(body), status=status, mimetype="application/json")


def segments(body: str) -> int:
    """Twilio's ``num_segments``: GSM-7 160/153 units, else UCS-2 70/67 code units."""
    if all(ch in GSM7 or ch in GSM7_EXT for ch in body):
        units = sum(2 if ch in GSM7_EXT else 1 for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


def flat_form(form: MultiDict[str, str]) -> dict[str, Any]:
    return {k: (v[0] if len(v) == 1 else v) for k, v in form.lists()}


def _address_digits(value: str) -> str:
    return value.removeprefix("whatsapp:")


class TwilioApi:
    """The Messages endpoints over a ``FakeState``; ``on_accepted(sid)`` after each create."""

    def __init__(self, state: FakeState, on_accepted: Callable[[str], None]) -> None:
        self.state = state
        self.on_accepted = on_accepted

    # -- helpers -----------------------------------------------------------------------------
    def _auth_ok(self, request: Request) -> bool:
        auth = request.authorization
        cfg = self.state.config
        return bool(
            auth
            and auth.type == "basic"
            and auth.username == cfg.twilio_account_sid
            and auth.password == cfg.twilio_auth_token
        )

    def _check(self, request: Request, account_sid: str, entry: dict[str, Any]) -> Response | None:
        if not self._auth_ok(request):
            self.state.update_request(entry, status=401, auth="rejected")
            return error_response(401, 20003, None)
        if account_sid != self.state.config.twilio_account_sid:
            self.state.update_request(entry, status=404)
            return error_response(404, 20404, None)
        return None

    def _record(self, request: Request, **fields: Any) -> dict[str, Any]:
        return self.state.record_request(
            {
                "provider": "twilio",
                "method": request.method,
                "path": request.path,
                "query": flat_form(request.args),
                "auth": "ok" if self._auth_ok(request) else "rejected",
                "status": None,
                "fault": None,
                **fields,
            }
        )

    def _uri(self, sid: str) -> str:
        return f"/{API_VERSION}/Accounts/{self.state.config.twilio_account_sid}/Messages/{sid}.json"

    # -- endpoints ---------------------------------------------------------------------------
    def create(self, request: Request, account_sid: str) -> Response:
        params = flat_form(request.form)
        entry = self._record(request, params=params)
        rejected = self._check(request, account_sid, entry)
        if rejected is not None:
            return rejected
        to = str(params.get("To") or "")
        fault = self.state.faults.take("twilio", to)
        if fault is not None and fault.action != "accept_then_timeout":
            return self._fault(fault, entry, to)
        invalid = self._validate(params)
        if invalid is not None:
            code, status = invalid, ERRORS[invalid][0]
            self.state.update_request(entry, status=status, error_code=code)
            return error_response(status, code, None, to)
        message = self._new_message(params)
        self.state.add_message("twilio", message["sid"], message)
        self.state.update_request(entry, status=201, message_id=message["sid"])
        body = json.dumps(public(message), default=str)
        if fault is not None:  # accept_then_timeout: created, then the answer is lost
            self.state.update_request(entry, fault=fault.action, status=None)
            self.on_accepted(message["sid"])
            self.state.hang(fault.delay)
            return Response(body, status=201, mimetype="application/json")
        self.on_accepted(message["sid"])
        return Response(body, status=201, mimetype="application/json")

    def _fault(self, fault: FaultRule, entry: dict[str, Any], to: str) -> Response:
        if fault.action == "timeout":
            self.state.update_request(entry, fault="timeout", status=None)
            self.state.hang(fault.delay)
            return error_response(504, 20500, "fake timeout elapsed")
        code = None if fault.code is None else int(fault.code)
        response = error_response(fault.status, code, fault.message, to)
        self.state.update_request(
            entry, fault="error", status=response.status_code, error_code=code
        )
        return response

    def _validate(self, params: dict[str, Any]) -> int | None:
        to = str(params.get("To") or "")
        sender = str(params.get("From") or "")
        if not to:
            return 21604
        if not E164.fullmatch(_address_digits(to)):
            return 21211
        if not sender and not params.get("MessagingServiceSid"):
            return 21603
        if sender and to.startswith("whatsapp:") != sender.startswith("whatsapp:"):
            return 21910
        if not params.get("Body") and not params.get("ContentSid") and not params.get("MediaUrl"):
            return 21602
        if params.get("ContentVariables"):
            try:
                variables = json.loads(str(params["ContentVariables"]))
            except ValueError:
                return 21656
            if not isinstance(variables, dict):
                return 21656
        return None

    def _new_message(self, params: dict[str, Any]) -> dict[str, Any]:
        created = now()
        sid = "SM" + uuid.uuid4().hex
        to = str(params["To"])
        sender = params.get("From") or None
        service = params.get("MessagingServiceSid") or None
        content_sid = params.get("ContentSid") or None
        body = str(params.get("Body") or "")
        if content_sid and not body:
            variables = json.loads(str(params.get("ContentVariables") or "{}"))
            values = [str(variables[k]) for k in sorted(variables, key=lambda k: (len(k), k))]
            body = " | ".join([f"[template {content_sid}]", *values])
        whatsapp = to.startswith("whatsapp:")
        return {
            "account_sid": self.state.config.twilio_account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": rfc2822(created),
            "date_sent": None,
            "date_updated": rfc2822(created),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1" if whatsapp else str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not sender else "queued",
            "subresource_uris": {"media": self._uri(sid).replace(".json", "/Media.json")},
            "to": to,
            "uri": self._uri(sid),
            "_created": created,
            "_status_callback": params.get("StatusCallback"),
            "_content_sid": content_sid,
            "_content_variables": params.get("ContentVariables"),
        }

    def fetch(self, request: Request, account_sid: str, sid: str) -> Response:
        entry = self._record(request)
        rejected = self._check(request, account_sid, entry)
        if rejected is not None:
            return rejected
        message = self.state.message("twilio", sid)
        if message is None:
            self.state.update_request(entry, status=404)
            return error_response(404, 20404, None)
        self.state.update_request(entry, status=200)
        return Response(json.dumps(public(message), default=str), mimetype="application/json")

    def list(self, request: Request, account_sid: str) -> Response:
        entry = self._record(request)
        rejected = self._check(request, account_sid, entry)
        if rejected is not None:
            return rejected
        args = request.args
        found = [m for m in self.state.messages("twilio") if _matches(m, args)]
        found.sort(key=lambda m: m["_seq"], reverse=True)
        size = max(1, min(int(args.get("PageSize") or 50), 1000))
        page = max(0, int(args.get("Page") or 0))
        chunk = found[page * size : (page + 1) * size]
        base = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        filters = {k: v for k, v in args.items() if k not in {"Page", "PageSize", "PageToken"}}

        def page_uri(number: int) -> str:
            return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

        more = len(found) > (page + 1) * size
        body = {
            "end": page * size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "messages": [public(m) for m in chunk],
            "next_page_uri": page_uri(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": page * size,
            "uri": page_uri(page),
        }
        self.state.update_request(entry, status=200)
        return Response(json.dumps(body, default=str), mimetype="application/json")


def _parse_day_or_time(value: str) -> datetime | date:
    value = value.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _matches(message: dict[str, Any], args: MultiDict[str, str]) -> bool:
    if args.get("To") and message["to"] != args["To"]:
        return False
    if args.get("From") and message["from"] != args["From"]:
        return False
    sent: datetime | None = message.get("_sent")
    for key, op in (("DateSent", "="), ("DateSent<", "<="), ("DateSent>", ">=")):
        if not args.get(key):
            continue
        if sent is None:
            return False
        bound = _parse_day_or_time(args[key])
        left: datetime | date = sent if isinstance(bound, datetime) else sent.date()
        if op == "=" and left != bound:
            return False
        if op == "<=" and left > bound:
            return False
        if op == ">=" and left < bound:
            return False
    return True
