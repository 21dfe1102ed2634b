"""Reading the police's daily extract: one CSV row per person in an incident, rows grouped by police reference.

Pure: no database and no I/O, so every rule here is tested on strings. The stream arrives in byte
chunks (`ExtractReader.feed`), becomes numbered rows, then incidents (`IncidentBuilder`), each a
`NotificationIn` or the list of what was wrong with its rows. Memory stays flat however long the
file: a record is held only until its last line has arrived, an incident only until the next
police reference starts.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from pitstop.notifications.models import Grade, NotificationIn, PersonRole

LONDON = ZoneInfo("Europe/London")
MAX_RECORD_CHARS = 1_000_000  # one CSV record this long means a quote that is never closed
# The csv module refuses fields over 131,072 characters by default; our own limits (10,000 for
# circumstances) give the clearer message, so let it read up to a whole record.
csv.field_size_limit(MAX_RECORD_CHARS)


class Kind(StrEnum):
    TEXT = "text"  # up to 200 characters
    LONG_TEXT = "long_text"  # up to 10,000 characters
    REFERENCE = "reference"
    DATETIME = "datetime"  # dd/mm/yyyy HH:MM, or dd/mm/yyyy (midnight), London time
    DATE = "date"  # dd/mm/yyyy
    YES_NO = "yes_no"
    COUNT = "count"
    LIST = "list"  # separated by semicolons
    ROLE = "role"
    GRADE = "grade"
    RISK_TOOL = "risk_tool"


@dataclass(frozen=True, slots=True)
class Field:
    key: str  # a path into NotificationIn: "risk.grade"; a person's fields start "people."
    header: str  # the header in Pitstop's own template
    label: str  # what it is, for the mapping page and error messages
    kind: Kind
    required: bool = False

    @property
    def person(self) -> bool:
        """One value per row (the person on it) rather than one per incident."""
        return self.key.startswith("people.")


FIELDS: tuple[Field, ...] = (
    Field("police_reference", "Police reference", "Police reference (occurrence number)", Kind.REFERENCE, True),
    Field("crime_reference", "Crime reference", "Crime reference", Kind.REFERENCE),
    Field("received_at", "Date reported", "Date and time reported to Pitstop's partnership", Kind.DATETIME),
    Field("incident_at", "Date of incident", "Date and time of the incident", Kind.DATETIME),
    Field("address", "Incident address", "Incident address", Kind.TEXT),
    Field("address_withheld", "Incident address withheld", "Incident address withheld (refuge)", Kind.YES_NO),
    Field("postcode", "Postcode", "Incident postcode", Kind.TEXT),
    Field("council_area", "Council area", "Council area", Kind.TEXT),
    Field("circumstances", "Circumstances", "Brief circumstances", Kind.LONG_TEXT, True),
    Field("risk.tool", "Risk tool", "Risk tool (DASH, DARA, local)", Kind.RISK_TOOL, True),
    Field("risk.grade", "Grade", "Officer's risk grade", Kind.GRADE, True),
    Field("risk.yes_count", "Yes answers", "Number of yes answers (score)", Kind.COUNT),
    Field("previous_incidents_12m", "Previous incidents (12 months)", "Previous incidents in 12 months", Kind.COUNT),
    Field("injuries", "Injuries", "Injuries", Kind.YES_NO),
    Field("weapons", "Weapons", "Weapons", Kind.YES_NO),
    Field("strangulation", "Strangulation", "Strangulation or choking", Kind.YES_NO),
    Field("alcohol_or_drugs", "Alcohol or drugs", "Alcohol or drugs", Kind.YES_NO),
    Field("arrest_made", "Arrest made", "Arrest made", Kind.YES_NO),
    Field("no_arrest_reason", "Reason no arrest", "Why no arrest was made", Kind.TEXT),
    Field("body_worn_video", "Body-worn video", "Body-worn video references (separated by ;)", Kind.LIST),
    Field("victim_pregnant", "Victim pregnant", "Victim pregnant", Kind.YES_NO),
    Field("consent_to_share", "Consent to share", "Victim consents to share (as the police recorded)", Kind.YES_NO),
    Field("victim_aware", "Victim aware of referral", "Victim aware of the referral", Kind.YES_NO),
    Field("safe_contact.safe", "Safe to contact", "Safe to contact the victim", Kind.YES_NO),
    Field("safe_contact.number", "Safe contact number", "Safe telephone number", Kind.TEXT),
    Field("safe_contact.times", "Safe contact times", "Safe times to contact", Kind.TEXT),
    Field("safe_contact_notes", "Safe contact notes", "The officer's note on safe contact", Kind.TEXT),
    Field("open_case", "Open case", "Open to social care or early help", Kind.YES_NO),
    Field("allocated_worker", "Allocated worker", "Allocated worker", Kind.TEXT),
    Field("people.role", "Role", "Role in the incident", Kind.ROLE, True),
    Field("people.family_name", "Family name", "Family name", Kind.TEXT, True),
    Field("people.given_names", "Given names", "Given names", Kind.TEXT),
    Field("people.date_of_birth", "Date of birth", "Date of birth", Kind.DATE),
    Field("people.sex", "Sex", "Sex", Kind.TEXT),
    Field("people.ethnicity", "Ethnicity", "Ethnicity", Kind.TEXT),
    Field("people.relationship", "Relationship", "Relationship to the alleged perpetrator", Kind.TEXT),
    Field("people.address", "Address", "The person's address", Kind.TEXT),
    Field("people.address_withheld", "Address withheld", "The person's address withheld (refuge)", Kind.YES_NO),
    Field("people.school", "School or nursery", "School or nursery (children)", Kind.TEXT),
    Field("people.gp_or_health_visitor", "GP or health visitor", "GP or health visitor (children)", Kind.TEXT),
    Field("people.ordinarily_resident", "Ordinarily resident", "Ordinarily resident (children)", Kind.YES_NO),
    Field("people.present", "Present", "Present at the incident (children)", Kind.YES_NO),
    Field("people.witnessed", "Witnessed", "Witnessed the incident (children)", Kind.YES_NO),
    Field("people.injured", "Injured", "Injured (children)", Kind.YES_NO),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
INCIDENT_FIELDS = tuple(f for f in FIELDS if not f.person)
PERSON_FIELDS = tuple(f for f in FIELDS if f.person)

# Our own words, always understood; a partnership's mapping adds its force's words.
ROLE_WORDS = {
    "victim": PersonRole.VICTIM,
    "secondary victim": PersonRole.SECONDARY_VICTIM,
    "alleged perpetrator": PersonRole.ALLEGED_PERPETRATOR,
    "child": PersonRole.CHILD,
    "other adult": PersonRole.OTHER_ADULT,
}
GRADE_WORDS = {"standard": Grade.STANDARD, "medium": Grade.MEDIUM, "high": Grade.HIGH}
_YES = frozenset({"y", "yes", "true", "1"})
_NO = frozenset({"n", "no", "false", "0"})
_CHILDREN_AND_VICTIMS = frozenset({PersonRole.VICTIM, PersonRole.SECONDARY_VICTIM, PersonRole.CHILD})
_WHEN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
# A line that is a whole record even with an odd number of quotes: a quote inside an unquoted
# field ("5'10\" tall") is an ordinary character to the csv module.
_FIELD = r'(?:"(?:[^"]|"")*"|[^,"\r\n][^,\r\n]*|)'
_WHOLE_RECORD = re.compile(rf"{_FIELD}(?:,{_FIELD})*\r?\n?\Z")
_PERSON_PATH = re.compile(r"^people\[(\d+)\]\.(\w+)")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-_. ]*$")
_LIMITS = {Kind.TEXT: 200, Kind.LONG_TEXT: 10_000, Kind.REFERENCE: 40, Kind.LIST: 200}


def words(text: str) -> str:
    """How a force's word is compared: case and surrounding or repeated spaces ignored."""
    return " ".join(text.split()).casefold()


