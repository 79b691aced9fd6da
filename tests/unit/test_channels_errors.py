"""Provider error classification: one table per provider, read through one function each."""

from __future__ import annotations

import smtplib

import pytest
import requests
import urllib3.exceptions
from firebase_admin import exceptions as fb_exceptions
from firebase_admin import messaging

from shared.model.enums import Provider
from shared.platform.errors import PermanentError, TransientError, is_transient
from shared.rules.provider_errors import (
    ErrorKind,
    PermanentProviderError,
    ProviderError,
    ProviderNotConfiguredError,
    TransientProviderError,
    classify_fcm,
    classify_meta,
    classify_smtp,
    classify_transport,
    classify_twilio,
)

K = ErrorKind


# -- Twilio ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code", "kind", "transient"),
    [
        (429, 20429, K.RATE_LIMITED, True),
        (503, 20503, K.UNAVAILABLE, True),
        (500, 20500, K.UNAVAILABLE, True),
        (503, 503, K.UNAVAILABLE, True),  # the SDK's code when the body has none
        (502, None, K.UNAVAILABLE, True),
        (429, None, K.RATE_LIMITED, True),
        (400, 21211, K.INVALID_RECIPIENT, False),
        (400, 21610, K.OPT_OUT, False),
        (400, 21614, K.LANDLINE, False),
        (400, 21635, K.LANDLINE, False),
        (400, 21408, K.RECIPIENT_NOT_ALLOWED, False),
        (400, 63016, K.WINDOW_CLOSED, False),
        (400, 63018, K.RATE_LIMITED, True),
        (400, 21656, K.TEMPLATE, False),
        (401, 20003, K.AUTH, False),
        (400, 99999, K.REJECTED, False),  # unknown code: the status decides
        (None, "30003", K.UNDELIVERABLE, False),  # a status callback's ErrorCode
        (None, "30006", K.LANDLINE, False),
    ],
)
def test_twilio_codes_classify_by_table(
    status: int | None, code: int | str | None, kind: ErrorKind, transient: bool
) -> None:
    error = classify_twilio(status, code, "msg")
    assert error.kind is kind
    assert error.transient is transient
    assert isinstance(error, TransientProviderError if transient else PermanentProviderError)
    assert error.provider is Provider.TWILIO
    assert error.http_status == status
    assert error.code == (None if code is None else str(code))


def test_twilio_unsubscribed_recipient_asks_for_opt_out() -> None:
    error = classify_twilio(400, 21610, "Attempt to send to unsubscribed recipient")
    assert error.opt_out
    assert not error.window_closed
    assert not error.invalid_recipient
    assert error.message == "Attempt to send to unsubscribed recipient"


def test_twilio_landline_is_an_invalid_recipient_and_a_landline() -> None:
    error = classify_twilio(400, 21614, "'To' number is not a valid mobile number")
    assert error.invalid_recipient
    assert error.landline


def test_twilio_window_error_asks_for_a_template() -> None:
    assert classify_twilio(400, 63016, "outside the window").window_closed


# -- Meta ------------------------------------------------------------------------------------------
def _graph(code: int, message: str = "m", **extra: object) -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code, **extra}}


@pytest.mark.parametrize(
    ("status", "code", "kind", "transient"),
    [
        (400, 130429, K.RATE_LIMITED, True),
        (400, 131056, K.RATE_LIMITED, True),
        (400, 4, K.RATE_LIMITED, True),
        (500, 131000, K.UNAVAILABLE, True),
        (503, 131016, K.UNAVAILABLE, True),
        (400, 131026, K.INVALID_RECIPIENT, False),
        (400, 131047, K.WINDOW_CLOSED, False),
        (400, 131051, K.CONTENT, False),
        (400, 132000, K.TEMPLATE, False),
        (404, 132001, K.TEMPLATE, False),
        (400, 100, K.INVALID_REQUEST, False),
        (401, 190, K.AUTH, False),
        (403, 200, K.AUTH, False),
        (403, 299, K.AUTH, False),
        (400, 131050, K.OPT_OUT, False),
        (502, 424242, K.UNAVAILABLE, True),  # unknown code, 5xx
        (400, 424242, K.REJECTED, False),
    ],
)
def test_meta_codes_classify_by_table(
    status: int, code: int, kind: ErrorKind, transient: bool
) -> None:
    error = classify_meta(status, _graph(code))
    assert (error.kind, error.transient) == (kind, transient)
    assert error.provider is Provider.META
    assert error.code == str(code)


def test_meta_error_keeps_details_and_trace_without_the_whole_body() -> None:
    body = _graph(
        131047,
        "(#131047) Re-engagement message",
        error_data={"messaging_product": "whatsapp", "details": "more than 24 hours"},
        error_subcode=2494010,
        fbtrace_id="AbC",
    )
    error = classify_meta(400, body)
    assert error.window_closed
    assert error.message == "(#131047) Re-engagement message: more than 24 hours"
    assert error.details == {
        "type": "OAuthException",
        "error_subcode": 2494010,
        "fbtrace_id": "AbC",
    }


def test_meta_accepts_the_inner_error_object_and_non_json_answers() -> None:
    assert classify_meta(400, {"code": 131026, "message": "x"}).invalid_recipient
    assert classify_meta(502, None).transient
    assert not classify_meta(400, None).transient


