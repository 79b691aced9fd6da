"""From a customer event to drafts: the cascade's plan, rendered data, ids and send times.

Pure: everything it needs (customer, settings, clock) comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.model.documents import CustomerContext
from shared.model.enums import Channel, NotificationStatus, Provider
from shared.model.ids import notification_id
from shared.model.plan import WALK_IN_TEMPLATE, ConfiguredProviders, PlannedMessage
from shared.model.record import NotificationRecord
from shared.model.shop import ShopSettings
from shared.platform.settings import Settings
from shared.rules.cascade import message_country, plan_notifications
from shared.rules.changes import CustomerEvent
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.render_data import build_render_data, registration_link
from shared.rules.templates import choose_language
from shared.rules.timerules import QUIET_CHANNELS, next_allowed_send


@dataclass(frozen=True)
class Source:
    """The document that changed: its collection's id field, id and fields."""

    id_field: str  # "ticketId", "orderId", "cartId"
    document_id: str
    data: Mapping[str, Any]


def configured_providers(settings: Settings) -> ConfiguredProviders:
    return ConfiguredProviders(
        email=settings.smtp.configured,
        sms=settings.twilio.sms_configured,
        whatsapp=settings.whatsapp_configured,
        push=settings.push_configured,
        whatsapp_provider=Provider(settings.whatsapp_provider),
    )


def _send_time(
    message: PlannedMessage,
    event: CustomerEvent,
    *,
    country: str,
    shop: ShopSettings,
    now: datetime,
    default_country: str,
) -> datetime | None:
    """When the message may go: its due time pushed past quiet hours; None for right now."""
    due = event.due_at if event.due_at and event.due_at > now else now
    if (
        message.status != NotificationStatus.PENDING
        or message.channel not in QUIET_CHANNELS
        or shop.is_urgent(event.key.value)
    ):
        return due if due > now else None
    allowed = next_allowed_send(due, country, shop, fallback_country=default_country)
    return allowed if allowed > now else None


def plan_drafts(
    event: CustomerEvent,
    *,
    source: Source,
    customer: CustomerContext,
    event_id: str,
    settings: Settings,
    shop: ShopSettings,
    now: datetime,
) -> list[NotificationRecord]:
    """The drafts for one customer event: one per planned message (pending or skipped)."""
    profile = customer.profile
    plan = plan_notifications(
        event.key,
        profile=profile,
        client=customer.client,
        source=source.data,
        providers=configured_providers(settings),
        default_country=settings.default_country,
        registration_url=settings.registration_url,
    )
    country = message_country(customer.profile, source.data, settings.default_country)
    language = choose_language(profile.language if profile else None, country)
    base_data = build_render_data(
        event.key,
        document_id=source.document_id,
        source=source.data,
        profile=profile,
        client=customer.client,
        shop=shop,
        country=country,
    )
    refs = {source.id_field: source.document_id}
    if customer.client is not None and customer.client.id:
        refs["clientId"] = customer.client.id
    drafts = []
    for message in plan.messages:
        data = dict(base_data)
        if message.template == WALK_IN_TEMPLATE and settings.registration_url and message.to:
            data["registrationUrl"] = registration_link(
                settings.registration_url,
                phone_e164=message.to,
                ticket_id=source.document_id,
            )
        scheduled_for = _send_time(
            message,
            event,
            country=country,
            shop=shop,
            now=now,
            default_country=settings.default_country,
        )
        drafts.append(
            NotificationRecord(
                notification_id=notification_id(event_id, message.template, message.channel),
                type=event.key.value,
                channel=message.channel,
                provider=message.provider,
                to=message.to,
                customer_id=customer.customer_id,
                profile_at_plan=customer.profile is not None,
                refs=refs,
                status=NotificationStatus(message.status),
                status_reason=message.reason,
                status_detail=message.detail,
                template=message.template,
                language=language,
                country=_message_country(message, country),
                data=data,
                source_event_id=event_id,
                scheduled_for=scheduled_for,
                fallback_channel=message.fallback,
                fallback_to=message.fallback_to,
                fallback_provider=message.fallback_provider,
            )
        )
    return drafts


def _message_country(message: PlannedMessage, country: str) -> str:
    """For phone channels, the number's own country (prices, quiet hours of the recipient)."""
    if message.channel in (Channel.SMS, Channel.WHATSAPP) and message.to:
        try:
            region = normalize_phone(message.to, None).region
        except PhoneError:
            return country
        return region or country
    return country
