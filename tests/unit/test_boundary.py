"""The boundary's pure parts: the one error table, and a body never read past its limit."""

from __future__ import annotations

import io
from typing import Any

import pytest

from functions.boundary.errors import (
    BadRequestError,
    Caller,
    CredentialsInvalidError,
    CredentialsMissingError,
    ForbiddenError,
    MethodNotAllowedError,
    NotConfiguredError,
    PayloadTooLargeError,
    status_for,
)
from functions.boundary.http import read_body
from shared.platform.errors import InvalidInputError, TransientError


@pytest.mark.parametrize(
    ("error", "internal", "twilio", "meta"),
    [
        (MethodNotAllowedError(), 405, 405, 405),
        (PayloadTooLargeError(), 400, 413, 413),
        (CredentialsMissingError(), 401, 403, 401),
        (CredentialsInvalidError(), 401, 403, 403),
        (ForbiddenError(), 403, 403, 403),
        (NotConfiguredError(), 403, 403, 403),
        (BadRequestError(), 400, 400, 400),
        (TransientError(), 503, 503, 503),
        (ConnectionError(), 503, 503, 503),
        (InvalidInputError(), 400, 200, 200),
        (KeyError("a bug"), 500, 200, 200),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_every_error_has_one_answer_per_caller(
    error: BaseException, internal: int, twilio: int, meta: int
) -> None:
    assert tuple(status_for(error, c) for c in (Caller.INTERNAL, Caller.TWILIO, Caller.META)) == (
        internal,
        twilio,
        meta,
    )


class _Stream(io.RawIOBase):
    """A chunked body of ``size`` bytes that counts what was read from it."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        self.read_total += n
        return n


class _Request:
    def __init__(self, size: int, content_length: int | None) -> None:
        self.raw = _Stream(size)
        self.stream = io.BufferedReader(self.raw, buffer_size=1024)
        self.content_length = content_length


def test_a_chunked_body_larger_than_the_limit_is_refused_after_limit_plus_one_bytes() -> None:
    request = _Request(32 * 1024 * 1024, content_length=None)  # 32 MiB, no Content-Length

    with pytest.raises(PayloadTooLargeError):
        read_body(request, 256 * 1024)  # type: ignore[arg-type]

    assert request.raw.read_total <= 256 * 1024 + 1024 + 1  # the limit, a buffer, one byte


def test_an_announced_large_body_is_refused_without_reading_it() -> None:
    request = _Request(10_000, content_length=10_000)

    with pytest.raises(PayloadTooLargeError):
        read_body(request, 1000)  # type: ignore[arg-type]

    assert request.raw.read_total == 0


def test_a_body_within_the_limit_is_read_whole() -> None:
    request = _Request(1000, content_length=None)

    assert read_body(request, 1000) == b"x" * 1000  # type: ignore[arg-type]
