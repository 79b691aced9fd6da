"""``campaigns/{campaignId}``: a marketing message to a segment of customers, as one typed value.

Written by the console or the shop's own code, so parsed strictly enough to refuse what cannot
be sent (``InvalidCampaignError`` with the reason, recorded on the document by the trigger) and
leniently about the rest (unknown fields ignored, optional parts defaulted). Field names are
written here once; ``docs/campaigns.md`` shows a whole document.

    name, purpose ("marketing"), status, sendAt,
    audience {country, language, tags, lastOrderFrom, lastOrderTo, hasOrder, cartStatus},
    channels ["whatsapp", "sms", "email"]      (preference order: one message per person)
    content {whatsapp {<lang>: {metaName, metaLanguage, contentSid, variables, preview}},
             sms {<lang>: text}, email {<lang>: {subject, text}}},
    settings {failureRateLimit, optOutRateLimit, healthWindow, minSends, attributionDays},
    results {...}, statusReason, statusDetail  (kept by the system)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from shared.model.enums import Channel, Purpose
from shared.platform.clock import as_datetime
from shared.platform.errors import InvalidInputError

# The ``type`` of a campaign's messages in ``notification_history``: a marketing purpose
# (``purpose_of``), words from the campaign itself rather than the catalogs.
CAMPAIGN_MESSAGE = "campaign.message"
CAMPAIGN_CHANNELS = (Channel.WHATSAPP, Channel.SMS, Channel.EMAIL)
MAX_TEXT = 1000  # characters of one inline text (an SMS of seven segments, a short email)
MAX_VARIABLES = 10


class InvalidCampaignError(InvalidInputError):
    """A campaign document that cannot be sent as written (the message says what to fix)."""


class CampaignStatus(StrEnum):
    """``campaigns.status``: the shop moves draft -> scheduled, pauses, resumes, cancels; the
    system moves scheduled -> sending -> completed, and sending -> paused on its own alarms."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @classmethod
    def parse(cls, value: Any) -> CampaignStatus | None:
        try:
            return cls(str(value).strip().lower()) if isinstance(value, str) else None
        except ValueError:
            return None


RUNNING = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.SENDING})
# Where no message of the campaign may go (held while paused, cancelled for good).
STOPPED = frozenset({CampaignStatus.PAUSED, CampaignStatus.CANCELLED, CampaignStatus.DRAFT})


class CartFilter(StrEnum):
    """``audience.cartStatus``: the profile's ``cartStatus`` (kept by the cart trigger)."""

    ACTIVE = "active"
    CONVERTED = "converted"
    NONE = "none"


@dataclass(frozen=True)
class Audience:
    """Filters over ``customer_profiles``; every one is optional, all must hold.

    ``tags``: the profile has every one of them. ``last_order_from``/``to``: its ``lastOrderAt``
    in [from, to). ``has_order``: ``lastOrderAt`` set (True) or absent (False).
    """

    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    last_order_from: datetime | None = None
    last_order_to: datetime | None = None
    has_order: bool | None = None
    cart_status: CartFilter | None = None

    @classmethod
    def from_document(cls, raw: Any) -> Audience:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InvalidCampaignError("audience must be a map of filters")
        has_order = raw.get("hasOrder")
        if has_order is not None and not isinstance(has_order, bool):
            raise InvalidCampaignError("audience.hasOrder must be true or false")
        cart = raw.get("cartStatus")
        cart_status = None
        if cart is not None:
            try:
                cart_status = CartFilter(str(cart).strip().lower())
            except ValueError:
                raise InvalidCampaignError(
                    f"audience.cartStatus must be one of {[c.value for c in CartFilter]}"
                ) from None
        start = _date(raw, "lastOrderFrom")
        end = _date(raw, "lastOrderTo")
        if start and end and start >= end:
            raise InvalidCampaignError("audience.lastOrderFrom must be before lastOrderTo")
        if has_order is False and (start or end):
            raise InvalidCampaignError("audience.hasOrder false contradicts a last order range")
        return cls(
            countries=tuple(c.upper() for c in _words(raw, "country")),
            languages=tuple(c.lower() for c in _words(raw, "language")),
            tags=_words(raw, "tags"),
            last_order_from=start,
            last_order_to=end,
            has_order=has_order,
            cart_status=cart_status,
        )


@dataclass(frozen=True)
class WhatsAppContent:
    """An approved template in one language: Meta name and language, Twilio ContentSid, the
    variables (texts with ``$customerName``... rendered per recipient) and a preview text for
    the conversation and the console."""

    meta_name: str | None
    meta_language: str | None
    content_sid: str | None
    variables: tuple[str, ...] = ()
    preview: str = ""


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str


