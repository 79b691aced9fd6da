"""Who of a campaign's audience gets its message, on which channel, when, and in what words.

Pure: a profile the audience query returned, what the consent ledger says about that customer
(``shared.rules.consent``), the deployment's providers and the shop's settings come in; one
``NotificationRecord`` comes out, its id derived from the campaign and the customer (one message
per person per campaign, however often a page runs): ``pending`` (or ``scheduled`` for the
marketing window, quiet hours or ``sendAt``) on the first channel of the campaign's list that
may carry it, else ``skipped`` with the first channel's reason.

A channel may carry it when: ``marketingEnabled`` (else ``marketing_not_enabled``); the
channel's switch is on; the ledger holds no opt-out of it (``opted_out``) and proves a
marketing opt-in on it (``marketing_consent_not_recorded``); the customer is reachable on it (a
valid mobile for SMS and WhatsApp, whose identity is the number; a valid email); its provider is
configured; and an SMS can say how to opt out (``no_opt_out_mention``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.model.campaign import CAMPAIGN_MESSAGE, Campaign
from shared.model.documents import CustomerProfile
from shared.model.enums import Channel, NotificationStatus, Purpose
from shared.model.ids import campaign_notification_id
from shared.model.plan import ConfiguredProviders, Reason
from shared.model.record import WAITING, NotificationRecord
from shared.model.shop import ShopSettings
from shared.rules.campaign_content import Rendered, render_email, render_sms, render_whatsapp
from shared.rules.cascade import contact_mobile, message_country
from shared.rules.consent import ConsentFacts
from shared.rules.contacts import choose_email
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.preference_link import PreferenceLinks, subject_for
from shared.rules.rendering import planned_sms_estimate
from shared.rules.sms_footer import opt_out_values
from shared.rules.templates import choose_language
from shared.rules.timerules import send_time

# Why a channel whose switch is off cannot carry the campaign.
_SWITCHED_OFF = {
    Channel.WHATSAPP: "whatsapp_not_opted_in",
    Channel.SMS: Reason.SMS_NOT_OPTED_IN.value,
    Channel.EMAIL: Reason.EMAIL_DISABLED.value,
}


@dataclass(frozen=True)
class Deployment:
    """What the deployment and the shop decide for every recipient of one page."""

    providers: ConfiguredProviders
    shop: ShopSettings
    default_country: str
    sms_from: str | None
    shop_name: str | None = None
    links: PreferenceLinks | None = None  # signed links to the preference page (issue 18)


@dataclass(frozen=True)
class _Choice:
    channel: Channel
    to: str | None
    reason: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def source_event_id(campaign_id: str) -> str:
    """The ``sourceEventId`` of every message of a campaign."""
    return f"campaign:{campaign_id}"


def _reach(
    channel: Channel, profile: CustomerProfile, country: str, deployment: Deployment
) -> _Choice:
    if channel is Channel.EMAIL:
        email = choose_email([profile.email])
        if email.address is None:
            return _Choice(channel, None, email.problem or Reason.NO_CONTACT, email.detail)
        return _Choice(channel, email.address)
    phone = contact_mobile(profile, None, {"country": country}, deployment.default_country)
    if phone.number is None:
        return _Choice(channel, None, phone.problem or Reason.NO_PHONE, phone.detail)
    return _Choice(channel, phone.number.e164)


def choose_channel(
    campaign: Campaign,
    profile: CustomerProfile,
    consent: ConsentFacts,
    deployment: Deployment,
) -> _Choice:
    """The first channel of the campaign's list that may carry its message to this customer,
    or the first channel's refusal."""
    prefs = profile.notification_preferences
    first = campaign.channels[0]
    if not prefs.marketing_enabled:
        return _Choice(first, None, Reason.MARKETING_NOT_ENABLED, "marketingEnabled is off")
    country = message_country(profile, {}, deployment.default_country)
    refusals: list[_Choice] = []
    for channel in campaign.channels:
        if channel in consent.opted_out:
            refusals.append(_Choice(channel, None, Reason.OPTED_OUT, "the ledger holds an opt-out"))
            continue
        if not prefs.allows(channel):
            reason = _SWITCHED_OFF[channel]
            refusals.append(_Choice(channel, None, reason, f"{channel.value} is switched off"))
            continue
        if not consent.allows_marketing(channel):
            refusals.append(
                _Choice(
                    channel,
                    None,
                    Reason.MARKETING_CONSENT_NOT_RECORDED,
                    f"no recorded {channel.value} marketing opt-in (consent_events)",
                )
            )
            continue
        reach = _reach(channel, profile, country, deployment)
        if not reach.ok:
            refusals.append(reach)
            continue
        if not deployment.providers.configured(channel):
            refusals.append(
                _Choice(channel, reach.to, Reason.PROVIDER_NOT_CONFIGURED, "no sender configured")
            )
            continue
        return reach
    return refusals[0]


def _country_of(channel: Channel, to: str | None, fallback: str) -> str:
    if channel in (Channel.SMS, Channel.WHATSAPP) and to:
        try:
            return normalize_phone(to, None).region or fallback
        except PhoneError:
            return fallback
    return fallback


