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
    to_ascii,
    to_whatsapp_address,
)
from tests.support.fixtures import load_json

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


# --- Real-world inputs (issue 14) --------------------------------------------------------------

EXAMPLES: list[dict[str, str]] = load_json("phones/example_numbers.json")["numbers"]
FRENCH_PLAN_REGIONS = ("FR", "RE", "YT", "GP", "BL", "MF", "MQ", "GF", "PM")


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[f"{e['region']}-{e['type']}-{e['national']}" for e in EXAMPLES]
)
def test_metadata_example_numbers_typed_nationally_give_their_kind_and_e164(
    example: dict[str, str],
) -> None:
    number = normalize_phone(example["national"], example["region"])
    assert number.e164 == example["e164"]
    assert number.kind.value == example["kind"]
    code = phonenumbers.parse(example["e164"]).country_code or 0
    assert number.region in phonenumbers.region_codes_for_country_code(code)
    assert normalize_phone(example["e164"], "KE").e164 == example["e164"]


@pytest.mark.parametrize(
    "example",
    [e for e in EXAMPLES if "typedInFrance" in e],
    ids=[f"{e['region']}-{e['type']}" for e in EXAMPLES if "typedInFrance" in e],
)
def test_overseas_numbers_typed_in_a_french_shop_get_their_own_country_code(
    example: dict[str, str],
) -> None:
    """Mobiles and landlines of the overseas departments keep their +262/+590/+594/+596/+508;
    non-geographic numbers (0800, 0810, 09 VoIP), valid in metropolitan France with the same
    digits, stay metropolitan when typed in a French shop: nothing tells them apart."""
    number = normalize_phone(example["national"], "FR")
    assert number.e164 == example["typedInFrance"]
    if example["kind"] in {"mobile", "fixed_line", "fixed_line_or_mobile"}:
        assert number.e164 == example["e164"]


@pytest.mark.parametrize(
    ("raw", "e164", "region", "kind"),
    [
        ("0692 12 34 56", "+262692123456", "RE", PhoneKind.MOBILE),  # the issue's sample
        ("0693 11 22 33", "+262693112233", "RE", PhoneKind.MOBILE),
        ("0639 01 23 45", "+262639012345", "YT", PhoneKind.MOBILE),
        ("0690 00 12 34", "+590690001234", "GP", PhoneKind.MOBILE),
        ("0694 20 12 34", "+594694201234", "GF", PhoneKind.MOBILE),
        ("0696 20 12 34", "+596696201234", "MQ", PhoneKind.MOBILE),
        ("0262 16 12 34", "+262262161234", "RE", PhoneKind.FIXED_LINE),
        # landline ranges France's metadata also accepts: they used to become +33 numbers
        ("0269 60 12 34", "+262269601234", "YT", PhoneKind.FIXED_LINE),
        ("0596 30 12 34", "+596596301234", "MQ", PhoneKind.FIXED_LINE),
        ("0590 20 12 34", "+590590201234", "GP", PhoneKind.FIXED_LINE),
        ("0594 10 12 34", "+594594101234", "GF", PhoneKind.FIXED_LINE),
        ("+262 692 12 34 56", "+262692123456", "RE", PhoneKind.MOBILE),
        ("00262692123456", "+262692123456", "RE", PhoneKind.MOBILE),
    ],
)
def test_overseas_numbers_in_the_french_plan(
    raw: str, e164: str, region: str, kind: PhoneKind
) -> None:
    for country in FRENCH_PLAN_REGIONS:
        number = normalize_phone(raw, country)
        assert (number.e164, number.region, number.kind) == (e164, region, kind), country


def test_a_metropolitan_mobile_typed_in_an_overseas_shop_stays_metropolitan() -> None:
    for country in FRENCH_PLAN_REGIONS:
        assert normalize_phone("06 12 34 56 78", country).e164 == FR_MOBILE
    assert normalize_phone("01 23 45 67 89", "RE").e164 == "+33123456789"


@pytest.mark.parametrize(
    "raw",
    [
        "06\u201312\u201334\u201356\u201378",  # en dash
        "06\u201112\u201134\u201156\u201178",  # non-breaking hyphen
        "06\u201012\u201034\u201056\u201078",  # hyphen
        "06\u2014 12 34 56 78",  # em dash
        "06\u2212 12 34 56 78",  # minus sign
        "06\u202f12\u202f34\u202f56\u202f78",  # narrow no-break space
        "06\u00a012\u00a034\u00a056\u00a078",  # no-break space
        "06\u200912 34 56 78",  # thin space
        "06\t12\t34\t56\t78",  # tab
        "０６ １２ ３４ ５６ ７８",  # full-width digits
        "＋３３ ６ １２ ３４ ５６ ７８",  # full-width plus sign
        "+33\u00a0(0)6\u00a012\u00a034\u00a056\u00a078",
        "\u200e06 12 34 56 78\u200f",  # direction marks copied from a web page
        "\u202a+33 6 12 34 56 78\u202c",
        "06\u200b12\u200b34\u200b56\u200b78",  # zero-width spaces
        "٠٦١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "06．12．34．56．78",  # full-width full stops
    ],
)
def test_typographic_separators_and_digits_are_read_as_ascii(raw: str) -> None:
    assert to_ascii(raw).replace(" ", "").replace("-", "").replace(".", "") in {
        "0612345678",
        "+33612345678",
        "+33(0)612345678",
    }
    assert normalize_phone(raw, "FR").e164 == FR_MOBILE


def test_letters_stay_refused_after_ascii_folding() -> None:
    with pytest.raises(InvalidPhoneError, match="letters"):
        normalize_phone("０６ １２ ＡＢ ５６ ７８", "FR")


@pytest.mark.parametrize("raw", ["75.12.34", "82 12 34", "87 12 34 56"])
def test_a_short_entry_in_a_french_shop_is_refused_not_guessed_into_another_region(
    raw: str,
) -> None:
    """New Caledonia's, Wallis's or Polynesia's numbers typed without their code (libphonenumber's
    examples) are not read as Saint-Pierre-et-Miquelon's six digits: the shop is told."""
    with pytest.raises(InvalidPhoneError):
        normalize_phone(raw, "FR")
    assert normalize_phone("055 12 34", "FR").e164 == "+508551234"  # the plan's own way
