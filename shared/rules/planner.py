"""From a customer event to drafts: the cascade's plan, rendered data, ids and send times.

Pure: everything it needs (customer, settings, what the consent ledger says, clock) comes in as
arguments. Each draft's send time follows the time rules (``timerules.send_time``: quiet hours,
and for marketing SMS and WhatsApp the country's marketing window); a marketing SMS carries the
opt-out mention for its country and sender in its data (``sms_footer``), or is skipped when none
is possible; when the deployment signs preference links (``PREFERENCES_URL``), each draft's data
carries its recipient's own link (``preferencesUrl``) and a marketing email its one-click
``unsubscribeUrl``; every SMS carries its segments and estimated cost in ``metadata``, footer
included, before it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from shared.model.documents import CustomerContext
from shared.model.enums import Channel, NotificationStatus, Provider
from shared.model.ids import notification_id
from shared.model.plan import WALK_IN_TEMPLATE, ConfiguredProviders, PlannedMessage, Reason
from shared.model.record import NotificationRecord
from shared.model.shop import ShopSettings
from shared.platform.settings import Settings
from shared.rules.cascade import message_country, plan_notifications
from shared.rules.changes import CustomerEvent
from shared.rules.consent import ConsentFacts
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.preference_link import PreferenceLinks, subject_for
from shared.rules.render_data import build_render_data, registration_link
from shared.rules.rendering import planned_sms_estimate
from shared.rules.sms_footer import opt_out_values
from shared.rules.templates import choose_language
from shared.rules.timerules import send_time


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


def preference_links(settings: Settings) -> PreferenceLinks | None:
    """How this deployment signs the links to the customer's preference page, if it does."""
    if not (settings.preferences_url and settings.preferences_secret):
        return None
    days = max(1, settings.preferences_link_days)
    return PreferenceLinks(settings.preferences_url, settings.preferences_secret, timedelta(days))


def _send_time(
    message: PlannedMessage,
    event: CustomerEvent,
    *,
    country: str,
    shop: ShopSettings,
    now: datetime,
    default_country: str,
) -> datetime | None:
    """When the message may go: its due time moved past the time rules; None for right now."""
    due = event.due_at if event.due_at and event.due_at > now else now
    if message.status != NotificationStatus.PENDING:
        return due if due > now else None
    allowed = send_time(
        due,
        channel=message.channel,
        purpose=event.key.purpose,
        country=country,
        settings=shop,
        fallback_country=default_country,
        quiet_hours=not shop.is_urgent(event.key.value),
    )
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
    consent: ConsentFacts | None = None,
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
        consent=consent,
        walk_in_service_sms=shop.walk_in_service_sms,
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
    links = preference_links(settings)
    drafts = []
    for planned in plan.messages:
        message = planned
        data = dict(base_data)
        own_page = None
        subject = subject_for(customer.customer_id, message.to, message.channel.value)
        if links is not None and subject is not None:
            # The templates decide where it shows: email footers, the walk-in welcome, a
            # marketing SMS from a sender that cannot receive STOP.
            own_page = links.page(subject, now)
            data["preferencesUrl"] = own_page
            if message.channel is Channel.EMAIL and event.key.is_marketing:
                data["unsubscribeUrl"] = links.unsubscribe(subject, Channel.EMAIL.value, now)
        if message.template == WALK_IN_TEMPLATE and settings.registration_url and message.to:
            data["registrationUrl"] = registration_link(
                settings.registration_url,
                phone_e164=message.to,
                ticket_id=source.document_id,
            )
        to_country = _message_country(message, country)
        if message.is_pending and message.channel is Channel.SMS and event.key.is_marketing:
            footer = opt_out_values(
                to_country,
                shop,
                fallback_country=settings.default_country,
                sms_from=settings.twilio.sms_from,
                preferences_url=own_page,
            )
            if footer is None:
                message = _no_opt_out_mention(message)
            else:
                data.update(footer)
        scheduled_for = _send_time(
            message,
            event,
            country=to_country,
            shop=shop,
            now=now,
            default_country=settings.default_country,
        )
        draft = NotificationRecord(
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
            country=to_country,
            data=data,
            source_event_id=event_id,
            scheduled_for=scheduled_for,
            fallback_channel=message.fallback,
            fallback_to=message.fallback_to,
            fallback_provider=message.fallback_provider,
            purpose=event.key.purpose,
        )
        if message.is_pending and message.channel is Channel.SMS:
            draft = replace(draft, metadata=planned_sms_estimate(draft, shop))
        drafts.append(draft)
    return drafts


def _no_opt_out_mention(message: PlannedMessage) -> PlannedMessage:
    return replace(
        message,
        status=NotificationStatus.SKIPPED,
        reason=Reason.NO_OPT_OUT_MENTION,
        detail="a marketing SMS must say how to opt out: the sender is alphanumeric (it cannot "
        "receive STOP) and smsOptOut has no preferencesUrl for this country",
        fallback=None,
        fallback_to=None,
        fallback_provider=None,
    )


def _message_country(message: PlannedMessage, country: str) -> str:
    """For phone channels, the number's own country (prices, quiet hours of the recipient)."""
    if message.channel in (Channel.SMS, Channel.WHATSAPP) and message.to:
        try:
            region = normalize_phone(message.to, None).region
        except PhoneError:
            return country
        return region or country
    return country
