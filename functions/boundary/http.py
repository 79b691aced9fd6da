"""HTTP at the edge: the one view of a request every target reads, and the answers it gives.

``read_request`` turns the framework's request into a ``RawRequest``: method, the path and query
exactly as received (signatures are computed over them), lower-case headers, and the body read
from the stream **at most the target's limit plus one byte**: a body announced larger, or a
chunked body that turns out larger, is refused with ``PayloadTooLargeError`` before it is held
in memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol
from urllib.parse import quote

from functions.boundary.errors import BadRequestError, PayloadTooLargeError

Response = tuple[str, int, dict[str, str]]

TEXT = {"Content-Type": "text/plain; charset=utf-8"}
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "text/xml; charset=utf-8"}
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class RequestLike(Protocol):
    """The parts of a Flask/Werkzeug request the targets read."""

    @property
    def method(self) -> str: ...
    @property
    def environ(self) -> dict[str, Any]: ...
    @property
    def headers(self) -> Any: ...
    @property
    def args(self) -> Any: ...
    @property
    def content_length(self) -> int | None: ...
    @property
    def stream(self) -> IO[bytes]: ...


@dataclass(frozen=True)
class RawRequest:
    """What the targets need of an HTTP request: ``headers`` keys are lower-case, ``path`` and
    ``query`` as received (percent-encoded), ``body`` the raw bytes."""

    method: str
    scheme: str
    host: str
    path: str
    query: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    args: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name.lower())
        return value if value else None


def _target(environ: Mapping[str, Any]) -> tuple[str, str]:
    """The request target's path and query, as the client sent them."""
    target = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if target.startswith(("http://", "https://")):  # absolute-form request target
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    if target.startswith("/"):
        path, has_query, query = target.partition("?")
    else:
        script_and_path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
        path = quote(script_and_path.encode("latin-1", errors="replace"), safe=_PATH_SAFE)
        has_query, query = "", ""
    if not has_query:  # a server that keeps the query out of its raw URI
        query = str(environ.get("QUERY_STRING", ""))
    return path or "/", query


def read_body(request: RequestLike, limit: int) -> bytes:
    """At most ``limit`` bytes of body, never holding more than ``limit + 1``."""
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLargeError(f"body of {length} bytes, more than {limit}")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLargeError(f"body of more than {limit} bytes")
    return body


def read_request(request: RequestLike, *, limit: int, body: bool = True) -> RawRequest:
    """The request as the targets see it (the body read only when asked, within ``limit``)."""
    environ = request.environ
    path, query = _target(environ)
    host = str(environ.get("HTTP_HOST") or "")
    if not host:
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return RawRequest(
        method=request.method,
        scheme=str(environ.get("wsgi.url_scheme") or "http"),
        host=host,
        path=path,
        query=query,
        body=read_body(request, limit) if body else b"",
        headers={str(k).lower(): str(v) for k, v in request.headers.items()},
        args={str(k): str(v) for k, v in request.args.items()},
    )


def json_response(body: Mapping[str, Any], status: int = 200) -> Response:
    return json.dumps(body, default=str), status, dict(JSON)


def text_response(body: str, status: int = 200) -> Response:
    return body, status, dict(TEXT)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``BadRequestError`` saying what is wrong with it."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deep nesting recurses
        raise BadRequestError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadRequestError("body must be a JSON object")
    return value
