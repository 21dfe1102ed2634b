"""Reading the police's extract without a database: bytes to rows, rows to incidents, every way a file goes wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pitstop.demo_import import NORTHFIELD_MAPPING
from pitstop.notifications.imports.extract import (
    DEFAULT_MAPPING,
    Columns,
    ExtractReader,
    FileError,
    ImportMapping,
    Incident,
    IncidentBuilder,
    mapping_errors,
    parse_word_list,
    template_rows,
)
from pitstop.notifications.models import Grade, PersonRole

# The invented example of one force's layout from shared/samples (Northfield, postcodes NF).
SAMPLE = Path(__file__).parents[1] / "fixtures" / "police-extract-example.csv"
HEADER = "Police reference,Date reported,Circumstances,Risk tool,Grade,Role,Family name,Given names,Date of birth"


def rows_of(data: bytes, chunk: int = 1 << 16) -> list[tuple[int, list[str]]]:
    reader = ExtractReader()
    rows = []
    for start in range(0, len(data), chunk):
        rows += reader.feed(data[start : start + chunk])
    return rows + reader.close()


def read(text: str, mapping: ImportMapping = DEFAULT_MAPPING, *, chunk: int = 1 << 16) -> list[Incident]:
    rows = rows_of(text.encode(), chunk)
    columns, errors = Columns.read(rows[0][0], rows[0][1], mapping)
    assert columns is not None, errors
    builder = IncidentBuilder(columns, mapping)
    incidents = [i for line, row in rows[1:] if (i := builder.add(line, row)) is not None]
    last = builder.close()
    return [*incidents, last] if last else incidents


def one(text: str, mapping: ImportMapping = DEFAULT_MAPPING) -> Incident:
    [incident] = read(text, mapping)
    return incident


def messages(incident: Incident) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, e.message) for e in incident.errors]


GOOD = HEADER + "\n1/26,24/11/2026 08:15,Argument,DASH,High,Victim,Marsh,Kelly,03/02/1994\n"


def test_a_good_incident_becomes_a_notification() -> None:
    incident = one(GOOD)
    assert incident.errors == []
    assert incident.body is not None
    assert incident.body.risk.grade is Grade.HIGH
    assert incident.body.risk.tool == "dash"
    assert incident.body.people[0].date_of_birth == date(1994, 2, 3)
    assert incident.body.received_at is not None
    assert incident.body.received_at.isoformat() == "2026-11-24T08:15:00+00:00"


def test_london_summer_time_is_converted_to_utc() -> None:
    incident = one(GOOD.replace("24/11/2026 08:15", "24/07/2026 08:15"))
    assert incident.body is not None
    assert incident.body.received_at is not None
    assert incident.body.received_at.isoformat() == "2026-07-24T07:15:00+00:00"


def test_a_date_alone_is_midnight_and_a_date_of_birth_may_carry_midnight() -> None:
    incident = one(GOOD.replace("24/11/2026 08:15", "24/11/2026").replace("03/02/1994", "03/02/1994 00:00"))
    assert incident.errors == []
    assert incident.body is not None
    assert incident.body.received_at is not None
    assert incident.body.received_at.isoformat() == "2026-11-24T00:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2026 08:15", "'31/02/2026 08:15' is not a real date"),
        ("24/11/2026 25:15", "'24/11/2026 25:15' is not a real time"),
        ("2026-11-24 08:15", "'2026-11-24 08:15' is not a date: use dd/mm/yyyy HH:MM"),
        ("11/24/2026 08:15", "'11/24/2026 08:15' is not a real date"),
        ("yesterday", "'yesterday' is not a date: use dd/mm/yyyy HH:MM"),
    ],
)
def test_bad_and_impossible_dates_name_the_line_and_column(value: str, message: str) -> None:
    incident = one(GOOD.replace("24/11/2026 08:15", value))
    assert incident.body is None
    assert messages(incident) == [(2, "Date reported", message)]


def test_a_date_of_birth_with_a_time_is_refused() -> None:
    incident = one(GOOD.replace("03/02/1994", "03/02/1994 14:30"))
    assert messages(incident) == [(2, "Date of birth", "'03/02/1994 14:30' should be a date without a time")]


def test_unknown_grades_and_roles_are_named() -> None:
    incident = one(GOOD.replace(",High,Victim,", ",Very high,Witness,"))
    found = messages(incident)
    assert found[0][:2] == (2, "Grade")
    assert "'Very high' is not a grade" in found[0][2]
    assert found[1][:2] == (2, "Role")
    assert "'Witness' is not a role Pitstop knows" in found[1][2]


def test_a_forces_words_come_from_its_mapping() -> None:
    mapping = ImportMapping(
        columns=DEFAULT_MAPPING.columns,
        roles={"Suspect": PersonRole.ALLEGED_PERPETRATOR},
        grades={"H": Grade.HIGH},
        risk_tools={"DASH 2009": "dash"},
    )
    text = GOOD.replace(",DASH,High,", ",dash  2009,h,") + "1/26,,,,,SUSPECT,Dunmore,Craig,\n"
    incident = one(text, mapping)
    assert incident.errors == []
    assert incident.body is not None
    assert [p.role for p in incident.body.people] == [PersonRole.VICTIM, PersonRole.ALLEGED_PERPETRATOR]
    assert incident.body.risk.grade is Grade.HIGH
    assert incident.body.risk.tool == "dash"


def test_missing_required_columns_are_errors_on_the_header() -> None:
    rows = rows_of(b"Police reference,Circumstances,Grade,Role,Surname\n")
    columns, errors = Columns.read(1, rows[0][1], DEFAULT_MAPPING)
    assert columns is None
    assert [e.line for e in errors] == [1, 1]
    assert "Risk tool (DASH, DARA, local): expected 'Risk tool'" in errors[0].message
    assert "Family name: expected 'Family name'" in errors[1].message


def test_a_column_named_twice_is_an_error() -> None:
    rows = rows_of((HEADER + ",grade\n").encode())
    columns, errors = Columns.read(1, rows[0][1], DEFAULT_MAPPING)
    assert columns is None
    assert errors[0].message == "The column 'grade' appears twice"


def test_headers_match_ignoring_case_and_spaces_and_unused_columns_are_listed() -> None:
    rows = rows_of(b"POLICE REFERENCE , circumstances,Risk  Tool,grade,role,family name,Officer collar number\n")
    columns, errors = Columns.read(1, rows[0][1], DEFAULT_MAPPING)
    assert errors == []
    assert columns is not None
    assert columns.unused == ["Officer collar number"]


def test_quoted_commas_and_line_breaks_crlf_and_a_bom_survive_any_chunking() -> None:
    text = (
        "\ufeff" + HEADER + "\r\n"
        '1/26,24/11/2026 08:15,"Shouting, then ""get out"".\r\nChildren upstairs.",DASH,High,Victim,Marsh,Kelly,\r\n'
        '1/26,,,,,Child,"Marsh, Jr",Tyler,11/05/2017\r\n'
    )
    for chunk in (1, 2, 3, 7, 64, 1 << 16):
        [incident] = read(text, chunk=chunk)
        assert incident.errors == []
        assert incident.body is not None
        assert incident.body.circumstances == 'Shouting, then "get out".\r\nChildren upstairs.'
        assert incident.body.people[1].family_name == "Marsh, Jr"
        assert incident.first_line == 2
        assert incident.rows == 2


def test_a_bom_split_across_chunks_is_still_removed() -> None:
    data = ("\ufeff" + GOOD).encode()
    [header, _] = rows_of(data, chunk=1)
    assert header[1][0] == "Police reference"


def test_line_numbers_count_physical_lines() -> None:
    text = HEADER + '\n1/26,,"two\nlines",DASH,High,Victim,Marsh,Kelly,\n\n2/26,,Three,DASH,Wrong,Victim,Marsh,Kelly,\n'
    first, second = read(text)
    assert first.first_line == 2
    assert messages(second) == [(5, "Grade", messages(second)[0][2])]


def test_empty_lines_and_empty_rows_are_skipped() -> None:
    text = HEADER + "\n\n,,,,,,,,\n" + GOOD.split("\n", 1)[1] + "\r\n\n"
    [incident] = read(text)
    assert incident.errors == []


def test_an_empty_cell_in_a_required_field() -> None:
    incident = one(GOOD.replace(",Marsh,", ",,"))
    assert messages(incident) == [(2, "Family name", "Family name is empty")]
    incident = one(GOOD.replace(",Argument,", ",,"))
    assert messages(incident) == [(2, "Circumstances", "Brief circumstances is empty")]


def test_incident_facts_may_sit_on_any_row_but_must_agree() -> None:
    text = HEADER + "\n1/26,,,,,Victim,Marsh,Kelly,\n1/26,24/11/2026 08:15,Argument,DASH,High,Child,Marsh,Tyler,\n"
    incident = one(text)
    assert incident.errors == []
    clash = text + "1/26,,,,Medium,Child,Marsh,Amy,\n"
    incident = one(clash)
    assert messages(incident) == [
        (4, "Grade", "differs from line 3: the rows of one police reference must agree"),
    ]


def test_a_refused_row_refuses_its_incident() -> None:
    # A person's row that cannot be read (too wide, or its reference left out) must not leave the
    # incident to be imported without that person.
    wide = GOOD + "1/26,,,,,Child,Marsh,Tyler,11/05/2017,surplus\n2/26,,x,DASH,High,Victim,Marsh,Kelly,\n"
    first, second = read(wide)
    assert first.body is None
    assert [(e.line, e.message) for e in first.errors] == [(3, "The row has 10 fields but the header has 9")]
    assert second.errors == []
    blank_reference = GOOD + ",,,,,Child,Marsh,Tyler,11/05/2017\n"
    [incident] = read(blank_reference)
    assert incident.body is None
    assert messages(incident) == [(3, "Police reference", "The police reference is empty")]
    assert incident.errors[0].reference == "1/26"


def test_a_stray_quote_in_an_unquoted_cell_is_an_ordinary_character() -> None:
    incident = one(GOOD.replace(",Argument,", ",He is 5'10\" tall,"))
    assert incident.errors == []
    assert incident.body is not None
    assert incident.body.circumstances == "He is 5'10\" tall"


def test_a_very_long_field_is_a_clear_error_not_a_crash() -> None:
    incident = one(GOOD.replace(",Argument,", ',"' + "x" * 200_000 + '",'))
    assert messages(incident) == [(2, "Circumstances", "is longer than 10,000 characters")]


def test_a_quote_never_closed_is_a_file_error() -> None:
    with pytest.raises(FileError) as raised:
        rows_of((GOOD + '2/26,,"never closed,DASH,High\n3/26,,x\n').encode())
    assert raised.value.line == 3


def test_a_file_that_is_not_utf8_is_a_file_error() -> None:
    with pytest.raises(FileError, match="not UTF-8"):
        rows_of(GOOD.replace("Kelly", "Zoë").encode("cp1252"))


def test_a_withheld_address_is_never_kept_and_protects_the_victim_and_children() -> None:
    header = HEADER + ",Incident address,Address\n"
    text = (
        header + "1/26,,Argument,DASH,High,Victim,Okafor,Grace,,Address withheld (refuge),\n"
        "1/26,,,,,Alleged perpetrator,Okafor,Daniel,,,4 Elm Row\n"
        "1/26,,,,,Child,Okafor,Precious,,,\n"
    )
    incident = one(text)
    assert incident.body is not None
    assert incident.body.address is None
    assert incident.body.address_withheld is True
    people = incident.body.people
    assert [(p.address, p.address_withheld) for p in people] == [(None, True), ("4 Elm Row", False), (None, True)]


def test_safe_contact_needs_a_yes_or_no_before_a_number() -> None:
    header = HEADER + ",Safe contact number\n"
    incident = one(header + "1/26,,Argument,DASH,High,Victim,Marsh,Kelly,,07700 900123\n")
    assert messages(incident) == [
        (2, "Safe contact number", "Say whether it is safe to contact the victim (Safe to contact: Y or N)")
    ]


def test_the_northfield_sample_layout_reads_with_its_mapping() -> None:
    incidents = read(SAMPLE.read_text(encoding="utf-8"), NORTHFIELD_MAPPING)
    assert [(i.reference, i.rows, i.errors) for i in incidents] == [
        ("14/7781/26", 4, []),
        ("14/7795/26", 3, []),
        ("14/7802/26", 3, []),
    ]


def test_the_template_reads_back_without_errors() -> None:
    rows = list(template_rows(DEFAULT_MAPPING))
    text = "\n".join(",".join(f'"{cell}"' for cell in row) for row in rows) + "\n"
    assert one(text).errors == []


def test_mapping_errors_name_the_field() -> None:
    columns = {**DEFAULT_MAPPING.columns, "police_reference": " ", "people.given_names": "FAMILY NAME"}
    errors = mapping_errors(ImportMapping(columns=columns))
    assert set(errors) == {"police_reference", "people.given_names"}
    assert errors["people.given_names"] == "'FAMILY NAME' is already the column for Family name"


def test_word_lists_are_read_line_by_line() -> None:
    text = "Suspect = Alleged perpetrator\n\nOffender=alleged PERPETRATOR\nnonsense"
    pairs, bad = parse_word_list(text, ["Alleged perpetrator"])
    assert pairs == {"Suspect": "Alleged perpetrator", "Offender": "Alleged perpetrator"}
    assert bad == ["nonsense"]
