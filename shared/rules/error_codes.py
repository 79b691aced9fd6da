"""Provider error codes and what they mean for delivery: data only, read by ``errors``.

One table per provider, code -> ``ErrorKind``; whether a kind is worth a retry is decided once,
in ``errors.TRANSIENT_KINDS``. Codes not listed fall back on the HTTP status (``HTTP_STATUS``).
Sources: Twilio's error dictionary (twilio.com/docs/api/errors), the WhatsApp Cloud API error
codes page (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes), FCM's
``ErrorCode`` enum (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode), RFC 5321/3463.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final


class ErrorKind(StrEnum):
    """Why a send failed, in the pipeline's terms."""

    # transient: retry with backoff
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    # permanent, about the recipient
    OPT_OUT = "opt_out"  # the customer unsubscribed: opt them out, never retry
    WINDOW_CLOSED = "window_closed"  # WhatsApp 24-hour window: resend as a template
    INVALID_RECIPIENT = "invalid_recipient"  # not a valid / reachable address on this channel
    LANDLINE = "landline"  # a valid number that cannot receive SMS
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - push token unregistered or malformed: remove it
    RECIPIENT_NOT_ALLOWED = "recipient_not_allowed"  # region not enabled, trial, allow-list
    UNDELIVERABLE = "undeliverable"  # the provider gave up on this recipient for now
    # permanent, about the message or the account
    TEMPLATE = "template"  # template missing, unapproved, paused, wrong parameters
    CONTENT = "content"  # body empty, too long, filtered, unsupported type
    INVALID_REQUEST = "invalid_request"  # a parameter the provider rejects
    AUTH = "auth"  # credentials wrong, expired or lacking permission
    CONFIGURATION = "configuration"  # sender, service or account not set up for this
    NOT_CONFIGURED = "not_configured"  # our deployment lacks the provider's variables
    REJECTED = "rejected"  # anything else the provider refused


_K = ErrorKind

# Twilio REST errors at send time, and the delivery error codes that status callbacks carry.
TWILIO: Final = MappingProxyType(
    {
        20003: _K.AUTH,  # authentication failed
        20005: _K.CONFIGURATION,  # account not active
        20404: _K.CONFIGURATION,  # resource not found (wrong account or service sid)
        20429: _K.RATE_LIMITED,  # too many requests
        20500: _K.UNAVAILABLE,  # internal server error
        20503: _K.UNAVAILABLE,  # service unavailable
        21211: _K.INVALID_RECIPIENT,  # invalid 'To' phone number
        21217: _K.INVALID_RECIPIENT,  # phone number does not appear to be valid
        21401: _K.INVALID_RECIPIENT,  # invalid phone number
        21407: _K.LANDLINE,  # this phone number type does not support SMS
        21408: _K.RECIPIENT_NOT_ALLOWED,  # permission to send to this region not enabled
        21421: _K.INVALID_RECIPIENT,  # phone number is invalid
        21601: _K.CONFIGURATION,  # 'From' is not a valid SMS-capable number
        21602: _K.CONTENT,  # message body is required
        21603: _K.CONFIGURATION,  # 'From' phone number is required
        21604: _K.INVALID_RECIPIENT,  # 'To' phone number is required
        21606: _K.CONFIGURATION,  # 'From' number not owned by the account / not capable
        21608: _K.RECIPIENT_NOT_ALLOWED,  # unverified 'To' on a trial account
        21610: _K.OPT_OUT,  # attempt to send to unsubscribed recipient (STOP)
        21611: _K.RATE_LIMITED,  # 'From' number has too many queued messages
        21612: _K.RECIPIENT_NOT_ALLOWED,  # 'To' not reachable from this 'From'
        21614: _K.LANDLINE,  # 'To' number is not a valid mobile number
        21617: _K.CONTENT,  # body exceeds the 1600 character limit
        21619: _K.CONTENT,  # a text body or media is required
        21635: _K.LANDLINE,  # 'To' number cannot be a landline
        21654: _K.TEMPLATE,  # ContentSid required / invalid
        21655: _K.TEMPLATE,  # ContentSid invalid
        21656: _K.TEMPLATE,  # ContentVariables invalid
        21659: _K.CONFIGURATION,  # 'From' is not a Twilio number
        21660: _K.CONFIGURATION,  # 'From' does not belong to the account
        21703: _K.CONFIGURATION,  # messaging service has no phone numbers
        21705: _K.CONFIGURATION,  # messaging service invalid
        21910: _K.CONFIGURATION,  # invalid 'From' and 'To' pair (channel mismatch)
        30001: _K.RATE_LIMITED,  # queue overflow
        30002: _K.CONFIGURATION,  # account suspended
        30003: _K.UNDELIVERABLE,  # unreachable destination handset
        30004: _K.UNDELIVERABLE,  # message blocked
        30005: _K.INVALID_RECIPIENT,  # unknown destination handset
        30006: _K.LANDLINE,  # landline or unreachable carrier
        30007: _K.CONTENT,  # message filtered (carrier violation)
        30008: _K.UNDELIVERABLE,  # unknown error
        30034: _K.CONFIGURATION,  # US A2P 10DLC: unregistered number
        63001: _K.AUTH,  # channel could not authenticate the request
        63003: _K.INVALID_RECIPIENT,  # channel could not find the 'To' address
        63005: _K.CONTENT,  # channel did not accept the content
        63007: _K.CONFIGURATION,  # channel could not find the 'From' address
        63012: _K.UNAVAILABLE,  # channel provider returned an internal error
        63013: _K.CONTENT,  # channel policy violation
        63016: _K.WINDOW_CLOSED,  # free-form message outside the 24-hour window
        63018: _K.RATE_LIMITED,  # rate limit exceeded for the channel
        63021: _K.CONTENT,  # channel invalid content
        63024: _K.INVALID_RECIPIENT,  # invalid message recipient
        63027: _K.TEMPLATE,  # template does not exist for this language
        63028: _K.TEMPLATE,  # number of parameters does not match the template
        63029: _K.TEMPLATE,  # receiver failed to download the template
        63032: _K.UNDELIVERABLE,  # user's number is part of an experiment
        63038: _K.RATE_LIMITED,  # account exceeded its daily message limit
        63049: _K.UNDELIVERABLE,  # Meta chose not to deliver this marketing message
    }
)

