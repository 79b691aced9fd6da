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


# How many event ids a profile's ``consentState`` lists: a customer's ledger is a handful of
# events; past this the state still counts them (the count orders two replays), it only stops
# naming them (a redelivered trigger then replays the ledger instead of recognising its event).
STATE_EVENT_IDS = 50


@dataclass(frozen=True)
class ConsentState:
    """``customer_profiles.consentState``: the customer's own ledger (their ``customerId``
    events), replayed by ``shared.rules.consent`` and kept on the profile by the system, so a
    campaign page or the cart sweep reads one document per customer instead of querying the
    ledger. ``events`` is how many events the replay saw: the ledger only grows, so a replay
    that saw more is the newer one. ``event_ids`` names them while there are few."""

    opted_out: frozenset[Channel] = frozenset()
    marketing: frozenset[Channel] = frozenset()
    events: int = 0
    event_ids: frozenset[str] = frozenset()
    at: datetime | None = None  # when it was replayed

    def knows(self, event_id: str) -> bool:
        """Whether this replay included the event ``event_id``."""
        return event_id in self.event_ids

    def to_document(self) -> dict[str, Any]:
        return {
            "optedOut": sorted(c.value for c in self.opted_out),
            "marketing": sorted(c.value for c in self.marketing),
            "events": self.events,
            "eventIds": sorted(self.event_ids)[:STATE_EVENT_IDS],
            "at": self.at,
        }

    @classmethod
    def from_document(cls, value: Any) -> ConsentState | None:
        """The stored state, or None when absent or not a state (the ledger is read instead:
        a malformed state never stands for a consent)."""
        if not isinstance(value, Mapping):
            return None
        events = value.get("events")
        opted_out, marketing = value.get("optedOut"), value.get("marketing")
        if not isinstance(events, int) or isinstance(events, bool) or events < 0:
            return None
        if not isinstance(opted_out, list | tuple) or not isinstance(marketing, list | tuple):
            return None
        out, proven = [_channel(v) for v in opted_out], [_channel(v) for v in marketing]
        if None in out or None in proven:
            return None
        ids = value.get("eventIds")
        return cls(
            opted_out=frozenset(c for c in out if c is not None),
            marketing=frozenset(c for c in proven if c is not None),
            events=events,
            event_ids=frozenset(i for i in ids if isinstance(i, str))
            if isinstance(ids, list | tuple)
            else frozenset(),
            at=as_datetime(value.get("at")),
        )
