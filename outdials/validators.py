"""The one home of the rules for what a target may hold (SPEC §1).

The API serializers, the staff forms, the CSV importer and the admin all call
these functions; none of them re-implements a rule. Each raises Django's
``ValidationError`` with a sentence a person can act on; the caller names the
field (``destination_2.target``).
"""

import re
import uuid
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat, Least, Length, Lower, StrIndex, Substr
from django.db.models.lookups import Exact, In

E164 = re.compile(r"\+[0-9]{2,15}")
# sip:user@host[:port][;params][?headers]; host is a name, IPv4 or [IPv6].
SIP_URI = re.compile(
    r"(?P<scheme>sips?):"
    r"(?P<user>[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+)(?::[^@\s]*)?"
    r"@(?P<host>[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<rest>[;?][^\s]*)?",
    re.IGNORECASE,
)
_email = EmailValidator()


def limit(name: str) -> int:
    return settings.OUTDIALS[name]


def strict_by_default() -> bool:
    return bool(settings.OUTDIALS["STRICT_PHONE_NUMBERS"])


@lru_cache(maxsize=65536)
def _phone_facts(number: str, region: str | None) -> tuple[str, bool]:
    """E.164 form of ``number`` (or an error message starting with ``!``) and
    whether phonenumbers knows it as assigned.

    Cached: real lists repeat numbers, and parsing costs ~35 µs a number. Both
    answers come from one parse, so the importer's warnings cost no second one.
    """
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == error.INVALID_COUNTRY_CODE:
            return "!has an unknown country code", False
        return "!is not a phone number", False
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        # IS_POSSIBLE_LOCAL_ONLY (a number without its area code) cannot be
        # dialled from elsewhere, so E.164 has no room for it either.
        if reason in (
            phonenumbers.ValidationResult.TOO_SHORT,
            phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        ):
            return "!is too short for its country code", False
        if reason == phonenumbers.ValidationResult.TOO_LONG:
            return "!is too long for its country code", False
        if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
            return "!has an unknown country code", False
        return "!is not a possible phone number", False
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.is_valid_number(parsed)


def _phone_verdict(number: str, region: str | None, strict: bool) -> str:
    """E.164 form of ``number`` or an error message starting with ``!``."""
    verdict, assigned = _phone_facts(number, region)
    if strict and not assigned and not verdict.startswith("!"):
        return "!is not an assigned phone number (strict mode)"
    return verdict


def validate_tel(value: str, strict: bool | None = None) -> str:
    """An E.164 number exactly as written: ``+`` and 2–15 digits, possible for
    its country code (and assigned, in strict mode). Returns it unchanged."""
    if strict is None:
        strict = strict_by_default()
    if not E164.fullmatch(value):
        if not value.startswith("+"):
            raise ValidationError(
                "must be an E.164 number starting with '+', e.g. +15559876543."
            )
        raise ValidationError(
            "must be '+' followed by 2 to 15 digits, without spaces or other signs."
        )
    verdict = _phone_verdict(value, None, strict)
    if verdict.startswith("!"):
        raise ValidationError(f"{value} {verdict[1:]}.")
    return value


def classify_phone(
    text: str, region: str | None = None, strict: bool | None = None
) -> tuple[str, bool]:
    """A phone number as people write it (``(202) 555-0143``, ``+44 20 7946
    0958``, ``020 7946 0958`` with a default country) in E.164, and whether
    phonenumbers knows the number as assigned (the importer warns about
    unassigned ones outside strict mode). Raises ``ValidationError`` on
    anything else."""
    if strict is None:
        strict = strict_by_default()
    text = text.strip()
    if not text:
        raise ValidationError("is empty.")
    if E164.fullmatch(text):
        return validate_tel(text, strict), _phone_facts(text, None)[1]
    if region is None and not text.startswith("+"):
        raise ValidationError(
            f"{text} has no country code: write it as +<country><number>, "
            "or give a default country."
        )
    region = region.upper() if region else None
    verdict = _phone_verdict(text, region, strict)
    if verdict.startswith("!") and text.startswith("00"):
        # 00 is how most of the world dials abroad, and people write numbers
        # so (0044 20 7946 0958) whatever the default country's own prefix;
        # read so only where the default country's reading found no number.
        abroad = "+" + text[2:]
        if not _phone_verdict(abroad, None, strict).startswith("!"):
            return classify_phone(abroad, None, strict)
    if verdict == "!is too long for its country code" and not text.startswith("+"):
        # Written without a country code, so read as the default country's:
        # a longer number is most often another country's.
        code = phonenumbers.country_code_for_region(region)
        raise ValidationError(
            f"{text} is too long for a {region} number (+{code}); the country "
            "may be different: write it with + and its country code, or "
            "choose its country as the default."
        )
    if verdict.startswith("!"):
        raise ValidationError(f"{text} {verdict[1:]}.")
    return verdict, _phone_facts(text, region)[1]


