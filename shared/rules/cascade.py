"""The preference cascade: which channels carry one event to one customer, and why.

Pure: the customer's profile, the linked client record, the triggering document and what the
deployment has configured come in; an ordered ``Plan`` comes out, primary message first, every
entry with a machine-readable ``reason`` (stored as ``statusReason``) and a sentence (``detail``).

Rules (issue 3), in order:

1. Marketing events (``cart.*``) need ``marketingEnabled``; otherwise the plan is one skipped
   entry, ``marketing_not_enabled``, on the channel that would have been primary.
2. Email is primary when the customer has a valid address (profile, then client record) and
   ``emailEnabled``. WhatsApp is then a complement when ``whatsappEnabled`` and a mobile exists.
3. With no usable email: WhatsApp if enabled, else SMS if enabled (opt-in), never both.
4. Push complements whatever was chosen when ``pushEnabled`` with tokens; alone it is the last
   resort (``push_fallback``).
5. A walk-in (a ticket without ``customerId``) with a valid mobile gets a welcome SMS on
   ``ticket.received`` (template ``ticket.walk_in_welcome``) carrying the registration link.
   Walk-ins have no profile, so the contract's defaults apply otherwise: an email when the linked
   client record has one, no other SMS (SMS is opt-in).
6. A wanted channel whose provider is not configured is planned ``skipped`` with
   ``provider_not_configured`` and the cascade carries on as if it were unavailable (no email
   server: the customer is reached like a customer without email).
7. A wanted phone channel without a usable mobile is planned ``skipped`` with the phone's
   problem (``invalid_phone``, ``landline``, ``not_mobile``, ``no_phone``), once per plan.
8. WhatsApp falls back to SMS when SMS is allowed for this customer (``smsEnabled``, a mobile,
   the SMS provider configured).
9. When nothing at all can be sent, the plan still holds one skipped entry saying why.

A plan never holds two entries with the same (template, channel): ids derive from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from shared.model.documents import ClientRecord, CustomerProfile, NotificationPreferences
from shared.model.enums import Channel, EventKey, NotificationStatus
from shared.model.plan import (
    WALK_IN_TEMPLATE,
    ConfiguredProviders,
    Plan,
    PlannedMessage,
    Reason,
    select_fallback,
)
from shared.rules.contacts import EmailChoice, PhoneChoice, choose_email, choose_mobile

__all__ = [
    "WALK_IN_TEMPLATE",
    "ConfiguredProviders",
    "Plan",
    "PlannedMessage",
    "Reason",
    "message_country",
    "plan_notifications",
    "select_fallback",
]


def message_country(
    profile: CustomerProfile | None, source: Mapping[str, Any], default_country: str
) -> str:
    """The country for numbers without a country code: profile, then document, then default."""
    for value in (profile.country if profile else None, source.get("country")):
        if isinstance(value, str) and len(value.strip()) == 2 and value.strip().isalpha():
            return value.strip().upper()
    return default_country.strip().upper()


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class _Planner:
    """Accumulates the messages and notes of one plan."""

    def __init__(
        self,
        key: EventKey,
        prefs: NotificationPreferences,
        providers: ConfiguredProviders,
        email: EmailChoice,
        phone: PhoneChoice,
    ) -> None:
        self.key, self.prefs, self.providers = key, prefs, providers
        self.email, self.phone = email, phone
        self.messages: list[PlannedMessage] = []
        self.notes: list[str] = []
        self.phone_problem_recorded = False

    def _add(
        self,
        channel: Channel,
        to: str | None,
        reason: str,
        detail: str,
        *,
        pending: bool,
        template: str | None = None,
    ) -> PlannedMessage:
        message = PlannedMessage(
            channel=channel,
            provider=self.providers.provider_for(channel),
            to=to,
            status=NotificationStatus.PENDING if pending else NotificationStatus.SKIPPED,
            reason=reason,
            template=template or self.key.value,
            detail=detail,
        )
        self.messages.append(message)
        return message

    def channel(
        self,
        channel: Channel,
        to: str | None,
        reason: str,
        detail: str,
        template: str | None = None,
    ) -> bool:
        """Plan ``channel`` to ``to``: pending if its provider is configured, else skipped."""
        if not self.providers.configured(channel):
            self._add(
                channel,
                to,
                Reason.PROVIDER_NOT_CONFIGURED,
                f"no {self.providers.provider_for(channel).value} {channel.value} sender is "
                "configured",
                pending=False,
                template=template,
            )
            return False
        self._add(channel, to, reason, detail, pending=True, template=template)
        return True

    def phone_channel(
        self, channel: Channel, reason: str, detail: str, template: str | None = None
    ) -> bool:
        """Plan an SMS/WhatsApp message to the customer's mobile, or record why there is none."""
        number = self.phone.number
        if number is None:
            problem = self.phone.problem or Reason.NO_PHONE
            self.notes.append(f"{channel.value}: {self.phone.detail}")
            if not self.phone_problem_recorded:
                self.phone_problem_recorded = True
                self._add(
                    channel, None, problem, self.phone.detail, pending=False, template=template
                )
            return False
        if not self.channel(channel, number.e164, reason, detail, template):
            return False
        if channel is Channel.WHATSAPP and self.sms_allowed:
            last = self.messages[-1]
            self.messages[-1] = replace(
                last,
                fallback=Channel.SMS,
                fallback_to=number.e164,
                fallback_provider=self.providers.provider_for(Channel.SMS),
            )
        return True

    @property
    def sms_allowed(self) -> bool:
        return bool(self.prefs.sms_enabled and self.phone.number and self.providers.sms)


