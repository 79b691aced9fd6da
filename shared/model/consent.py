"""``consent_events/{id}``: one opt-in or opt-out, as one typed record.

Every writer (inbound keywords, Meta's marketing preferences, a provider's refusal, the
registration form, the counter, the preference page) makes a ``ConsentEvent`` and stores
``to_document()``; every reader (the ledger in ``shared.rules.consent``, the CSV export) reads
``from_document()``. The contract's fields are written here once.

``purpose`` says what the change is about: ``service`` or ``marketing`` (the purposes of
``shared.model.enums.Purpose``), or ``all`` for a change of the whole channel (STOP, START, a
provider reporting the number unsubscribed): an opt-out of a channel stops every message on it.

``from_document`` is lenient and reads the events written before the contract's fields were
(``phone`` for ``to``, ``scope`` for ``purpose``, the provider's name as ``source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from shared.model.enums import Channel, Purpose, _TolerantEnum
from shared.platform.clock import as_datetime


class ConsentPurpose(_TolerantEnum):
    """What a consent change covers (``consent_events.purpose``)."""

    SERVICE = Purpose.SERVICE.value
    MARKETING = Purpose.MARKETING.value
    ALL = "all"  # the whole channel: STOP, START, the provider's unsubscribed
    UNKNOWN = "unknown"

    def covers(self, purpose: Purpose) -> bool:
        return self is ConsentPurpose.ALL or self.value == purpose.value


class ConsentAction(_TolerantEnum):
    """``consent_events.action``."""

    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    UNKNOWN = "unknown"


class ConsentSource(_TolerantEnum):
    """Where the customer said it (``consent_events.source``)."""

    KEYWORD = "keyword"  # a word texted to the shop (STOP, ARRET, START...)
    REGISTRATION_FORM = "registration_form"  # a checkbox; ``textVersion`` says which wording
    COUNTER = "counter"  # said to the staff at the counter, recorded by them
    PREFERENCE_PAGE = "preference_page"  # the customer's preference page
    PROVIDER = "provider"  # the provider reported it (Twilio 21610, Meta's marketing choice)
    UNKNOWN = "unknown"


_PROVIDER_NAMES = frozenset({"twilio", "meta"})
_LEGACY_SCOPES = {"channel": ConsentPurpose.ALL, "marketing": ConsentPurpose.MARKETING}
_KNOWN = frozenset(
    {
        "channel",
        "purpose",
        "action",
        "source",
        "keyword",
        "textVersion",
        "customerId",
        "clientId",
        "to",
        "at",
        "provider",
    }
)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _channel(value: Any) -> Channel | None:
    try:
        return Channel(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ConsentEvent:
    """One ``consent_events`` document (contract fields, plus ``extra`` as written)."""

    event_id: str
    channel: Channel | None
    purpose: ConsentPurpose
    action: ConsentAction
    source: ConsentSource
    to: str | None  # E.164 number or email address
    at: datetime | None
    customer_id: str | None = None
    client_id: str | None = None
    keyword: str | None = None  # the word texted, or the provider's preference value
    text_version: str | None = None  # the version of the form text the customer agreed to
    provider: str | None = None  # who carried it (``twilio``, ``meta``), when a provider did
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_opt_in(self) -> bool:
        return self.action is ConsentAction.OPT_IN

    @property
    def is_opt_out(self) -> bool:
        return self.action is ConsentAction.OPT_OUT

    def to_document(self) -> dict[str, Any]:
        """The stored document: every contract field (null when unknown), then the extras."""
        return {
            **dict(self.extra),
            "channel": self.channel.value if self.channel else None,
            "purpose": self.purpose.value,
            "action": self.action.value,
            "source": self.source.value,
            "keyword": self.keyword,
            "textVersion": self.text_version,
            "customerId": self.customer_id,
            "clientId": self.client_id,
            "to": self.to,
            "at": self.at,
            "provider": self.provider,
        }

    @classmethod
    def from_document(cls, event_id: str, doc: Mapping[str, Any]) -> ConsentEvent:
        """Lenient: unknown values read as ``unknown``, legacy field names are understood."""
        source_text = _text(doc.get("source"))
        provider = _text(doc.get("provider"))
        keyword = _text(doc.get("keyword"))
        if source_text in _PROVIDER_NAMES:  # written before ``source`` meant where, not who
            provider = provider or source_text
            legacy_keyword = keyword and doc.get("scope") == "channel"
            source = ConsentSource.KEYWORD if legacy_keyword else ConsentSource.PROVIDER
        else:
            source = ConsentSource(source_text or "unknown")
        purpose_text = _text(doc.get("purpose"))
        # Before ``purpose``: ``scope``, and none at all on a provider's refusal (the channel).
        legacy_purpose = ConsentPurpose.ALL if source_text in _PROVIDER_NAMES else None
        purpose = (
            ConsentPurpose(purpose_text)
            if purpose_text
            else _LEGACY_SCOPES.get(str(doc.get("scope")), legacy_purpose or ConsentPurpose.UNKNOWN)
        )
        legacy = {"phone", "scope"}
        return cls(
            event_id=event_id,
            channel=_channel(doc.get("channel")),
            purpose=purpose,
            action=ConsentAction(str(doc.get("action") or "unknown")),
            source=source,
            to=_text(doc.get("to")) or _text(doc.get("phone")),
            at=as_datetime(doc.get("at")),
            customer_id=_text(doc.get("customerId")),
            client_id=_text(doc.get("clientId")),
            keyword=keyword,
            text_version=_text(doc.get("textVersion")),
            provider=provider,
            extra=MappingProxyType(
                {k: v for k, v in doc.items() if k not in _KNOWN and k not in legacy}
            ),
        )
