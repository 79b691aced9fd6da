"""The customer's preference link (issue 18): signed, expiring, refused when forged; carried by
email footers, marketing emails' one-click unsubscribe headers and alphanumeric-sender SMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.adapters.channels.smtp_email import build_email
from shared.model.enums import Channel, EventKey
from shared.model.messages import OutboundMessage
from shared.platform.settings import Settings, SmtpSettings, TwilioSettings
from shared.rules.preference_link import (
    LinkRefusal,
    LinkSubject,
    PreferenceLinkError,
    PreferenceLinks,
    SubjectKind,
    sign_token,
    subject_for,
    verify_token,
)
from shared.rules.rendering import build_message
from tests.unit.test_consent_by_purpose import (
    CART,
    SHOP,
    SMS_PROOF,
    SMS_SHOPPER,
    TUESDAY,
    plan,
    profile,
)

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALICE = LinkSubject(SubjectKind.CUSTOMER, "cust-alice")
SMTP = SmtpSettings(host="smtp.example", sender="Atelier <shop@example.com>")
LINKED = Settings(
    twilio=TwilioSettings(account_sid="AC1", auth_token="t", sms_from="+15005550006"),
    smtp=SMTP,
    preferences_url="https://console.example.com/preferences",
    preferences_secret=SECRET,
)


def token(subject: LinkSubject = ALICE, *, expires: datetime = NOW + timedelta(days=1)) -> str:
    return sign_token(subject, secret=SECRET, expires_at=expires)


@pytest.mark.parametrize(
    "subject",
    [
        ALICE,
        LinkSubject(SubjectKind.PHONE, "+254712345678"),
        LinkSubject(SubjectKind.EMAIL, "awa.diallo+shop@example.fr"),
        LinkSubject(SubjectKind.CUSTOMER, "ünïcode.ïd-with.dots"),
    ],
)
def test_a_signed_link_opens_the_preferences_of_whom_it_names(subject: LinkSubject) -> None:
    assert verify_token(token(subject), secret=SECRET, now=NOW) == subject


def test_an_expired_link_is_refused_as_expired() -> None:
    old = token(expires=NOW - timedelta(seconds=1))
    with pytest.raises(PreferenceLinkError) as caught:
        verify_token(old, secret=SECRET, now=NOW)
    assert caught.value.reason is LinkRefusal.EXPIRED


def _tamper_subject(t: str) -> str:
    version, _subject, expiry, signature = t.split(".")
    other = sign_token(LinkSubject(SubjectKind.CUSTOMER, "cust-bob"), secret=SECRET, expires_at=NOW)
    return ".".join([version, other.split(".")[1], expiry, signature])


def _tamper_expiry(t: str) -> str:
    version, subject, expiry, signature = t.split(".")
    return ".".join([version, subject, str(int(expiry) + 86400 * 365), signature])


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_subject,
        _tamper_expiry,
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: sign_token(ALICE, secret="another-key", expires_at=NOW + timedelta(days=1)),
    ],
    ids=["other-customer", "longer-life", "signature-changed", "other-key"],
)
def test_an_altered_or_foreign_link_is_refused_as_forged(tamper: object) -> None:
    forged = tamper(token())  # type: ignore[operator]
    with pytest.raises(PreferenceLinkError) as caught:
        verify_token(forged, secret=SECRET, now=NOW)
    assert caught.value.reason is LinkRefusal.FORGED


@pytest.mark.parametrize(
    "junk", [None, "", "v1", "v1.a.b", "v2.a.1.c", "x" * 5000, "v1..1.", "v1.%%.1.sig"]
)
def test_a_malformed_link_is_refused_and_never_raises_anything_else(junk: str | None) -> None:
    with pytest.raises(PreferenceLinkError) as caught:
        verify_token(junk, secret=SECRET, now=NOW)
    assert caught.value.reason in (LinkRefusal.MALFORMED, LinkRefusal.FORGED)


def test_whose_link_a_message_carries() -> None:
    assert subject_for("cust-1", "+33612345678", "sms") == LinkSubject(
        SubjectKind.CUSTOMER, "cust-1"
    )
    assert subject_for(None, "+33612345678", "sms") == LinkSubject(
        SubjectKind.PHONE, "+33612345678"
    )
    assert subject_for(None, "a@example.com", "email") == LinkSubject(
        SubjectKind.EMAIL, "a@example.com"
    )
    assert subject_for(None, None, "push") is None


def test_the_unsubscribe_link_names_the_channel_and_the_purpose() -> None:
    links = PreferenceLinks("https://console.example.com/preferences/", SECRET)
    url = urlsplit(links.unsubscribe(ALICE, "email", NOW))
    assert url.path == "/preferences/unsubscribe"
    query = parse_qs(url.query)
    assert query["channel"] == ["email"]
    assert query["purpose"] == ["marketing"]
    assert verify_token(query["t"][0], secret=SECRET, now=NOW + timedelta(days=59)) == ALICE
    with pytest.raises(PreferenceLinkError):
        verify_token(query["t"][0], secret=SECRET, now=NOW + timedelta(days=61))


# -- where the link goes -------------------------------------------------------------------------


EMAIL_SHOPPER = {"email": "ana@example.com", "marketingEnabled": True}
EMAIL_PROOF = SMS_PROOF.__class__(marketing=frozenset({Channel.EMAIL}))


def _email(key: EventKey, settings: Settings, source: dict[str, object]) -> OutboundMessage:
    proof = EMAIL_PROOF if key.is_marketing else None
    (draft,) = [
        d
        for d in plan(
            key, profile(**EMAIL_SHOPPER), source=source, consent=proof, settings=settings
        )
        if d.channel is Channel.EMAIL
    ]
    message = build_message(draft, None, now=TUESDAY, shop=SHOP)
    assert message is not None
    return message


def test_a_marketing_email_has_one_click_unsubscribe_headers_and_a_footer_link() -> None:
    message = _email(EventKey.CART_REMINDER_1, LINKED, CART)
    unsubscribe = message.headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://console.example.com/preferences/unsubscribe?t=")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = unsubscribe.strip("<>")
    assert url in message.text  # the same link in the footer, for readers without the button
    assert "https://console.example.com/preferences?t=" in message.text
    token_value = parse_qs(urlsplit(url).query)["t"][0]
    assert verify_token(token_value, secret=SECRET, now=TUESDAY) == ALICE.__class__(
        SubjectKind.CUSTOMER, "c1"
    )
    raw = build_email(message, SMTP).as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["List-Unsubscribe"] == unsubscribe
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_service_email_has_the_preference_link_but_no_unsubscribe_header() -> None:
    message = _email(EventKey.ORDER_SHIPPED, LINKED, {"customerId": "c1", "status": "shipped"})
    assert "List-Unsubscribe" not in message.headers
    assert "https://console.example.com/preferences?t=" in message.text


def test_without_a_configured_page_no_link_and_no_header() -> None:
    settings = Settings(twilio=LINKED.twilio, smtp=SMTP)
    message = _email(EventKey.CART_REMINDER_1, settings, CART)
    assert message.headers == {}
    assert "?t=" not in message.text
    assert "unsubscribe at any time from your account" in message.text or "compte" in message.text


def test_an_alphanumeric_sender_points_a_marketing_sms_to_the_customers_own_page() -> None:
    alpha = Settings(
        twilio=TwilioSettings(account_sid="AC1", auth_token="t", sms_from="ATELIER"),
        preferences_url=LINKED.preferences_url,
        preferences_secret=SECRET,
    )
    (sms,) = plan(
        EventKey.CART_REMINDER_1, profile(**SMS_SHOPPER), source=CART, consent=SMS_PROOF,
        settings=alpha,
    )  # fmt: skip
    assert sms.status.value == "pending"
    message = build_message(sms, None, now=TUESDAY, shop=SHOP)
    assert message is not None
    assert "Désinscription: https://console.example.com/preferences?t=v1." in message.text
    assert sms.metadata["segments"] >= 1  # the link is counted before sending


def test_smtp_refuses_headers_it_does_not_know_or_that_break_lines() -> None:
    message = OutboundMessage(
        notification_id="n1",
        channel=Channel.EMAIL,
        to="a@example.com",
        text="hi",
        subject="s",
        headers={
            "Bcc": "everyone@example.com",
            "List-Unsubscribe": "<https://x.example/u>\r\nBcc: everyone@example.com",
        },
    )
    parsed = message_from_bytes(build_email(message, SMTP).as_bytes())
    assert parsed["Bcc"] is None
    assert parsed["List-Unsubscribe"] is None
