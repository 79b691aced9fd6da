"""How a message template is written: trusted text with ``$variables``, in parts.

A *part* is a sentence or paragraph. It is either one text or a tuple of alternatives: the first
alternative whose variables all have a value is used, and a part none of whose alternatives can
be filled is left out. So a missing value never shows as "None" or as an empty hole:

    ("Bonjour $customerName,", "Bonjour,")     # greeting with or without a name
    "Suivi : $trackingUrl"                     # left out when there is no tracking link

SMS parts wrapped in ``Droppable`` are removed, last first, when the text would not fit in one
GSM-7 segment; if it still does not fit, parts step down to their later (shorter) alternatives.

The wording itself is data: ``catalog/<language>.toml``, read by ``loader`` into these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template

Part = str | tuple[str, ...]


@dataclass(frozen=True)
class Droppable:
    """An SMS part that is left out when the message would otherwise take two segments."""

    part: Part


SmsPart = Part | Droppable


@dataclass(frozen=True)
class Texts:
    """Every channel's wording of one template in one language."""

    subject: Part
    email: tuple[Part, ...]
    sms: tuple[SmsPart, ...]
    whatsapp: tuple[Part, ...]
    push_title: Part
    push_body: tuple[Part, ...]


@dataclass(frozen=True)
class LanguageCatalog:
    """Everything written in one language: notifications, replies and the words of values.

    ``templates`` by template id (``ticket.completed``), ``replies`` by reply type
    (``reply.status``: its parts, each a sentence), ``labels`` by group then key
    (``labels["ticket_status"]["in_repair"]``). Read-only mappings all the way down.
    """

    language: str
    templates: Mapping[str, Texts]
    replies: Mapping[str, tuple[Part, ...]]
    labels: Mapping[str, Mapping[str, str]]
    parts: Mapping[str, SmsPart] = field(default_factory=dict)  # [parts], for inline texts

    def label(self, group: str, key: str) -> str | None:
        """The word ``key`` of ``group`` (``channel``/``sms``), or None when there is none."""
        words = self.labels.get(group)
        return words.get(key) if words is not None else None


def alternatives(part: Part) -> tuple[str, ...]:
    return (part,) if isinstance(part, str) else part


def identifiers(text: str) -> list[str]:
    return Template(text).get_identifiers()


def fillable(part: Part, values: dict[str, str]) -> list[str]:
    """Every alternative of ``part`` whose variables all have a non-empty value, in order."""
    return [text for text in alternatives(part) if all(values.get(n) for n in identifiers(text))]


def choose(part: Part, values: dict[str, str]) -> str | None:
    """The first alternative of ``part`` whose variables all have a non-empty value."""
    for text in alternatives(part):
        if all(values.get(name) for name in identifiers(text)):
            return text
    return None


def fill(text: str, values: dict[str, str]) -> str:
    """Substitute once (``safe_substitute``): a value containing ``$x`` stays literal."""
    return Template(text).safe_substitute(values)
