"""Provider webhook bodies -> typed records. Pure, and tolerant of anything a provider sends.

Nothing here raises on a field that is missing, of the wrong type, or new: a record that lacks
what it needs (a status without a message id) is dropped and counted in ``ignored``; a message
type we do not know is kept as kind ``unknown`` with its raw type, so it is stored and
acknowledged. ``docs/inputs.md`` lists what each provider sends that we read and what we ignore.

Over 400 lines on purpose: it is one table of what Twilio and Meta send, read top to bottom
beside ``docs/inputs.md``; the tolerant field readers at the top are shared by every parser, and
splitting by provider would duplicate them or make a module of helpers only this one uses.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from types import MappingProxyType
from typing import Any, TypeVar

from shared.model.enums import Channel, Provider
from shared.model.inbound import (
    IdentityChange,
    InboundMessage,
    MetaBatch,
    PreferenceUpdate,
    StatusUpdate,
    TemplateUpdate,
)
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

# Meta's message types; any other is kept as kind "unknown" with ``details["rawType"]``.
META_KINDS = frozenset(
    {
        "text", "image", "video", "audio", "document", "sticker", "reaction", "location",
        "contacts", "interactive", "button", "order", "system", "unsupported", "unknown",
        "edit", "revoke", "request_welcome", "ephemeral",
    }
)  # fmt: skip
TEMPLATE_FIELDS = frozenset(
    {
        "message_template_status_update",
        "message_template_quality_update",
        "template_category_update",
        "message_template_category_update",  # the name some of Meta's pages use
    }
)
CALLS_FIELD = "calls"
_MESSAGE_VALUE_KEYS = ("statuses", "messages", "user_preferences", "calls")
MAX_FLOW_RESPONSE = 16 * 1024
MAX_ITEMS = 50


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


def _scalars(body: Mapping[str, Any], limit: int = 256) -> dict[str, Any]:
    """The string, number and boolean values of a small object (its nested parts left out)."""
    out: dict[str, Any] = {}
    for key, value in list(body.items())[:MAX_ITEMS]:
        if isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
            out[str(key)[:64]] = value
        elif (text := _text(value, limit)) is not None:
            out[str(key)[:64]] = text
    return out


def _flow_response(raw: Any) -> dict[str, Any] | None:
    """``nfm_reply.response_json``: the answers of a WhatsApp Flow, a JSON object in a string."""
    if not isinstance(raw, str) or len(raw) > MAX_FLOW_RESPONSE:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return _scalars(value, 1024) if isinstance(value, dict) else None


def _meta_reply(raw: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """What a customer chose: a quick-reply button, a reply button, a list row, a flow's answers,
    or another interactive answer (its small fields)."""
    body = _map(raw.get(kind))
    if kind == "button":  # a template's quick-reply button
        button = {"type": "button", "payload": _text(body.get("payload"))}
        button["title"] = _text(body.get("text"))
        return {k: v for k, v in button.items() if v is not None}
    if kind != "interactive":
        return None
    itype = (_text(body.get("type"), 64) or "").lower()
    answer = _map(body.get(itype)) if itype else _EMPTY
    if not itype or not answer:
        return None
    reply: dict[str, Any] = {"type": itype, **_scalars(answer)}
    if itype == "nfm_reply":
        reply.pop("response_json", None)
        response = _flow_response(answer.get("response_json"))
        if response is not None:
            reply["response"] = response
            if (token := _text(response.get("flow_token"))) is not None:
                reply["flowToken"] = token
    return reply


def _meta_order(body: Mapping[str, Any]) -> dict[str, Any]:
    items = []
    for item in _list(body.get("product_items"))[:MAX_ITEMS]:
        entry = _map(item)
        row = {
            "sku": _text(entry.get("product_retailer_id"), 128),
            "quantity": entry.get("quantity") if isinstance(entry.get("quantity"), int) else None,
            "price": _price(entry.get("item_price")),
            "currency": (_text(entry.get("currency"), 8) or "").upper() or None,
        }
        items.append({k: v for k, v in row.items() if v is not None})
    order = {"catalogId": _text(body.get("catalog_id"), 64), "text": _text(body.get("text"))}
    return {**{k: v for k, v in order.items() if v is not None}, "items": items}


def _meta_contacts(cards: Any) -> list[dict[str, Any]]:
    """Shared contact cards: a name, phones (with the WhatsApp id when the number has one)."""
    out = []
    for card in _list(cards)[:MAX_ITEMS]:
        entry = _map(card)
        name = _map(entry.get("name"))
        phones = [
            {k: v for k, v in _scalars(_map(p), 64).items() if k in {"phone", "wa_id", "type"}}
            for p in _list(entry.get("phones"))[:MAX_ITEMS]
        ]
        emails = [e for p in _list(entry.get("emails")) if (e := _text(_map(p).get("email")))]
        contact: dict[str, Any] = {"name": _text(name.get("formatted_name")) or ""}
        if phones:
            contact["phones"] = phones
        if emails:
            contact["emails"] = emails[:MAX_ITEMS]
        out.append(contact)
    return out


def _meta_text(raw: Mapping[str, Any], kind: str) -> str | None:
    """The words of a message, whatever its type carries them in."""
    body = _map(raw.get(kind))
    if kind == "text":
        return _text(body.get("body"), MAX_TEXT)
    if kind == "button":
        return _text(body.get("text"), MAX_TEXT)
    if kind == "interactive":
        answer = _map(body.get(_text(body.get("type"), 64) or ""))
        return _text(answer.get("title"), MAX_TEXT) or _text(answer.get("body"), MAX_TEXT)
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
    elif kind == "order":
        details["order"] = _meta_order(body)
    elif kind == "contacts":
        details["contacts"] = _meta_contacts(raw.get("contacts"))
    elif kind == "system":
        details["system"] = _scalars(body)
    details["reply"] = _meta_reply(raw, kind)
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


@dataclass(frozen=True)
class _Contact:
    """One ``value.contacts[]`` entry: who wrote, as Meta knows them."""

    wa_id: str | None
    user_id: str | None
    parent_user_id: str | None
    name: str | None
    username: str | None


def _contacts(value: Mapping[str, Any]) -> list[_Contact]:
    out = []
    for raw in _list(value.get("contacts")):
        contact, profile = _map(raw), _map(_map(raw).get("profile"))
        out.append(
            _Contact(
                wa_id=_text(contact.get("wa_id"), 64),
                user_id=_text(contact.get("user_id"), 256),
                parent_user_id=_text(contact.get("parent_user_id"), 256),
                name=_text(profile.get("name"), 128),
                username=_text(profile.get("username"), 128),
            )
        )
    return out


def _sender(raw: Mapping[str, Any], contacts: Sequence[_Contact]) -> tuple[str, _Contact | None]:
    """The message's phone sender (``""`` when withheld) and its ``contacts`` entry, matched by
    phone or user id only: a user id is never lent to a sender it was not sent for."""
    sender = _text(raw.get("from"), 64) or ""
    user_id = _text(raw.get("from_user_id"), 256)
    for contact in contacts:
        if (sender and contact.wa_id == sender) or (user_id and contact.user_id == user_id):
            return sender, contact
    if len(contacts) == 1 and not sender:  # a username user: the one contact is the sender
        return sender, contacts[0]
    return sender, None


def _identity_change(raw: Mapping[str, Any], sender: str) -> IdentityChange | None:
    system = _map(raw.get("system"))
    kind = (_text(system.get("type"), 64) or "").lower()
    if not kind:
        return None
    if kind == "customer_changed_number":  # the older name of user_changed_number
        kind = "user_changed_number"
    return IdentityChange(
        kind=kind,
        old_wa_id=_text(system.get("customer"), 64) or sender or None,
        new_wa_id=_text(system.get("wa_id") or system.get("new_wa_id"), 64),
        previous_user_id=_text(system.get("previous_user_id"), 256),
        new_user_id=_text(system.get("user_id"), 256),
    )


def _meta_message(raw: Mapping[str, Any], contacts: Sequence[_Contact]) -> InboundMessage | None:
    message_id = _text(raw.get("id"), 256)
    raw_kind = kind_of(raw)
    sender, contact = _sender(raw, contacts)
    user_id = _text(raw.get("from_user_id"), 256) or (contact.user_id if contact else None)
    if raw_kind == "system":  # no contacts entry: the ids are in the system object
        user_id = user_id or _text(_map(raw.get("system")).get("previous_user_id"), 256)
    if message_id is None or not (sender or user_id):
        return None
    kind = raw_kind if raw_kind in META_KINDS else "unknown"
    content, content_kind = raw, kind
    extra: dict[str, Any] = {}
    edits = revokes = None
    if kind == "edit":
        edit = _map(raw.get("edit"))
        edits = _text(edit.get("original_message_id"), 256)
        content = _map(edit.get("message"))
        content_kind = kind_of(content)
        extra["editedKind"] = content_kind
    elif kind == "revoke":
        revokes = _text(_map(raw.get("revoke")).get("original_message_id"), 256)
    elif kind == "unknown":
        extra["rawType"] = raw_kind
    return InboundMessage(
        provider=Provider.META,
        channel=Channel.WHATSAPP,
        message_id=message_id,
        sender=sender,
        kind=kind,
        text=None if kind == "revoke" else _meta_text(content, content_kind),
        profile_name=contact.name if contact else None,
        at=_epoch(raw.get("timestamp")),
        media=_meta_media(content, content_kind),
        details={**_meta_details(content, content_kind), **extra},
        user_id=user_id,
        parent_user_id=_text(raw.get("from_parent_user_id"), 256)
        or (contact.parent_user_id if contact else None),
        username=contact.username if contact else None,
        edits_message_id=edits,
        revokes_message_id=revokes,
        identity_change=_identity_change(raw, sender) if kind == "system" else None,
    )


def kind_of(raw: Mapping[str, Any]) -> str:
    """A Meta message's ``type``, lower-case; ``unknown`` when it has none."""
    return (_text(raw.get("type"), 32) or "unknown").lower()


