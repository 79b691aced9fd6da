"""The customer's preference page (issue 18): what a signed link's holder receives, and their
changes, each one a consent event with source ``preference_page``.

The link (``shared.rules.preference_link``) names a customer, or for someone without an account
the number or address the shop writes to. Per channel the page shows two choices:

- **messages on this channel** (the channel's switch, ``smsEnabled``...; consent purpose ``all``):
  off stops everything on it, as STOP does; on turns it back on (it proves no marketing consent);
- **offers on this channel** (purpose ``marketing``): on is a recorded opt-in, a proof the
  cascade accepts (and turns ``marketingEnabled`` on); off stops the offers of that channel only.

Only what changed is recorded, once per submission (``request_id``, the form's own id: a double
click or a resent form records nothing twice). A channel the holder cannot be reached on (no
number, no address) is shown as such and cannot be changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.flows.consent import record_consent
from shared.model.consent import ConsentAction, ConsentEvent, ConsentPurpose, ConsentSource
from shared.model.documents import CustomerProfile
from shared.model.enums import Channel
from shared.platform.masking import mask_email, mask_phone
from shared.rules.consent import ConsentFacts
from shared.rules.phones import PhoneError, normalize_phone
from shared.rules.preference_link import LinkSubject, SubjectKind
from shared.store import consent, customers

if TYPE_CHECKING:
    from google.cloud.firestore import Client

PAGE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)


@dataclass(frozen=True)
class ChannelChoice:
    """One channel's line on the page."""

    channel: Channel
    address: str | None  # where we write (E.164, email); None: not reachable on it
    shown_as: str  # masked for the page: a link may be forwarded
    messages: bool  # the channel is on
    offers: bool  # marketing on it is proven and not withdrawn

    @property
    def reachable(self) -> bool:
        return self.address is not None


@dataclass(frozen=True)
class PreferenceView:
    subject: LinkSubject
    name: str | None
    language: str | None
    channels: tuple[ChannelChoice, ...]

    def choice(self, channel: Channel) -> ChannelChoice | None:
        return next((c for c in self.channels if c.channel is channel), None)


class UnknownSubjectError(LookupError):
    """The link names a customer who no longer exists."""


def _e164(raw: str | None, country: str) -> str | None:
    if not raw:
        return None
    try:
        return normalize_phone(raw, country).e164
    except PhoneError:
        return None


def _addresses(
    subject: LinkSubject, profile: CustomerProfile | None, default_country: str
) -> dict[Channel, str | None]:
    if profile is not None:
        phone = _e164(profile.phone_number, profile.country or default_country)
        return {Channel.EMAIL: profile.email, Channel.SMS: phone, Channel.WHATSAPP: phone}
    if subject.kind is SubjectKind.PHONE:
        return {Channel.EMAIL: None, Channel.SMS: subject.value, Channel.WHATSAPP: subject.value}
    return {Channel.EMAIL: subject.value, Channel.SMS: None, Channel.WHATSAPP: None}


def load_view(db: Client, subject: LinkSubject, *, default_country: str) -> PreferenceView:
    """What ``subject`` receives today. Raises ``UnknownSubjectError`` for a deleted customer."""
    profile = None
    if subject.kind is SubjectKind.CUSTOMER:
        profile = customers.get_profile(db, subject.value)
        if profile is None:
            raise UnknownSubjectError(subject.value)
        events = consent.of_customer(db, subject.value)
    else:
        events = consent.of_address(db, subject.value)
    facts = ConsentFacts.from_events(events)
    addresses = _addresses(subject, profile, default_country)
    prefs = profile.notification_preferences if profile else None
    lines = []
    for channel in PAGE_CHANNELS:
        address = addresses[channel]
        if prefs is not None:
            on = prefs.allows(channel) and channel not in facts.opted_out
            offers = on and prefs.marketing_enabled and channel in facts.marketing
        else:  # no account: the ledger of the number or address is all there is
            on = channel not in facts.opted_out
            offers = on and channel in facts.marketing
        shown = "" if not address else (
            mask_email(address) if channel is Channel.EMAIL else mask_phone(address)
        )  # fmt: skip
        lines.append(ChannelChoice(channel, address, shown, on, offers))
    return PreferenceView(
        subject=subject,
        name=profile.display_name if profile else None,
        language=profile.language if profile else None,
        channels=tuple(lines),
    )


def apply_choices(
    db: Client,
    view: PreferenceView,
    wanted: Mapping[Channel, tuple[bool, bool]],
    *,
    request_id: str,
    now: datetime,
) -> list[ConsentEvent]:
    """Record what changed between ``view`` and ``wanted`` (channel -> (messages, offers));
    channels not in ``wanted`` or not reachable are left as they are."""
    events: list[ConsentEvent] = []
    for line in view.channels:
        if line.channel not in wanted or not line.reachable:
            continue
        messages, offers = wanted[line.channel]
        offers = offers and messages  # offers need the channel
        if messages != line.messages:
            events.append(
                _record(
                    db, view, line, ConsentPurpose.ALL, on=messages, request_id=request_id, now=now
                )
            )
        if offers != line.offers:
            events.append(
                _record(
                    db,
                    view,
                    line,
                    ConsentPurpose.MARKETING,
                    on=offers,
                    request_id=request_id,
                    now=now,
                )
            )
    return events


def unsubscribe(
    db: Client, view: PreferenceView, channel: Channel, *, request_id: str, now: datetime
) -> ConsentEvent | None:
    """The one-click unsubscribe: offers on ``channel`` stop (None when they already had)."""
    line = view.choice(channel)
    if line is None or not line.reachable or not line.offers:
        return None
    return _record(
        db, view, line, ConsentPurpose.MARKETING, on=False, request_id=request_id, now=now
    )


def _record(
    db: Client,
    view: PreferenceView,
    line: ChannelChoice,
    purpose: ConsentPurpose,
    *,
    on: bool,
    request_id: str,
    now: datetime,
) -> ConsentEvent:
    subject = view.subject
    return record_consent(
        db,
        source=ConsentSource.PREFERENCE_PAGE,
        channel=line.channel,
        purpose=purpose,
        action=ConsentAction.OPT_IN if on else ConsentAction.OPT_OUT,
        cause=f"{request_id}:{subject.kind.value}:{subject.value}",
        at=now,
        to=line.address,
        customer_id=subject.value if subject.kind is SubjectKind.CUSTOMER else None,
    )
