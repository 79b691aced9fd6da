"""The preference cascade: which channels carry one event to one customer, and why.

Pure: the customer's profile, the linked client record, the triggering document and what the
deployment has configured come in; an ordered ``Plan`` comes out, primary message first, every
entry with a machine-readable ``reason`` (stored as ``statusReason``) and a sentence (``detail``).

Rules (issues 3 and 15), in order:

0. Without a profile, the channels the customer opted out of are off: the ledger
   (``shared.rules.consent``: a STOP on the number, whoever it was attributed to) and the
   client record (``false`` there). A profile's switches are the customer's own choice.
1. Marketing events (``cart.*``, campaigns) need ``marketingEnabled``; otherwise the plan is one
   skipped entry, ``marketing_not_enabled``, on the channel that would have been primary. With
   it, each channel also needs a marketing opt-in proven in the ledger: the cascade runs on the
   proven channels only, and each channel it would otherwise have used is recorded ``skipped``
   with ``marketing_consent_not_recorded`` (when no proven channel reaches the customer, the
   plan is the cascade's, every wanted entry skipped so). A bare account (no purchase, no
   opt-in) is no exception: without proof, no cart reminder.
2. Email is primary when the customer has a valid address (profile, then client record) and
   ``emailEnabled``. WhatsApp is then a complement when ``whatsappEnabled`` and a mobile exists.
3. With no usable email: WhatsApp if enabled, else SMS if enabled (opt-in), never both.
4. Push complements whatever was chosen when ``pushEnabled`` with tokens; alone it is the last
   resort (``push_fallback``).
5. A walk-in (no profile, no ``customerId``: a ticket made at the counter) gets their service
   messages by SMS on the number they gave for that repair, as a customer with ``smsEnabled``
   would (an email on the linked client record still comes first): on ``ticket.received`` the
   welcome SMS (template ``ticket.walk_in_welcome``) with the registration link stands for the
   receipt; then status changes, completed, the pickup reminder. Not when the number opted out
   of SMS (``opted_out``) or the shop turned it off (``walkInServiceSms: false``,
   ``walk_in_sms_off``). A registered customer's ``smsEnabled: false`` still means no SMS: they
   chose.
6. A wanted channel whose provider is not configured is planned ``skipped`` with
   ``provider_not_configured`` and the cascade carries on as if it were unavailable (no email
   server: the customer is reached like a customer without email).
7. A wanted phone channel without a usable mobile is planned ``skipped`` with the phone's
   problem (``invalid_phone``, ``landline``, ``not_mobile``, ``no_phone``), once per plan.
8. WhatsApp falls back to SMS when SMS is allowed for this customer (``smsEnabled``, a mobile,
   the SMS provider configured).
9. When nothing at all can be sent, the plan still holds one skipped entry saying why.
10. A profile with a WhatsApp user id (``whatsappUserId``: a user who hides their number behind
    a WhatsApp username) and no usable mobile is reachable on WhatsApp only, at that id, when
    Meta carries WhatsApp (its Cloud API sends to user ids); with Twilio the WhatsApp entry is
    skipped, ``whatsapp_user_id_unsupported``. Never SMS: there is no number.
11. WhatsApp goes to ``whatsappPhone`` when WhatsApp told us the customer changed number
    (``user_changed_number``) and it is a mobile; SMS and the fallback stay on the number the
    customer gave.

A plan never holds two entries with the same (template, channel): ids derive from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from shared.model.documents import ClientRecord, CustomerProfile, NotificationPreferences
from shared.model.enums import Channel, EventKey, NotificationStatus, Provider, Purpose
from shared.model.plan import (
    WALK_IN_TEMPLATE,
    ConfiguredProviders,
    Plan,
    PlannedMessage,
    Reason,
    select_fallback,
)
from shared.rules.consent import ConsentFacts
from shared.rules.contacts import EmailChoice, PhoneChoice, choose_email, choose_mobile
from shared.rules.phones import PhoneNumber
from shared.rules.whatsapp_ids import is_whatsapp_user_id

__all__ = [
    "WALK_IN_TEMPLATE",
    "ConfiguredProviders",
    "Plan",
    "PlannedMessage",
    "Reason",
    "contact_mobile",
    "is_walk_in",
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
        *,
        whatsapp_user_id: str | None = None,
        whatsapp_phone: PhoneNumber | None = None,
    ) -> None:
        self.key, self.prefs, self.providers = key, prefs, providers
        self.email, self.phone = email, phone
        self.whatsapp_user_id = whatsapp_user_id
        self.whatsapp_phone = whatsapp_phone
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
        if channel is Channel.WHATSAPP and self.whatsapp_phone is not None:
            number = self.whatsapp_phone  # rule 11: where WhatsApp said they moved
            detail = f"{detail}; to the number WhatsApp said they changed to"
        if number is None and channel is Channel.WHATSAPP and self.whatsapp_user_id:
            return self._whatsapp_user(reason, detail, template)
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
        sms_number = self.phone.number
        if channel is Channel.WHATSAPP and self.sms_allowed and sms_number is not None:
            last = self.messages[-1]
            self.messages[-1] = replace(
                last,
                fallback=Channel.SMS,
                fallback_to=sms_number.e164,
                fallback_provider=self.providers.provider_for(Channel.SMS),
            )
        return True

    def _whatsapp_user(self, reason: str, detail: str, template: str | None) -> bool:
        """Rule 10: WhatsApp to the user id, with Meta; skipped with Twilio."""
        user_id = self.whatsapp_user_id
        if self.providers.provider_for(Channel.WHATSAPP) is not Provider.META:
            self._add(
                Channel.WHATSAPP,
                user_id,
                Reason.WHATSAPP_USER_ID_UNSUPPORTED,
                "only a WhatsApp user id is on file (no phone number) and Twilio sends WhatsApp "
                "to phone numbers only",
                pending=False,
                template=template,
            )
            return False
        detail = f"{detail}; to the WhatsApp user id (no phone number on file)"
        return self.channel(Channel.WHATSAPP, user_id, reason, detail, template)

    @property
    def sms_allowed(self) -> bool:
        return bool(self.prefs.sms_enabled and self.phone.number and self.providers.sms)


def contact_mobile(
    profile: CustomerProfile | None,
    client: ClientRecord | None,
    source: Mapping[str, Any],
    default_country: str,
) -> PhoneChoice:
    """The mobile the cascade would use: profile, then client record, then the document's."""
    return choose_mobile(
        [
            profile.phone_number if profile else None,
            client.phone if client else None,
            source.get("clientPhone"),
        ],
        message_country(profile, source, default_country),
        default_country,
    )