class ImportMapping(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One partnership's reading of its force's extract (edited on the import settings page)."""

    # field key -> the header the force uses; a field not here is not in the force's file.
    columns: dict[str, str]
    # The force's words (compared as `words` does) for roles, grades and risk tools.
    roles: dict[str, PersonRole] = msgspec.field(default_factory=dict)
    grades: dict[str, Grade] = msgspec.field(default_factory=dict)
    risk_tools: dict[str, str] = msgspec.field(default_factory=dict)
    # An address containing one of these means it is withheld (a refuge): never stored or matched.
    withheld_address: list[str] = msgspec.field(default_factory=lambda: ["address withheld"])


def _enum(key: str) -> PersonRole | None:
    return PersonRole._value2member_map_.get(key.replace(" ", "_"))  # type: ignore[return-value]


class Reading:
    """A mapping's word lists, folded once: consulted for every row."""

    def __init__(self, mapping: ImportMapping) -> None:
        self.mapping = mapping
        self._roles = {**ROLE_WORDS, **{words(k): v for k, v in mapping.roles.items()}}
        self._grades = {**GRADE_WORDS, **{words(k): v for k, v in mapping.grades.items()}}
        self._tools = {words(k): v for k, v in mapping.risk_tools.items()}
        self._withheld = [phrase.casefold() for phrase in mapping.withheld_address if phrase.strip()]

    def role(self, text: str) -> PersonRole | None:
        key = words(text)
        return self._roles.get(key) or _enum(key)

    def grade(self, text: str) -> Grade | None:
        return self._grades.get(words(text))

    def risk_tool(self, text: str) -> str:
        """The risk tool code a word names (an unknown code is caught against the database's list)."""
        key = words(text)
        return self._tools.get(key) or key.replace(" ", "_")

    def withheld(self, address: str) -> bool:
        folded = address.casefold()
        return any(phrase in folded for phrase in self._withheld)


DEFAULT_MAPPING = ImportMapping(columns={f.key: f.header for f in FIELDS})


@dataclass(frozen=True, slots=True)
class RowError:
    """What was wrong, where: the file's line number (the header is line 1) and the column's header."""

    line: int
    column: str | None
    message: str
    reference: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reference": self.reference, "message": self.message}


class FileError(Exception):
    """The file as a whole cannot be read (not UTF-8, no header, a quote never closed)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# ---- bytes to numbered rows -----------------------------------------------------------------


class ExtractReader:
    """Byte chunks in, (line number, fields) out. UTF-8 with or without BOM; CRLF or LF; quoted
    fields with commas and line breaks. A record is parsed once its quotes balance, so a chunk
    boundary inside a quoted line break is harmless.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._pending = ""  # an incomplete record: its lines so far
        self._line = 0  # physical lines handed to the csv reader so far

    def feed(self, chunk: bytes) -> list[tuple[int, list[str]]]:
        try:
            text = self._decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise FileError(self._line + 1, "The file is not UTF-8 text: save it as 'CSV UTF-8'") from error
        return self._rows(self._pending + text, final=False)

    def close(self) -> list[tuple[int, list[str]]]:
        try:
            text = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise FileError(self._line + 1, "The file is not UTF-8 text: save it as 'CSV UTF-8'") from error
        return self._rows(self._pending + text, final=True)

    def _rows(self, text: str, *, final: bool) -> list[tuple[int, list[str]]]:
        parts = text.split("\n")
        tail = parts.pop()  # after the last line break: an unfinished line (or "")
        lines = [part + "\n" for part in parts]
        if final and tail:
            lines.append(tail)
            tail = ""
        # Cut after the last line at which the quotes balance: what follows is a record still open.
        cut, odd = 0, False
        for index, line in enumerate(lines):
            if line.count('"') & 1 and (odd or not _WHOLE_RECORD.match(line)):
                odd = not odd
            if not odd:
                cut = index + 1
        if final and cut < len(lines):
            raise FileError(self._line + cut + 1, "A quoted field is never closed: check the quotation marks")
        self._pending = "".join(lines[cut:]) + tail
        if len(self._pending) > MAX_RECORD_CHARS:
            raise FileError(self._line + cut + 1, "A quoted field is never closed: check the quotation marks")
        rows: list[tuple[int, list[str]]] = []
        reader = csv.reader(lines[:cut])
        start = self._line
        try:
            for fields in reader:
                rows.append((start + 1, fields))
                start = self._line + reader.line_num
        except csv.Error as error:
            raise FileError(start + 1, "This line cannot be read as CSV: check its quotation marks") from error
        self._line += cut
        return rows


# ---- the header -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each mapped field sits in this file's rows."""

    index: dict[str, int]  # field key -> position
    header: dict[str, str]  # field key -> the header as the file spells it
    width: int
    unused: list[str]  # headers in the file that no field reads

    @classmethod
    def read(cls, line: int, row: list[str], mapping: ImportMapping) -> tuple[Columns | None, list[RowError]]:
        seen: dict[str, int] = {}
        errors: list[RowError] = []
        for position, name in enumerate(row):
            key = words(name)
            if not key:
                continue
            if key in seen:
                errors.append(RowError(line, name.strip(), f"The column '{name.strip()}' appears twice"))
            seen.setdefault(key, position)
        index: dict[str, int] = {}
        header: dict[str, str] = {}
        for field_ in FIELDS:
            wanted = mapping.columns.get(field_.key, "")
            position = seen.get(words(wanted)) if wanted.strip() else None
            if position is None:
                if field_.required:
                    where = f"'{wanted.strip()}'" if wanted.strip() else "no column (set one in the import settings)"
                    errors.append(RowError(line, None, f"The file has no column for {field_.label}: expected {where}"))
                continue
            index[field_.key] = position
            header[field_.key] = row[position].strip()
        used = set(index.values())
        unused = [name.strip() for position, name in enumerate(row) if name.strip() and position not in used]
        return (None if errors else cls(index=index, header=header, width=len(row), unused=unused)), errors


# ---- cells to values --------------------------------------------------------------------------


class _Bad(Exception):
    """A cell that cannot be read; the message says why, without repeating names or free text."""


def _when(text: str, *, date_only: bool) -> datetime | date:
    match = _WHEN.match(text)
    if not match:
        shape = "dd/mm/yyyy" if date_only else "dd/mm/yyyy HH:MM"
        raise _Bad(f"'{text[:40]}' is not a date: use {shape}")
    day, month, year = (int(part) for part in match.groups()[:3])
    hour, minute, second = (int(part) if part else None for part in match.groups()[3:])
    try:
        day_ = date(year, month, day)
    except ValueError:
        raise _Bad(f"'{text[:40]}' is not a real date") from None
    if year < 1900:
        raise _Bad(f"'{text[:40]}' is before 1900")
    if date_only:
        if hour or minute or second:  # spreadsheets add 00:00 to a date of birth
            raise _Bad(f"'{text[:40]}' should be a date without a time")
        return day_
    if hour is None:
        return datetime(year, month, day, tzinfo=LONDON).astimezone(UTC)
    if hour > 23 or (minute or 0) > 59 or (second or 0) > 59:
        raise _Bad(f"'{text[:40]}' is not a real time")
    return datetime(year, month, day, hour, minute or 0, second or 0, tzinfo=LONDON).astimezone(UTC)


def _value(field_: Field, text: str, reading: Reading) -> Any:
    """The value of one non-empty, stripped cell, or _Bad."""
    kind = field_.kind
    limit = _LIMITS.get(kind)
    if limit is not None and len(text) > limit:
        raise _Bad(f"is longer than {limit:,} characters")
    if kind is Kind.TEXT or kind is Kind.LONG_TEXT:
        return text
    if kind is Kind.YES_NO:
        folded = text.casefold()
        if folded in _YES:
            return True
        if folded in _NO:
            return False
        raise _Bad(f"'{text[:40]}' is not Y or N")
    if kind is Kind.DATETIME or kind is Kind.DATE:
        return _when(text, date_only=kind is Kind.DATE)
    if kind is Kind.COUNT:
        if not text.isdigit() or int(text) > 1000:
            raise _Bad(f"'{text[:40]}' is not a whole number from 0 to 1,000")
        return int(text)
    if kind is Kind.REFERENCE:
        if not _REFERENCE.match(text):
            raise _Bad("may hold only letters, digits, spaces and / - _ .")
        return text
    if kind is Kind.LIST:
        return [part.strip() for part in text.split(";") if part.strip()]
    if kind is Kind.ROLE:
        role = reading.role(text)
        if role is None:
            known = ", ".join(w.capitalize() for w in [*ROLE_WORDS, *reading.mapping.roles])
            raise _Bad(f"'{text[:40]}' is not a role Pitstop knows ({known}): add the force's word in the settings")
        return role
    if kind is Kind.GRADE:
        grade = reading.grade(text)
        if grade is None:
            raise _Bad(f"'{text[:40]}' is not a grade: use Standard, Medium or High, or add the force's word")
        return grade
    assert kind is Kind.RISK_TOOL
    return reading.risk_tool(text)


# ---- rows to incidents ----------------------------------------------------------------------


@dataclass(slots=True)
class Incident:
    """The rows of one police reference, made into a notification or found wrong."""

    reference: str
    first_line: int
    rows: int
    body: NotificationIn | None = None
    errors: list[RowError] = field(default_factory=list)
    # Where values came from, to place a rule's complaint: each person's line, and the line of each
    # incident fact found on a later row. Kept as plain lists and looked up only when needed.
    person_lines: list[int] = field(default_factory=list)
    fact_lines: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def place(self, path: str, message: str) -> RowError:
        """A rule's complaint about `path` (as the API names fields) as an error on a line and column."""
        match = _PERSON_PATH.match(path)
        if match:
            index, name = int(match.group(1)), match.group(2)
            line = self.person_lines[index] if index < len(self.person_lines) else self.first_line
            return RowError(line, self.headers.get(f"people.{name}"), message, self.reference)
        key = path if path in self.headers else path.split(".")[0]
        return RowError(self.fact_lines.get(key, self.first_line), self.headers.get(key), message, self.reference)


class IncidentBuilder:
    """Feeds numbered rows in; gives back each incident when the next police reference starts."""

    def __init__(self, columns: Columns, mapping: ImportMapping) -> None:
        self.columns = columns
        self.reading = Reading(mapping)
        self._reference_at = columns.index["police_reference"]
        self._group: list[tuple[int, list[str]]] = []
        self._group_errors: list[RowError] = []  # rows of this incident refused before it was built
        self._group_lines: list[int] = []  # their lines, for an incident of refused rows only
        self._group_reference = ""
        self.rows_read = 0
        self.row_errors: list[RowError] = []  # rows that belong to no incident

    def add(self, line: int, row: list[str]) -> Incident | None:
        if not any(cell.strip() for cell in row):
            return None  # an empty line, or a row of empty cells: skipped
        self.rows_read += 1
        reference = row[self._reference_at].strip() if self._reference_at < len(row) else ""
        problem = None
        if len(row) > self.columns.width and any(cell.strip() for cell in row[self.columns.width :]):
            problem = RowError(line, None, f"The row has {len(row)} fields but the header has {self.columns.width}")
        elif not reference:
            problem = RowError(line, self.columns.header["police_reference"], "The police reference is empty")
        if problem is not None:
            # A refused row may be a person of the incident being read (or, with no reference, the
            # one before): that incident is not "all rows correct", so it is refused with it.
            if reference and reference != self._group_reference:
                done = self._finish() if self._group else None
                self._group_reference = reference
                self._group_errors.append(RowError(problem.line, problem.column, problem.message, reference))
                self._group_lines.append(line)
                return done
            if self._group:
                self._group_errors.append(
                    RowError(problem.line, problem.column, problem.message, self._group_reference)
                )
            else:
                self.row_errors.append(problem)
            return None
        done = None
        if reference != self._group_reference and (self._group or self._group_errors):
            done = self._finish()
        self._group_reference = reference
        self._group.append((line, row))
        return done

    def close(self) -> Incident | None:
        return self._finish() if self._group or self._group_errors else None

    @property
    def open_incident(self) -> bool:
        return bool(self._group or self._group_errors)

    def _finish(self) -> Incident:
        rows, self._group = self._group, []
        errors, self._group_errors = self._group_errors, []
        lines, self._group_lines = self._group_lines, []
        if not rows:  # only refused rows: an incident with nothing to build
            return Incident(reference=self._group_reference, first_line=lines[0], rows=len(lines), errors=errors)
        incident = build_incident(self._group_reference, rows, self.columns, self.reading)
        if errors:
            incident.errors.extend(errors)
            incident.body = None
        return incident


def _cell(row: list[str], position: int | None) -> str:
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def build_incident(reference: str, rows: list[tuple[int, list[str]]], columns: Columns, reading: Reading) -> Incident:
    """One incident from its rows: incident facts may sit on any of its rows but must agree."""
    incident = Incident(
        reference=reference,
        first_line=rows[0][0],
        rows=len(rows),
        person_lines=[line for line, _ in rows],
        headers=columns.header,
    )
    errors = incident.errors
    header = columns.header
    body: dict[str, Any] = {}
    for field_ in INCIDENT_FIELDS:
        position = columns.index.get(field_.key)
        if position is None:
            continue
        found: tuple[int, str] | None = None
        for line, row in rows:
            text = _cell(row, position)
            if not text:
                continue
            if found is None:
                found = (line, text)
            elif text != found[1]:
                errors.append(
                    RowError(
                        line,
                        header[field_.key],
                        f"differs from line {found[0]}: the rows of one police reference must agree",
                        reference,
                    )
                )
        if found is None:
            continue
        if found[0] != rows[0][0]:
            incident.fact_lines[field_.key] = found[0]
        try:
            body[field_.key] = _value(field_, found[1], reading)
        except _Bad as bad:
            errors.append(RowError(found[0], header[field_.key], str(bad), reference))
    for field_ in INCIDENT_FIELDS:
        if field_.required and field_.key not in body and not any(e.column == header[field_.key] for e in errors):
            errors.append(RowError(rows[0][0], header[field_.key], f"{field_.label} is empty", reference))

    withheld = body.get("address_withheld") is True
    address = body.get("address")
    if isinstance(address, str) and reading.withheld(address):
        body.pop("address")
        withheld = True

    people: list[dict[str, Any]] = []
    mapped = [(f, columns.index[f.key], f.key.removeprefix("people.")) for f in PERSON_FIELDS if f.key in columns.index]
    for line, row in rows:
        person: dict[str, Any] = {}
        for field_, position, name in mapped:
            text = _cell(row, position)
            if not text:
                if field_.required:
                    errors.append(RowError(line, header.get(field_.key), f"{field_.label} is empty", reference))
                continue
            try:
                person[name] = _value(field_, text, reading)
            except _Bad as bad:
                errors.append(RowError(line, header[field_.key], str(bad), reference))
        own = person.get("address")
        if isinstance(own, str) and reading.withheld(own):
            del person["address"]
            person["address_withheld"] = True
        # A refuge protects the victim and the children: with the incident address withheld, so are theirs.
        if withheld and "address" not in person and person.get("role") in _CHILDREN_AND_VICTIMS:
            person["address_withheld"] = True
        people.append(person)
    if errors:
        return incident

    nested = _nest(body)
    nested["address_withheld"] = withheld
    nested["people"] = people
    contact = nested.get("safe_contact")
    if contact is not None and "safe" not in contact:
        place = "safe_contact.number" if "number" in contact else "safe_contact.times"
        errors.append(incident.place(place, "Say whether it is safe to contact the victim (Safe to contact: Y or N)"))
        return incident
    try:
        incident.body = msgspec.convert(nested, NotificationIn)
    except msgspec.ValidationError as error:
        message, _, path = str(error).rpartition(" - at `$.")
        errors.append(incident.place(path.rstrip("`"), message or str(error)))
    return incident


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{"risk.grade": g} -> {"risk": {"grade": g}}."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        head, dot, rest = key.partition(".")
        if dot:
            nested.setdefault(head, {})[rest] = value
        else:
            nested[key] = value
    return nested


# ---- the template -------------------------------------------------------------------------------

EXAMPLE = {
    "police_reference": "14/1234/26",
    "received_at": "24/11/2026 08:15",
    "incident_at": "24/11/2026 01:40",
    "address": "1 Example Street",
    "postcode": "AB1 2CD",
    "council_area": "Example",
    "circumstances": "Invented example: verbal argument, neighbour called police, one child present.",
    "risk.tool": "DASH",
    "risk.grade": "Medium",
    "risk.yes_count": "8",
    "previous_incidents_12m": "1",
    "injuries": "N",
    "weapons": "N",
    "strangulation": "N",
    "alcohol_or_drugs": "Y",
    "arrest_made": "N",
    "no_arrest_reason": "Suspect left before police arrived",
    "consent_to_share": "Y",
    "victim_aware": "Y",
    "safe_contact.safe": "Y",
    "safe_contact.number": "07700 900000",
    "safe_contact.times": "10:00-14:00",
    "people.role": "Victim",
    "people.family_name": "Example",
    "people.given_names": "Alex",
    "people.date_of_birth": "01/01/1990",
    "people.relationship": "Partner",
}


def template_rows(mapping: ImportMapping) -> Iterator[list[str]]:
    """The header row the partnership's mapping expects, then one invented example row."""
    mapped = [f for f in FIELDS if mapping.columns.get(f.key, "").strip()]
    yield [mapping.columns[f.key].strip() for f in mapped]
    role_word = {v: k for k, v in mapping.roles.items()}.get(PersonRole.VICTIM, "Victim")
    tool_word = {v: k for k, v in mapping.risk_tools.items()}.get("dash", "DASH")
    example = {**EXAMPLE, "people.role": role_word, "risk.tool": tool_word}
    yield [example.get(f.key, "") for f in mapped]


def mapping_errors(mapping: ImportMapping) -> dict[str, str]:
    """What is wrong with a mapping, by field: a required field without a column, a header used twice."""
    errors: dict[str, str] = {}
    owners: dict[str, str] = {}
    for field_ in FIELDS:
        header = mapping.columns.get(field_.key, "").strip()
        if not header:
            if field_.required:
                errors[field_.key] = f"Enter the force's header for {field_.label}: every file needs it"
            continue
        if len(header) > 100:
            errors[field_.key] = "A header must be 100 characters or fewer"
        elif words(header) in owners:
            errors[field_.key] = f"'{header}' is already the column for {FIELDS_BY_KEY[owners[words(header)]].label}"
        else:
            owners[words(header)] = field_.key
    unknown = sorted(set(mapping.columns) - set(FIELDS_BY_KEY))
    if unknown:
        errors["columns"] = f"Pitstop has no field {', '.join(unknown)}"
    return errors


def parse_word_list(text: str, choices: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Lines of "Force word = our word" (for roles, grades, risk tools): the pairs and the bad lines."""
    allowed = {words(c): c for c in choices}
    pairs: dict[str, str] = {}
    bad: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        left, sep, right = raw.partition("=")
        target = allowed.get(words(right))
        if not sep or not left.strip() or target is None:
            bad.append(raw.strip()[:60])
            continue
        pairs[" ".join(left.split())] = target
    return pairs, bad
