"""Phone normalization: what people type -> E.164, line kind, typed errors that say why."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.platform import masking
from shared.platform.errors import InvalidInputError, PermanentError
from shared.rules.phones import (
    EmptyPhoneError,
    InvalidPhoneError,
    PhoneError,
    PhoneKind,
    UnsupportedPhoneError,
    from_whatsapp_address,
    mask_phone,
    normalize_phone,
    phone_variants,
    to_whatsapp_address,
)

FR_MOBILE = "+33612345678"
KE_MOBILE = "+254712345678"


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("06 12 34 56 78", "FR", FR_MOBILE),
        ("0612345678", "FR", FR_MOBILE),
        ("+33 6 12 34 56 78", "FR", FR_MOBILE),
        ("0033612345678", "FR", FR_MOBILE),
        ("33612345678", "FR", FR_MOBILE),
        ("(0)6-12-34-56-78", "FR", FR_MOBILE),
        ("06.12.34.56.78", "FR", FR_MOBILE),
        ("+33 (0)6 12 34 56 78", "FR", FR_MOBILE),
        ("  06 12 34 56 78  ", "FR", FR_MOBILE),
        ("whatsapp:+33612345678", "FR", FR_MOBILE),
        ("WhatsApp:+33612345678", None, FR_MOBILE),
        ("0712 345 678", "KE", KE_MOBILE),
        ("712345678", "KE", KE_MOBILE),
        ("254712345678", "KE", KE_MOBILE),
        ("+254 712 345 678", "KE", KE_MOBILE),
        ("0110 123 456", "KE", "+254110123456"),
        ("00254712345678", "FR", KE_MOBILE),
        # a French customer's number typed in a Kenyan profile, and the other way round
        ("0033612345678", "KE", FR_MOBILE),
        ("33 6 12 34 56 78", "KE", FR_MOBILE),
        ("254712345678", "FR", KE_MOBILE),
    ],
)
def test_common_ways_of_typing_a_mobile_normalize_to_e164(
    raw: str, country: str | None, expected: str
) -> None:
    number = normalize_phone(raw, country)
    assert number.e164 == expected
    assert number.is_mobile


def test_without_a_country_the_default_country_applies() -> None:
    assert normalize_phone("0712 345 678", None, default_country="KE").e164 == KE_MOBILE
    assert normalize_phone("06 12 34 56 78", None).e164 == FR_MOBILE  # default FR


def test_a_garbage_country_falls_back_to_the_default_country() -> None:
    assert normalize_phone("06 12 34 56 78", "France", default_country="FR").e164 == FR_MOBILE
    assert normalize_phone("0712345678", "zz", default_country="KE").e164 == KE_MOBILE


def test_lowercase_country_codes_are_accepted() -> None:
    assert normalize_phone("0712345678", "ke").e164 == KE_MOBILE


@pytest.mark.parametrize(
    ("raw", "country", "kind", "region"),
    [
        ("01 42 68 53 00", "FR", PhoneKind.FIXED_LINE, "FR"),
        ("020 1234567", "KE", PhoneKind.FIXED_LINE, "KE"),
        ("09 70 12 34 56", "FR", PhoneKind.VOIP, "FR"),
        ("0800 123 456", "FR", PhoneKind.TOLL_FREE, "FR"),
    ],
)
def test_landlines_and_other_non_mobiles_parse_but_are_not_mobile(
    raw: str, country: str, kind: PhoneKind, region: str
) -> None:
    number = normalize_phone(raw, country)
    assert number.kind is kind
    assert number.region == region
    assert not number.is_mobile


@pytest.mark.parametrize(
    ("raw", "region", "mobile"),
    [
        ("+44 7400 123456", "GB", True),
        ("+32 470 12 34 56", "BE", True),
        ("+1 650 253 0000", "US", True),  # FIXED_LINE_OR_MOBILE counts as mobile-capable
    ],
)
def test_foreign_numbers_are_accepted_when_valid(raw: str, region: str, mobile: bool) -> None:
    number = normalize_phone(raw, "FR")
    assert number.region == region
    assert number.is_mobile is mobile


def test_us_numbers_are_fixed_line_or_mobile_and_count_as_mobile() -> None:
    assert normalize_phone("+1 650 253 0000", None).kind is PhoneKind.FIXED_LINE_OR_MOBILE


def test_a_region_outside_allowed_regions_is_unsupported() -> None:
    with pytest.raises(UnsupportedPhoneError, match="GB"):
        normalize_phone("+44 7400 123456", "FR", allowed_regions={"FR", "KE"})
    assert normalize_phone("0612345678", "FR", allowed_regions={"fr"}).e164 == FR_MOBILE


@pytest.mark.parametrize(
    ("raw", "error", "why"),
    [
        ("", EmptyPhoneError, "empty"),
        ("   ", EmptyPhoneError, "empty"),
        ("whatsapp:", EmptyPhoneError, "empty"),
        ("abc", InvalidPhoneError, "letters"),
        ("06 12 34 AB 78", InvalidPhoneError, "letters"),
        ("+33 6 12 34 56 78 ext 5", InvalidPhoneError, "letters"),
        ("06#12", InvalidPhoneError, "characters"),
        ("12", InvalidPhoneError, "too short"),
        ("06 12", InvalidPhoneError, "too short"),
        ("0612345678901234", InvalidPhoneError, "too long"),
        ("+999 123456789", InvalidPhoneError, "country code"),
        ("07 00 00 00 00", InvalidPhoneError, "not a valid number for region FR"),
    ],
)
def test_bad_inputs_raise_a_typed_error_saying_why(
    raw: str, error: type[PhoneError], why: str
) -> None:
    with pytest.raises(error, match=why):
        normalize_phone(raw, "FR")


def test_phone_errors_are_invalid_input_errors() -> None:
    assert issubclass(PhoneError, InvalidInputError)
    assert issubclass(PhoneError, PermanentError)


def test_whatsapp_addresses_both_ways() -> None:
    assert to_whatsapp_address(FR_MOBILE) == "whatsapp:+33612345678"
    assert to_whatsapp_address("whatsapp:+33612345678") == "whatsapp:+33612345678"
    assert from_whatsapp_address("whatsapp:+33612345678") == FR_MOBILE
    assert from_whatsapp_address(" +33612345678 ") == FR_MOBILE
    assert normalize_phone("0612345678", "FR").whatsapp_address == "whatsapp:+33612345678"


def test_mask_phone_is_the_shared_masking_helper() -> None:
    assert mask_phone is masking.mask_phone
    assert mask_phone(FR_MOBILE) == "+33 6** ** ** 78"


@pytest.mark.parametrize(
    "e164", [FR_MOBILE, KE_MOBILE, "+254110123456", "+447400123456", "+16502530000"]
)
def test_variants_include_the_common_spellings_and_all_normalize_back(e164: str) -> None:
    region = normalize_phone(e164, None).region
    variants = phone_variants(e164)
    assert variants[0] == e164
    assert len(variants) == len(set(variants)) <= 30
    for variant in variants:
        assert normalize_phone(variant, region).e164 == e164, variant


def test_french_variants_cover_what_customers_type() -> None:
    variants = phone_variants(FR_MOBILE)
    for typed in (
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "0033612345678",
        "33612345678",
        "+33 (0)6 12 34 56 78",
    ):
        assert typed in variants


def test_kenyan_variants_cover_what_customers_type() -> None:
    variants = phone_variants(KE_MOBILE)
    for typed in ("0712345678", "0712 345 678", "712345678", "254712345678", "+254 712 345 678"):
        assert typed in variants, typed


def test_variants_of_something_that_is_not_a_number_is_just_itself() -> None:
    assert phone_variants("MyShop") == ["MyShop"]
    assert phone_variants("") == []
    assert phone_variants("whatsapp:+33612345678")[0] == FR_MOBILE


_REGIONS = st.sampled_from(["FR", "KE", "GB", "BE", "US", "DE", "UG", "TZ"])
_TYPES = st.sampled_from(
    [
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.VOIP,
    ]
)


@settings(max_examples=300, deadline=None)
@given(raw=st.text(alphabet="0123456789 +-.()", min_size=0, max_size=20), country=_REGIONS)
def test_normalizing_is_idempotent(raw: str, country: str) -> None:
    try:
        first = normalize_phone(raw, country)
    except PhoneError:
        return
    again = normalize_phone(first.e164, country)
    assert again == first
    assert normalize_phone(first.e164, None) == first  # E.164 needs no country
    assert normalize_phone(first.whatsapp_address, "KE") == first


@settings(max_examples=200, deadline=None)
@given(region=_REGIONS, kind=_TYPES, typed_country=_REGIONS)
def test_valid_example_numbers_normalize_to_themselves_from_any_country(
    region: str, kind: int, typed_country: str
) -> None:
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        return
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert normalize_phone(e164, typed_country).e164 == e164
    assert normalize_phone(national, region).e164 == e164