@dataclass(frozen=True)
class Content:
    """What each channel says, per language (``fr``, ``en``, ``sw``)."""

    whatsapp: Mapping[str, WhatsAppContent] = field(default_factory=dict)
    sms: Mapping[str, str] = field(default_factory=dict)
    email: Mapping[str, EmailContent] = field(default_factory=dict)

    def languages(self, channel: Channel) -> Mapping[str, Any]:
        return {Channel.WHATSAPP: self.whatsapp, Channel.SMS: self.sms, Channel.EMAIL: self.email}[
            channel
        ]

    def for_language(self, channel: Channel, language: str) -> tuple[str, Any] | None:
        """The channel's content in ``language``, else English, else any: (language, content)."""
        table = self.languages(channel)
        for candidate in (language, "en", *sorted(table)):
            if candidate in table:
                return candidate, table[candidate]
        return None

    @classmethod
    def from_document(cls, raw: Any) -> Content:
        if not isinstance(raw, Mapping):
            raise InvalidCampaignError("content must be a map: whatsapp, sms, email per language")
        return cls(
            whatsapp=MappingProxyType(
                {
                    lang: _whatsapp(lang, entry)
                    for lang, entry in _per_language(raw, "whatsapp").items()
                }
            ),
            sms=MappingProxyType(
                {
                    lang: _text(entry, f"content.sms.{lang}")
                    for lang, entry in _per_language(raw, "sms").items()
                }
            ),
            email=MappingProxyType(
                {lang: _email(lang, entry) for lang, entry in _per_language(raw, "email").items()}
            ),
        )


@dataclass(frozen=True)
class Limits:
    """When the campaign stops itself, and how long an order counts as its result."""

    failure_rate: float = 0.10
    opt_out_rate: float = 0.02
    window: int = 200  # the last N sends the rates are taken over
    min_sends: int = 20  # fewer sends than this say nothing yet
    attribution_days: float = 3.0

    @classmethod
    def from_document(cls, raw: Any) -> Limits:
        if not isinstance(raw, Mapping):
            return cls()
        d = cls()
        return cls(
            failure_rate=_number(raw.get("failureRateLimit"), d.failure_rate, 0.0, 1.0),
            opt_out_rate=_number(raw.get("optOutRateLimit"), d.opt_out_rate, 0.0, 1.0),
            window=int(_number(raw.get("healthWindow"), d.window, 10, 1000)),
            min_sends=int(_number(raw.get("minSends"), d.min_sends, 1, 1000)),
            attribution_days=_number(raw.get("attributionDays"), d.attribution_days, 0.0, 30.0),
        )


@dataclass(frozen=True)
class Campaign:
    """One ``campaigns`` document, parsed."""

    campaign_id: str
    name: str
    status: CampaignStatus
    audience: Audience
    channels: tuple[Channel, ...]
    content: Content
    send_at: datetime | None = None
    limits: Limits = field(default_factory=Limits)
    started_at: datetime | None = None  # kept by the system: when the first page ran
    run: int = 0  # kept by the system: bumped by each resume (task names stay unique)

    @property
    def purpose(self) -> Purpose:
        return Purpose.MARKETING

    @classmethod
    def from_document(cls, campaign_id: str, doc: Mapping[str, Any]) -> Campaign:
        """The campaign, or ``InvalidCampaignError`` saying what is wrong."""
        status = CampaignStatus.parse(doc.get("status"))
        if status is None:
            raise InvalidCampaignError(f"status must be one of {[s.value for s in CampaignStatus]}")
        purpose = doc.get("purpose", Purpose.MARKETING.value)
        if purpose != Purpose.MARKETING.value:
            raise InvalidCampaignError("purpose must be marketing: a campaign is never service")
        raw_channels = doc.get("channels")
        if isinstance(raw_channels, str):
            raw_channels = [raw_channels]
        if not isinstance(raw_channels, list | tuple) or not raw_channels:
            raise InvalidCampaignError("channels must list whatsapp, sms or email")
        channels: list[Channel] = []
        for value in raw_channels:
            try:
                channel = Channel(str(value).strip().lower())
            except ValueError:
                channel = None
            if channel not in CAMPAIGN_CHANNELS:
                raise InvalidCampaignError(f"channel {value!r} cannot carry a campaign")
            if channel not in channels:
                channels.append(channel)
        content = Content.from_document(doc.get("content"))
        for channel in channels:
            if not content.languages(channel):
                raise InvalidCampaignError(f"content has nothing for {channel.value}")
        send_at = doc.get("sendAt")
        if send_at is not None and as_datetime(send_at) is None:
            raise InvalidCampaignError("sendAt must be a timestamp")
        name = doc.get("name")
        run = doc.get("run")
        return cls(
            campaign_id=campaign_id,
            name=name.strip() if isinstance(name, str) and name.strip() else campaign_id,
            status=status,
            audience=Audience.from_document(doc.get("audience")),
            channels=tuple(channels),
            content=content,
            send_at=as_datetime(send_at),
            limits=Limits.from_document(doc.get("settings")),
            started_at=as_datetime(doc.get("startedAt")),
            run=run if isinstance(run, int) and not isinstance(run, bool) else 0,
        )


