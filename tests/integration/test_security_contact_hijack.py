"""The consent hijack (security issue, high): a profile claiming someone else's number.

Reproduced before the fix: an account named the victim's number; inbound lookup took the profile
with the smallest id, wrote ``phone_index`` to it for good, and the victim's STOP opted out the
attacker's profile while the victim kept receiving SMS. The rules now refuse such a profile
(``tests/rules``); these tests cover data that already holds one (legacy, or written by staff).
"""

from __future__ import annotations

from typing import Any

from tests.integration.webhook_kit import (
    Webhooks,
    docs,
    national,
    seed_profile,
    unique_mobile,
    webhooks,
)

__all__ = ["webhooks"]  # the fixture, imported so pytest finds it


def _prefs(db: Any, collection: str, doc_id: str) -> dict[str, Any]:
    return dict(
        (db.collection(collection).document(doc_id).get().to_dict() or {}).get(
            "notificationPreferences", {}
        )
    )


def test_a_walk_ins_stop_reaches_them_and_the_profile_claiming_their_number(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    firestore_client.collection("clients").document(f"walk-in-{unique_id}").set(
        {"name": "Vera", "phone": national(phone)}
    )
    seed_profile(firestore_client, f"a-{unique_id}", national(phone))  # the attacker's claim

    assert webhooks.sms(phone, "STOP").status_code == 200

    assert _prefs(firestore_client, "clients", f"walk-in-{unique_id}")["smsEnabled"] is False
    assert _prefs(firestore_client, "customer_profiles", f"a-{unique_id}")["smsEnabled"] is False
    assert not firestore_client.collection("phone_index").document(phone).get().exists
    conflict = firestore_client.collection("contact_conflicts").document(phone).get().to_dict()
    assert conflict["profileIds"] == [f"a-{unique_id}"]
    assert conflict["clientIds"] == [f"walk-in-{unique_id}"]
    messages = docs(firestore_client.collection("conversations").document(phone), "messages")
    # the STOP confirmation may already be delivered and recorded as an outbound message
    (message,) = [m for m in messages if m.get("direction") == "inbound"]
    assert message["clientId"] == f"walk-in-{unique_id}"  # the shop's record, not the claim
    assert message["customerId"] is None


def test_two_profiles_on_one_number_are_both_opted_out_and_neither_is_chosen(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, f"0-attacker-{unique_id}", phone)  # sorts first
    seed_profile(firestore_client, f"victim-{unique_id}", national(phone))

    assert webhooks.sms(phone, "STOP").status_code == 200

    for profile in (f"0-attacker-{unique_id}", f"victim-{unique_id}"):
        assert _prefs(firestore_client, "customer_profiles", profile)["smsEnabled"] is False
    assert not firestore_client.collection("phone_index").document(phone).get().exists
    assert firestore_client.collection("contact_conflicts").document(phone).get().exists


def test_a_query_match_never_overwrites_the_phone_index(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    seed_profile(firestore_client, f"owner-{unique_id}", phone)
    firestore_client.collection("phone_index").document(phone).set(
        {"customerId": f"owner-{unique_id}", "source": "registration"}
    )
    seed_profile(firestore_client, f"later-{unique_id}", phone)

    assert webhooks.sms(phone, "Bonjour, mon téléphone est prêt ?").status_code == 200

    index = firestore_client.collection("phone_index").document(phone).get().to_dict()
    assert index == {"customerId": f"owner-{unique_id}", "source": "registration"}


def test_one_profile_and_its_own_client_record_are_one_customer(
    webhooks: Webhooks, firestore_client: Any, unique_id: str
) -> None:
    phone = unique_mobile(unique_id)
    firestore_client.collection("clients").document(f"k-{unique_id}").set(
        {"name": "Ana", "phone": phone}
    )
    seed_profile(firestore_client, f"ana-{unique_id}", phone, clientId=f"k-{unique_id}")

    assert webhooks.sms(phone, "STOP").status_code == 200

    index = firestore_client.collection("phone_index").document(phone).get().to_dict()
    assert index["customerId"] == f"ana-{unique_id}"
    assert not firestore_client.collection("contact_conflicts").document(phone).get().exists