def _meta_preference(
    raw: Mapping[str, Any], contacts: Sequence[_Contact] = ()
) -> PreferenceUpdate | None:
    """One ``user_preferences`` item. A user whose number Meta withholds (a username) is named
    by a business-scoped ``user_id`` (on the item, or the one contact of the change)."""
    wa_id = _text(raw.get("wa_id"), 64)
    user_id = _text(raw.get("user_id"), 256) or _text(raw.get("from_user_id"), 256)
    if user_id is None:
        matching = [c for c in contacts if c.user_id and (wa_id is None or c.wa_id == wa_id)]
        user_id = matching[0].user_id if len(matching) == 1 else None
    value = _text(raw.get("value"), 32)
    if not (wa_id or user_id) or value is None:
        return None
    return PreferenceUpdate(
        wa_id=wa_id,
        category=(_text(raw.get("category"), 64) or "").lower(),
        value=value.lower(),
        at=_epoch(raw.get("timestamp")),
        detail=_text(raw.get("detail")),
        user_id=user_id,
    )


def _template_update(
    field_name: str, value: Mapping[str, Any], at: datetime | None
) -> TemplateUpdate | None:
    name = _text(value.get("message_template_name"), 512)
    language = _text(value.get("message_template_language"), 32)
    if name is None or language is None:
        return None

    def upper(key: str) -> str | None:
        text = _text(value.get(key), 64)
        return text.upper() if text else None

    extras = ("other_info", "disable_info", "rejection_info")
    return TemplateUpdate(
        webhook_field=field_name,
        name=name,
        language=language,
        template_id=_text(value.get("message_template_id"), 64),
        at=at,
        status=upper("event"),
        reason=_text(value.get("reason")),
        quality_score=upper("new_quality_score"),
        previous_quality_score=upper("previous_quality_score"),
        category=upper("new_category") or upper("message_template_category"),
        previous_category=upper("previous_category"),
        correct_category=upper("correct_category"),
        details={k: _scalars(_map(value[k]), 1024) for k in extras if _map(value.get(k))},
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


class _Batch:
    """What ``meta_batch`` collects while it walks the body."""

    def __init__(self) -> None:
        self.statuses: list[StatusUpdate] = []
        self.messages: list[InboundMessage] = []
        self.preferences: list[PreferenceUpdate] = []
        self.templates: list[TemplateUpdate] = []
        self.ignored: Counter[str] = Counter()

    def change(self, field_name: str, value: Mapping[str, Any], at: datetime | None) -> None:
        if field_name in TEMPLATE_FIELDS:
            update = _template_update(field_name, value, at)
            if update is None:
                self.ignored["unusable"] += 1
            else:
                self.templates.append(update)
            return
        statuses = [_map(s) for s in _list(value.get("statuses"))]
        calls = len(_list(value.get("calls"))) + sum(s.get("type") == "call" for s in statuses)
        if field_name == CALLS_FIELD:  # call events, whatever they carry, are not messages
            self.ignored["calls"] += max(calls, len(statuses), 1)
            return
        self.ignored["calls"] += calls
        if not any(k in value for k in ("statuses", "messages", "user_preferences")):
            if not calls:
                self.ignored[f"field:{field_name or 'none'}"] += 1
            return
        contacts = _contacts(value)
        self.ignored["unusable"] += _parse_all(
            [s for s in statuses if s.get("type") != "call"], _meta_status, self.statuses
        )
        self.ignored["unusable"] += _parse_all(
            value.get("messages"), partial(_meta_message, contacts=contacts), self.messages
        )
        self.ignored["unusable"] += _parse_all(
            value.get("user_preferences"), partial(_meta_preference, contacts=contacts),
            self.preferences,
        )  # fmt: skip

    def result(self) -> MetaBatch:
        ignored = {k: v for k, v in self.ignored.items() if v}
        unknown = sorted(
            {str(m.details["rawType"]) for m in self.messages if "rawType" in m.details}
        )
        return MetaBatch(
            statuses=tuple(self.statuses),
            messages=tuple(self.messages),
            preferences=tuple(self.preferences),
            ignored=sum(ignored.values()),
            templates=tuple(self.templates),
            ignored_by=MappingProxyType(ignored),
            unknown_kinds=tuple(unknown),
        )


def meta_batch(payload: Any, *, phone_number_id: str | None = None) -> MetaBatch:
    """A WhatsApp Cloud API webhook body (``entry[].changes[].value``) -> its records.

    With ``phone_number_id`` (ours, ``META_PHONE_NUMBER_ID``), a change about messages,
    statuses, preferences or calls of another business number is ignored: the same app may
    serve several numbers, and only ours is ours. Template updates are about the whole
    WhatsApp Business Account and carry no number.
    """
    batch = _Batch()
    for entry in _list(_map(payload).get("entry")):
        at = _epoch(_map(entry).get("time"))
        for change in _list(_map(entry).get("changes")):
            field_name = _text(_map(change).get("field"), 64) or ""
            value = _map(_map(change).get("value"))
            number = _text(_map(value.get("metadata")).get("phone_number_id"), 64)
            about_a_number = field_name not in TEMPLATE_FIELDS and (
                any(k in value for k in _MESSAGE_VALUE_KEYS) or field_name == CALLS_FIELD
            )
            if phone_number_id and about_a_number and number != phone_number_id:
                batch.ignored["other_phone_number"] += 1
                continue
            batch.change(field_name, value, at)
    return batch.result()