def is_walk_in(profile: CustomerProfile | None, source: Mapping[str, Any]) -> bool:
    """A customer known only by what was typed at the counter: no profile, no ``customerId``."""
    return profile is None and not _text(source.get("customerId"))


def _switched_off(
    prefs: NotificationPreferences, channels: frozenset[Channel] | set[Channel]
) -> NotificationPreferences:
    """``prefs`` with the switches of ``channels`` off."""
    return prefs.without(channels)


def plan_notifications(
    event_key: EventKey | str,
    *,
    profile: CustomerProfile | None = None,
    client: ClientRecord | None = None,
    source: Mapping[str, Any] | None = None,
    providers: ConfiguredProviders | None = None,
    default_country: str = "FR",
    registration_url: str | None = None,
    consent: ConsentFacts | None = None,
    walk_in_service_sms: bool = True,
) -> Plan:
    """The ordered plan of messages for ``event_key`` about ``source`` (see the module rules).

    ``consent`` is what the ledger says (``shared.rules.consent``): channels opted out (a
    walk-in's STOP), channels with a proven marketing opt-in. ``walk_in_service_sms`` is the
    shop's ``walkInServiceSms``.
    """
    key = EventKey(event_key)
    src: Mapping[str, Any] = source or {}
    configured = providers or ConfiguredProviders(
        email=False, sms=False, whatsapp=False, push=False
    )
    facts = consent or ConsentFacts()
    prefs = profile.notification_preferences if profile else NotificationPreferences()
    # A registered customer's switches are theirs (a START turns the profile back on); without
    # a profile, the ledger on their number and their client record say what they refused.
    refused: frozenset[Channel] = frozenset()
    if profile is None:
        refused = facts.opted_out | (client.opted_out if client else frozenset())
    prefs = _switched_off(prefs, refused)
    email = choose_email([profile.email if profile else None, client.email if client else None])
    phone = contact_mobile(profile, client, src, default_country)
    tokens = [t for t in (profile.fcm_tokens if profile else []) if isinstance(t, str) and t]
    walk_in = is_walk_in(profile, src) and key.purpose is Purpose.SERVICE
    sms_block: str | None = None
    if walk_in:
        sms_block = _walk_in_sms_block(Channel.SMS in refused, walk_in_service_sms)
        if sms_block is None and key is not EventKey.TICKET_RECEIVED:  # received: the welcome
            prefs = replace(prefs, sms_enabled=True)
    elif Channel.SMS in facts.opted_out and not prefs.sms_enabled:
        # A registered customer's switch decides; when it is off because they sent STOP, the
        # skipped message says so rather than "not opted in".
        sms_block = Reason.OPTED_OUT
    user_id = profile.whatsapp_user_id if profile else None
    moved_to = choose_mobile(
        [profile.whatsapp_phone if profile else None],
        message_country(profile, src, default_country),
        default_country,
    ).number
    context = _Context(
        key,
        configured,
        email,
        phone,
        tokens,
        walk_in,
        sms_block,
        registration_url,
        user_id,
        moved_to,
    )

    plan = _cascade(context, prefs)
    if not key.is_marketing:
        return plan
    if not prefs.marketing_enabled:
        return _marketing_refused(plan, key)
    proven = facts.marketing
    allowed = _switched_off(prefs, set(Channel) - proven)
    consented = plan if allowed == prefs else _cascade(context, allowed)
    return _without_proof(plan, consented, proven, key)


