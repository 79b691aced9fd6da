"""The wording catalog: one TOML file per language, complete in each, every variable known, read
once on first use, and shipped with the functions."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import pytest

from shared.model.enums import OrderStatus, TicketStatus
from shared.rules.language import SUPPORTED_LANGUAGES
from shared.rules.replies import ReplyType
from shared.rules.templates import TEMPLATE_IDS, CatalogError, catalog
from shared.rules.templates.loader import parse_language
from shared.rules.templates.model import Droppable, Part, SmsPart, Texts, alternatives
from shared.rules.templates.values import (
    REPLY_VARIABLES,
    VARIABLES,
    build_values,
    reply_values,
)

ROOT = Path(__file__).resolve().parents[2]
FOLDER = files("shared.rules.templates").joinpath("catalog")  # as a package's data
STATUS_LABELS = {
    "ticket_status": TicketStatus,
    "order_status": OrderStatus,
    "reply_ticket_status": TicketStatus,
    "reply_order_status": OrderStatus,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _texts(part: SmsPart) -> tuple[str, ...]:
    return alternatives(part.part if isinstance(part, Droppable) else part)


def _template_texts(wording: Texts) -> Iterator[str]:
    parts: list[SmsPart] = [wording.subject, wording.push_title]
    parts += [*wording.email, *wording.sms, *wording.whatsapp, *wording.push_body]
    for part in parts:
        yield from _texts(part)


def _reply_texts(parts: tuple[Part, ...]) -> Iterator[str]:
    for part in parts:
        yield from alternatives(part)


def test_there_is_one_toml_file_per_supported_language_and_each_parses() -> None:
    names = sorted(entry.name for entry in FOLDER.iterdir() if entry.name.endswith(".toml"))
    assert names == sorted(f"{language}.toml" for language in SUPPORTED_LANGUAGES)
    for name in names:
        document = tomllib.loads(FOLDER.joinpath(name).read_text("utf-8"))
        assert set(document) == {"parts", "templates", "replies", "labels"}, name
    assert sorted(catalog()) == sorted(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_language_has_every_template_and_every_reply(language: str) -> None:
    wording = catalog()[language]
    assert wording.language == language
    assert set(wording.templates) == TEMPLATE_IDS
    assert set(wording.replies) == {reply.value for reply in ReplyType}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_language_has_the_same_labels(language: str) -> None:
    def shape(lang: str) -> dict[str, set[str]]:
        return {group: set(words) for group, words in catalog()[lang].labels.items()}

    assert shape(language) == shape("en")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_status_labels_name_every_ticket_and_order_status(language: str) -> None:
    labels = catalog()[language].labels
    for group, statuses in STATUS_LABELS.items():
        expected = {status.value for status in statuses if status.value != "unknown"}
        assert set(labels[group]) == expected, (language, group)
    assert set(labels["channel"]) == {"sms", "whatsapp"}  # the channels with STOP / START
    assert set(labels["day"]) == {"today", "tomorrow", *WEEKDAYS}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_variable_of_a_template_is_one_the_values_builder_provides(language: str) -> None:
    for template_id, wording in catalog()[language].templates.items():
        for text in _template_texts(wording):
            assert Template(text).is_valid(), (language, template_id, text)
            unknown = set(Template(text).get_identifiers()) - VARIABLES
            assert not unknown, (language, template_id, text)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_variable_of_a_reply_is_one_the_reply_values_provide(language: str) -> None:
    for reply_id, parts in catalog()[language].replies.items():
        for text in _reply_texts(parts):
            assert Template(text).is_valid(), (language, reply_id, text)
            unknown = set(Template(text).get_identifiers()) - REPLY_VARIABLES
            assert not unknown, (language, reply_id, text)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_labels_mention_no_variable_but_the_count_of_words(language: str) -> None:
    for group, words in catalog()[language].labels.items():
        allowed = {"count"} if group == "word" else set()
        for key, word in words.items():
            assert set(Template(word).get_identifiers()) <= allowed, (language, group, key)


FULL_DATA: dict[str, Any] = {
    "customerName": "Marie",
    "shopName": "Atelier",
    "ticketId": "T1",
    "orderId": "A1",
    "cartId": "C1",
    "device": "iPhone",
    "discountCode": "CODE",
    "trackingUrl": "https://t.example/1",
    "registrationUrl": "https://r.example/1",
    "cartUrl": "https://c.example/1",
    "status": "shipped",
    "total": 10,
    "cartTotal": 10,
    "currency": "EUR",
    "paymentDueAt": datetime(2026, 1, 1, tzinfo=UTC),
    "discountExpiresAt": datetime(2026, 1, 1, tzinfo=UTC),
    "discountPercent": 10,
    "cartItems": [{"name": "Case", "quantity": 1, "price": 10}],
    # A marketing SMS's opt-out mention: the planner gives one of them (shared.rules.sms_footer).
    "optOutOperator": "STOP*456*9*5#",
    "optOutShortCode": "36180",
    "optOutKeyword": "STOP",
    "preferencesUrl": "https://p.example/1",
    "unsubscribeUrl": "https://p.example/1/unsubscribe",
    "replyText": "Your phone is ready, come by after 2 pm",
}


def test_the_known_variables_are_exactly_what_the_builders_give() -> None:
    assert set(build_values("order.shipped", "fr", FULL_DATA)) == VARIABLES
    opening = {"opening": datetime(2026, 1, 2, tzinfo=UTC), "now": FULL_DATA["paymentDueAt"]}
    answered: set[str] = set()
    for other in ("orderId", "ticketId"):  # an answer is about a ticket or an order
        data = {**FULL_DATA, **opening, "timezone": "Europe/Paris", "channel": "sms"}
        data.pop(other)
        answered |= set(reply_values("fr", data))
    assert answered == REPLY_VARIABLES
    assert reply_values("fr", {}) == {}


def test_the_catalog_is_read_once_and_cannot_be_changed() -> None:
    assert catalog() is catalog()
    languages: Any = catalog()
    with pytest.raises(TypeError):
        languages["xx"] = languages["fr"]
    with pytest.raises(TypeError):
        languages["fr"].templates["ticket.completed"] = None
    with pytest.raises(TypeError):
        languages["fr"].labels["day"]["today"] = "hier"
    with pytest.raises(dataclasses.FrozenInstanceError):
        languages["fr"].language = "xx"


def test_importing_the_templates_reads_no_file_and_a_render_reads_its_language_once() -> None:
    probe = (
        "import shared.rules.replies, shared.rules.templates\n"
        "from shared.rules.templates.loader import _load\n"
        "assert _load.cache_info().currsize == 0, 'read at import'\n"
        "shared.rules.replies.status_text('fr', None, None, {})\n"
        "shared.rules.replies.status_text('fr', None, None, {})\n"
        "info = _load.cache_info()\n"
        "assert (info.misses, info.currsize) == (1, 1), info  # French only, read once\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, check=True, timeout=60)


def test_the_catalog_files_are_uploaded_with_the_functions() -> None:
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        pytest.skip("no gcloud to read .gcloudignore the way a deploy does")
    listed = subprocess.run(
        [gcloud, "meta", "list-files-for-upload", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
    ).stdout.split()
    expected = {f"shared/rules/templates/catalog/{lang}.toml" for lang in SUPPORTED_LANGUAGES}
    assert expected <= set(listed)


TEMPLATE = {
    "subject": "S",
    "email": ["E"],
    "sms": ["T"],
    "whatsapp": ["W"],
    "push_title": "P",
    "push_body": ["B"],
}


def test_the_loader_builds_parts_references_and_droppable_sms_parts() -> None:
    document = {
        "parts": {"hello": ["Hi $customerName,", "Hi,"], "shop": {"drop": "$shopName:"}},
        "templates": {"x": {"y": {**TEMPLATE, "sms": ["@shop", "@hello", {"drop": ["a", "b"]}]}}},
        "replies": {"status": {"text": [["Order $orderId.", "None."], "Bye."]}},
        "labels": {"day": {"today": "today"}},
    }
    parsed = parse_language("xx", document, "xx.toml")
    texts = parsed.templates["x.y"]
    assert texts.sms == (
        Droppable("$shopName:"),
        ("Hi $customerName,", "Hi,"),
        Droppable(("a", "b")),
    )
    assert (texts.subject, texts.email) == ("S", ("E",))
    assert parsed.replies == {"reply.status": (("Order $orderId.", "None."), "Bye.")}
    assert parsed.label("day", "today") == "today"
    assert parsed.label("day", "yesterday") is None
    assert parsed.label("month", "may") is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"strings": {}}, "unknown tables"),
        ({"templates": {"x": {"y": {"subject": "S"}}}}, "exactly the fields"),
        ({"templates": {"x": {"y": {**TEMPLATE, "email": ["@nope"]}}}}, "no part '@nope'"),
        ({"templates": {"x": {"y": {**TEMPLATE, "email": [{"drop": "E"}]}}}}, "only SMS parts"),
        ({"parts": {"s": {"drop": "x"}}, "templates": {"x": {"y": {**TEMPLATE, "subject": "@s"}}}},
         "only SMS parts"),
        ({"templates": {"x": {"y": {**TEMPLATE, "sms": []}}}}, "non-empty list"),
        ({"templates": {"x": {"y": {**TEMPLATE, "sms": [1]}}}}, "a part is"),
        ({"templates": {"x": {"y": {**TEMPLATE, "push_body": [[]]}}}}, "a part is"),
        ({"templates": {"x": "y"}}, "expected a table"),
        ({"replies": {"status": {"text": ["a"], "sms": ["b"]}}}, "one field, text"),
        ({"labels": {"day": {"today": ""}}}, "non-empty string"),
        ({"labels": {"day": {"today": 1}}}, "non-empty string"),
    ],
)  # fmt: skip
def test_a_malformed_catalog_is_refused_saying_where(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(CatalogError, match=message) as raised:
        parse_language("xx", document, "xx.toml")
    assert str(raised.value).startswith("xx.toml")
