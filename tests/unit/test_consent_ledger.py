"""The consent ledger: its documents (contract fields, legacy ones read) and its replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.model.consent import ConsentAction, ConsentEvent, ConsentPurpose, ConsentSource
from shared.model.enums import Channel
from shared.rules.consent import ConsentFacts, is_marketing_proof

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PHONE = "+33612345678"


def event(
    action: str,
    purpose: str = "all",
    *,
    channel: Channel = Channel.SMS,
    source: ConsentSource = ConsentSource.KEYWORD,
    minutes: int = 0,
    text_version: str | None = None,
    name: str = "",
) -> ConsentEvent:
    return ConsentEvent(
        event_id=name or f"e-{action}-{purpose}-{minutes}",
        channel=channel,
        purpose=ConsentPurpose(purpose),
        action=ConsentAction(action),
        source=source,
        to=PHONE,
        at=T0 + timedelta(minutes=minutes),
        text_version=text_version,
    )


FORM: dict[str, Any] = {"source": ConsentSource.REGISTRATION_FORM, "text_version": "cgv-2026-01"}


def test_an_event_stores_every_contract_field_and_reads_back_the_same() -> None:
    original = ConsentEvent(
        event_id="c_1",
        channel=Channel.SMS,
        purpose=ConsentPurpose.MARKETING,
        action=ConsentAction.OPT_IN,
        source=ConsentSource.REGISTRATION_FORM,
        to=PHONE,
        at=T0,
        customer_id="cust-1",
        text_version="form-v3",
        extra={"recordedBy": "staff-1"},
    )
    doc = original.to_document()
    assert {
        "channel",
        "purpose",
        "action",
        "source",
        "keyword",
        "textVersion",
        "customerId",
        "to",
        "at",
    } <= set(doc)
    assert (doc["channel"], doc["purpose"], doc["action"], doc["source"]) == (
        "sms",
        "marketing",
        "opt_in",
        "registration_form",
    )
    assert ConsentEvent.from_document("c_1", doc) == original


@pytest.mark.parametrize(
    ("legacy", "source", "purpose", "provider"),
    [
        ({"source": "twilio", "scope": "channel", "keyword": "STOP"}, "keyword", "all", "twilio"),
        ({"source": "meta", "scope": "marketing", "keyword": "stop"}, "provider", "marketing",
         "meta"),
        ({"source": "twilio", "reason": "provider_reports_unsubscribed"}, "provider", "all",
         "twilio"),
    ],
)  # fmt: skip
def test_events_written_before_the_contract_fields_are_understood(
    legacy: dict[str, Any], source: str, purpose: str, provider: str
) -> None:
    doc = {"channel": "sms", "action": "opt_out", "phone": PHONE, "at": T0, **legacy}
    read = ConsentEvent.from_document("old", doc)
    assert (read.source.value, read.purpose.value, read.provider) == (source, purpose, provider)
    assert read.to == PHONE
    assert "phone" not in read.extra
    assert "scope" not in read.extra


def test_a_malformed_event_reads_as_unknown_and_proves_nothing() -> None:
    read = ConsentEvent.from_document("x", {"channel": "fax", "action": 3, "purpose": "?"})
    assert read.channel is None
    assert read.action is ConsentAction.UNKNOWN
    assert ConsentFacts.from_events([read]) == ConsentFacts()


def test_stop_opts_the_channel_out_for_service_and_marketing() -> None:
    facts = ConsentFacts.from_events(
        [event("opt_in", "marketing", minutes=0, **FORM), event("opt_out", minutes=5)]
    )
    assert facts.opted_out == {Channel.SMS}
    assert not facts.allows_marketing(Channel.SMS)


def test_start_after_stop_resumes_the_channel_but_proves_no_marketing_consent() -> None:
    facts = ConsentFacts.from_events(
        [
            event("opt_in", "marketing", **FORM),
            event("opt_out", minutes=5),
            event("opt_in", minutes=10),
        ]
    )
    assert facts.opted_out == frozenset()
    assert facts.marketing == frozenset()


def test_a_new_marketing_opt_in_after_a_stop_is_proof_again() -> None:
    facts = ConsentFacts.from_events(
        [event("opt_out", minutes=0), event("opt_in", "marketing", minutes=5, **FORM)]
    )
    assert facts.allows_marketing(Channel.SMS)
    assert facts.opted_out == {Channel.SMS}  # a marketing opt-in says nothing about service


def test_a_marketing_opt_out_keeps_service_messages() -> None:
    facts = ConsentFacts.from_events(
        [
            event("opt_in", "marketing", source=ConsentSource.COUNTER),
            event("opt_out", "marketing", source=ConsentSource.PROVIDER, minutes=1),
        ]
    )
    assert facts == ConsentFacts()


def test_proof_is_per_channel() -> None:
    facts = ConsentFacts.from_events([event("opt_in", "marketing", channel=Channel.EMAIL, **FORM)])
    assert facts.allows_marketing(Channel.EMAIL)
    assert not facts.allows_marketing(Channel.SMS)
    assert not facts.allows_marketing(Channel.WHATSAPP)


def test_the_order_written_does_not_matter_and_a_tie_goes_to_the_opt_out() -> None:
    opt_in = event("opt_in", "marketing", minutes=3, name="a", **FORM)
    opt_out = event("opt_out", "marketing", minutes=3, name="b")
    assert ConsentFacts.from_events([opt_in, opt_out]) == ConsentFacts.from_events(
        [opt_out, opt_in]
    )
    assert not ConsentFacts.from_events([opt_in, opt_out]).marketing


@pytest.mark.parametrize(
    ("source", "text_version", "proof"),
    [
        (ConsentSource.REGISTRATION_FORM, "form-v1", True),
        (ConsentSource.REGISTRATION_FORM, None, False),  # which wording did they agree to?
        (ConsentSource.COUNTER, None, True),
        (ConsentSource.KEYWORD, None, True),
        (ConsentSource.PREFERENCE_PAGE, None, True),
        (ConsentSource.PROVIDER, None, True),
        (ConsentSource.UNKNOWN, None, False),
    ],
)
def test_what_counts_as_proof_of_a_marketing_opt_in(
    source: ConsentSource, text_version: str | None, proof: bool
) -> None:
    assert (
        is_marketing_proof(event("opt_in", "marketing", source=source, text_version=text_version))
        is proof
    )
    assert not is_marketing_proof(event("opt_in", "all", source=source, text_version="v"))
    assert not is_marketing_proof(event("opt_out", "marketing", source=source))