def _render(
    campaign: Campaign, channel: Channel, language: str, data: Mapping[str, Any]
) -> tuple[str, Rendered]:
    found = campaign.content.for_language(channel, language)
    assert found is not None  # the campaign was refused without content for its channels
    lang, content = found
    if channel is Channel.SMS:
        return lang, render_sms(content, lang, data)
    if channel is Channel.EMAIL:
        return lang, render_email(content, lang, data)
    return lang, render_whatsapp(content, lang, data)


def plan_recipient(
    campaign: Campaign,
    profile: CustomerProfile,
    consent: ConsentFacts,
    deployment: Deployment,
    *,
    now: datetime,
) -> NotificationRecord:
    """The one history record of ``campaign`` for this customer (see the module rules)."""
    choice = choose_channel(campaign, profile, consent, deployment)
    profile_country = message_country(profile, {}, deployment.default_country)
    country = _country_of(choice.channel, choice.to, profile_country)
    language = choose_language(profile.language, profile_country)
    data: dict[str, Any] = {"country": country, "campaignName": campaign.name[:200]}
    if profile.display_name:
        data["customerName"] = profile.display_name
    if deployment.shop_name:
        data["shopName"] = deployment.shop_name
    own_page = None
    subject = subject_for(profile.id, choice.to, choice.channel.value)
    if deployment.links is not None and subject is not None and choice.ok:
        own_page = deployment.links.page(subject, now)
        data["preferencesUrl"] = own_page
        if choice.channel is Channel.EMAIL:
            data["unsubscribeUrl"] = deployment.links.unsubscribe(subject, Channel.EMAIL.value, now)
    status, reason, detail = NotificationStatus.PENDING, "campaign", ""
    if not choice.ok:
        status, reason, detail = NotificationStatus.SKIPPED, choice.reason, choice.detail
    elif choice.channel is Channel.SMS:
        footer = opt_out_values(
            country,
            deployment.shop,
            fallback_country=deployment.default_country,
            sms_from=deployment.sms_from,
            preferences_url=own_page,
        )
        if footer is None:
            status, reason = NotificationStatus.SKIPPED, Reason.NO_OPT_OUT_MENTION
            detail = "the SMS sender cannot receive STOP and smsOptOut has no preferencesUrl"
        else:
            data.update(footer)
    lang, rendered = _render(campaign, choice.channel, language, data)
    if rendered.subject:
        data["subject"] = rendered.subject
    if rendered.whatsapp:
        data["whatsappTemplate"] = dict(rendered.whatsapp)
    scheduled_for = None
    if status is NotificationStatus.PENDING:
        due = campaign.send_at if campaign.send_at and campaign.send_at > now else now
        allowed = send_time(
            due,
            channel=choice.channel,
            purpose=Purpose.MARKETING,
            country=country,
            settings=deployment.shop,
            fallback_country=deployment.default_country,
            quiet_hours=True,
        )
        scheduled_for = allowed if allowed > now else None
    record = NotificationRecord(
        notification_id=campaign_notification_id(campaign.campaign_id, profile.id),
        type=CAMPAIGN_MESSAGE,
        channel=choice.channel,
        provider=deployment.providers.provider_for(choice.channel) if choice.to else None,
        to=choice.to,
        customer_id=profile.id,
        refs={"campaignId": campaign.campaign_id},
        status=status,
        status_reason=str(reason),
        status_detail=detail,
        template=CAMPAIGN_MESSAGE,
        language=lang,
        country=country,
        data=data,
        body=rendered.body,
        source_event_id=source_event_id(campaign.campaign_id),
        scheduled_for=scheduled_for,
        purpose=Purpose.MARKETING,
        profile_at_plan=True,
    )
    if status is NotificationStatus.PENDING and choice.channel is Channel.SMS:
        record = replace(record, metadata=planned_sms_estimate(record))
    return record


# -- one message per destination ---------------------------------------------------------------
SAME_DESTINATION = "same_destination"


def destination_key(record: NotificationRecord) -> str | None:
    """Where a waiting message goes (``channel:address``, case-folded), None for one that will
    not go: two customers sharing a number or an address are one person to reach."""
    if record.status not in WAITING or not record.to:
        return None
    return f"{record.channel.value}:{record.to.strip().casefold()}"


def as_duplicate(record: NotificationRecord, owner: str | None) -> NotificationRecord:
    """``record`` skipped: the campaign already goes to its destination by ``owner``'s message."""
    detail = "another customer's message of this campaign goes to the same " + (
        "address" if record.channel is Channel.EMAIL else "number"
    )
    return replace(
        record,
        status=NotificationStatus.SKIPPED,
        status_reason=SAME_DESTINATION,
        status_detail=f"{detail} ({owner})" if owner else detail,
    )


def one_per_destination(records: list[NotificationRecord]) -> list[NotificationRecord]:
    """Within one page: the first message to each destination stays, later ones are skipped."""
    seen: dict[str, str] = {}
    out = []
    for record in records:
        key = destination_key(record)
        if key is not None and key in seen:
            out.append(as_duplicate(record, seen[key]))
            continue
        if key is not None:
            seen[key] = record.notification_id
        out.append(record)
    return out