@dataclass(frozen=True)
class _Context:
    """What one plan is made for, whatever the switches (so it can be planned twice)."""

    key: EventKey
    providers: ConfiguredProviders
    email: EmailChoice
    phone: PhoneChoice
    tokens: list[str]
    walk_in: bool  # a walk-in's service message: the number given is enough for SMS
    sms_block: str | None  # why the number gets no SMS (STOP; walk-ins: the shop turned it off)
    registration_url: str | None
    whatsapp_user_id: str | None = None  # rule 10: reachable on WhatsApp (Meta) without a phone
    whatsapp_phone: PhoneNumber | None = None  # rule 11: the number WhatsApp moved to


def _walk_in_sms_block(opted_out: bool, shop_allows: bool) -> str | None:
    """Why a walk-in's service SMS may not go: STOP on their number, or the shop's setting."""
    if opted_out:
        return Reason.OPTED_OUT
    return None if shop_allows else Reason.WALK_IN_SMS_OFF


def _cascade(c: _Context, prefs: NotificationPreferences) -> Plan:
    """Rules 2 to 9 of the module for ``prefs``."""
    user_id = c.whatsapp_user_id if is_whatsapp_user_id(c.whatsapp_user_id) else None
    p = _Planner(
        c.key,
        prefs,
        c.providers,
        c.email,
        c.phone,
        whatsapp_user_id=user_id,
        whatsapp_phone=c.whatsapp_phone,
    )
    has_email = False
    if c.email.address and prefs.email_enabled:
        has_email = p.channel(
            Channel.EMAIL,
            c.email.address,
            Reason.EMAIL_PRIMARY,
            "valid email address and emailEnabled",
        )
    elif c.email.address:
        p.notes.append("email: emailEnabled is off")
    else:
        p.notes.append(f"email: {c.email.detail}")

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
            detail = (
                "walk-in: SMS to the number given for this repair"
                if c.walk_in
                else "no usable email; smsEnabled"
            )
            p.phone_channel(Channel.SMS, Reason.SMS_NO_EMAIL, detail)

    if c.key is EventKey.TICKET_RECEIVED and c.walk_in:
        _walk_in_welcome(p, c.registration_url, c.sms_block)

    if prefs.push_enabled and c.tokens:
        reached_somehow = bool(p.messages and any(m.is_pending for m in p.messages))
        p.channel(
            Channel.PUSH,
            None,
            Reason.PUSH_COMPLEMENT if reached_somehow else Reason.PUSH_FALLBACK,
            f"pushEnabled with {len(c.tokens)} device token(s)",
        )
    elif prefs.push_enabled:
        p.notes.append("push: no device token")

    if not p.messages:
        _nothing_to_send(p, prefs, c.tokens, c.sms_block)
    return Plan(messages=tuple(p.messages), notes=tuple(p.notes))


