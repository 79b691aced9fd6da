"""Choosing the email address and the mobile that reach a customer."""

from __future__ import annotations

import pytest

from shared.rules.contacts import choose_email, choose_mobile, email_problem, is_valid_email


@pytest.mark.parametrize(
    "address",
    [
        "marie@example.fr",
        "marie.dupont+atelier@mail.example.co.ke",
        "o'brien@example.com",
        "x@xn--bcher-kva.example",
        "a@b.co",
    ],
)
def test_valid_addresses(address: str) -> None:
    assert is_valid_email(address)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("", "empty"),
        ("marie", "no '@'"),
        ("marie@", "no '@'"),
        ("@example.fr", "no '@'"),
        ("marie dupont@example.fr", "spaces"),
        ("marie..dupont@example.fr", "before '@'"),
        (".marie@example.fr", "before '@'"),
        ("marie@example", "invalid domain"),
        ("marie@-example.fr", "invalid domain"),
        ("marie@example..fr", "invalid domain"),
        ("marie@example.f", "top-level domain"),
        ("marie@example.123", "top-level domain"),
        ("a" * 65 + "@example.fr", "before '@'"),
        ("a@" + "b" * 250 + ".fr", "longer than 254"),
    ],
)
def test_malformed_addresses_say_why(address: str, why: str) -> None:
    problem = email_problem(address)
    assert problem is not None
    assert why in problem
    assert not is_valid_email(address)


def test_is_valid_email_is_false_for_non_strings() -> None:
    assert not is_valid_email(None)


def test_choose_email_takes_the_first_valid_one_and_strips_it() -> None:
    assert choose_email([None, "  ", " a@b.co "]).address == "a@b.co"
    broken = choose_email(["broken@", "a@b.co"])
    assert broken.address == "a@b.co"
    none = choose_email(["broken@", None])
    assert (none.address, none.problem) == (None, "invalid_email")
    assert choose_email([]).problem == "no_email"


def test_choose_mobile_skips_landlines_and_reports_the_first_problem() -> None:
    chosen = choose_mobile(["01 42 68 53 00", "0612345678"], "FR", "FR")
    assert chosen.number is not None
    assert chosen.number.e164 == "+33612345678"
    assert chosen.raw == "0612345678"
    landline = choose_mobile(["01 42 68 53 00", "06 12"], "FR", "FR")
    assert (landline.number, landline.problem) == (None, "landline")
    assert "+33 1" in landline.detail  # masked, never the full number
    assert choose_mobile([None, ""], "FR", "FR").problem == "no_phone"
    assert choose_mobile([12345], "FR", "FR").problem == "no_phone"