# -- SMTP ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "kind", "transient"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.c": (451, b"4.3.0 try later")}), K.UNAVAILABLE, True),
        (
            smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"5.1.1 no such user")}),
            K.INVALID_RECIPIENT,
            False,
        ),
        (smtplib.SMTPDataError(452, b"4.3.1 storage"), K.RATE_LIMITED, True),
        (smtplib.SMTPDataError(554, b"5.7.1 spam"), K.REJECTED, False),
        (smtplib.SMTPDataError(471, b"4.7.1 greylisted"), K.UNAVAILABLE, True),
        (smtplib.SMTPSenderRefused(553, b"5.1.8 bad sender", "x@y.z"), K.CONFIGURATION, False),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), K.AUTH, False),
        (smtplib.SMTPConnectError(421, b"busy"), K.UNAVAILABLE, True),
        (smtplib.SMTPServerDisconnected("gone"), K.CONNECTION, True),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported"), K.CONFIGURATION, False),
        (TimeoutError("timed out"), K.TIMEOUT, True),
        (ConnectionRefusedError(111, "refused"), K.CONNECTION, True),
    ],
)
def test_smtp_errors_4xx_transient_5xx_permanent(
    exc: BaseException, kind: ErrorKind, transient: bool
) -> None:
    error = classify_smtp(exc)
    assert (error.kind, error.transient) == (kind, transient)
    assert error.provider is Provider.SMTP


def test_smtp_reply_code_becomes_the_error_code() -> None:
    error = classify_smtp(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"5.1.1 unknown")}))
    assert error.code == "550"
    assert error.message == "550 5.1.1 unknown"


def test_smtp_refused_connection_never_reached_the_server() -> None:
    assert not classify_smtp(ConnectionRefusedError(111, "refused")).ambiguous
    assert classify_smtp(smtplib.SMTPServerDisconnected("gone")).ambiguous


# -- FCM -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "kind", "transient"),
    [
        (messaging.UnregisteredError("Requested entity was not found."), K.INVALID_TOKEN, False),
        (messaging.SenderIdMismatchError("mismatch"), K.INVALID_TOKEN, False),
        (
            fb_exceptions.InvalidArgumentError(
                "The registration token is not a valid FCM registration token"
            ),
            K.INVALID_TOKEN,
            False,
        ),
        (fb_exceptions.InvalidArgumentError("data payload too big"), K.INVALID_REQUEST, False),
        (fb_exceptions.NotFoundError("not found"), K.INVALID_TOKEN, False),
        (fb_exceptions.UnavailableError("unavailable"), K.UNAVAILABLE, True),
        (fb_exceptions.InternalError("internal"), K.UNAVAILABLE, True),
        (messaging.QuotaExceededError("quota"), K.RATE_LIMITED, True),
        (fb_exceptions.DeadlineExceededError("deadline"), K.TIMEOUT, True),
        (fb_exceptions.UnknownError("unknown"), K.UNAVAILABLE, True),
        (messaging.ThirdPartyAuthError("apns"), K.AUTH, False),
        (fb_exceptions.PermissionDeniedError("denied"), K.AUTH, False),
        (ValueError("messages must not contain more than 500 elements."), K.REJECTED, False),
    ],
)
def test_fcm_errors_classify_by_fcm_code_then_canonical_code(
    exc: BaseException, kind: ErrorKind, transient: bool
) -> None:
    error = classify_fcm(exc)
    assert (error.kind, error.transient) == (kind, transient)
    assert error.provider is Provider.FCM


def test_fcm_without_an_answer_is_classified_as_the_network_failure_it_wraps() -> None:
    refused = classify_fcm(fb_exceptions.UnavailableError("down", cause=_refused()))
    assert (refused.kind, refused.ambiguous, refused.code) == (K.CONNECTION, False, "UNAVAILABLE")
    timed_out = classify_fcm(
        fb_exceptions.DeadlineExceededError("slow", cause=requests.ReadTimeout("read"))
    )
    assert (timed_out.kind, timed_out.ambiguous) == (K.TIMEOUT, True)


def test_fcm_unregistered_token_is_an_invalid_recipient() -> None:
    error = classify_fcm(messaging.UnregisteredError("gone"))
    assert error.invalid_recipient
    assert error.code == "UNREGISTERED"


# -- transport -------------------------------------------------------------------------------------
def _refused() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "kind", "ambiguous"),
    [
        (requests.ReadTimeout("read timed out"), K.TIMEOUT, True),
        (requests.ConnectTimeout("connect timed out"), K.TIMEOUT, False),
        (_refused(), K.CONNECTION, False),
        (requests.ConnectionError("Connection aborted.", "RemoteDisconnected"), K.CONNECTION, True),
        (TimeoutError(), K.TIMEOUT, True),
    ],
)
def test_network_failures_are_transient_and_ambiguous_once_the_request_left(
    exc: BaseException, kind: ErrorKind, ambiguous: bool
) -> None:
    error = classify_transport(Provider.META, exc)
    assert isinstance(error, TransientProviderError)
    assert (error.kind, error.ambiguous) == (kind, ambiguous)


# -- the tree --------------------------------------------------------------------------------------
def test_provider_errors_answer_the_project_wide_retry_question() -> None:
    transient = classify_twilio(503, 20503, "down")
    permanent = classify_twilio(400, 21211, "bad")
    assert isinstance(transient, TransientError)
    assert isinstance(permanent, PermanentError)
    assert is_transient(transient)
    assert not is_transient(permanent)


def test_not_configured_is_permanent_with_its_own_kind() -> None:
    error = ProviderNotConfiguredError("no SMTP_HOST", provider=Provider.SMTP)
    assert isinstance(error, PermanentProviderError)
    assert isinstance(error, ProviderError)
    assert error.kind is K.NOT_CONFIGURED
    assert not error.transient
