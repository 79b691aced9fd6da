"""Deployment settings: the one place that reads environment variables.

Every variable of ``CONTRACT.md`` (and the few this project adds) is named exactly once here.
Precedence is explicit argument over environment over default: tests build a ``Settings`` from a
dict, production calls ``Settings.from_env()`` once per instance.

Shop settings that a shop owner edits live in Firestore (``settings/notifications``) and are
modelled elsewhere (``shared.shop_settings``); this module is only about how the deployment is
wired.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from shared.platform.queues import CAMPAIGNS_QUEUE

DEFAULT_TWILIO_API_BASE_URL = "https://api.twilio.com"
DEFAULT_META_GRAPH_BASE_URL = "https://graph.facebook.com/v21.0"


def _get(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value, with blank treated as absent (a blank secret is no secret)."""
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = _get(env, name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _get(env, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _get(env, name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc


@dataclass(frozen=True)
class TwilioSettings:
    """Twilio credentials and senders; ``configured`` tells whether SMS/WhatsApp can use it."""

    account_sid: str | None = None
    auth_token: str | None = None
    sms_from: str | None = None
    messaging_service_sid: str | None = None
    whatsapp_from: str | None = None
    status_callback_url: str | None = None
    api_base_url: str = DEFAULT_TWILIO_API_BASE_URL
    # The secret of a Twilio SharedKey (Webhooks configuration API): webhooks a Webhook Rule
    # signs with it carry ``X-Twilio-Webhooks-Signature-Settings``; the others, the auth token.
    webhook_signing_key: str | None = None

    @property
    def has_credentials(self) -> bool:
        return bool(self.account_sid and self.auth_token)

    @property
    def sms_configured(self) -> bool:
        return self.has_credentials and bool(self.sms_from or self.messaging_service_sid)

    @property
    def whatsapp_configured(self) -> bool:
        return self.has_credentials and bool(self.whatsapp_from)


@dataclass(frozen=True)
class MetaSettings:
    """WhatsApp Cloud API sender and webhook secrets."""

    token: str | None = None
    phone_number_id: str | None = None
    app_secret: str | None = None
    verify_token: str | None = None
    graph_base_url: str = DEFAULT_META_GRAPH_BASE_URL

    @property
    def sender_configured(self) -> bool:
        return bool(self.token and self.phone_number_id)


@dataclass(frozen=True)
class SmtpSettings:
    """Outgoing mail server."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str | None = None
    starttls: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


@dataclass(frozen=True)
class TasksSettings:
    """Where notification tasks go and how they authenticate."""

    project: str | None = None
    location: str = "europe-west1"
    queue: str = "notifications"
    deliver_url: str | None = None
    service_account: str | None = None
    emulator_host: str | None = None
    campaign_step_url: str | None = None  # CAMPAIGN_STEP_URL: the campaign_step target
    # CAMPAIGN_DISPATCH_RATE: the campaigns queue's messages per second as the deploy step set
    # it (``shared.rules.campaign_pacing.campaign_rate``); planning keeps ahead of it
    campaign_rate: float = CAMPAIGNS_QUEUE.max_dispatches_per_second

    @property
    def configured(self) -> bool:
        return bool(self.project and self.deliver_url)


@dataclass(frozen=True)
class Settings:
    """Everything the deployment is wired with. Build with ``from_env`` or directly in tests."""

    project: str | None = None
    firestore_emulator_host: str | None = None
    default_country: str = "FR"
    registration_url: str | None = None
    # The customer's preference page (the console's, issue 18) and the key its links are
    # signed with; without both, messages carry no preference link.
    preferences_url: str | None = None
    preferences_secret: str | None = None
    preferences_link_days: int = 60
    public_base_url: str | None = None
    # This function's own public URL, exactly as the provider calls it (set per function by
    # the deploy step): the only URL a Twilio signature is checked against when set.
    webhook_public_url: str | None = None
    whatsapp_provider: str = "twilio"
    fcm_enabled: bool = True
    fcm_api_base_url: str | None = None
    internal_audience: str | None = None
    internal_invokers: tuple[str, ...] = ()
    service_name: str | None = None  # K_SERVICE: set by Cloud Run / Cloud Functions gen2
    delivery_lease_seconds: int = 120
    shop_settings_cache_seconds: float = 5.0
    provider_timeout: float = 10.0  # seconds an adapter waits for a provider's answer
    # The console's sign-in (Firebase Authentication): the emulator when set (firebase-admin
    # reads the same variable), the web API key the sign-in page's Firebase JS SDK uses, and
    # how long a staff session lasts.
    auth_emulator_host: str | None = None
    firebase_web_api_key: str | None = None
    console_session_hours: int = 12
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    meta: MetaSettings = field(default_factory=MetaSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    tasks: TasksSettings = field(default_factory=TasksSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every variable once. ``env`` defaults to ``os.environ``."""
        e: Mapping[str, str] = os.environ if env is None else env
        project = _get(e, "GOOGLE_CLOUD_PROJECT") or _get(e, "GCLOUD_PROJECT")
        provider = (_get(e, "WHATSAPP_PROVIDER") or "twilio").lower()
        if provider not in {"twilio", "meta"}:
            raise ValueError(f"WHATSAPP_PROVIDER must be 'twilio' or 'meta', got {provider!r}")
        invokers = _get(e, "INTERNAL_INVOKERS") or ""
        return cls(
            project=project,
            firestore_emulator_host=_get(e, "FIRESTORE_EMULATOR_HOST"),
            default_country=(_get(e, "DEFAULT_COUNTRY") or "FR").upper(),
            registration_url=_get(e, "REGISTRATION_URL"),
            preferences_url=_get(e, "PREFERENCES_URL"),
            preferences_secret=_get(e, "PREFERENCES_LINK_SECRET"),
            preferences_link_days=_int(e, "PREFERENCES_LINK_DAYS", 60),
            public_base_url=_get(e, "PUBLIC_BASE_URL"),
            webhook_public_url=_get(e, "WEBHOOK_PUBLIC_URL"),
            whatsapp_provider=provider,
            fcm_enabled=_flag(e, "FCM_ENABLED", True),
            fcm_api_base_url=_get(e, "FCM_API_BASE_URL"),
            internal_audience=_get(e, "INTERNAL_AUDIENCE"),
            internal_invokers=tuple(s.strip() for s in invokers.split(",") if s.strip()),
            service_name=_get(e, "K_SERVICE"),
            provider_timeout=_float(e, "PROVIDER_TIMEOUT_SECONDS", 10.0),
            auth_emulator_host=_get(e, "FIREBASE_AUTH_EMULATOR_HOST"),
            firebase_web_api_key=_get(e, "FIREBASE_WEB_API_KEY"),
            console_session_hours=_int(e, "CONSOLE_SESSION_HOURS", 12),
            delivery_lease_seconds=_int(e, "DELIVERY_LEASE_SECONDS", 120),
            shop_settings_cache_seconds=_float(e, "SHOP_SETTINGS_CACHE_SECONDS", 5.0),
            twilio=TwilioSettings(
                account_sid=_get(e, "TWILIO_ACCOUNT_SID"),
                auth_token=_get(e, "TWILIO_AUTH_TOKEN"),
                sms_from=_get(e, "TWILIO_SMS_FROM"),
                messaging_service_sid=_get(e, "TWILIO_MESSAGING_SERVICE_SID"),
                whatsapp_from=_get(e, "TWILIO_WHATSAPP_FROM"),
                status_callback_url=_get(e, "TWILIO_STATUS_CALLBACK_URL"),
                api_base_url=_get(e, "TWILIO_API_BASE_URL") or DEFAULT_TWILIO_API_BASE_URL,
                webhook_signing_key=_get(e, "TWILIO_WEBHOOK_SIGNING_KEY"),
            ),
            meta=MetaSettings(
                token=_get(e, "META_WHATSAPP_TOKEN"),
                phone_number_id=_get(e, "META_PHONE_NUMBER_ID"),
                app_secret=_get(e, "META_APP_SECRET"),
                verify_token=_get(e, "META_VERIFY_TOKEN"),
                graph_base_url=_get(e, "META_GRAPH_BASE_URL") or DEFAULT_META_GRAPH_BASE_URL,
            ),
            smtp=SmtpSettings(
                host=_get(e, "SMTP_HOST"),
                port=_int(e, "SMTP_PORT", 587),
                username=_get(e, "SMTP_USERNAME"),
                password=_get(e, "SMTP_PASSWORD"),
                sender=_get(e, "SMTP_FROM"),
                starttls=_flag(e, "SMTP_STARTTLS", True),
            ),
            tasks=TasksSettings(
                project=project,
                location=_get(e, "TASKS_LOCATION") or "europe-west1",
                queue=_get(e, "TASKS_QUEUE") or "notifications",
                deliver_url=_get(e, "DELIVER_URL"),
                service_account=_get(e, "TASKS_SERVICE_ACCOUNT"),
                emulator_host=_get(e, "CLOUD_TASKS_EMULATOR_HOST"),
                campaign_step_url=_get(e, "CAMPAIGN_STEP_URL"),
                campaign_rate=_float(
                    e, "CAMPAIGN_DISPATCH_RATE", CAMPAIGNS_QUEUE.max_dispatches_per_second
                ),
            ),
        )

    @property
    def deployed(self) -> bool:
        """Running on Cloud Run / Cloud Functions gen2 (``K_SERVICE`` is set there, never by
        the local stack): security checks that are optional locally are mandatory then."""
        return bool(self.service_name)

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this deployment holds: what logs must never print (one list)."""
        values = (
            self.twilio.auth_token,
            self.twilio.webhook_signing_key,
            self.meta.token,
            self.meta.app_secret,
            self.meta.verify_token,
            self.smtp.password,
            self.preferences_secret,
        )
        return tuple(v for v in values if v)

    @property
    def whatsapp_configured(self) -> bool:
        """Whether the selected WhatsApp provider has what it needs to send."""
        if self.whatsapp_provider == "meta":
            return self.meta.sender_configured
        return self.twilio.whatsapp_configured

    @property
    def push_configured(self) -> bool:
        """FCM needs a project (credentials come from the runtime's default account)."""
        return self.fcm_enabled and bool(self.project)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_env()