def read_tel(text: str, region: str | None = None, strict: bool | None = None) -> str:
    """A phone number a person typed (``(201) 815-9084``, ``201-815-9084``,
    ``+1 201 815 9084``), read with ``region`` (an outdial's country) for
    numbers written without ``+``; returns its E.164 form. The one reading
    of a typed number: the staff pages, the admin and the search call it.
    The API does not: it takes E.164 only (:func:`validate_tel`)."""
    return classify_phone(text, region, strict)[0]


def format_tel(e164: str, region: str | None) -> str:
    """An E.164 number as people in ``region`` write it: the national form
    when the number is that country's (``(201) 815-9084``), the
    international one otherwise (``+44 20 7946 0958``); a number
    phonenumbers cannot read is shown as stored."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    # By calling code: a number of the region's plan (+1 for US and CA) is
    # dialled nationally there, even one phonenumbers does not know assigned.
    home = region and parsed.country_code == phonenumbers.country_code_for_region(
        region.upper()
    )
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


def validate_region(value: str) -> str:
    """An ISO 3166 alpha-2 country phonenumbers knows (``US``, ``gb``); returns
    it upper-cased. The default country for numbers written without ``+``."""
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            f"'{value}' is not a country phone numbers are known for; use an "
            "ISO 3166 alpha-2 code such as US, GB or DE."
        )
    return code


def validate_sip(value: str) -> str:
    """A SIP address with or without its scheme (VoIPbin's docs write
    ``user@host``; bin-common-handler/models/address/validate.go asks only
    for ``user@domain``); returns it in the one stored form, with the scheme
    (``sip:`` when it had none)."""
    if not value[:5].lower().startswith(("sip:", "sips:")):
        value = f"sip:{value}"
    match = SIP_URI.fullmatch(value)
    if not match:
        raise ValidationError(
            "must be a SIP address like alice@pbx.example.com or "
            "sip:alice@pbx.example.com."
        )
    port = match.group("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ValidationError("has a port out of range (1–65535).")
    return value


def validate_email(value: str) -> str:
    try:
        _email(value)
    except ValidationError:
        raise ValidationError(
            "must be an email address like ops@example.com."
        ) from None
    return value


def validate_resource_id(value: str) -> str:
    """The id of a VoIPbin resource (agent, conference, extension, …): a UUID
    other than the nil one, as validate.go's validateUUID asks; returns it in
    its canonical lower-case form."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = uuid.UUID(int=0)
    if parsed.int == 0 or len(value) != 36:
        raise ValidationError(
            "must be the resource's id, a UUID like "
            "a1b2c3d4-e5f6-7890-abcd-ef1234567890."
        )
    return str(parsed)


# Every type of VoIPbin's address model (bin-common-handler/models/address/
# main.go), checked as validate.go checks it: E.164 for tel and whatsapp, an
# address for email and sip, an id for the rest. VoIPbin's ValidateTarget
# has no case for ai and ai_team; main.go says their target is an id, so it
# is checked as one. A dialer gets the type and decides what to do with it.
ADDRESS_RULES = {
    "tel": validate_tel,
    "sip": validate_sip,
    "email": validate_email,
    "whatsapp": validate_tel,
    "agent": validate_resource_id,
    "ai": validate_resource_id,
    "ai_team": validate_resource_id,
    "conference": validate_resource_id,
    "extension": validate_resource_id,
    "line": validate_resource_id,
    "webchat": validate_resource_id,
    "web_session": validate_resource_id,
}
ADDRESS_TYPES = tuple(ADDRESS_RULES)
PHONE_TYPES = ("tel", "whatsapp")


def validate_address_type(value: str) -> str:
    if value not in ADDRESS_RULES:
        raise ValidationError(
            f"'{value}' is not a destination type; use one of: "
            + ", ".join(ADDRESS_TYPES)
            + "."
        )
    return value