def _walk_in_welcome(p: _Planner, registration_url: str | None, block: str | None) -> None:
    if p.phone.number is None and p.phone.problem == Reason.NO_PHONE:
        p.notes.append("walk-in: no phone number, no welcome SMS")
        return
    if block is not None and p.phone.number is not None:
        p._add(
            Channel.SMS,
            p.phone.number.e164,
            block,
            _BLOCK_DETAIL[block],
            pending=False,
            template=WALK_IN_TEMPLATE,
        )
        return
    if not registration_url:
        p.notes.append("walk-in: REGISTRATION_URL is not set; the welcome SMS has no link")
    p.phone_channel(
        Channel.SMS,
        Reason.WALK_IN_WELCOME,
        "walk-in customer: welcome SMS with the registration link",
        template=WALK_IN_TEMPLATE,
    )


_BLOCK_DETAIL: dict[str, str] = {
    Reason.OPTED_OUT: "the number opted out of SMS (STOP)",
    Reason.WALK_IN_SMS_OFF: "the shop turned off SMS to walk-in customers (walkInServiceSms)",
}


def _nothing_to_send(
    p: _Planner, prefs: NotificationPreferences, tokens: list[str], sms_block: str | None
) -> None:
    """One skipped entry explaining why no channel could be used."""
    number, email = p.phone.number, p.email
    if number is not None:
        reason = sms_block or Reason.SMS_NOT_OPTED_IN
        detail = _BLOCK_DETAIL.get(
            reason, "a mobile is on file but neither SMS nor WhatsApp is enabled"
        )
        p._add(Channel.SMS, number.e164, reason, detail, pending=False)
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
    elif p.whatsapp_user_id:
        p._add(
            Channel.WHATSAPP,
            p.whatsapp_user_id,
            Reason.WHATSAPP_DISABLED,
            "only a WhatsApp user id is on file (no phone number) and whatsappEnabled is off",
            pending=False,
        )
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


def _skipped(message: PlannedMessage, reason: str, detail: str) -> PlannedMessage:
    return replace(
        message,
        status=NotificationStatus.SKIPPED,
        reason=reason,
        detail=detail,
        fallback=None,
        fallback_to=None,
        fallback_provider=None,
    )


def _without_proof(plan: Plan, consented: Plan, proven: frozenset[Channel], key: EventKey) -> Plan:
    """Marketing with ``marketingEnabled``: what goes on the channels with a proven opt-in,
    and a skipped entry for each channel the cascade chose that has none."""

    def refused(message: PlannedMessage) -> PlannedMessage:
        return _skipped(
            message,
            Reason.MARKETING_CONSENT_NOT_RECORDED,
            f"{key.value} is a marketing message and no recorded {message.channel.value} "
            "marketing opt-in proves consent (consent_events)",
        )

    unproven = [m for m in plan.pending if m.channel not in proven]
    if not unproven:
        return plan
    if not consented.pending:
        return Plan(tuple(refused(m) if m.is_pending else m for m in plan.messages), plan.notes)
    used = {m.channel for m in consented.messages}
    extra = tuple(refused(m) for m in unproven if m.channel not in used)
    return Plan(consented.messages + extra, consented.notes)


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
