"""Customer documents as apps write them: lenient, each bad field on its own."""

from __future__ import annotations

from shared.model.documents import ClientRecord, CustomerProfile, parse_profile


def test_a_bad_push_token_drops_only_itself() -> None:
    """Security finding (low): one non-string element emptied the whole token list."""
    profile = CustomerProfile.from_document("c1", {"fcmTokens": ["a", 7, None, "", {"x": 1}, "b"]})

    assert profile.fcm_tokens == ("a", "b")


def test_switches_read_as_apps_write_them_and_junk_keeps_the_default() -> None:
    prefs = CustomerProfile.from_document(
        "c1",
        {
            "notificationPreferences": {
                "smsEnabled": "yes",
                "emailEnabled": 0,
                "whatsappEnabled": "sometimes",
                "marketingEnabled": ["true"],
            }
        },
    ).notification_preferences

    assert prefs.sms_enabled is True
    assert prefs.email_enabled is False
    assert prefs.whatsapp_enabled is False  # the default: opt-in
    assert prefs.marketing_enabled is False
    assert prefs.push_enabled is True


def test_wrong_types_read_as_defaults_and_unknown_fields_are_kept() -> None:
    profile = CustomerProfile.from_document(
        "c1",
        {
            "displayName": 42,
            "email": "ana@example.com",
            "notificationPreferences": "all",
            "lastInboundAt": ["x"],
            "loyaltyTier": "gold",
        },
    )

    assert profile.display_name is None
    assert profile.email == "ana@example.com"
    assert profile.notification_preferences.sms_enabled is False
    assert dict(profile.last_inbound_at) == {}
    assert profile.extra == {"loyaltyTier": "gold"}
    assert parse_profile("c1", None) is None
    assert ClientRecord.from_document("k1", {"phone": 612345678}).phone is None
