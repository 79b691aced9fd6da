"""The preference cascade: every rule of issue 3, as tables of customers and expected plans."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.model.documents import ClientRecord, CustomerProfile
from shared.model.enums import Channel, EventKey, Provider
from shared.model.enums import NotificationStatus as S
from shared.rules.cascade import (
    WALK_IN_TEMPLATE,
    ConfiguredProviders,
    Plan,
    PlannedMessage,
    Reason,
    plan_notifications,
    select_fallback,
)
from shared.rules.consent import ConsentFacts

ALL = ConfiguredProviders(email=True, sms=True, whatsapp=True, push=True)
FR_MOBILE = "+33612345678"
EMAIL = "marie@example.fr"


def profile(
    *, email: str | None = None, phone: str | None = None, tokens: int = 0, **prefs: Any
) -> CustomerProfile:
    data: dict[str, Any] = {"notificationPreferences": prefs, "fcmTokens": ["tok"] * tokens}
    if email is not None:
        data["email"] = email
    if phone is not None:
        data["phoneNumber"] = phone
    return CustomerProfile.from_document("C1", data)


def shape(plan: Plan) -> list[tuple[str, str, str]]:
    return [(m.channel.value, m.status.value, m.reason) for m in plan.messages]


def plan_for(
    customer: CustomerProfile | None,
    *,
    key: EventKey = EventKey.TICKET_COMPLETED,
    client: ClientRecord | None = None,
    source: dict[str, Any] | None = None,
    providers: ConfiguredProviders = ALL,
    registration_url: str | None = "https://shop.example/register",
    consent: ConsentFacts | None = None,
    walk_in_service_sms: bool = True,
) -> Plan:
    doc = {"customerId": "C1"} if source is None else source
    return plan_notifications(
        key,
        profile=customer,
        client=client,
        source=doc,
        providers=providers,
        default_country="FR",
        registration_url=registration_url,
        consent=consent,
        walk_in_service_sms=walk_in_service_sms,
    )


CASES: list[tuple[str, CustomerProfile, list[tuple[str, str, str]]]] = [
    (
        "email_only_by_default",
        profile(email=EMAIL, phone="0612345678"),
        [("email", "pending", "email_primary")],
    ),
    (
        "email_then_whatsapp_complement",
        profile(email=EMAIL, phone="0612345678", whatsappEnabled=True),
        [("email", "pending", "email_primary"), ("whatsapp", "pending", "whatsapp_complement")],
    ),
    (
        "email_then_push_complement",
        profile(email=EMAIL, tokens=2),
        [("email", "pending", "email_primary"), ("push", "pending", "push_complement")],
    ),
    (
        "email_whatsapp_and_push",
        profile(email=EMAIL, phone="0612345678", whatsappEnabled=True, tokens=1),
        [
            ("email", "pending", "email_primary"),
            ("whatsapp", "pending", "whatsapp_complement"),
            ("push", "pending", "push_complement"),
        ],
    ),
    (
        "email_with_sms_enabled_does_not_add_sms",
        profile(email=EMAIL, phone="0612345678", smsEnabled=True),
        [("email", "pending", "email_primary")],
    ),
    (
        "no_email_whatsapp",
        profile(phone="0612345678", whatsappEnabled=True),
        [("whatsapp", "pending", "whatsapp_no_email")],
    ),
    (
        "no_email_whatsapp_and_sms_enabled_never_both",
        profile(phone="0612345678", whatsappEnabled=True, smsEnabled=True),
        [("whatsapp", "pending", "whatsapp_no_email")],
    ),
    (
        "no_email_sms_opted_in",
        profile(phone="0612345678", smsEnabled=True),
        [("sms", "pending", "sms_no_email")],
    ),
    (
        "no_email_sms_and_push",
        profile(phone="0612345678", smsEnabled=True, tokens=1),
        [("sms", "pending", "sms_no_email"), ("push", "pending", "push_complement")],
    ),
    (
        "no_email_nothing_enabled_push_is_the_fallback",
        profile(phone="0612345678", tokens=1),
        [("push", "pending", "push_fallback")],
    ),
    (
        "email_disabled_means_no_usable_email",
        profile(email=EMAIL, phone="0612345678", emailEnabled=False, smsEnabled=True),
        [("sms", "pending", "sms_no_email")],
    ),
    (
        "malformed_email_is_not_usable",
        profile(email="marie@", phone="0612345678", smsEnabled=True),
        [("sms", "pending", "sms_no_email")],
    ),
    (
        "whatsapp_to_a_landline_is_skipped_and_sms_not_retried",
        profile(phone="01 42 68 53 00", whatsappEnabled=True, smsEnabled=True),
        [("whatsapp", "skipped", "landline")],
    ),
    (
        "whatsapp_complement_with_an_invalid_phone_is_skipped",
        profile(email=EMAIL, phone="06 12", whatsappEnabled=True),
        [("email", "pending", "email_primary"), ("whatsapp", "skipped", "invalid_phone")],
    ),
    (
        "whatsapp_enabled_without_any_phone",
        profile(email=EMAIL, whatsappEnabled=True),
        [("email", "pending", "email_primary"), ("whatsapp", "skipped", "no_phone")],
    ),
    (
        "a_voip_number_is_not_a_mobile",
        profile(phone="09 70 12 34 56", smsEnabled=True),
        [("sms", "skipped", "not_mobile")],
    ),
    (
        "a_foreign_mobile_is_fine",
        profile(phone="+44 7400 123456", smsEnabled=True),
        [("sms", "pending", "sms_no_email")],
    ),
    (
        "mobile_but_nothing_enabled",
        profile(phone="0612345678"),
        [("sms", "skipped", "sms_not_opted_in")],
    ),
    (
        "email_on_file_but_disabled_and_nothing_else",
        profile(email=EMAIL, emailEnabled=False),
        [("email", "skipped", "email_disabled")],
    ),
    (
        "only_an_invalid_phone",
        profile(phone="abc"),
        [("sms", "skipped", "invalid_phone")],
    ),
    (
        "only_a_malformed_email",
        profile(email="marie at example.fr"),
        [("email", "skipped", "invalid_email")],
    ),
    (
        "push_tokens_but_push_disabled",
        profile(tokens=1, pushEnabled=False),
        [("push", "skipped", "push_disabled")],
    ),
    ("no_contact_at_all", profile(), [("email", "skipped", "no_contact")]),
]


@pytest.mark.parametrize(
    ("customer", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_cascade_rules(customer: CustomerProfile, expected: list[tuple[str, str, str]]) -> None:
    assert shape(plan_for(customer)) == expected


def test_email_primary_goes_to_the_address_with_smtp() -> None:
    message = plan_for(profile(email="  marie@example.fr ")).messages[0]
    assert (message.to, message.provider, message.template) == (
        EMAIL,
        Provider.SMTP,
        "ticket.completed",
    )
    assert message.detail


def test_whatsapp_falls_back_to_sms_only_when_sms_is_allowed() -> None:
    allowed = plan_for(profile(phone="0612345678", whatsappEnabled=True, smsEnabled=True))
    whatsapp = allowed.messages[0]
    assert (whatsapp.fallback, whatsapp.fallback_to, whatsapp.fallback_provider) == (
        Channel.SMS,
        FR_MOBILE,
        Provider.TWILIO,
    )
    not_opted_in = plan_for(profile(phone="0612345678", whatsappEnabled=True))
    assert not_opted_in.messages[0].fallback is None
    no_sms_provider = plan_for(
        profile(phone="0612345678", whatsappEnabled=True, smsEnabled=True),
        providers=ConfiguredProviders(email=True, sms=False, whatsapp=True, push=True),
    )
    assert no_sms_provider.messages[0].fallback is None


def test_select_fallback_builds_the_sms_that_replaces_a_failed_whatsapp() -> None:
    whatsapp = plan_for(
        profile(phone="0612345678", whatsappEnabled=True, smsEnabled=True)
    ).messages[0]
    fallback = select_fallback(whatsapp)
    assert fallback is not None
    assert (fallback.channel, fallback.to, fallback.provider) == (
        Channel.SMS,
        FR_MOBILE,
        Provider.TWILIO,
    )
    assert (fallback.status, fallback.reason, fallback.template) == (
        S.PENDING,
        "fallback",
        "ticket.completed",
    )
    assert fallback.fallback is None
    assert select_fallback(fallback) is None


def test_whatsapp_goes_through_the_configured_provider() -> None:
    meta = ConfiguredProviders(
        email=True, sms=True, whatsapp=True, push=True, whatsapp_provider=Provider.META
    )
    message = plan_for(profile(phone="0612345678", whatsappEnabled=True), providers=meta).messages[
        0
    ]
    assert (message.channel, message.provider, message.to) == (
        Channel.WHATSAPP,
        Provider.META,
        FR_MOBILE,
    )


PROVIDER_CASES: list[
    tuple[str, CustomerProfile, ConfiguredProviders, list[tuple[str, str, str]]]
] = [
    (
        "no_smtp_then_reach_like_a_customer_without_email",
        profile(email=EMAIL, phone="0612345678", whatsappEnabled=True),
        ConfiguredProviders(email=False, sms=True, whatsapp=True, push=True),
        [
            ("email", "skipped", "provider_not_configured"),
            ("whatsapp", "pending", "whatsapp_no_email"),
        ],
    ),
    (
        "no_whatsapp_sender_then_sms",
        profile(phone="0612345678", whatsappEnabled=True, smsEnabled=True),
        ConfiguredProviders(email=True, sms=True, whatsapp=False, push=True),
        [("whatsapp", "skipped", "provider_not_configured"), ("sms", "pending", "sms_no_email")],
    ),
    (
        "no_sms_sender",
        profile(phone="0612345678", smsEnabled=True),
        ConfiguredProviders(email=True, sms=False, whatsapp=True, push=True),
        [("sms", "skipped", "provider_not_configured")],
    ),
    (
        "no_fcm",
        profile(email=EMAIL, tokens=1),
        ConfiguredProviders(email=True, sms=True, whatsapp=True, push=False),
        [("email", "pending", "email_primary"), ("push", "skipped", "provider_not_configured")],
    ),
    (
        "nothing_configured",
        profile(email=EMAIL, phone="0612345678", whatsappEnabled=True, smsEnabled=True, tokens=1),
        ConfiguredProviders(email=False, sms=False, whatsapp=False, push=False),
        [
            ("email", "skipped", "provider_not_configured"),
            ("whatsapp", "skipped", "provider_not_configured"),
            ("sms", "skipped", "provider_not_configured"),
            ("push", "skipped", "provider_not_configured"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("customer", "providers", "expected"),
    [c[1:] for c in PROVIDER_CASES],
    ids=[c[0] for c in PROVIDER_CASES],
)
def test_a_channel_without_a_configured_provider_is_skipped_with_the_contract_reason(
    customer: CustomerProfile, providers: ConfiguredProviders, expected: list[tuple[str, str, str]]
) -> None:
    plan = plan_for(customer, providers=providers)
    assert shape(plan) == expected
    assert str(Reason.PROVIDER_NOT_CONFIGURED) == "provider_not_configured"


def test_phone_sources_in_order_profile_then_client_then_ticket() -> None:
    client = ClientRecord(id="K1", phone="07 98 76 54 32")
    ticket = {"customerId": "C1", "clientPhone": "06 11 11 11 11"}
    customer = profile(phone="06 12 34 56 78", smsEnabled=True)
    assert plan_for(customer, client=client, source=ticket).messages[0].to == FR_MOBILE
    no_profile_phone = profile(smsEnabled=True)
    assert plan_for(no_profile_phone, client=client, source=ticket).messages[0].to == "+33798765432"
    assert plan_for(no_profile_phone, source=ticket).messages[0].to == "+33611111111"


def test_an_unusable_phone_is_passed_over_for_the_next_source() -> None:
    client = ClientRecord(id="K1", phone="01 42 68 53 00")  # a landline at the counter
    ticket = {"customerId": "C1", "clientPhone": "06 11 11 11 11"}
    plan = plan_for(profile(phone="not a phone", smsEnabled=True), client=client, source=ticket)
    assert shape(plan) == [("sms", "pending", "sms_no_email")]
    assert plan.messages[0].to == "+33611111111"


def test_the_first_problem_is_reported_when_no_source_is_usable() -> None:
    client = ClientRecord(id="K1", phone="01 42 68 53 00")
    plan = plan_for(profile(phone="06 12", whatsappEnabled=True), client=client)
    assert shape(plan) == [("whatsapp", "skipped", "invalid_phone")]
    assert "too short" in plan.messages[0].detail


def test_email_sources_profile_then_client_record() -> None:
    client = ClientRecord(id="K1", email="client@example.fr")
    assert plan_for(profile(email=EMAIL), client=client).messages[0].to == EMAIL
    assert plan_for(profile(), client=client).messages[0].to == "client@example.fr"
    assert plan_for(profile(email="broken@"), client=client).messages[0].to == "client@example.fr"


@pytest.mark.parametrize(
    ("customer_country", "source_country", "phone", "expected"),
    [
        ("KE", None, "0712 345 678", "+254712345678"),
        (None, "KE", "0712 345 678", "+254712345678"),
        (None, None, "06 12 34 56 78", FR_MOBILE),  # default country
        ("FR", "KE", "06 12 34 56 78", FR_MOBILE),  # the profile wins
        ("Kenya", None, "06 12 34 56 78", FR_MOBILE),  # not a code: next source
    ],
)
def test_the_country_for_phones_is_profile_then_document_then_default(
    customer_country: str | None, source_country: str | None, phone: str, expected: str
) -> None:
    customer = CustomerProfile.from_document(
        "C1",
        {
            "country": customer_country,
            "phoneNumber": phone,
            "notificationPreferences": {"smsEnabled": True},
        },
    )
    source: dict[str, Any] = {"customerId": "C1"}
    if source_country:
        source["country"] = source_country
    assert plan_for(customer, source=source).messages[0].to == expected


def test_no_profile_means_the_contract_defaults() -> None:
    client = ClientRecord(id="K1", email="client@example.fr", phone="0612345678")
    plan = plan_for(None, client=client)
    assert shape(plan) == [("email", "pending", "email_primary")]


# --- walk-ins ----------------------------------------------------------------------------


def walk_in_ticket(phone: str | None = "06 12 34 56 78") -> dict[str, Any]:
    ticket: dict[str, Any] = {"clientName": "Marie", "device": "iPhone 13", "status": "received"}
    if phone is not None:
        ticket["clientPhone"] = phone
    return ticket


def test_walk_in_customer_gets_welcome_sms_with_registration_link() -> None:
    plan = plan_for(None, key=EventKey.TICKET_RECEIVED, source=walk_in_ticket())
    assert shape(plan) == [("sms", "pending", "walk_in_welcome")]
    welcome = plan.messages[0]
    assert (welcome.template, welcome.to, welcome.provider) == (
        WALK_IN_TEMPLATE,
        FR_MOBILE,
        Provider.TWILIO,
    )
    assert welcome.fallback is None


def test_walk_in_with_an_email_on_the_client_record_gets_the_email_too() -> None:
    client = ClientRecord(id="K1", email="client@example.fr")
    plan = plan_for(None, key=EventKey.TICKET_RECEIVED, client=client, source=walk_in_ticket())
    assert shape(plan) == [
        ("email", "pending", "email_primary"),
        ("sms", "pending", "walk_in_welcome"),
    ]
    assert [m.template for m in plan.messages] == ["ticket.received", WALK_IN_TEMPLATE]


@pytest.mark.parametrize(
    "key",
    [EventKey.TICKET_STATUS_CHANGED, EventKey.TICKET_COMPLETED, EventKey.TICKET_PICKUP_REMINDER],
)
def test_walk_in_service_sms_sent_to_the_number_given_for_the_repair(key: EventKey) -> None:
    """Issue 15: "repair completed" and the pickup reminder ended skipped, sms_not_opted_in."""
    plan = plan_for(None, key=key, source=walk_in_ticket())
    assert shape(plan) == [("sms", "pending", "sms_no_email")]
    (sms,) = plan.messages
    assert (sms.template, sms.to) == (key.value, FR_MOBILE)


def test_walk_in_receipt_is_the_welcome_sms_alone() -> None:
    plan = plan_for(None, key=EventKey.TICKET_RECEIVED, source=walk_in_ticket())
    assert [(m.template, m.channel.value) for m in plan.pending] == [(WALK_IN_TEMPLATE, "sms")]


def test_walk_in_with_an_email_on_the_client_record_is_told_by_email() -> None:
    client = ClientRecord(id="K1", email="client@example.fr")
    plan = plan_for(None, key=EventKey.TICKET_COMPLETED, client=client, source=walk_in_ticket())
    assert shape(plan) == [("email", "pending", "email_primary")]


@pytest.mark.parametrize(
    "key", [EventKey.TICKET_RECEIVED, EventKey.TICKET_COMPLETED, EventKey.TICKET_PICKUP_REMINDER]
)
def test_walk_in_stop_honored_for_service_too(key: EventKey) -> None:
    stopped = ConsentFacts(opted_out=frozenset({Channel.SMS}))
    on_the_ledger = plan_for(None, key=key, source=walk_in_ticket(), consent=stopped)
    on_the_client = plan_for(
        None,
        key=key,
        source=walk_in_ticket(),
        client=ClientRecord.from_document("K1", {"notificationPreferences": {"smsEnabled": False}}),
    )
    for plan in (on_the_ledger, on_the_client):
        assert shape(plan) == [("sms", "skipped", "opted_out")]
        assert plan.messages[0].to == FR_MOBILE


@pytest.mark.parametrize(
    "key", [EventKey.TICKET_RECEIVED, EventKey.TICKET_COMPLETED, EventKey.TICKET_PICKUP_REMINDER]
)
def test_the_shop_can_turn_walk_in_sms_off(key: EventKey) -> None:
    plan = plan_for(None, key=key, source=walk_in_ticket(), walk_in_service_sms=False)
    assert shape(plan) == [("sms", "skipped", "walk_in_sms_off")]


def test_a_client_record_that_never_said_anything_is_no_opt_out() -> None:
    client = ClientRecord.from_document("K1", {"notificationPreferences": {"smsEnabled": "?"}})
    assert client.opted_out == frozenset()
    plan = plan_for(None, key=EventKey.TICKET_COMPLETED, client=client, source=walk_in_ticket())
    assert shape(plan) == [("sms", "pending", "sms_no_email")]


@pytest.mark.parametrize("key", [k for k in EventKey if not k.is_marketing])
def test_registered_sms_disabled_never_gets_sms(key: EventKey) -> None:
    customer = profile(phone="0612345678", smsEnabled=False)
    source = {"customerId": "C1", "clientPhone": "0612345678"}
    plan = plan_for(customer, key=key, source=source)
    assert shape(plan) == [("sms", "skipped", "sms_not_opted_in")]
    deleted = plan_for(None, key=key, source=source)  # a customerId whose profile is gone
    assert not [m for m in deleted.pending if m.channel is Channel.SMS]


def test_walk_in_with_a_landline_gets_a_skipped_welcome_saying_so() -> None:
    plan = plan_for(None, key=EventKey.TICKET_RECEIVED, source=walk_in_ticket("01 42 68 53 00"))
    assert shape(plan) == [("sms", "skipped", "landline")]
    assert plan.messages[0].template == WALK_IN_TEMPLATE


def test_walk_in_without_any_contact() -> None:
    plan = plan_for(None, key=EventKey.TICKET_RECEIVED, source=walk_in_ticket(None))
    assert shape(plan) == [("email", "skipped", "no_contact")]


def test_walk_in_welcome_without_sms_provider() -> None:
    providers = ConfiguredProviders(email=True, sms=False, whatsapp=True, push=True)
    plan = plan_for(
        None, key=EventKey.TICKET_RECEIVED, source=walk_in_ticket(), providers=providers
    )
    assert shape(plan) == [("sms", "skipped", "provider_not_configured")]
    assert plan.messages[0].template == WALK_IN_TEMPLATE


def test_walk_in_welcome_without_registration_url_is_still_sent_and_noted() -> None:
    plan = plan_for(
        None, key=EventKey.TICKET_RECEIVED, source=walk_in_ticket(), registration_url=None
    )
    assert shape(plan) == [("sms", "pending", "walk_in_welcome")]
    assert any("REGISTRATION_URL" in note for note in plan.notes)


def test_a_registered_customer_gets_no_welcome_sms() -> None:
    plan = plan_for(
        profile(email=EMAIL),
        key=EventKey.TICKET_RECEIVED,
        source={"customerId": "C1", "clientPhone": "0612345678"},
    )
    assert shape(plan) == [("email", "pending", "email_primary")]


# --- marketing ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", [EventKey.CART_REMINDER_1, EventKey.CART_REMINDER_2])
def test_marketing_without_consent_is_one_skipped_entry(key: EventKey) -> None:
    plan = plan_for(
        profile(email=EMAIL, phone="0612345678", whatsappEnabled=True, tokens=1), key=key
    )
    assert shape(plan) == [("email", "skipped", "marketing_not_enabled")]
    assert plan.messages[0].to == EMAIL
    assert plan.messages[0].template == key.value


def test_marketing_without_consent_names_the_channel_that_would_have_been_used() -> None:
    plan = plan_for(profile(phone="0612345678", whatsappEnabled=True), key=EventKey.CART_REMINDER_1)
    assert shape(plan) == [("whatsapp", "skipped", "marketing_not_enabled")]


def test_marketing_with_consent_follows_the_cascade() -> None:
    customer = profile(email=EMAIL, phone="0612345678", whatsappEnabled=True, marketingEnabled=True)
    proven = ConsentFacts(marketing=frozenset({Channel.EMAIL, Channel.WHATSAPP}))
    plan = plan_for(customer, key=EventKey.CART_REMINDER_2, consent=proven)
    assert shape(plan) == [
        ("email", "pending", "email_primary"),
        ("whatsapp", "pending", "whatsapp_complement"),
    ]


@pytest.mark.parametrize("key", [EventKey.CART_REMINDER_1, EventKey.CART_REMINDER_2])
def test_marketing_without_proof_skipped_with_reason(key: EventKey) -> None:
    customer = profile(email=EMAIL, phone="0612345678", whatsappEnabled=True, marketingEnabled=True)
    plan = plan_for(customer, key=key)
    assert shape(plan) == [
        ("email", "skipped", "marketing_consent_not_recorded"),
        ("whatsapp", "skipped", "marketing_consent_not_recorded"),
    ]
    assert plan.messages[0].to == EMAIL
    assert "opt-in" in plan.messages[0].detail
    assert plan.messages[1].fallback is None


def test_a_bare_account_without_purchase_or_opt_in_gets_no_cart_reminder() -> None:
    bare = profile(email=EMAIL)  # signed up, never bought, never ticked the box
    plan = plan_for(bare, key=EventKey.CART_REMINDER_1)
    assert shape(plan) == [("email", "skipped", "marketing_not_enabled")]
    switched_on_by_hand = profile(email=EMAIL, marketingEnabled=True)  # no proof behind it
    plan = plan_for(switched_on_by_hand, key=EventKey.CART_REMINDER_1)
    assert shape(plan) == [("email", "skipped", "marketing_consent_not_recorded")]


def test_marketing_goes_on_the_proven_channels_and_says_why_not_on_the_others() -> None:
    customer = profile(email=EMAIL, phone="0612345678", whatsappEnabled=True, marketingEnabled=True)
    plan = plan_for(
        customer,
        key=EventKey.CART_REMINDER_1,
        consent=ConsentFacts(marketing=frozenset({Channel.WHATSAPP})),
    )
    assert shape(plan) == [
        ("whatsapp", "pending", "whatsapp_no_email"),
        ("email", "skipped", "marketing_consent_not_recorded"),
    ]
    assert plan.messages[0].fallback is None  # SMS has no proof: no SMS fallback either


def test_marketing_by_sms_needs_an_sms_proof_even_with_an_unproven_email() -> None:
    customer = profile(email=EMAIL, phone="0612345678", smsEnabled=True, marketingEnabled=True)
    plan = plan_for(
        customer,
        key=EventKey.CART_REMINDER_1,
        consent=ConsentFacts(marketing=frozenset({Channel.SMS})),
    )
    assert shape(plan) == [
        ("sms", "pending", "sms_no_email"),
        ("email", "skipped", "marketing_consent_not_recorded"),
    ]


@pytest.mark.parametrize("key", [k for k in EventKey if not k.is_marketing])
def test_transactional_events_do_not_need_marketing_consent(key: EventKey) -> None:
    plan = plan_for(profile(email=EMAIL), key=key, source={"customerId": "C1"})
    assert shape(plan) == [("email", "pending", "email_primary")]


# --- invariants --------------------------------------------------------------------------

_PHONES = st.sampled_from(
    [None, "", "0612345678", "01 42 68 53 00", "abc", "06 12", "+254712345678"]
)
_EMAILS = st.sampled_from([None, "", EMAIL, "broken@", "a@b.co"])
_BOOLS = st.booleans()


@given(
    has_profile=_BOOLS,
    email=_EMAILS,
    phone=_PHONES,
    client_email=_EMAILS,
    client_phone=_PHONES,
    ticket_phone=_PHONES,
    tokens=st.integers(0, 2),
    prefs=st.fixed_dictionaries(
        {
            "emailEnabled": _BOOLS,
            "smsEnabled": _BOOLS,
            "whatsappEnabled": _BOOLS,
            "pushEnabled": _BOOLS,
            "marketingEnabled": _BOOLS,
        }
    ),
    key=st.sampled_from(list(EventKey)),
    walk_in=_BOOLS,
    flags=st.tuples(_BOOLS, _BOOLS, _BOOLS, _BOOLS),
)
def test_every_plan_is_well_formed(
    has_profile: bool,
    email: str | None,
    phone: str | None,
    client_email: str | None,
    client_phone: str | None,
    ticket_phone: str | None,
    tokens: int,
    prefs: dict[str, bool],
    key: EventKey,
    walk_in: bool,
    flags: tuple[bool, bool, bool, bool],
) -> None:
    customer = profile(email=email, phone=phone, tokens=tokens, **prefs) if has_profile else None
    client = ClientRecord(id="K1", email=client_email, phone=client_phone)
    source: dict[str, Any] = {"clientPhone": ticket_phone}
    if not walk_in:
        source["customerId"] = "C1"
    providers = ConfiguredProviders(*flags)
    plan = plan_for(customer, key=key, client=client, source=source, providers=providers)

    assert plan.messages, "a plan always says something"
    assert len({(m.template, m.channel) for m in plan.messages}) == len(plan.messages)
    pending = plan.pending
    for template in {m.template for m in pending}:
        channels = {m.channel for m in pending if m.template == template}
        assert not {Channel.SMS, Channel.WHATSAPP} <= channels, "never both WhatsApp and SMS"
    for message in plan.messages:
        assert message.reason
        assert message.status in (S.PENDING, S.SKIPPED)
        _check_message(message, providers)
    if key.is_marketing and not (customer and customer.notification_preferences.marketing_enabled):
        assert shape(plan)[0][1:] == ("skipped", "marketing_not_enabled")
        assert len(plan.messages) == 1
    if key.is_marketing:
        assert not plan.pending, "marketing without a proven opt-in never goes"
    if customer is not None and not prefs["smsEnabled"]:
        assert not [m for m in pending if m.channel is Channel.SMS], "they chose: no SMS"


def _check_message(message: PlannedMessage, providers: ConfiguredProviders) -> None:
    if not message.is_pending:
        return
    assert providers.configured(message.channel)
    if message.channel in (Channel.SMS, Channel.WHATSAPP):
        assert message.to is not None
        assert message.to.startswith("+")
    if message.channel is Channel.EMAIL:
        assert message.to is not None
        assert "@" in message.to
    if message.channel is Channel.PUSH:
        assert message.to is None


def test_a_registered_customer_back_on_sms_is_not_held_by_an_old_client_record_stop() -> None:
    """STOP reaches every record of the number; START only the profile: the profile decides."""
    client = ClientRecord.from_document("K1", {"notificationPreferences": {"smsEnabled": False}})
    customer = profile(phone="0612345678", smsEnabled=True)
    stale = ConsentFacts(opted_out=frozenset({Channel.SMS}))
    plan = plan_for(customer, client=client, consent=stale)
    assert shape(plan) == [("sms", "pending", "sms_no_email")]


def test_a_registered_customer_who_sent_stop_is_skipped_as_opted_out_not_as_never_opted_in() -> (
    None
):
    """Their switch decides; the ledger's STOP only names why nothing went."""
    stopped = ConsentFacts(opted_out=frozenset({Channel.SMS}))
    customer = profile(phone="0612345678", smsEnabled=False)
    assert shape(plan_for(customer, consent=stopped)) == [("sms", "skipped", "opted_out")]
    assert shape(plan_for(customer)) == [("sms", "skipped", "sms_not_opted_in")]
    # A STOP on SMS never blocks another channel the customer has on.
    on_whatsapp = profile(phone="0612345678", whatsappEnabled=True)
    assert shape(plan_for(on_whatsapp, consent=stopped)) == [
        ("whatsapp", "pending", "whatsapp_no_email")
    ]