# WhatsApp Cloud API (Graph) ``error.code`` values.
META: Final = MappingProxyType(
    {
        0: _K.AUTH,  # AuthException
        1: _K.UNAVAILABLE,  # API unknown (possibly temporary)
        2: _K.UNAVAILABLE,  # API service (temporary)
        3: _K.CONFIGURATION,  # API method: capability or permission
        4: _K.RATE_LIMITED,  # too many calls (application rate limit)
        10: _K.AUTH,  # permission denied
        100: _K.INVALID_REQUEST,  # invalid parameter
        190: _K.AUTH,  # access token expired
        368: _K.CONFIGURATION,  # temporarily blocked for policy violations
        80007: _K.RATE_LIMITED,  # WhatsApp Business Account rate limit
        130429: _K.RATE_LIMITED,  # Cloud API throughput reached
        130472: _K.UNDELIVERABLE,  # user's number is part of an experiment
        130497: _K.RECIPIENT_NOT_ALLOWED,  # business cannot message users in this country
        131000: _K.UNAVAILABLE,  # something went wrong (generic)
        131005: _K.AUTH,  # access denied
        131008: _K.INVALID_REQUEST,  # required parameter missing
        131009: _K.INVALID_REQUEST,  # parameter value invalid
        131016: _K.UNAVAILABLE,  # service unavailable
        131021: _K.INVALID_RECIPIENT,  # recipient cannot be the sender
        131026: _K.INVALID_RECIPIENT,  # message undeliverable (not on WhatsApp, old app...)
        131030: _K.RECIPIENT_NOT_ALLOWED,  # recipient not in the test allow-list
        131031: _K.CONFIGURATION,  # business account locked
        131037: _K.CONFIGURATION,  # display name not approved
        131042: _K.CONFIGURATION,  # business payment issue
        131045: _K.CONFIGURATION,  # incorrect certificate (number not registered)
        131047: _K.WINDOW_CLOSED,  # re-engagement message: more than 24 h since last reply
        131048: _K.RATE_LIMITED,  # spam rate limit hit
        131049: _K.UNDELIVERABLE,  # not delivered to maintain a healthy ecosystem
        131050: _K.OPT_OUT,  # user stopped marketing messages
        131051: _K.CONTENT,  # unsupported message type
        131052: _K.CONTENT,  # media download error
        131053: _K.CONTENT,  # media upload error
        131056: _K.RATE_LIMITED,  # pair rate limit (too many to the same user)
        131057: _K.UNAVAILABLE,  # business account in maintenance mode
        132000: _K.TEMPLATE,  # template parameter count mismatch
        132001: _K.TEMPLATE,  # template does not exist (in this language)
        132005: _K.TEMPLATE,  # template hydrated text too long
        132007: _K.TEMPLATE,  # template format character policy violated
        132012: _K.TEMPLATE,  # template parameter format mismatch
        132015: _K.TEMPLATE,  # template paused
        132016: _K.TEMPLATE,  # template disabled
        133000: _K.CONFIGURATION,  # incomplete deregistration
        133004: _K.UNAVAILABLE,  # server temporarily unavailable
        133010: _K.CONFIGURATION,  # phone number not registered
    }
)
# Graph permission errors are a range: 200-299.
META_RANGES: Final = ((200, 299, _K.AUTH),)

