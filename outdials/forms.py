"""Forms of the staff pages. Every rule comes from ``validators.py``; a form
only names the field a message belongs to."""

from collections import Counter
from datetime import UTC

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import filters, importing, policy, validators
from .models import (
    DESTINATION_SLOTS,
    NIL_UUID,
    DestinationType,
    TargetStatus,
    default_region,
)
from .targets import Address

ADDRESS_TYPE_CHOICES = [
    (DestinationType.TEL, "Phone"),
    (DestinationType.SIP, "SIP"),
    (DestinationType.EMAIL, "Email"),
    # VoIPbin's other address types, so a target set through the API or an
    # import keeps its type when a person edits it.
    *[
        (value, label)
        for value, label in DestinationType.choices
        if value not in ("tel", "sip", "email")
    ],
]


def _human(error: ValidationError) -> list[str]:
    """The shared rules speak in fragments ("must be …") meant to follow a field
    name; beside an input they read better as sentences."""
    return [message[:1].upper() + message[1:] for message in error.messages]


def check_rule(form: forms.BaseForm, field: str, rule, *args) -> bool:
    """Run a shared rule of ``validators.py``; its messages, as sentences, go
    on ``field`` of ``form`` (a page's form or the admin's). The one way a
    form applies the shared rules."""
    try:
        rule(*args)
    except ValidationError as error:
        for message in _human(error):
            form.add_error(field, message)
        return False
    return True


class PageForm(forms.Form):
    """Labels stand above their inputs, without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TextRules(PageForm):
    """Name, detail and data with the product's limits and rules."""

    TEXT_RULES = {
        "name": validators.validate_name,
        "detail": validators.validate_detail,
        "data": validators.validate_data,
    }

    def clean(self):
        cleaned = super().clean()
        for field, rule in self.TEXT_RULES.items():
            if field in self.fields and field in cleaned:
                check_rule(self, field, rule, cleaned[field])
        return cleaned


