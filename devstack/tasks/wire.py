"""What the Tasks emulator puts on the wire for one attempt, and how it reads the answer.

Stdlib-only like ``schedule.py`` (both venvs import it). The request is made with
``http.client`` rather than ``urllib`` because urllib adds headers of its own (a form
``Content-Type`` when the task has none, ``Accept-Encoding``), which Cloud Tasks does not send.

Headers, from "Creating HTTP Target tasks"
(https://cloud.google.com/tasks/docs/creating-http-target-tasks): the task's own headers minus
the ones Cloud Tasks replaces or reserves (``Host``, ``Content-Length``, ``User-Agent:
Google-Cloud-Tasks``, ``X-Google-*``, ``X-AppEngine-*``, ``X-CloudTasks-*``), then
``X-CloudTasks-QueueName`` and ``-TaskName`` (short ids), ``-TaskRetryCount`` (attempts before
this one), ``-TaskExecutionCount`` (responses from the handler, "not including failures due to
5XX error codes"), ``-TaskETA`` (schedule time, seconds since the epoch) and, on a retry,
``-TaskPreviousResponse`` (the previous HTTP status) and ``-TaskRetryReason``. The last two have
no documented format; what real Cloud Tasks was seen sending to an HTTP target
(aertje/cloud-tasks-emulator, conformance/golden/dispatch.json) is kept: the status code, 504
after a deadline exceeded, and an empty reason.
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "Google-Cloud-Tasks"
_RESERVED = ("host", "content-length", "user-agent")
_RESERVED_PREFIXES = ("x-google-", "x-appengine-", "x-cloudtasks-")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# HTTP status -> google.rpc.Code, as Google maps them (google/rpc/code.proto), for
# ``Attempt.response_status``; anything else of a class falls back on the class's code.
_RPC_CODES = {
    200: 0,  # OK
    400: 3,  # INVALID_ARGUMENT
    401: 16,  # UNAUTHENTICATED
    403: 7,  # PERMISSION_DENIED
    404: 5,  # NOT_FOUND
    409: 10,  # ABORTED
    429: 8,  # RESOURCE_EXHAUSTED
    499: 1,  # CANCELLED
    501: 12,  # UNIMPLEMENTED
    503: 14,  # UNAVAILABLE
    504: 4,  # DEADLINE_EXCEEDED
}
_RPC_CLASS_CODES = {2: 0, 3: 9, 4: 9, 5: 13}  # OK, FAILED_PRECONDITION, INTERNAL
UNREACHABLE_STATUS = 503  # no connection: UNAVAILABLE, reported to the next attempt as 503
DEADLINE_STATUS = 504  # no answer in time: DEADLINE_EXCEEDED, reported as 504


@dataclass(frozen=True)
class HttpCall:
    """One attempt's request, built under the emulator's lock and sent outside it."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    deadline: float


@dataclass(frozen=True)
class Outcome:
    """What came back: an HTTP status, or no answer (``status`` None) and why."""

    status: int | None
    latency: float
    error: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """A 2xx: the task is done."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def handler_responded(self) -> bool:
        """Counts in ``X-CloudTasks-TaskExecutionCount`` (an answer, not a 5xx)."""
        return self.status is not None and self.status < 500

    @property
    def reported_status(self) -> int:
        """The HTTP status the next attempt sees as ``X-CloudTasks-TaskPreviousResponse``."""
        if self.status is not None:
            return self.status
        return DEADLINE_STATUS if self.timed_out else UNREACHABLE_STATUS

    def rpc_status(self) -> tuple[int, str]:
        """``(google.rpc.Code, message)`` for ``Attempt.response_status``."""
        status = self.reported_status
        code = _RPC_CODES.get(status, _RPC_CLASS_CODES.get(status // 100, 2))  # 2: UNKNOWN
        return code, self.error or f"HTTP status {status}"


def dispatch_headers(
    task_headers: Mapping[str, str],
    *,
    queue_id: str,
    task_id: str,
    retry_count: int,
    execution_count: int,
    eta: float,
    previous_response: int | None,
) -> dict[str, str]:
    """Every header of one attempt of an HTTP task (``previous_response`` None: first try)."""
    headers = {
        name: value
        for name, value in task_headers.items()
        if name.lower() not in _RESERVED and not name.lower().startswith(_RESERVED_PREFIXES)
    }
    headers["User-Agent"] = USER_AGENT
    headers["X-CloudTasks-QueueName"] = queue_id
    headers["X-CloudTasks-TaskName"] = task_id
    headers["X-CloudTasks-TaskRetryCount"] = str(retry_count)
    headers["X-CloudTasks-TaskExecutionCount"] = str(execution_count)
    headers["X-CloudTasks-TaskETA"] = f"{eta:.6f}"
    if retry_count > 0 and previous_response is not None:
        headers["X-CloudTasks-TaskPreviousResponse"] = str(previous_response)
        headers["X-CloudTasks-TaskRetryReason"] = ""
    return headers


def send(call: HttpCall) -> Outcome:
    """Make the request; a refused connection or no answer within the deadline is an
    outcome (a failed attempt), never an exception."""
    parts = urlsplit(call.url)
    host = parts.hostname or "localhost"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=call.deadline, context=context
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=call.deadline)
    try:
        connection.putrequest(call.method, path, skip_accept_encoding=True)
        for name, value in call.headers.items():
            connection.putheader(name, value)
        body = call.body if call.method in _BODY_METHODS else b""
        if call.method in _BODY_METHODS:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        response.read()
        status = response.status
    except TimeoutError:
        latency = time.monotonic() - started
        return Outcome(None, latency, f"no answer within {call.deadline:g}s", timed_out=True)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    latency = time.monotonic() - started
    if latency > call.deadline:  # a slow trickle of bytes: each read was in time, not the whole
        return Outcome(None, latency, f"no answer within {call.deadline:g}s", timed_out=True)
    return Outcome(status, latency)