# FCM ``ErrorCode`` (from the ``FcmError`` detail) and canonical Google status codes.
FCM: Final = MappingProxyType(
    {
        "UNREGISTERED": _K.INVALID_TOKEN,
        "SENDER_ID_MISMATCH": _K.INVALID_TOKEN,  # token belongs to another project
        "NOT_FOUND": _K.INVALID_TOKEN,
        "INVALID_ARGUMENT": _K.INVALID_REQUEST,  # a bad token only if the message says so
        "UNAVAILABLE": _K.UNAVAILABLE,
        "INTERNAL": _K.UNAVAILABLE,
        "UNKNOWN": _K.UNAVAILABLE,  # firebase-admin's word for an unexpected transport error
        "DEADLINE_EXCEEDED": _K.TIMEOUT,
        "QUOTA_EXCEEDED": _K.RATE_LIMITED,
        "RESOURCE_EXHAUSTED": _K.RATE_LIMITED,
        "THIRD_PARTY_AUTH_ERROR": _K.AUTH,  # APNs / web push credentials
        "UNAUTHENTICATED": _K.AUTH,
        "PERMISSION_DENIED": _K.AUTH,
        "FAILED_PRECONDITION": _K.CONFIGURATION,
    }
)
# firebase-admin's messaging exception classes, for errors that carry no FCM detail.
FCM_EXCEPTION_NAMES: Final = MappingProxyType(
    {
        "UnregisteredError": "UNREGISTERED",
        "SenderIdMismatchError": "SENDER_ID_MISMATCH",
        "QuotaExceededError": "QUOTA_EXCEEDED",
        "ThirdPartyAuthError": "THIRD_PARTY_AUTH_ERROR",
    }
)

# SMTP reply codes that say more than their class (4xx transient, 5xx permanent).
SMTP: Final = MappingProxyType(
    {
        421: _K.UNAVAILABLE,  # service not available, closing channel
        450: _K.UNAVAILABLE,  # mailbox unavailable (busy, greylisted)
        451: _K.UNAVAILABLE,  # local error in processing
        452: _K.RATE_LIMITED,  # insufficient storage / too many recipients
        454: _K.UNAVAILABLE,  # TLS temporarily unavailable
        530: _K.AUTH,  # authentication required
        534: _K.AUTH,  # authentication mechanism too weak
        535: _K.AUTH,  # authentication credentials invalid
        550: _K.INVALID_RECIPIENT,  # mailbox unavailable / user unknown
        551: _K.INVALID_RECIPIENT,  # user not local
        552: _K.CONTENT,  # exceeded storage allocation / message too big
        553: _K.INVALID_RECIPIENT,  # mailbox name not allowed
        554: _K.REJECTED,  # transaction failed (often spam policy)
    }
)

# Fallback when a provider's code is absent or unknown.
HTTP_STATUS: Final = MappingProxyType(
    {
        401: _K.AUTH,
        403: _K.AUTH,
        404: _K.CONFIGURATION,
        408: _K.TIMEOUT,
        429: _K.RATE_LIMITED,
    }
)