def _text(label: str, limit_name: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=settings.OUTDIALS[limit_name]
        if limit_name != "DATA_MAX_BYTES"
        else None,
        **kwargs,
    )


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class OutdialForm(TextRules):
    name = _text("Name", "NAME_MAX_LENGTH")
    detail = _text("Detail", "DETAIL_MAX_LENGTH", widget=_textarea(2))
    data = _text(
        "Data",
        "DATA_MAX_BYTES",
        widget=_textarea(3),
        help_text="Free text kept for your dialer, often JSON.",
    )
    campaign_id = forms.UUIDField(
        label="Campaign id",
        required=False,
        help_text="Leave empty when the list is not attached to a campaign.",
        error_messages={
            "invalid": "Enter the campaign's id, a UUID such as "
            "0f8fad5b-d9cb-469f-a165-70867728950e."
        },
    )

    region = forms.ChoiceField(
        label="Country",
        choices=lambda: region_choices(),
        required=False,
        help_text="Numbers typed without +country code are read as this "
        "country's, and shown in its national form; an upload's default.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].initial = default_region()

    def clean_campaign_id(self):
        return self.cleaned_data["campaign_id"] or NIL_UUID

    def clean_region(self):
        return self.cleaned_data["region"] or default_region()

    @classmethod
    def initial_for(cls, outdial) -> dict:
        campaign = "" if outdial.campaign_id == NIL_UUID else outdial.campaign_id
        return {
            "name": outdial.name,
            "detail": outdial.detail,
            "data": outdial.data,
            "campaign_id": campaign,
            "region": outdial.region,
        }


class TargetForm(TextRules):
    """A target's text fields and its five destination slots in one form.

    Slot ``i`` is three inputs: ``type_i``, ``target_i`` (the address) and
    ``name_i``. An empty address leaves the slot empty; slot 0 must be set.
    """

    name = _text("Name", "NAME_MAX_LENGTH")
    detail = _text("Detail", "DETAIL_MAX_LENGTH", widget=_textarea(2))
    data = _text("Data", "DATA_MAX_BYTES", widget=_textarea(2))

    def __init__(self, *args, target=None, region=None, **kwargs):
        self.target = target
        # National numbers are read in, and shown for, the outdial's country.
        self.region = region or (target.outdial.region if target else None)
        if target is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(target, self.region)
        super().__init__(*args, **kwargs)
        for i in DESTINATION_SLOTS:
            self.fields[f"type_{i}"] = forms.ChoiceField(
                label=f"Destination {i} type",
                choices=ADDRESS_TYPE_CHOICES,
                initial=DestinationType.TEL,
                required=False,
            )
            self.fields[f"target_{i}"] = forms.CharField(
                label=f"Destination {i} address",
                required=i == 0,
                max_length=settings.OUTDIALS["ADDRESS_MAX_LENGTH"],
                error_messages={"required": "Destination 0 needs an address."},
            )
            self.fields[f"name_{i}"] = _text(f"Destination {i} name", "NAME_MAX_LENGTH")

    @staticmethod
    def initial_for(target, region=None) -> dict:
        initial = {"name": target.name, "detail": target.detail, "data": target.data}
        for destination in target.slots():
            if destination is not None:
                i = destination.index
                initial[f"type_{i}"] = destination.type
                initial[f"target_{i}"] = destination.target
                if destination.type in validators.PHONE_TYPES:
                    initial[f"target_{i}"] = validators.format_tel(
                        destination.target, region
                    )
                initial[f"name_{i}"] = destination.name
        return initial

    def slot_fields(self) -> list[tuple]:
        """(index, type, address, name, try count or None, the stored E.164
        of a phone slot or ""), for the template."""
        kept = self.target.slots() if self.target is not None else [None] * 5
        return [
            (
                i,
                self[f"type_{i}"],
                self[f"target_{i}"],
                self[f"name_{i}"],
                kept[i].try_count if kept[i] is not None else None,
                kept[i].target
                if kept[i] is not None and kept[i].type in validators.PHONE_TYPES
                else "",
            )
            for i in DESTINATION_SLOTS
        ]

    def clean(self):
        cleaned = super().clean()
        for i in DESTINATION_SLOTS:
            address = cleaned.get(f"target_{i}", "")
            if not address:
                continue
            # A form sent without a type (a script, an old page) gets the type
            # the address most likely means, as in a CSV without a type column.
            type_ = cleaned.get(f"type_{i}") or validators.infer_address_type(address)
            cleaned[f"type_{i}"] = type_
            read = validators.read_address
            if check_rule(self, f"target_{i}", read, type_, address, self.region):
                # Stored in the one form the rule answers (E.164, a SIP
                # address with its scheme, an id in lower case).
                cleaned[f"target_{i}"] = read(type_, address, self.region)
        return cleaned

    def slots(self) -> list[Address | None]:
        """The five slots as ``targets.Address``; a slot's target name and
        detail (set through the API or an import) are kept."""
        kept = self.target.slots() if self.target is not None else [None] * 5
        slots: list[Address | None] = []
        for i in DESTINATION_SLOTS:
            address = self.cleaned_data.get(f"target_{i}", "")
            if not address:
                slots.append(None)
                continue
            old = kept[i]
            slots.append(
                Address(
                    type=self.cleaned_data[f"type_{i}"],
                    target=address,
                    name=self.cleaned_data[f"name_{i}"],
                    target_name=old.target_name if old else "",
                    detail=old.detail if old else "",
                )
            )
        return slots

    def texts(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("name", "detail", "data")}


class SearchForm(PageForm):
    q = forms.CharField(label="Search by name", required=False, max_length=200)


class TargetFilterForm(PageForm):
    """The filter inputs above the targets table (``TargetFilter`` applies them)."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *TargetStatus.choices],
    )
    q = forms.CharField(
        label="Name or address contains",
        required=False,
        max_length=200,
    )
    outcome = forms.MultipleChoiceField(
        label="Last outcome",
        required=False,
        choices=filters.OUTCOMES,
        widget=filters.CommaSeparatedCheckboxes,
    )
    exhausted = forms.ChoiceField(
        label="Exhausted",
        required=False,
        choices=[("", "Either"), *filters.YES_NO],
    )
    import_batch = forms.ChoiceField(label="Import", required=False)
    tries_min = forms.IntegerField(label="Tries at least", required=False, min_value=0)
    tries_max = forms.IntegerField(label="Tries at most", required=False, min_value=0)

    def __init__(self, *args, imports=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_batch"].choices = [("", "Any import")] + [
            (
                str(batch.pk),
                f"{batch.file_name or 'import'} ({batch.tm_create:%Y-%m-%d %H:%M})",
            )
            for batch in imports
        ]


def region_choices() -> list[tuple[str, str]]:
    """Every country phonenumbers knows, with its calling code."""
    return [
        (code, f"{code} (+{phonenumbers.country_code_for_region(code)})")
        for code in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]


class UploadForm(PageForm):
    """The file to import; the mapping and options come on the next step."""

    file = forms.FileField(
        label="CSV or spreadsheet file",
        help_text="CSV, Excel (.xlsx, .xls) or OpenDocument (.ods); one target "
        "per row, the first row names the columns. You choose what each column "
        "holds on the next step.",
        widget=forms.ClearableFileInput(
            attrs={"accept": importing.formats.ACCEPT_ATTRIBUTE}
        ),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        limit = settings.OUTDIALS["UPLOAD_MAX_BYTES"]
        if file.size > limit:
            raise ValidationError(
                f"The file is {file.size:,} bytes, more than the limit of "
                f"{limit:,}; split it into several imports."
            )
        return file


class ReviewForm(PageForm):
    """The mapping step: what each column holds, and the import's options
    (those of ``importing.import_csv`` a person chooses)."""

    region = forms.ChoiceField(
        label="Default country for national numbers",
        choices=region_choices,
        help_text="Numbers written without a +country code are read as this "
        "country's, e.g. (202) 555-0143 with US.",
    )
    on_duplicate = forms.ChoiceField(
        label="Duplicate addresses",
        choices=[
            ("skip", "Skip them and warn me"),
            ("error", "Count them as invalid rows"),
            ("allow", "Add them anyway"),
        ],
        initial="skip",
    )
    on_error = forms.ChoiceField(
        label="Invalid rows",
        choices=[
            ("abort", "Import nothing and list the errors"),
            ("skip", "Import the valid rows, list the errors"),
        ],
        initial="abort",
    )
    on_suppressed = forms.ChoiceField(
        label="Addresses on a suppression list",
        choices=[
            ("skip", "Skip them and warn me"),
            ("error", "Count them as invalid rows"),
            ("allow", "Add them anyway (claims still pass over them)"),
        ],
        initial="skip",
        # A form posted without it (an older page) skips them.
        required=False,
    )
    key = forms.ChoiceField(
        label="Key column (update on re-upload)",
        required=False,
        help_text="A column that identifies each person, such as a CRM id: a "
        "row whose key matches a target of this outdial updates it (its try "
        "counts stay) instead of adding it again.",
    )
    unmapped_to_data = forms.BooleanField(
        label="Keep the columns left out in Data (as JSON)", required=False
    )
    save_mapping = forms.BooleanField(
        label="Remember this mapping for this outdial's next file",
        required=False,
        initial=True,
    )

    def __init__(self, *args, header=(), sheets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].initial = settings.OUTDIALS["DEFAULT_REGION"]
        self.header = [importing.mapping.label(cell) for cell in header]
        if len(sheets) > 1:
            self.fields["sheet"] = forms.ChoiceField(
                label="Sheet", choices=[(name, name) for name in sheets]
            )
        choices = list(importing.mapping.FIELD_LABELS.items())
        for position, column in enumerate(self.header):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=column or f"Column {position + 1}",
                choices=choices,
                required=False,
            )
        self.fields["key"].choices = [("", "(none)")] + [
            (column, column) for column in self.header if column
        ]

    def column_fields(self):
        return [self[f"column_{position}"] for position in range(len(self.header))]

    def chosen(self) -> "importing.mapping.Mapping":
        data = self.cleaned_data
        return importing.mapping.Mapping(
            {
                column: data.get(f"column_{position}") or ""
                for position, column in enumerate(self.header)
                if column
            },
            data.get("key") or "",
            data.get("unmapped_to_data", False),
        )

    def clean(self):
        cleaned = super().clean()
        used: dict[str, str] = {}
        for position, column in enumerate(self.header):
            target = cleaned.get(f"column_{position}")
            if not target:
                continue
            if target in used:
                self.add_error(
                    f"column_{position}",
                    f"“{used[target]}” already fills "
                    f"{importing.mapping.FIELD_LABELS[target]}; choose one "
                    "column for each field.",
                )
            used[target] = column
        return cleaned


class PolicyForm(PageForm):
    """An outdial's dialing policy on its page (and, as the same rules, in the
    admin); ``outdials.policy`` checks it whole."""

    calling_hours = forms.CharField(
        label="Calling hours",
        required=False,
        widget=_textarea(3),
        help_text="One window a line in each target's local time, e.g. "
        "Mon-Fri 09:00-20:00 and Sat 10:00-14:00. Empty: any time.",
    )
    time_zone = forms.CharField(
        label="Default time zone",
        max_length=64,
        help_text="IANA name (e.g. America/New_York), for targets whose own is "
        "not known.",
    )
    daily_cap = forms.IntegerField(
        label="Daily attempts per target",
        min_value=0,
        max_value=policy.MAX_DAILY_CAP,
        help_text="Counted from the target's local midnight; 0 is no cap.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = policy.MAX_TRY_COUNT_RANGE
        for i in DESTINATION_SLOTS:
            self.fields[f"max_try_count_{i}"] = forms.IntegerField(
                label=f"Tries on destination {i}",
                min_value=low,
                max_value=high,
                help_text="When a claim does not say." if i == 0 else "",
            )
        for outcome in policy.DELAYED_OUTCOMES:
            words = outcome.replace("_", " ")
            self.fields[f"delay_{outcome}"] = forms.IntegerField(
                label=f"Retry delay after {words} (seconds)",
                min_value=0,
                max_value=policy.MAX_DELAY_SECONDS,
            )

    @classmethod
    def initial_for(cls, outdial) -> dict:
        values = policy.as_dict(outdial)
        initial = {
            key: value
            for key, value in values.items()
            if key.startswith("max_try_count_")
        }
        for outcome, seconds in values["retry_delays"].items():
            initial[f"delay_{outcome}"] = seconds
        initial["daily_cap"] = values["daily_cap"]
        initial["calling_hours"] = policy.hours_text(values["calling_hours"])
        initial["time_zone"] = values["time_zone"]
        return initial

    def clean_calling_hours(self):
        try:
            return policy.parse_hours_text(self.cleaned_data["calling_hours"])
        except ValidationError as error:
            raise ValidationError(_human(error)) from None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = {
            f"max_try_count_{i}": cleaned[f"max_try_count_{i}"]
            for i in DESTINATION_SLOTS
        }
        values["retry_delays"] = {
            outcome: cleaned[f"delay_{outcome}"] for outcome in policy.DELAYED_OUTCOMES
        }
        values["daily_cap"] = cleaned["daily_cap"]
        values["calling_hours"] = cleaned["calling_hours"]
        values["time_zone"] = cleaned["time_zone"]
        try:
            self.policy = policy.check(values)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                name = field.replace("retry_delays.", "delay_")
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return cleaned

    def field_groups(self) -> dict:
        return {
            "tries": [self[f"max_try_count_{i}"] for i in DESTINATION_SLOTS],
            "delays": [self[f"delay_{o}"] for o in policy.DELAYED_OUTCOMES],
        }


class CallbackForm(PageForm):
    """A callback a person sets on a target page, in the target's zone."""

    when = forms.DateTimeField(
        label="Call back at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields[
            "when"
        ].help_text = f"In the target's time zone, {zone}. Empty clears the callback."

    def clean_when(self):
        value = self.cleaned_data["when"]
        if value is None:
            return None
        local = value.replace(tzinfo=policy.zone_info(self.zone))
        try:
            return policy.check_callback(local.astimezone(UTC), timezone.now())
        except ValidationError as error:
            raise ValidationError(_human(error)) from None


