"""Provider webhook bodies -> typed records. Pure, and tolerant of anything a provider sends.

Nothing here raises on a field that is missing, of the wrong type, or new: a record that lacks
what it needs (a status without a message id) is dropped and counted in ``ignored``; a message
type we do not know is kept with its raw ``kind`` so it is stored and acknowledged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from types import MappingProxyType
from typing import Any, TypeVar

from shared.model.enums import Channel, Provider
from shared.model.inbound import InboundMessage, MetaBatch, PreferenceUpdate, StatusUpdate
from shared.model.status import from_meta_status, from_twilio_status

_EMPTY: Mapping[str, Any] = MappingProxyType({})
T = TypeVar("T")
MAX_TWILIO_MEDIA = 10
MAX_TEXT = 4096


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _text(value: Any, limit: int = 512) -> str | None:
    """A non-blank string (numbers accepted: Meta sends some ids as numbers), cut at ``limit``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] if value else None


def _epoch(value: Any) -> datetime | None:
    """Unix seconds (Meta sends them as strings) -> aware datetime; nonsense -> None."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < seconds < 32_503_680_000:  # before year 3000
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _price(value: Any) -> float | None:
    """Twilio's ``Price`` (``"-0.0075"``, a debit) -> what the message cost, positive."""
    text = _text(value, 32)
    if text is None:
        return None
    try:
        amount = abs(float(text))
    except ValueError:
        return None
    return amount if math.isfinite(amount) else None


# --- Twilio -----------------------------------------------------------------------------------

# The fields the Twilio parsers read one value of (and those every messaging webhook carries):
# repeated in a signed form, the request is refused (``signatures.verify_twilio``).
TWILIO_SINGLE_VALUED = frozenset(
    {
        "AccountSid", "ApiVersion", "MessagingServiceSid", "MessageSid", "SmsSid",
        "SmsMessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "ErrorMessage", "Price",
        "PriceUnit", "From", "To", "Body", "NumMedia", "NumSegments", "ButtonText",
        "ButtonPayload", "Latitude", "Longitude", "Address", "Label", "WaId", "ProfileName",
        "MessageType", "OptOutType", "RawDlrDoneDate", "ChannelToAddress",
    }
)  # fmt: skip
_TWILIO_MEDIA_FIELD = re.compile(r"(?:MediaUrl|MediaContentType)\d+")


def twilio_single_valued(name: str) -> bool:
    """Whether Twilio sends at most one value of this form field."""
    return name in TWILIO_SINGLE_VALUED or bool(_TWILIO_MEDIA_FIELD.fullmatch(name))


def twilio_status(form: Mapping[str, str]) -> StatusUpdate | None:
    """A ``StatusCallback`` form; None without a message id or status."""
    message_id = _text(form.get("MessageSid") or form.get("SmsSid"), 64)
    raw_status = _text(form.get("MessageStatus") or form.get("SmsStatus"), 32)
    if message_id is None or raw_status is None:
        return None
    error_code = _text(form.get("ErrorCode"), 16)
    if error_code in {"0", ""}:
        error_code = None
    return StatusUpdate(
        provider=Provider.TWILIO,
        message_id=message_id,
        provider_status=raw_status.lower(),
        status=from_twilio_status(raw_status),
        error_code=error_code,
        error_message=_text(form.get("ErrorMessage")),
        cost=_price(form.get("Price")),
        currency=(_text(form.get("PriceUnit"), 8) or "").upper() or None,
    )


def twilio_inbound(form: Mapping[str, str]) -> InboundMessage | None:
    """An incoming SMS or WhatsApp message form; None without a sender or message id."""
    message_id = _text(
        form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid"), 64
    )
    sender = _text(form.get("From"), 64)
    if message_id is None or sender is None:
        return None
    channel = Channel.WHATSAPP if sender.lower().startswith("whatsapp:") else Channel.SMS
    try:
        count = max(0, min(int(form.get("NumMedia") or 0), MAX_TWILIO_MEDIA))
    except ValueError:
        count = 0
    media = tuple(
        {"url": url, "contentType": _text(form.get(f"MediaContentType{i}"), 128) or ""}
        for i in range(count)
        if (url := _text(form.get(f"MediaUrl{i}"), 1024))
    )
    text = _text(form.get("Body"), MAX_TEXT) or _text(form.get("ButtonText"), MAX_TEXT)
    details: dict[str, Any] = {}
    for name in ("Latitude", "Longitude", "Address", "Label", "ButtonPayload", "WaId"):
        if (value := _text(form.get(name))) is not None:
            details[name[0].lower() + name[1:]] = value
    kind = (_text(form.get("MessageType"), 32) or "").lower()
    if not kind:
        kind = "location" if "latitude" in details else "media" if media else "text"
    return InboundMessage(
        provider=Provider.TWILIO,
        channel=channel,
        message_id=message_id,
        sender=sender,
        kind=kind,
        text=text,
        recipient=_text(form.get("To"), 64),
        profile_name=_text(form.get("ProfileName"), 128),
        media=media,
        opt_out_type=_text(form.get("OptOutType"), 16),
        details=details,
    )


# --- Meta -------------------------------------------------------------------------------------