def plan_notifications(
    event_key: EventKey | str,
    *,
    profile: CustomerProfile | None = None,
    client: ClientRecord | None = None,
    source: Mapping[str, Any] | None = None,
    providers: ConfiguredProviders | None = None,
    default_country: str = "FR",
    registration_url: str | None = None,
) -> Plan:
    """The ordered plan of messages for ``event_key`` about ``source`` (see the module rules)."""
    key = EventKey(event_key)
    src: Mapping[str, Any] = source or {}
    configured = providers or ConfiguredProviders(
        email=False, sms=False, whatsapp=False, push=False
    )
    prefs = profile.notification_preferences if profile else NotificationPreferences()
    country = message_country(profile, src, default_country)
    email = choose_email([profile.email if profile else None, client.email if client else None])
    phone = choose_mobile(
        [
            profile.phone_number if profile else None,
            client.phone if client else None,
            src.get("clientPhone"),
        ],
        country,
        default_country,
    )
    tokens = [t for t in (profile.fcm_tokens if profile else []) if isinstance(t, str) and t]
    p = _Planner(key, prefs, configured, email, phone)

    has_email = False
    if email.address and prefs.email_enabled:
        has_email = p.channel(
            Channel.EMAIL,
            email.address,
            Reason.EMAIL_PRIMARY,
            "valid email address and emailEnabled",
        )
    elif email.address:
        p.notes.append("email: emailEnabled is off")
    else:
        p.notes.append(f"email: {email.detail}")

    if has_email:
        if prefs.whatsapp_enabled:
            p.phone_channel(
                Channel.WHATSAPP, Reason.WHATSAPP_COMPLEMENT, "whatsappEnabled, complement to email"
            )
    else:
        reached = prefs.whatsapp_enabled and p.phone_channel(
            Channel.WHATSAPP, Reason.WHATSAPP_NO_EMAIL, "no usable email; whatsappEnabled"
        )
        if not reached and prefs.sms_enabled:
            p.phone_channel(Channel.SMS, Reason.SMS_NO_EMAIL, "no usable email; smsEnabled")

    if key is EventKey.TICKET_RECEIVED and not _text(src.get("customerId")):
        _walk_in_welcome(p, registration_url)

    if prefs.push_enabled and tokens:
        reached_somehow = bool(p.messages and any(m.is_pending for m in p.messages))
        p.channel(
            Channel.PUSH,
            None,
            Reason.PUSH_COMPLEMENT if reached_somehow else Reason.PUSH_FALLBACK,
            f"pushEnabled with {len(tokens)} device token(s)",
        )
    elif prefs.push_enabled:
        p.notes.append("push: no device token")

    if not p.messages:
        _nothing_to_send(p, prefs, tokens)
    plan = Plan(messages=tuple(p.messages), notes=tuple(p.notes))
    if key.is_marketing and not prefs.marketing_enabled:
        return _marketing_refused(plan, key)
    return plan


def _walk_in_welcome(p: _Planner, registration_url: str | None) -> None:
    if p.phone.number is None and p.phone.problem == Reason.NO_PHONE:
        p.notes.append("walk-in: no phone number, no welcome SMS")
        return
    if not registration_url:
        p.notes.append("walk-in: REGISTRATION_URL is not set; the welcome SMS has no link")
    p.phone_channel(
        Channel.SMS,
        Reason.WALK_IN_WELCOME,
        "walk-in customer: welcome SMS with the registration link",
        template=WALK_IN_TEMPLATE,
    )


def _nothing_to_send(p: _Planner, prefs: NotificationPreferences, tokens: list[str]) -> None:
    """One skipped entry explaining why no channel could be used."""
    number, email = p.phone.number, p.email
    if number is not None:
        p._add(
            Channel.SMS,
            number.e164,
            Reason.SMS_NOT_OPTED_IN,
            "a mobile is on file but neither SMS nor WhatsApp is enabled",
            pending=False,
        )
    elif email.address:
        p._add(
            Channel.EMAIL,
            email.address,
            Reason.EMAIL_DISABLED,
            "an email address is on file but emailEnabled is off",
            pending=False,
        )
    elif p.phone.problem in (Reason.INVALID_PHONE, Reason.LANDLINE, Reason.NOT_MOBILE):
        p._add(
            Channel.SMS,
            None,
            p.phone.problem or Reason.INVALID_PHONE,
            p.phone.detail,
            pending=False,
        )
    elif email.problem == Reason.INVALID_EMAIL:
        p._add(Channel.EMAIL, None, Reason.INVALID_EMAIL, email.detail, pending=False)
    elif tokens and not prefs.push_enabled:
        p._add(
            Channel.PUSH,
            None,
            Reason.PUSH_DISABLED,
            "device tokens are on file but pushEnabled is off",
            pending=False,
        )
    else:
        p._add(
            Channel.EMAIL,
            None,
            Reason.NO_CONTACT,
            "no email, no mobile and no device token on file",
            pending=False,
        )


def _marketing_refused(plan: Plan, key: EventKey) -> Plan:
    """One skipped entry, on the channel that would have been primary."""
    would_be = plan.primary or plan.messages[0]
    refused = PlannedMessage(
        channel=would_be.channel,
        provider=would_be.provider,
        to=would_be.to,
        status=NotificationStatus.SKIPPED,
        reason=Reason.MARKETING_NOT_ENABLED,
        template=key.value,
        detail=f"{key.value} is a marketing message and marketingEnabled is off",
    )
    return Plan(messages=(refused,), notes=plan.notes)
