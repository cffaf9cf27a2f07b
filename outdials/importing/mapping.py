"""Columns → fields: the mapping of a file's header onto a target's fields.

Any header is accepted. Without a mapping the importer guesses one
(:func:`guess`) and says what it guessed; staff confirm or change it on the
mapping step, the API takes it as ``mapping`` and the command as ``--map``.
A mapping is ``{header: field}`` with a field of :data:`FIELDS`, or ``""``
to leave the column out; headers match case-insensitively and trimmed.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from ..exporting import export_columns, import_columns
from ..models import DESTINATION_SLOTS, SavedMapping
from .report import ImportReport, reject

TEXT_FIELDS = ("name", "first_name", "last_name", "detail", "data")
FIELDS = TEXT_FIELDS + tuple(import_columns()[3:])  # destination_N, _type, _name
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")
FIELD_LABELS = {
    "": "(leave out)",
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "detail": "Detail",
    "data": "Data",
    **{
        f"destination_{n}{suffix}": f"{_ORDINALS[n]} destination{label}"
        for n in DESTINATION_SLOTS
        for suffix, label in (("", ""), ("_type", "'s type"), ("_name", "'s name"))
    },
    "timezone": "Time zone",
}

# Header words, normalized (lower case, runs of space/_/- as one space).
_NAME = {"name", "full name", "fullname", "contact name", "contact", "customer name"}
_FIRST = {"first name", "firstname", "first", "given name", "forename"}
_LAST = {"last name", "lastname", "last", "surname", "family name"}
_DETAIL = {"detail", "details", "note", "notes", "description", "comment", "comments"}
_ADDRESS = re.compile(
    r"(?:(?:work|home|office|business|mobile|cell|main|other|direct|private|"
    r"primary|secondary|alternate|alt)\s)?"
    r"(?:phone|phone number|phone no|telephone|tel|mobile|mobile phone|"
    r"mobile number|cell|cell phone|cellphone|landline|number|msisdn|"
    r"email|e mail|email address|mail|sip|sip uri|sip address)"
    r"(?:\s?\d+)?"
)
_EXACT = set(import_columns())


def label(cell: str) -> str:
    """A header cell as the mapping matches it."""
    return cell.strip().lstrip("\ufeff").strip()


def _words(text: str) -> str:
    return re.sub(r"[\s_\-.:#]+", " ", text.lower()).strip()


def guess(header: list[str]) -> dict[str, str]:
    """``{header: field}`` for the columns a person would map: the importer's
    own column names as they are; name from ``name``/``full name`` or
    ``first name`` + ``last name``; destinations from phone, mobile, cell,
    email, sip… columns into the free slots, in column order."""
    labels = [label(cell) for cell in header]
    lowered = [text.lower() for text in labels]
    found: dict[str, str] = {}
    taken = {low for low in lowered if low in _EXACT}
    free_slots = [n for n in DESTINATION_SLOTS if f"destination_{n}" not in taken]
    has_name = "name" in taken
    for text, low in zip(labels, lowered, strict=True):
        if not text or text in found:
            continue
        words = _words(text)
        if low in _EXACT:
            found[text] = low
        elif words in _NAME and not has_name:
            found[text], has_name = "name", True
        elif words in _DETAIL and "detail" not in taken:
            found[text] = "detail"
            taken.add("detail")
        elif _ADDRESS.fullmatch(words) and free_slots:
            found[text] = f"destination_{free_slots.pop(0)}"
    if not has_name:
        for text in labels:
            words = _words(text)
            if text and text not in found:
                if words in _FIRST and "first_name" not in found.values():
                    found[text] = "first_name"
                elif words in _LAST and "last_name" not in found.values():
                    found[text] = "last_name"
    return found


def parse(value) -> dict[str, str]:
    """A mapping as a caller sends it: a JSON object of header → field.
    Raises ``ValueError`` with a sentence for anything else."""
    if not isinstance(value, dict):
        raise ValueError(
            'must be a JSON object of column → field, e.g. {"Phone": "destination_0"}.'
        )
    mapping = {}
    for column, target in value.items():
        if not isinstance(column, str) or not isinstance(target, str | type(None)):
            raise ValueError("must map column names (text) to field names (text).")
        target = (target or "").strip().lower()
        if target in ("ignore", "skip", "-"):
            target = ""
        if target and target not in FIELDS:
            raise ValueError(
                f"maps “{column}” to “{target}”, which is not a field; use one of "
                + ", ".join(FIELDS)
                + ", or an empty string to leave the column out."
            )
        mapping[label(column)] = target
    return mapping


@dataclass
class Mapping:
    """What a caller chose; ``columns`` ``None`` means "guess"."""

    columns: dict[str, str] | None = None
    key: str = ""
    unmapped_to_data: bool = False


@dataclass
class Layout:
    """The header resolved against a mapping: column positions per field."""

    width: int
    name: int | None
    detail: int | None
    data: int | None
    # (slot, address column, type column or None, name column or None)
    slots: list[tuple[int, int, int | None, int | None]]
    labels: list[str]  # lower-cased, as matched
    headers: list[str]  # as the file writes them
    first_name: int | None = None
    last_name: int | None = None
    key: int | None = None
    # (position, header) of the columns kept in ``data`` as a JSON object
    extras: list[tuple[int, str]] = field(default_factory=list)
    # destinations named by the file's own words: fill the slots in order
    compact: bool = False
    columns: dict[str, str] = field(default_factory=dict)  # as applied
    guessed: bool = False
    time_zone: int | None = None  # the target's IANA zone (outdials.policy)


def _found_and_expected(labels: list[str]) -> str:
    found = ", ".join(f"“{text}”" for text in labels if text) or "no named columns"
    return (
        f"The columns found are {found}; expected a phone, mobile, cell, email "
        "or sip column, or destination_0 … destination_4. Choose which column "
        "holds the number on the mapping step (API: mapping, command: --map)."
    )


def layout(header: list[str], chosen: Mapping, report: ImportReport) -> Layout:
    """Resolve ``header`` against ``chosen`` (or the guess); warn about left
    out columns and say what was guessed; refuse a header no target can be
    read from."""
    labels = [label(cell) for cell in header]
    lowered = [text.lower() for text in labels]
    # Counted once each: a count per column was quadratic in the header.
    counts = Counter(low for low in lowered if low)
    repeated = sorted(low for low, count in counts.items() if count > 1)
    if repeated:
        raise reject(
            "DUPLICATE_COLUMN",
            "The header names " + ", ".join(repeated) + " more than once; "
            "keep one column of each name.",
            row=1,
            column=repeated[0],
        )
    where = {low: i for i, low in enumerate(lowered) if low}
    guessed = chosen.columns is None
    columns = guess(labels) if guessed else chosen.columns
    fields: dict[str, int] = {}
    for column, target in columns.items():
        at = where.get(column.lower())
        if at is None:
            raise reject(
                "UNKNOWN_COLUMN",
                f"The mapping names the column “{column}”, which the file does "
                "not have. " + _found_and_expected(labels).split(";")[0] + ".",
                row=1,
                column=column,
            )
        if not target:
            continue
        if target in fields:
            raise reject(
                "MAPPING_CONFLICT",
                f"Both “{labels[fields[target]]}” and “{labels[at]}” are mapped "
                f"to {target}; map one column to each field.",
                row=1,
                column=labels[at],
            )
        fields[target] = at
    if "name" in fields and ({"first_name", "last_name"} & set(fields)):
        raise reject(
            "MAPPING_CONFLICT",
            "A column is mapped to name and another to first or last name; map "
            "either a name column or first and last name columns.",
            row=1,
        )
    key = None
    if chosen.key:
        key = where.get(label(chosen.key).lower())
        if key is None:
            raise reject(
                "UNKNOWN_COLUMN",
                f"The key column “{chosen.key}” is not in the file's header.",
                row=1,
                column=chosen.key,
            )
    slots = []
    for n in DESTINATION_SLOTS:
        address = f"destination_{n}"
        for extra in (f"{address}_type", f"{address}_name"):
            if extra in fields and address not in fields:
                raise reject(
                    "MISSING_COLUMN",
                    f"The header has {extra} but no {address} column.",
                    row=1,
                    column=extra,
                )
        if address in fields:
            slots.append(
                (
                    n,
                    fields[address],
                    fields.get(f"{address}_type"),
                    fields.get(f"{address}_name"),
                )
            )
    compact = any(lowered[at] != f"destination_{n}" for n, at, _t, _n in slots)
    if not slots or ("destination_0" not in fields and not compact):
        message = (
            "The header has no destination_0 column: every target needs a "
            "first destination. "
            if slots
            else "No column holds a phone number or address. "
        )
        raise reject(
            "MISSING_COLUMN",
            message + _found_and_expected(labels),
            row=1,
            column="destination_0",
        )
    if compact:
        # The file's own columns fill slots 0, 1, … in their order.
        slots = [
            (n, at, type_at, name_at)
            for n, (_old, at, type_at, name_at) in zip(
                DESTINATION_SLOTS, slots, strict=False
            )
        ]
    used = set(fields.values()) | ({key} if key is not None else set())
    server_kept = set(export_columns()) - _EXACT
    extras = []
    for position, (text, low) in enumerate(zip(labels, lowered, strict=True)):
        if position in used:
            continue
        if not text:
            report.warn(1, "", f"Column {position + 1} has no name; it is ignored.")
        elif low in server_kept:
            continue
        elif chosen.unmapped_to_data:
            extras.append((position, text))
        elif text not in columns:  # a column left out on purpose is not news
            report.warn(1, text, "Unknown column; it is ignored.")
    applied = {labels[at]: target for target, at in fields.items()}
    if extras and "data" in fields:
        # The data column joins the JSON object under its own header.
        at = fields.pop("data")
        extras.insert(0, (at, labels[at]))
    if guessed and any(text.lower() != target for text, target in applied.items()):
        report.warn(
            1,
            "",
            "Guessed the columns: "
            + "; ".join(f"{text} → {target}" for text, target in applied.items())
            + ". Change them on the mapping step (API: mapping, command: --map).",
        )
    return Layout(
        width=len(labels),
        name=fields.get("name"),
        detail=fields.get("detail"),
        data=fields.get("data"),
        slots=slots,
        labels=lowered,
        headers=labels,
        first_name=fields.get("first_name"),
        last_name=fields.get("last_name"),
        key=key,
        extras=extras,
        compact=compact,
        columns=applied,
        guessed=guessed,
        time_zone=fields.get("timezone"),
    )


def offered(outdial, header: list[str]) -> Mapping:
    """What the mapping step offers for ``header``: the outdial's saved mapping
    for the columns this file has, else the guess."""
    labels = {label(cell).lower(): label(cell) for cell in header if label(cell)}
    saved = SavedMapping.objects.filter(outdial=outdial).first()
    if saved is not None:
        columns = {
            labels[column.lower()]: target
            for column, target in saved.columns.items()
            if column.lower() in labels
        }
        if any(target.startswith("destination_") for target in columns.values()):
            return Mapping(
                columns,
                labels.get(saved.key.lower(), ""),
                saved.unmapped_to_data,
            )
    return Mapping(guess(list(labels.values())))


def is_saved(outdial, header: list[str]) -> bool:
    """Whether :func:`offered` answers a saved mapping rather than a guess."""
    saved = SavedMapping.objects.filter(outdial=outdial).first()
    return saved is not None and offered(outdial, header).columns != guess(header)


def save(outdial, chosen: Mapping) -> None:
    """Keep ``chosen`` as the outdial's mapping, offered for its next file."""
    SavedMapping.objects.update_or_create(
        outdial=outdial,
        defaults={
            "columns": chosen.columns or {},
            "key": chosen.key,
            "unmapped_to_data": chosen.unmapped_to_data,
            "tm_update": timezone.now(),
        },
    )
