"""The wording catalog: one TOML file per language in ``catalog/``, parsed once, on first use.

A file has four tables::

    [parts]                        # parts used in several templates, named once
    hello = ["Bonjour $customerName,", "Bonjour,"]
    shop = { drop = "$shopName:" }

    [templates.ticket.completed]   # a notification: id "ticket.completed"
    subject = "Votre $deviceLabel est prêt !"
    email = ["@hello", "Bonne nouvelle : ...", ["Ticket : $ticketId"], "@sign"]
    sms = ["@shop", "@hello", ["votre $deviceLabel est réparé ...", "..."], "@ticket"]
    whatsapp = [...]
    push_title = "Réparation terminée"
    push_body = ["Votre $deviceLabel est prêt, vous pouvez venir le récupérer."]

    [replies.status]               # an answer to an inbound message: id "reply.status"
    text = [["Votre commande n° $orderId : $statusLabel.", "Nous ne trouvons pas ..."]]

    [labels.ticket_status]         # words that values are made of
    in_repair = "en cours de réparation"

A *part* (see ``model``) is a string, or a list of alternatives (the first whose ``$variables``
all have a value is used; none: the part is left out). ``"@name"`` stands for ``[parts].name``.
Only in ``sms``, ``{ drop = part }`` is a part left out (last first) when the text would take two
segments. ``subject`` and ``push_title`` are one part; the other fields are lists of parts.

A language's file is read on its first use (the first render in that language), never at
import, and the result kept for the life of the process: frozen dataclasses, tuples and
read-only mappings, shared by every request (and thread) without copying. The files sit next to
this module (``Path(__file__)``): ``gcloud functions deploy --source=.`` uploads them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from shared.model.enums import EventKey
from shared.model.plan import WALK_IN_TEMPLATE
from shared.platform.errors import PermanentError
from shared.rules.language import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from shared.rules.templates.model import Droppable, LanguageCatalog, Part, SmsPart, Texts

FALLBACK_LANGUAGE = DEFAULT_LANGUAGE
CATALOG_FOLDER = "catalog"
REPLY_PREFIX = "reply."
# Every event key of the contract, plus the welcome a walk-in customer gets with the receipt.
TEMPLATE_IDS: frozenset[str] = frozenset({key.value for key in EventKey} | {WALK_IN_TEMPLATE})

_SECTIONS = frozenset({"parts", "templates", "replies", "labels"})
_FIELDS = ("subject", "email", "sms", "whatsapp", "push_title", "push_body")
_REFERENCE = re.compile(r"@([a-z][a-z0-9_]*)")


class CatalogError(PermanentError):
    """A catalog file that is missing, is not TOML, or does not have the shape above."""


def catalog() -> Mapping[str, LanguageCatalog]:
    """Every supported language's catalog (each read from its file on first use)."""
    return _all()


def language_catalog(language: str) -> LanguageCatalog:
    """The catalog of ``language``, or the fallback language's when it has none."""
    return _load(language if language in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE)


@cache
def _all() -> Mapping[str, LanguageCatalog]:
    return MappingProxyType({language: _load(language) for language in SUPPORTED_LANGUAGES})


@cache
def _load(language: str) -> LanguageCatalog:
    """Read and parse ``catalog/<language>.toml``, once per process (then shared, read-only)."""
    # Imported here: importing the templates at cold start costs neither the parser nor a file.
    import tomllib  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    where = f"{CATALOG_FOLDER}/{language}.toml"
    try:
        text = (Path(__file__).parent / where).read_text("utf-8")
        document = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{where}: {exc}") from exc
    return parse_language(language, document, where)


def texts_for(template_id: str, language: str) -> Texts | None:
    """The wording of ``template_id`` in ``language``, else in English, else None."""
    found = language_catalog(language).templates.get(template_id)
    return found or language_catalog(FALLBACK_LANGUAGE).templates.get(template_id)


def reply_for(reply_id: str, language: str) -> tuple[Part, ...] | None:
    """The parts of the answer ``reply_id`` in ``language``, else in English, else None."""
    found = language_catalog(language).replies.get(reply_id)
    return found or language_catalog(FALLBACK_LANGUAGE).replies.get(reply_id)


def label(group: str, key: str, language: str) -> str | None:
    """A word of ``language`` (never another language's: a value without it is left out)."""
    return language_catalog(language).label(group, key)


