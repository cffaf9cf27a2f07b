"""The address and text rules of ``outdials/validators.py`` (SPEC §1)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from outdials import validators


def message_of(check, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        check(*args, **kwargs)
    return caught.value.messages[0]


def strict_outdials(strict: bool):
    from django.conf import settings

    return override_settings(
        OUTDIALS={**settings.OUTDIALS, "STRICT_PHONE_NUMBERS": strict}
    )


@pytest.mark.parametrize(
    "number",
    [
        "+15559876543",  # the seed's own: possible, not assigned
        "+12025550143",
        "+442079460958",
        "+390612345678",  # Italian numbers keep their leading zero
        "+8613912345678",
    ],
)
def test_it_accepts_possible_e164_numbers(number):
    assert validators.validate_tel(number) == number


def test_it_rejects_numbers_without_plus():
    assert message_of(validators.validate_tel, "15559876543") == (
        "must be an E.164 number starting with '+', e.g. +15559876543."
    )


@pytest.mark.parametrize(
    "number",
    ["+1 555 987 6543", "+1555abc6543", "+1-555-987-6543", "+", "+1", "++15559876543"],
)
def test_it_rejects_spaces_letters_and_signs(number):
    assert message_of(validators.validate_tel, number) == (
        "must be '+' followed by 2 to 15 digits, without spaces or other signs."
    )


def test_it_rejects_more_than_fifteen_digits():
    assert message_of(validators.validate_tel, "+1234567890123456").startswith(
        "must be '+' followed by 2 to 15 digits"
    )


def test_it_rejects_non_ascii_digits():
    # Arabic-Indic digits are digits to Python's str.isdigit, not to E.164.
    assert message_of(validators.validate_tel, "+١٥٥٥٩٨٧٦٥٤٣").startswith(
        "must be '+' followed by 2 to 15 digits"
    )


def test_it_rejects_numbers_too_short_for_their_country_code():
    assert message_of(validators.validate_tel, "+1555987654") == (
        "+1555987654 is too short for its country code."
    )


def test_it_rejects_local_only_numbers():
    """Seven digits after +1 is a number without its area code: not E.164."""
    assert message_of(validators.validate_tel, "+15559876") == (
        "+15559876 is too short for its country code."
    )


def test_it_rejects_numbers_too_long_for_their_country_code():
    assert message_of(validators.validate_tel, "+155598765432") == (
        "+155598765432 is too long for its country code."
    )
    assert message_of(validators.validate_tel, "+4420794609581234") != ""


def test_it_rejects_unknown_country_codes():
    assert message_of(validators.validate_tel, "+999123456789") == (
        "+999123456789 has an unknown country code."
    )


def test_strict_mode_rejects_unassigned_numbers():
    assert validators.validate_tel("+15559876543", strict=False) == "+15559876543"
    assert message_of(validators.validate_tel, "+15559876543", strict=True) == (
        "+15559876543 is not an assigned phone number (strict mode)."
    )
    assert validators.validate_tel("+12025550143", strict=True) == "+12025550143"


def test_strict_mode_follows_the_setting_when_not_given():
    with strict_outdials(True):
        with pytest.raises(ValidationError):
            validators.validate_tel("+15559876543")
    with strict_outdials(False):
        assert validators.validate_tel("+15559876543") == "+15559876543"


@pytest.mark.parametrize(
    "text,region,expected",
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("020 7946 0958", "gb", "+442079460958"),
        ("  +15559876543  ", None, "+15559876543"),
    ],
)
def test_classify_phone_writes_numbers_as_e164(text, region, expected):
    assert validators.classify_phone(text, region)[0] == expected


def test_classify_phone_needs_a_country():
    assert message_of(validators.classify_phone, "202 555 0143") == (
        "202 555 0143 has no country code: write it as +<country><number>, "
        "or give a default country."
    )
    assert message_of(validators.classify_phone, "   ") == "is empty."
    assert message_of(validators.classify_phone, "hello", "US") == (
        "hello is not a phone number."
    )


@pytest.mark.parametrize(
    "uri",
    [
        "sip:alice@pbx.example.com",
        "sips:alice@pbx.example.com",
        "sip:alice@pbx.example.com:5060",
        "sip:+15559876543@carrier.example.net;user=phone",
        "sip:bob@192.0.2.4",
        "sip:bob@[2001:db8::1]:5061",
        "SIP:Alice@PBX.example.com",
    ],
)
def test_it_accepts_sip_uris(uri):
    assert validators.validate_sip(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "sip:alice",
        "sip:@pbx.example.com",
        "sip:alice@",
        "sip:al ice@pbx.example.com",
        "sip:alice@pbx.example.com\n",
        "http://pbx.example.com",
        "sip:alice@-pbx.example.com",
    ],
)
def test_it_rejects_malformed_sip_uris(uri):
    assert message_of(validators.validate_sip, uri) == (
        "must be a SIP address like alice@pbx.example.com or sip:alice@pbx.example.com."
    )


@pytest.mark.parametrize(
    "written,stored",
    [
        ("alice@pbx.example.com", "sip:alice@pbx.example.com"),
        ("sip:alice@pbx.example.com", "sip:alice@pbx.example.com"),
        ("sips:alice@pbx.example.com:5061", "sips:alice@pbx.example.com:5061"),
        ("testuser@example.com", "sip:testuser@example.com"),
    ],
)
def test_a_sip_address_is_taken_with_or_without_its_scheme(written, stored):
    """VoIPbin's docs write ``user@domain``; stored in one form, with it."""
    assert validators.validate_sip(written) == stored
    assert validators.validate_address("sip", written) == stored


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_it_rejects_sip_ports_out_of_range(port):
    assert message_of(validators.validate_sip, f"sip:alice@pbx.example.com:{port}") == (
        "has a port out of range (1–65535)."
    )