# -- parsing helpers ---------------------------------------------------------------------------


def _words(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, str) and v.strip() for v in values
    ):
        raise InvalidCampaignError(f"audience.{key} must be a text or a list of texts")
    if len(values) > 10:
        raise InvalidCampaignError(f"audience.{key} takes at most 10 values")
    return tuple(dict.fromkeys(v.strip() for v in values))


def _date(raw: Mapping[str, Any], key: str) -> datetime | None:
    value = raw.get(key)
    if value is None:
        return None
    parsed = as_datetime(value)
    if parsed is None:
        raise InvalidCampaignError(f"audience.{key} must be a timestamp")
    return parsed


def _per_language(raw: Mapping[str, Any], channel: str) -> Mapping[str, Any]:
    table = raw.get(channel)
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise InvalidCampaignError(f"content.{channel} must be a map from language to content")
    out = {}
    for language, entry in table.items():
        lang = str(language).strip().lower()
        if not (len(lang) == 2 and lang.isalpha()):
            raise InvalidCampaignError(f"content.{channel}: {language!r} is not a language code")
        out[lang] = entry
    return out


def _text(value: Any, where: str, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidCampaignError(f"{where} must be a non-empty text")
    if len(value) > MAX_TEXT:
        raise InvalidCampaignError(f"{where} is longer than {MAX_TEXT} characters")
    return value.strip()


def _optional(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _whatsapp(language: str, entry: Any) -> WhatsAppContent:
    where = f"content.whatsapp.{language}"
    if not isinstance(entry, Mapping):
        raise InvalidCampaignError(f"{where} must name an approved template")
    meta_name, content_sid = _optional(entry.get("metaName")), _optional(entry.get("contentSid"))
    if not meta_name and not content_sid:
        raise InvalidCampaignError(f"{where} needs metaName (Meta) or contentSid (Twilio)")
    variables = entry.get("variables") or []
    if not isinstance(variables, list | tuple) or len(variables) > MAX_VARIABLES:
        raise InvalidCampaignError(f"{where}.variables must be a list of at most 10 texts")
    preview = entry.get("preview")
    return WhatsAppContent(
        meta_name=meta_name,
        meta_language=_optional(entry.get("metaLanguage")) or language,
        content_sid=content_sid,
        variables=tuple(_text(v, f"{where}.variables") for v in variables),
        preview=_text(preview, f"{where}.preview") if preview is not None else "",
    )


def _email(language: str, entry: Any) -> EmailContent:
    where = f"content.email.{language}"
    if not isinstance(entry, Mapping):
        raise InvalidCampaignError(f"{where} must be a map with subject and text")
    return EmailContent(
        subject=_text(entry.get("subject"), f"{where}.subject"),
        text=_text(entry.get("text"), f"{where}.text"),
    )


def _number(value: Any, default: float, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(min(max(value, low), high))


# -- a campaign's steps (Cloud Tasks bodies of ``campaign_step``) ------------------------------


class StepKind(StrEnum):
    """``plan``: a page of the audience; ``resume``: a page of waiting messages enqueued again
    (after a pause, or a cancel: delivery then cancels them); ``monitor``: results refreshed,
    health checked, completion noticed."""

    PLAN = "plan"
    RESUME = "resume"
    MONITOR = "monitor"


@dataclass(frozen=True)
class CampaignStep:
    """One step of one campaign; ``run`` names the (re)start it belongs to."""

    campaign_id: str
    kind: StepKind
    run: str = ""
    page: int = 0
    cursor: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "step": self.kind.value,
            "run": self.run,
            "page": self.page,
            "cursor": self.cursor,
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> CampaignStep:
        """The step of a task body; ``InvalidCampaignError`` for one that names none."""
        campaign_id, kind = body.get("campaignId"), body.get("step")
        if not isinstance(campaign_id, str) or not campaign_id or "/" in campaign_id:
            raise InvalidCampaignError("campaignId must be a document id")
        try:
            step = StepKind(str(kind))
        except ValueError:
            raise InvalidCampaignError(
                f"step must be one of {[k.value for k in StepKind]}"
            ) from None
        page, cursor, run = body.get("page", 0), body.get("cursor"), body.get("run", "")
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise InvalidCampaignError("page must be a non-negative integer")
        if cursor is not None and (not isinstance(cursor, str) or "/" in cursor):
            raise InvalidCampaignError("cursor must be a document id")
        return cls(campaign_id, step, str(run)[:64], page, cursor or None)
