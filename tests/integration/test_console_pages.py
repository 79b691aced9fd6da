"""The console's pages over HTTP on the local stack, signed in as staff: what each one shows
of a seeded shop, in French (the shop's country) or English (``consoleLanguage``)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests

from devstack.stack import Stack
from tests.integration.console_kit import PHONE, seed_shop
from tests.support import console_auth

pytestmark = pytest.mark.integration


@pytest.fixture
def signed_in(clean_stack: Stack) -> requests.Session:
    assert clean_stack.auth_host
    staff = console_auth.new_user(clean_stack.auth_host, clean_stack.config.project, staff=True)
    return console_auth.session(clean_stack.urls["console"], clean_stack.auth_host, staff)


@pytest.fixture
def shop(firestore_client: Any, unique_id: str) -> dict[str, str]:
    return seed_shop(firestore_client, unique_id)


def test_a_phone_typed_the_french_way_finds_the_messages_and_their_timeline(
    functions: dict[str, str], signed_in: requests.Session, shop: dict[str, str]
) -> None:
    console = functions["console"]

    found = signed_in.get(f"{console}/messages", params={"q": "06 12 34 56 78"}, timeout=10)

    assert found.status_code == 200
    assert PHONE in found.text
    assert f"/console/messages/{shop['delivered']}" in found.text
    assert f"/console/messages/{shop['failed']}" in found.text
    one = signed_in.get(f"{console}/messages/{shop['delivered']}", timeout=10)
    assert one.status_code == 200
    for step in ('data-step="planned"', 'data-step="sent"', 'data-step="delivered"'):
        assert step in one.text
    assert "iPhone 12" in one.text  # what the customer saw, rendered from the catalog
    assert "GSM-7" in one.text
    failed = signed_in.get(f"{console}/messages/{shop['failed']}", timeout=10)
    assert 'data-step="failed"' in failed.text
    assert 'data-step="fallback"' in failed.text
    assert "modèle WhatsApp manquant hors de la fenêtre de 24 heures" in failed.text


@pytest.mark.parametrize("query", ["ticket", "name", "international"])
def test_messages_are_found_by_ticket_name_or_a_number_written_otherwise(
    functions: dict[str, str], signed_in: requests.Session, shop: dict[str, str], query: str
) -> None:
    text = {
        "ticket": shop["ticket"],
        "name": "marie",
        "international": "+33 (0)6.12.34.56.78",
    }[query]
    found = signed_in.get(f"{functions['console']}/messages", params={"q": text}, timeout=10)
    assert f"/console/messages/{shop['delivered']}" in found.text


def test_the_overview_counts_by_channel_and_lists_failures_in_plain_words(
    functions: dict[str, str], signed_in: requests.Session, shop: dict[str, str]
) -> None:
    page = signed_in.get(f"{functions['console']}/", params={"period": "week"}, timeout=10)

    assert page.status_code == 200
    assert '<b id="kpi-total">2</b>' in page.text
    assert "<svg" in page.text
    assert "modèle WhatsApp manquant" in page.text
    assert "100%" in page.text  # SMS delivery rate


def test_the_customer_page_shows_the_conversation_and_the_open_whatsapp_window(
    functions: dict[str, str], signed_in: requests.Session, shop: dict[str, str]
) -> None:
    page = signed_in.get(f"{functions['console']}/customers/{shop['customer']}", timeout=10)

    assert page.status_code == 200
    assert "Marie Dupont" in page.text
    assert "ouverte" in page.text
    assert "21 h" in page.text or "22 h" in page.text  # about 22 hours left
    assert page.text.index("mon téléphone est prêt") < page.text.index("Votre iPhone 12 est prêt")
    assert "registration_form" in page.text


def test_inbox_marks_unknown_senders_and_the_ledger_filters_and_downloads(
    functions: dict[str, str], signed_in: requests.Session, shop: dict[str, str]
) -> None:
    console = functions["console"]
    inbox = signed_in.get(f"{console}/inbox", timeout=10)
    assert "Vous êtes ouverts dimanche" in inbox.text
    assert "inconnu" in inbox.text

    ledger = signed_in.get(f"{console}/consent", params={"action": "opt_out"}, timeout=10)
    assert "STOP" in ledger.text
    assert "registration_form" not in ledger.text
    download = signed_in.get(f"{console}/consent.csv", params={"action": "opt_out"}, timeout=10)
    assert download.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["action"], r["keyword"]) for r in rows] == [("opt_out", "STOP")]


def test_carts_page_and_english_by_setting(
    functions: dict[str, str], signed_in: requests.Session, firestore_client: Any
) -> None:
    console = functions["console"]
    assert "Entonnoir des paniers" in signed_in.get(f"{console}/carts", timeout=10).text
    firestore_client.collection("settings").document("notifications").set({"consoleLanguage": "en"})
    page = signed_in.get(f"{console}/carts", timeout=10)
    assert "Cart funnel" in page.text
    assert "Recovery rate" in page.text