def test_it_checks_email_addresses():
    assert validators.validate_email("ops@example.com") == "ops@example.com"
    for bad in ["ops", "ops@", "@example.com", "ops@example", "o ps@example.com"]:
        assert message_of(validators.validate_email, bad) == (
            "must be an email address like ops@example.com."
        )


def test_it_names_the_accepted_destination_types():
    assert message_of(validators.validate_address_type, "fax") == (
        "'fax' is not a destination type; use one of: "
        "tel, sip, email, whatsapp, agent, ai, ai_team, conference, extension, "
        "line, webchat, web_session."
    )
    assert validators.validate_address_type("sip") == "sip"


def test_validate_address_dispatches_on_type():
    assert validators.validate_address("tel", "+15559876543") == "+15559876543"
    assert validators.validate_address("email", "ops@example.com") == "ops@example.com"
    assert message_of(validators.validate_address, "tel", "") == "must not be empty."
    assert message_of(validators.validate_address, "sip", "x" * 2001) == (
        "must be at most 2000 characters."
    )
    assert message_of(
        validators.validate_address, "tel", "+15559876543", strict=True
    ).endswith("(strict mode).")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("sip:a@b.example", "sip"),
        (" SIPS:a@b.example", "sip"),
        ("ops@example.com", "email"),
        ("+15559876543", "tel"),
        ("(202) 555-0143", "tel"),
    ],
)
def test_it_infers_address_types(text, expected):
    assert validators.infer_address_type(text) == expected


def test_text_limits_come_from_settings():
    assert validators.validate_name("n" * 255) == "n" * 255
    assert message_of(validators.validate_name, "n" * 256) == (
        "must be at most 255 characters."
    )
    assert validators.validate_detail("d" * 2000) == "d" * 2000
    assert message_of(validators.validate_detail, "d" * 2001) == (
        "must be at most 2000 characters."
    )


def test_data_is_limited_in_utf8_bytes():
    limit = 64 * 1024
    assert validators.validate_data("x" * limit) == "x" * limit
    assert message_of(validators.validate_data, "x" * (limit + 1)) == (
        f"must be at most {limit} bytes (UTF-8)."
    )
    # 3 bytes each: fewer characters than the limit, more bytes.
    euros = "€" * (limit // 3 + 1)
    assert message_of(validators.validate_data, euros) == (
        f"must be at most {limit} bytes (UTF-8)."
    )


def test_it_refuses_nul_characters():
    for check in (
        validators.validate_name,
        validators.validate_detail,
        validators.validate_data,
    ):
        assert message_of(check, "a\x00b") == "must not contain NUL characters."


def test_it_refuses_lone_surrogates():
    """Text no database can store as UTF-8 is bad input, not a server error."""
    for check in (validators.validate_name, validators.validate_data):
        assert message_of(check, "a\ud800b") == "must be valid Unicode text."


def test_it_accepts_any_other_unicode():
    assert validators.validate_name("Zoë 📞 東京") == "Zoë 📞 東京"


def test_it_rejects_lengths_no_number_of_the_country_has():
    # Norway's numbers have 5 or 8 digits, 6 is neither too short nor too long.
    assert message_of(validators.validate_tel, "+47222222") == (
        "+47222222 is not a possible phone number."
    )
