"""The profile's ``consentState``: the customer's ledger replayed, stored, read back, and only
ever replaced by a replay that saw at least as many events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.model.consent import (
    STATE_EVENT_IDS,
    ConsentAction,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
)
from shared.model.documents import CustomerProfile
from shared.model.enums import Channel
from shared.rules.consent import ConsentFacts, replay_state, state_update

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


def event(
    name: str,
    action: ConsentAction,
    purpose: ConsentPurpose = ConsentPurpose.MARKETING,
    *,
    channel: Channel = Channel.WHATSAPP,
    minutes: int = 0,
) -> ConsentEvent:
    return ConsentEvent(
        event_id=name,
        channel=channel,
        purpose=purpose,
        action=action,
        source=ConsentSource.COUNTER,
        to="+254712345678",
        at=T0 + timedelta(minutes=minutes),
        customer_id="wanjiku",
    )


PROOF = event("e1", ConsentAction.OPT_IN)
STOP_SMS = event("e2", ConsentAction.OPT_OUT, ConsentPurpose.ALL, channel=Channel.SMS, minutes=5)
WITHDRAWN = event("e3", ConsentAction.OPT_OUT, minutes=10)


def test_the_state_holds_what_the_replay_of_the_same_events_says() -> None:
    for events in ([], [PROOF], [PROOF, STOP_SMS], [WITHDRAWN, PROOF, STOP_SMS]):
        state = replay_state(events, NOW)
        assert ConsentFacts.of_state(state) == ConsentFacts.from_events(events)
        assert state.events == len(events)
        assert state.event_ids == {e.event_id for e in events}
    assert ConsentFacts.of_state(replay_state([PROOF], NOW)).allows_marketing(Channel.WHATSAPP)
    assert not ConsentFacts.of_state(replay_state([PROOF, WITHDRAWN], NOW)).marketing


def test_a_stored_state_reads_back_on_the_profile() -> None:
    state = replay_state([PROOF, STOP_SMS], NOW)
    doc = state.to_document()
    assert doc == {
        "optedOut": ["sms"],
        "marketing": ["whatsapp"],
        "events": 2,
        "eventIds": ["e1", "e2"],
        "at": NOW,
    }
    profile = CustomerProfile.from_document("wanjiku", {"consentState": doc})
    assert profile.consent_state == state
    assert "consentState" not in profile.extra
    assert CustomerProfile.from_document("wanjiku", {}).consent_state is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "whatsapp",
        [],
        {},
        {"optedOut": [], "marketing": ["whatsapp"]},  # no count: not a replay
        {"optedOut": [], "marketing": ["whatsapp"], "events": -1},
        {"optedOut": [], "marketing": ["whatsapp"], "events": True},
        {"optedOut": [], "marketing": "whatsapp", "events": 1},
        {"optedOut": [], "marketing": ["pigeon"], "events": 1},  # an unknown channel
        {"optedOut": None, "marketing": ["whatsapp"], "events": 1},
    ],
)
def test_a_malformed_state_never_stands_for_a_consent(value: Any) -> None:
    assert ConsentState.from_document(value) is None
    assert CustomerProfile.from_document("p", {"consentState": value}).consent_state is None


def test_a_long_ledger_is_counted_but_its_ids_are_not_listed() -> None:
    events = [event(f"e{i:03d}", ConsentAction.OPT_IN, minutes=i) for i in range(60)]
    state = replay_state(events, NOW)
    assert state.events == 60
    assert state.event_ids == frozenset()
    assert len(state.to_document()["eventIds"]) == 0
    assert not state.knows("e001")  # a redelivered trigger replays the ledger instead
    short = replay_state(events[:STATE_EVENT_IDS], NOW)
    assert short.knows("e001")


def test_a_replay_that_saw_fewer_events_never_replaces_one_that_saw_more() -> None:
    newer = replay_state([PROOF, WITHDRAWN], NOW)
    older = replay_state([PROOF], NOW)
    profile = {"displayName": "Wanjiku", "consentState": newer.to_document()}
    assert state_update(profile, older) == {}
    assert state_update({"consentState": older.to_document()}, newer) == {
        "consentState": newer.to_document()
    }


def test_nothing_is_written_for_the_same_replay_and_no_profile_is_created() -> None:
    state = replay_state([PROOF], NOW)
    later = replay_state([PROOF], NOW + timedelta(hours=1))
    assert state_update({"consentState": state.to_document()}, later) == {}
    assert state_update(None, state) == {}
    assert state_update({}, state) == {"consentState": state.to_document()}
    broken = {"consentState": {"marketing": ["whatsapp"]}}  # replaced by a real replay
    assert state_update(broken, state) == {"consentState": state.to_document()}
