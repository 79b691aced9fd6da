"""The consent ledger, replayed: may this channel carry a service message, a marketing one?

Pure: the ``consent_events`` of a customer (or of a number or address) come in, already read;
``ConsentFacts`` come out, for the cascade at planning and the live check at delivery.

Rules (issue 15):

- **Opted out of a channel**: the latest event on that channel that covers service (``all`` or
  ``service``) is an opt-out. STOP is the number's, whoever it was attributed to: a walk-in's
  STOP, recorded on no profile, still stops the service SMS of their next repair.
- **Marketing proven on a channel**: a marketing opt-in is recorded on that channel (from the
  registration form with the version of its text, the counter, a keyword, the preference page,
  or the provider reporting the customer's choice), and nothing covering marketing (``all`` or
  ``marketing``) opted out on that channel since. START after a STOP turns the channel back on
  but is no proof of marketing consent: offers then need a new opt-in.
- Events of one instant: the opt-out wins (when in doubt, do not send). Events without a time
  are older than every dated one (they cannot prove anything recent).
- A registration-form opt-in without the version of its text proves nothing: CNIL asks to be
  able to show what the customer agreed to.

The replay of a customer's own events is also kept on their profile (``consentState``,
``shared.model.consent.ConsentState``) by ``on_consent_written``: ``replay_state`` makes it,
``ConsentFacts.of_state`` reads it back, ``state_update`` decides whether a replay replaces the
stored one (only a replay that saw at least as many events: the ledger only grows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.model.consent import (
    STATE_EVENT_IDS,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
)
from shared.model.enums import Channel, Purpose

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _order(event: ConsentEvent) -> tuple[datetime, int, str]:
    return (event.at or _EPOCH, 1 if event.is_opt_out else 0, event.event_id)


def is_marketing_proof(event: ConsentEvent) -> bool:
    """Whether ``event`` is an opt-in that proves marketing consent on its channel."""
    if not event.is_opt_in or event.purpose is not ConsentPurpose.MARKETING:
        return False
    if event.source is ConsentSource.REGISTRATION_FORM:
        return event.text_version is not None
    return event.source is not ConsentSource.UNKNOWN


@dataclass(frozen=True)
class ConsentFacts:
    """What the ledger says, per channel: opted out of the channel; marketing proven."""

    opted_out: frozenset[Channel] = frozenset()
    marketing: frozenset[Channel] = frozenset()

    def allows_marketing(self, channel: Channel) -> bool:
        return channel in self.marketing

    @classmethod
    def of_state(cls, state: ConsentState) -> ConsentFacts:
        """The facts a profile's ``consentState`` kept (the same replay, done when written)."""
        return cls(state.opted_out, state.marketing)

    @classmethod
    def from_events(cls, events: Iterable[ConsentEvent]) -> ConsentFacts:
        """Replay ``events`` (any order) into the facts of the module's rules."""
        opted_out: set[Channel] = set()
        marketing: set[Channel] = set()
        for event in sorted(events, key=_order):
            channel = event.channel
            if channel is None:
                continue
            if event.purpose.covers(Purpose.SERVICE):
                if event.is_opt_out:
                    opted_out.add(channel)
                elif event.is_opt_in:
                    opted_out.discard(channel)
            if event.is_opt_out and event.purpose.covers(Purpose.MARKETING):
                marketing.discard(channel)
            elif is_marketing_proof(event):
                marketing.add(channel)
        return cls(frozenset(opted_out), frozenset(marketing))


def replay_state(events: Iterable[ConsentEvent], at: datetime) -> ConsentState:
    """The ``consentState`` of a customer whose own ledger is ``events``."""
    listed = list(events)
    facts = ConsentFacts.from_events(listed)
    return ConsentState(
        opted_out=facts.opted_out,
        marketing=facts.marketing,
        events=len(listed),
        event_ids=frozenset(e.event_id for e in listed)
        if len(listed) <= STATE_EVENT_IDS
        else frozenset(),
        at=at,
    )


def state_update(current: Mapping[str, Any] | None, state: ConsentState) -> dict[str, Any]:
    """The profile fields to write for ``state`` (empty: keep what is there). A profile is
    never created for a state; a stored state from a replay that saw more events is newer
    (two triggers racing: the one that read the ledger first must not overwrite the other);
    the same facts from the same events are not written again."""
    if current is None:
        return {}
    stored = ConsentState.from_document(current.get("consentState"))
    if stored is not None:
        if stored.events > state.events:
            return {}
        same_facts = (stored.opted_out, stored.marketing) == (state.opted_out, state.marketing)
        if same_facts and stored.events == state.events and stored.event_ids == state.event_ids:
            return {}
    return {"consentState": state.to_document()}
