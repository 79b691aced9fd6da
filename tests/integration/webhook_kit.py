"""Helpers of the webhook integration tests: the three targets in process, signed posts, seeds.

The targets are the real ones (``functions_framework.create_app(target, source="main.py")``),
run in this process against the session stack (``stack_env`` points the settings at it): their
replies go through the stack's Tasks emulator to its ``deliver_notification`` process and on to
the fake providers. The test client calls ``http://localhost/<target>``: that is the URL signed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import functions_framework
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from devstack.config import FAKE_CREDENTIALS, ROOT
from shared.store.shop import clear_cache
from tests.support.webhooks import Signature, meta_json, twilio_form

TWILIO_TOKEN = FAKE_CREDENTIALS["TWILIO_AUTH_TOKEN"]
META_SECRET = FAKE_CREDENTIALS["META_APP_SECRET"]
META_VERIFY_TOKEN = FAKE_CREDENTIALS["META_VERIFY_TOKEN"]
SHOP_NUMBER = FAKE_CREDENTIALS["TWILIO_SMS_FROM"]
WATCHED = (
    "notification_history",
    "consent_events",
    "inbox",
    "conversations",
    "provider_status_orphans",
    "phone_index",
)
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_create_app: Any = functions_framework.create_app  # untyped library


@dataclass
class Webhooks:
    """Test clients of the three webhook targets."""

    twilio_inbound: FlaskClient
    twilio_status: FlaskClient
    meta_webhook: FlaskClient

    def twilio(
        self,
        target: str,
        params: Mapping[str, str],
        *,
        signature: Signature = "valid",
        token: str = TWILIO_TOKEN,
    ) -> TestResponse:
        headers, body = twilio_form(
            f"http://localhost/{target}", params, token, signature=signature
        )
        client = self.twilio_inbound if target == "twilio_inbound" else self.twilio_status
        return client.post(f"/{target}", data=body, headers=headers)

    def sms(self, sender: str, body: str, sid: str | None = None, **extra: str) -> TestResponse:
        params = {
            "MessageSid": sid or new_sid(),
            "AccountSid": FAKE_CREDENTIALS["TWILIO_ACCOUNT_SID"],
            "From": sender,
            "To": SHOP_NUMBER,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        return self.twilio("twilio_inbound", params)

    def status(self, sid: str, status: str, **extra: str) -> TestResponse:
        params = {"MessageSid": sid, "MessageStatus": status, "SmsStatus": status, **extra}
        return self.twilio("twilio_status", params)

    def meta(self, payload: Any, *, signature: Signature = "valid") -> TestResponse:
        headers, body = meta_json(payload, META_SECRET, signature=signature)
        return self.meta_webhook.post("/meta_webhook", data=body, headers=headers)


@pytest.fixture
def webhooks(stack_env: dict[str, str]) -> Iterator[Webhooks]:
    """The three targets, configured like the stack's functions, shop settings cache cleared."""
    clear_cache()
    source = str(ROOT / "main.py")
    apps = {
        name: _create_app(target=name, source=source).test_client()
        for name in ("twilio_inbound", "twilio_status", "meta_webhook")
    }
    yield Webhooks(**apps)
    clear_cache()


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


def unique_mobile(seed: str, country: str = "FR") -> str:
    """A valid mobile number no other test uses (French ``+3361...``, Kenyan ``+25471...``)."""
    digits = f"{int(seed, 16) % 10**7:07d}"
    return f"+3361{digits}" if country == "FR" else f"+25471{digits}"


def national(e164: str) -> str:
    """``+33612345678`` -> ``06 12 34 56 78``: how a French customer types it."""
    rest = "0" + e164.removeprefix("+33")
    return " ".join(rest[i : i + 2] for i in range(0, len(rest), 2))


def docs(db: Any, collection: str) -> list[dict[str, Any]]:
    return [dict(s.to_dict()) | {"_id": s.id} for s in db.collection(collection).stream()]


def written(db: Any) -> dict[str, int]:
    """How many documents each collection the webhooks write holds."""
    return {name: len(list(db.collection(name).stream())) for name in WATCHED}


def seed_profile(db: Any, customer_id: str, phone: str, **fields: Any) -> None:
    prefs = {"smsEnabled": True, "whatsappEnabled": True, "emailEnabled": True}
    prefs.update(fields.pop("notificationPreferences", {}))
    doc = {
        "displayName": "Marie Curie",
        "phoneNumber": phone,
        "country": "FR",
        "language": "fr",
        "notificationPreferences": prefs,
        **fields,
    }
    db.collection("customer_profiles").document(customer_id).set(doc)


def shop_open(db: Any, is_open: bool, now: datetime | None = None) -> None:
    """Business hours that make the shop open all day, every day, or closed today (FR)."""
    now = now or datetime.now(UTC)
    if is_open:
        hours = {"open": "00:00", "close": "24:00", "days": _DAYS, "closedOnHolidays": False}
    else:
        # open only the day after tomorrow (Paris), so closed now whatever the hour
        later = (now + timedelta(hours=1) + timedelta(days=2)).weekday()
        hours = {"open": "09:00", "close": "18:00", "days": [_DAYS[later]]}
    db.collection("settings").document("notifications").set(
        {"businessHours": {"FR": {**hours, "timezone": "Europe/Paris"}}, "shopName": "Atelier"}
    )
    clear_cache()


def history(db: Any, type_prefix: str = "reply.") -> list[dict[str, Any]]:
    return [
        d for d in docs(db, "notification_history") if str(d.get("type")).startswith(type_prefix)
    ]