def shared_part(name: str, language: str) -> SmsPart | None:
    """A ``[parts]`` entry of ``language`` (``opt_out``...), else English's, else None: the
    words campaigns add to texts the shop wrote itself."""
    found = language_catalog(language).parts.get(name)
    return found or language_catalog(FALLBACK_LANGUAGE).parts.get(name)


def parse_language(language: str, document: Mapping[str, Any], where: str) -> LanguageCatalog:
    """One parsed TOML document -> the structures the engine renders from."""
    unknown = set(document) - _SECTIONS
    if unknown:
        raise CatalogError(f"{where}: unknown tables {sorted(unknown)}")
    shared = {
        name: _sms_part(value, {}, f"{where} [parts].{name}")
        for name, value in _table(document, "parts", where).items()
    }
    templates = {}
    for kind, entries in _table(document, "templates", where).items():
        for name, entry in _table_of(entries, f"{where} [templates.{kind}]").items():
            template_id = f"{kind}.{name}"
            templates[template_id] = _texts(entry, shared, f"{where} [templates.{template_id}]")
    replies = {}
    for name, entry in _table(document, "replies", where).items():
        place = f"{where} [replies.{name}]"
        fields = _table_of(entry, place)
        if set(fields) != {"text"}:
            raise CatalogError(f"{place}: a reply has one field, text")
        replies[REPLY_PREFIX + name] = _parts(fields["text"], shared, place)
    labels = {}
    for group, words in _table(document, "labels", where).items():
        place = f"{where} [labels.{group}]"
        table = _table_of(words, place)
        if not all(isinstance(word, str) and word for word in table.values()):
            raise CatalogError(f"{place}: every label is a non-empty string")
        labels[group] = MappingProxyType(dict(table))
    return LanguageCatalog(
        language=language,
        templates=MappingProxyType(templates),
        replies=MappingProxyType(replies),
        labels=MappingProxyType(labels),
        parts=MappingProxyType(shared),
    )


def _table(document: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    return _table_of(document.get(name, {}), f"{where} [{name}]")


def _table_of(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: expected a table")
    return value


def _texts(entry: Any, shared: Mapping[str, SmsPart], where: str) -> Texts:
    fields = _table_of(entry, where)
    if set(fields) != set(_FIELDS):
        raise CatalogError(f"{where}: expected exactly the fields {', '.join(_FIELDS)}")
    return Texts(
        subject=_part(fields["subject"], shared, f"{where}.subject"),
        email=_parts(fields["email"], shared, f"{where}.email"),
        sms=tuple(
            _sms_part(value, shared, f"{where}.sms[{i}]")
            for i, value in enumerate(_list(fields["sms"], f"{where}.sms"))
        ),
        whatsapp=_parts(fields["whatsapp"], shared, f"{where}.whatsapp"),
        push_title=_part(fields["push_title"], shared, f"{where}.push_title"),
        push_body=_parts(fields["push_body"], shared, f"{where}.push_body"),
    )


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise CatalogError(f"{where}: expected a non-empty list of parts")
    return value


def _parts(value: Any, shared: Mapping[str, SmsPart], where: str) -> tuple[Part, ...]:
    return tuple(_part(item, shared, f"{where}[{i}]") for i, item in enumerate(_list(value, where)))


def _part(value: Any, shared: Mapping[str, SmsPart], where: str) -> Part:
    part = _sms_part(value, shared, where)
    if isinstance(part, Droppable):
        raise CatalogError(f"{where}: only SMS parts can be dropped")
    return part


def _sms_part(value: Any, shared: Mapping[str, SmsPart], where: str) -> SmsPart:
    if isinstance(value, str):
        reference = _REFERENCE.fullmatch(value)
        if reference is None:
            return value
        if reference.group(1) not in shared:
            raise CatalogError(f"{where}: no part {value!r} in [parts]")
        return shared[reference.group(1)]
    if isinstance(value, list) and value and all(isinstance(text, str) for text in value):
        return tuple(value)
    if isinstance(value, dict) and set(value) == {"drop"}:
        return Droppable(_part(value["drop"], shared, where))
    raise CatalogError(f"{where}: a part is a string, a list of strings or {{ drop = part }}")