def validate_address(type_: str, target: str, strict: bool | None = None) -> str:
    """Check ``target`` against the rule for ``type_``; returns the target in
    its stored form (a SIP address with its scheme, an id in lower case)."""
    validate_text(target, "ADDRESS_MAX_LENGTH")
    if not target:
        raise ValidationError("must not be empty.")
    if type_ in PHONE_TYPES:
        return validate_tel(target, strict)
    return ADDRESS_RULES[type_](target)


def read_address(type_: str, text: str, region: str | None) -> str:
    """An address a person typed on a page or in the admin, in its stored
    form: a phone number as people write it read with ``region`` (see
    :func:`read_tel`), any other type by :func:`validate_address`."""
    if type_ in PHONE_TYPES:
        validate_text(text, "ADDRESS_MAX_LENGTH")
        return read_tel(text, region)
    return validate_address(type_, text)


def infer_address_type(text: str) -> str:
    """The type a CSV cell without a type column most likely means."""
    lowered = text.strip().lower()
    if lowered.startswith(("sip:", "sips:")):
        return "sip"
    if "@" in lowered:
        return "email"
    return "tel"


def address_key(type_: str, target: str) -> int | str:
    """What makes two valid addresses the same destination, for duplicate
    checks across slots and types: the digits of an E.164 number; an email
    address case-folded; a SIP URI with its scheme and host case-folded (its
    user part is case-sensitive)."""
    if type_ in PHONE_TYPES:
        return int(target[1:])
    if type_ == "sip":
        match = SIP_URI.fullmatch(target)
        if match:
            scheme, host = match.group("scheme", "host")
            start, end = match.span("host")
            return (
                f"{scheme.lower()}:{target[len(scheme) + 1 : start]}"
                f"{host.lower()}{target[end:]}"
            )
        return target
    return target.casefold()


def lookup_key(type_: str, target: str) -> str:
    """The form a suppression entry keeps an address in, and what every
    lookup of a destination compares with it: a phone number's E.164 form,
    otherwise :func:`address_key` (an email case-folded, a SIP URI with its
    scheme and host in lower case). :func:`lookup_key_sql` is the same rule
    for a destination row in a query."""
    if type_ in PHONE_TYPES:
        return target
    return str(address_key(type_, target))


def lookup_key_sql(type_, target):
    """:func:`lookup_key` as an ORM expression over a row's ``type_`` and
    ``target`` (fields or ``OuterRef``s), for the claim statement. The
    address is already valid (stored), so a SIP URI is ``scheme:user@host``
    then an optional ``:port`` and ``;params``/``?headers``: the scheme and
    everything between the ``@`` and the first ``;`` or ``?`` are lowered
    (a port's digits do not mind). SQLite's ``lower()`` folds ASCII only, as
    host names and the ids are; an email with non-ASCII capitals is compared
    as written."""
    type_ = F(type_) if isinstance(type_, str) else type_
    target = F(target) if isinstance(target, str) else target
    colon = StrIndex(target, Value(":"))
    at = StrIndex(target, Value("@"))
    rest = Substr(target, at + 1)
    semi, question = StrIndex(rest, Value(";")), StrIndex(rest, Value("?"))
    host_end = Case(
        When(Q(Exact(semi, 0)) & Q(Exact(question, 0)), then=Length(rest) + 1),
        When(Exact(semi, 0), then=question),
        When(Exact(question, 0), then=semi),
        default=Least(semi, question),
    )
    sip = Concat(
        Lower(Substr(target, 1, colon)),
        Substr(target, colon + 1, at - colon),
        Lower(Substr(rest, 1, host_end - 1)),
        Substr(rest, host_end),
    )
    return Case(
        When(In(type_, PHONE_TYPES), then=target),
        When(Exact(type_, "sip"), then=sip),
        default=Lower(target),
    )


def validate_text(value: str, limit_name: str) -> str:
    """Free text within its limit; NUL characters are refused (no database
    stores them faithfully)."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates, e.g. JSON "\ud800"
            raise ValidationError("must be valid Unicode text.") from None
    maximum = limit(limit_name)
    if limit_name == "DATA_MAX_BYTES":
        if len(value) > maximum // 4 and len(value.encode("utf-8")) > maximum:
            raise ValidationError(f"must be at most {maximum} bytes (UTF-8).")
    elif len(value) > maximum:
        raise ValidationError(f"must be at most {maximum} characters.")
    return value


def validate_name(value: str) -> str:
    return validate_text(value, "NAME_MAX_LENGTH")


def validate_detail(value: str) -> str:
    return validate_text(value, "DETAIL_MAX_LENGTH")


def validate_data(value: str) -> str:
    return validate_text(value, "DATA_MAX_BYTES")