def _told_apart(outdial, names: Counter) -> str:
    """An outdial's name, with when it was made if another has the name."""
    if not outdial.name:
        return str(outdial.pk)
    if names[outdial.name] == 1:
        return outdial.name
    made = outdial.tm_create.astimezone(UTC)
    return f"{outdial.name} (made {made:%Y-%m-%d %H:%M} UTC)"


class SuppressionListForm(PageForm):
    """A suppression list: its name and which outdials it applies to."""

    name = forms.CharField(max_length=255)
    scope = forms.ChoiceField(
        label="Applies to",
        choices=[
            ("all", "All outdials of the customer"),
            ("chosen", "The outdials chosen below"),
        ],
        initial="all",
    )
    outdials = forms.MultipleChoiceField(required=False, label="Outdials")

    def __init__(self, *args, outdials=(), **kwargs):
        super().__init__(*args, **kwargs)
        outdials = list(outdials)
        names = Counter(o.name for o in outdials)
        self.fields["outdials"].choices = [
            (str(o.pk), _told_apart(o, names)) for o in outdials
        ]

    def clean_name(self):
        return validators.validate_name(self.cleaned_data["name"])


class SuppressionEntryForm(PageForm):
    """One entry: an address (normalized as targets are) or a phone prefix."""

    type = forms.ChoiceField(
        choices=[("", "Guess from the address"), *ADDRESS_TYPE_CHOICES],
        required=False,
    )
    address = forms.CharField(max_length=2000)
    kind = forms.ChoiceField(
        choices=[("address", "This address"), ("prefix", "Every number starting so")],
        initial="address",
    )
    tm_expire = forms.DateTimeField(
        label="Expires (UTC)",
        required=False,
        help_text="Left empty, it never expires.",
    )
    reason = forms.CharField(max_length=255, required=False)

    def clean(self):
        from . import suppression

        cleaned = super().clean()
        address = cleaned.get("address")
        if address:
            type_ = cleaned.get("type") or validators.infer_address_type(address)
            cleaned["type"] = type_
            try:
                cleaned["address"] = suppression.normalize(
                    type_, address, cleaned.get("kind") or "address"
                )
            except ValidationError as error:
                self.add_error("address", error)
        when = cleaned.get("tm_expire")
        if when is not None and timezone.is_naive(when):
            cleaned["tm_expire"] = when.replace(tzinfo=UTC)
        return cleaned


class SuppressionSearchForm(PageForm):
    address = forms.CharField(
        label="Search an address", max_length=2000, required=False
    )


class SuppressionUploadForm(PageForm):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row with an address column, and optionally type, "
        "kind (address or prefix), expire (ISO 8601), reason and source.",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        limit = settings.OUTDIALS["UPLOAD_MAX_BYTES"]
        if file.size > limit:
            raise ValidationError(
                f"The file is {file.size:,} bytes, more than the limit of {limit:,}."
            )
        return file