def parse_json(body: bytes) -> Any:
    """The body as JSON, or None when it is not JSON at all."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _meta_status(raw: Mapping[str, Any]) -> StatusUpdate | None:
    message_id = _text(raw.get("id"), 256)
    raw_status = _text(raw.get("status"), 32)
    if message_id is None or raw_status is None:
        return None
    errors = tuple(_map(e) for e in _list(raw.get("errors")) if isinstance(e, Mapping))
    first = errors[0] if errors else _EMPTY
    message = _text(first.get("message")) or _text(first.get("title"))
    details = _text(_map(first.get("error_data")).get("details"))
    if message and details and details != message:
        message = f"{message}: {details}"
    pricing = _map(raw.get("pricing"))
    conversation = _map(raw.get("conversation"))
    return StatusUpdate(
        provider=Provider.META,
        message_id=message_id,
        provider_status=raw_status.lower(),
        status=from_meta_status(raw_status),
        at=_epoch(raw.get("timestamp")),
        error_code=_text(first.get("code"), 16),
        error_message=message,
        pricing=dict(pricing) or None,
        conversation=dict(conversation) or None,
        notification_hint=_text(raw.get("biz_opaque_callback_data"), 512),
        errors=errors,
    )


def _meta_text(raw: Mapping[str, Any], kind: str) -> str | None:
    """The words of a message, whatever its type carries them in."""
    body = _map(raw.get(kind))
    if kind == "text":
        return _text(body.get("body"), MAX_TEXT)
    if kind == "button":
        return _text(body.get("text"), MAX_TEXT)
    if kind == "interactive":
        for reply in ("button_reply", "list_reply", "nfm_reply"):
            title = _text(_map(body.get(reply)).get("title"), MAX_TEXT)
            if title:
                return title
        return None
    if kind == "order":
        return _text(body.get("text"), MAX_TEXT)
    return _text(body.get("caption"), MAX_TEXT)  # image, video, document carry a caption


def _meta_details(raw: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The small, non-media parts worth keeping with the stored message."""
    body = _map(raw.get(kind))
    details: dict[str, Any] = {}
    if kind == "reaction":
        details["emoji"] = _text(body.get("emoji"), 32) or ""
        details["reactedTo"] = _text(body.get("message_id"), 256)
    elif kind == "location":
        for key in ("latitude", "longitude"):
            if isinstance(body.get(key), int | float) and not isinstance(body.get(key), bool):
                details[key] = float(body[key])
        for key in ("name", "address"):
            if (value := _text(body.get(key))) is not None:
                details[key] = value
    context = _map(raw.get("context"))
    if context.get("forwarded") or context.get("frequently_forwarded"):
        details["forwarded"] = True
    if (replied := _text(context.get("id"), 256)) is not None:
        details["inReplyTo"] = replied
    if _map(raw.get("referral")):
        details["referral"] = _text(_map(raw.get("referral")).get("source_url"), 512) or "ad"
    errors = [_map(e) for e in _list(raw.get("errors"))]
    if errors:
        details["errorCode"] = _text(errors[0].get("code"), 16)
    return {k: v for k, v in details.items() if v is not None}


def _meta_media(raw: Mapping[str, Any], kind: str) -> tuple[Mapping[str, str], ...]:
    body = _map(raw.get(kind))
    media_id = _text(body.get("id"), 128)
    if kind not in {"image", "video", "audio", "document", "sticker"} or media_id is None:
        return ()
    return ({"id": media_id, "contentType": _text(body.get("mime_type"), 128) or ""},)


def _meta_message(raw: Mapping[str, Any], names: Mapping[str, str]) -> InboundMessage | None:
    message_id = _text(raw.get("id"), 256)
    sender = _text(raw.get("from"), 64)
    if message_id is None or sender is None:
        return None
    kind = (_text(raw.get("type"), 32) or "unknown").lower()
    return InboundMessage(
        provider=Provider.META,
        channel=Channel.WHATSAPP,
        message_id=message_id,
        sender=sender,
        kind=kind,
        text=_meta_text(raw, kind),
        profile_name=names.get(sender),
        at=_epoch(raw.get("timestamp")),
        media=_meta_media(raw, kind),
        details=_meta_details(raw, kind),
    )


def _meta_preference(raw: Mapping[str, Any]) -> PreferenceUpdate | None:
    wa_id = _text(raw.get("wa_id"), 64)
    value = _text(raw.get("value"), 32)
    if wa_id is None or value is None:
        return None
    return PreferenceUpdate(
        wa_id=wa_id,
        category=(_text(raw.get("category"), 64) or "").lower(),
        value=value.lower(),
        at=_epoch(raw.get("timestamp")),
        detail=_text(raw.get("detail")),
    )


def _parse_all(raws: Any, parse: Callable[[Mapping[str, Any]], T | None], out: list[T]) -> int:
    """Parse each record into ``out``; how many could not be used."""
    bad = 0
    for raw in _list(raws):
        record = parse(_map(raw))
        if record is None:
            bad += 1
        else:
            out.append(record)
    return bad


def meta_batch(payload: Any) -> MetaBatch:
    """A WhatsApp Cloud API webhook body (``entry[].changes[].value``) -> its records."""
    statuses: list[StatusUpdate] = []
    messages: list[InboundMessage] = []
    preferences: list[PreferenceUpdate] = []
    ignored = 0
    for entry in _list(_map(payload).get("entry")):
        for change in _list(_map(entry).get("changes")):
            value = _map(_map(change).get("value"))
            names = {
                wa: name
                for contact in _list(value.get("contacts"))
                if (wa := _text(_map(contact).get("wa_id"), 64))
                and (name := _text(_map(_map(contact).get("profile")).get("name"), 128))
            }
            if not any(k in value for k in ("statuses", "messages", "user_preferences")):
                ignored += 1  # a change field we do not handle (templates, account updates...)
            ignored += _parse_all(value.get("statuses"), _meta_status, statuses)
            ignored += _parse_all(
                value.get("messages"), partial(_meta_message, names=names), messages
            )
            ignored += _parse_all(value.get("user_preferences"), _meta_preference, preferences)
    return MetaBatch(tuple(statuses), tuple(messages), tuple(preferences), ignored)
