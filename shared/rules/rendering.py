"""A notification record -> the rendered ``OutboundMessage`` an adapter sends.

Rendering happens at delivery, from the data snapshot stored at planning, so a retry sends the
same words. Whether WhatsApp goes free-form or as an approved template is decided here from
the customer's ``lastInboundAt.whatsapp`` (the 24-hour window).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.model.campaign_template import whatsapp_template_of
from shared.model.documents import CustomerProfile
from shared.model.enums import Channel, Purpose
from shared.model.messages import OutboundMessage, WhatsAppTemplate
from shared.model.record import NotificationRecord
from shared.model.shop import ShopSettings
from shared.platform.clock import as_datetime
from shared.rules.sms import analyze, estimate_cost
from shared.rules.templates import render, whatsapp_template_ref
from shared.rules.templates.values import clean_url
from shared.rules.timerules import whatsapp_window_open


def _window_open(profile: CustomerProfile | None, now: datetime) -> bool:
    if profile is None:
        return False
    return whatsapp_window_open(as_datetime(profile.last_inbound_at.get("whatsapp")), now)


def _subject(data: dict[str, Any]) -> str | None:
    """An email written whole at planning (a campaign's) keeps its subject in its data."""
    subject = data.get("subject")
    return subject if isinstance(subject, str) and subject else None


def sms_estimate(text: str, country: str | None) -> dict[str, Any]:
    """The ``metadata`` of an SMS text: its segments, encoding and estimated cost, shown before
    sending (the planner's estimate) and recorded at sending (with the provider's count)."""
    info = analyze(text)
    cost = estimate_cost(info.segments, country or "")
    return {
        "segments": info.segments,
        "encoding": info.encoding,
        "cost": cost.amount,
        "currency": cost.currency,
        "costEstimated": True,
    }


def planned_sms_estimate(
    record: NotificationRecord, shop: ShopSettings | None = None
) -> dict[str, Any]:
    """``sms_estimate`` of the text this record will send (rendered as delivery will, in the
    shop's own words when it has them)."""
    template = record.template or record.type
    override = shop.template_override(template, record.language) if shop else None
    text = record.body or render(template, Channel.SMS, record.language, record.data, override).text
    return sms_estimate(text, record.country)


def build_message(
    record: NotificationRecord,
    profile: CustomerProfile | None,
    *,
    now: datetime,
    shop: ShopSettings,
) -> OutboundMessage | None:
    """The message to send, or None when there is nothing to send it to (push without tokens)."""
    notification_id = record.notification_id
    channel = record.channel
    template_id = record.template or record.type
    language = record.language
    data: dict[str, Any] = dict(record.data)
    body = record.body
    to = record.to or ""

    if isinstance(body, str) and body:
        text, subject, html, title = body, _subject(data), None, None
    else:
        override = shop.template_override(template_id, language)
        rendered = render(template_id, channel, language, data, override)
        text, subject, html, title = rendered.text, rendered.subject, rendered.html, rendered.title

    if channel is Channel.PUSH:
        tokens = tuple(profile.fcm_tokens) if profile else ()
        if not tokens:
            return None
        return OutboundMessage(
            notification_id=notification_id,
            channel=channel,
            to=to,
            text=text,
            title=title,
            push_tokens=tokens,
            data={"notificationId": notification_id, "type": record.type},
        )
    if not to:
        return None
    template = None
    use_template = False
    headers = _unsubscribe_headers(record, data) if channel is Channel.EMAIL else {}
    campaign_template = whatsapp_template_of(data)
    if channel is Channel.WHATSAPP and campaign_template is not None:
        # A campaign names its own approved template: marketing always goes as one.
        template, use_template = campaign_template, True
    elif channel is Channel.WHATSAPP:
        ref = whatsapp_template_ref(template_id, language, data, shop)
        template = WhatsAppTemplate(
            content_sid=ref.content_sid,
            meta_name=ref.meta_name,
            meta_language=ref.meta_language,
            variables=tuple(ref.variables),
        )
        window = _window_open(profile, now) or whatsapp_window_open(
            as_datetime(data.get("whatsappInboundAt")), now
        )  # a staff reply to a walk-in: the answered message's time (no profile to keep it)
        use_template = not record.is_reply and not window
    return OutboundMessage(
        notification_id=notification_id,
        channel=channel,
        to=to,
        text=text,
        subject=subject,
        html=html,
        title=title,
        template=template,
        use_template=use_template,
        headers=headers,
    )


def _unsubscribe_headers(record: NotificationRecord, data: dict[str, Any]) -> dict[str, str]:
    """A marketing email's one-click unsubscribe (RFC 8058: ``List-Unsubscribe`` with an https
    link, and ``List-Unsubscribe-Post``), as Gmail and Yahoo ask of bulk senders."""
    url = clean_url(data.get("unsubscribeUrl"))
    if record.effective_purpose is not Purpose.MARKETING or not url:
        return {}
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
