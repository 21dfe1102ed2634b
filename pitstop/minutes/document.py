"""The minutes as a Word document, drawn from a snapshot (pitstop.minutes.models.Minutes), with no database.

- OFFICIAL-SENSITIVE at the top and bottom of every page: one section, no different first or even page,
  so the one header and the one footer print on every page. The footer also carries "Page x of y" as
  PAGE and NUMPAGES fields (each with a cached number for readers that do not lay pages out) and the
  version and its status.
- Real headings (Heading 1 to 3) so the navigation pane and screen readers find each item; real tables
  in "Table Grid" whose first row repeats on every page the table runs over.
- Every time is printed in Europe/London. Month and day names are constants, not the locale, so the
  text does not depend on the worker process's environment.
- The core properties hold the meeting, never a case: no names, no police references.

Tables are built with add_table(rows, cols) once and filled cell by cell with plain runs: python-docx
looks styles up by name with XPath, so styles are resolved once per document and set by their ids.
One 60-case, 200-action meeting renders in about 0.4 s (a 50 kB file, 131 pages) on a 2-core machine.

`render_encoded` is the entry point for a worker process (ProcessPoolExecutor): it takes the snapshot
as JSON bytes, so nothing but bytes crosses the process boundary.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import msgspec
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tc
from docx.oxml.text.font import CT_RPr
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from pitstop.minutes.models import Action, Case, Decision, Information, Minutes, MinutesState

LONDON = ZoneInfo("Europe/London")
MARKING = "OFFICIAL-SENSITIVE"
FONT = "Arial"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# XML 1.0 forbids these; text pasted from other systems sometimes carries them, and lxml would refuse it.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_HEADER_FILL = "E7E6E6"
_DECODER = msgspec.json.Decoder(Minutes)


def render_encoded(snapshot: bytes) -> bytes:
    """Decode a JSON-encoded Minutes snapshot and render it (for a worker process)."""
    return render(_DECODER.decode(snapshot))


def render(minutes: Minutes) -> bytes:
    """The minutes as a .docx file."""
    doc = Document()
    _page_setup(doc, minutes)
    _fonts(doc)
    writer = _Writer(doc)
    _properties(doc, minutes)
    _title_block(writer, minutes)
    _attendance(writer, minutes)
    writer.heading("Confidentiality", 1)
    for line in _lines(minutes.confidentiality):
        writer.para(line)
    _review(writer, minutes.review)
    discussed = [case for case in minutes.cases if not case.for_information]
    for_information = [case for case in minutes.cases if case.for_information]
    writer.heading("Items discussed", 1)
    if not discussed:
        writer.para("No items were discussed.")
    for case in discussed:
        _case(writer, case, minutes.copy_for_agency_name)
    if for_information:
        writer.heading("Items for information", 1)
        for case in for_information:
            _case(writer, case, minutes.copy_for_agency_name)
    _all_actions(writer, minutes.actions, minutes.copy_for_agency_name)
    _distribution(writer, minutes)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- wording


def _clean(text: str | None) -> str:
    return _NOT_XML.sub("", text) if text else ""


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in _clean(text).splitlines() if line.strip()]


def _local(moment: datetime) -> datetime:
    # Snapshots hold UTC; a naive time is taken as UTC rather than as the machine's zone.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON)


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _long_day(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {_day(day)}"


def _when(moment: datetime) -> str:
    local = _local(moment)
    return f"{_day(local.date())}, {local:%H:%M}"


def _short(moment: datetime) -> str:
    # GOV.UK style allows abbreviated months in tables, where the columns are narrow.
    local = _local(moment)
    return f"{local.day} {_MONTHS[local.month - 1][:3]} {local.year} {local:%H:%M}"


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def version_line(minutes: Minutes) -> str:
    """The version and its status, as the footer and the properties say it."""
    if minutes.superseded_by is not None:
        return f"Version {minutes.version}, replaced by version {minutes.superseded_by}"
    if minutes.state is MinutesState.APPROVED:
        if minutes.approved_at is None:
            return f"Version {minutes.version}, approved"
        return f"Version {minutes.version}, approved {_day(_local(minutes.approved_at).date())}"
    return f"Version {minutes.version} DRAFT (not approved)"


def _references(case: Case) -> str:
    return ", ".join(case.police_references)


# ---------------------------------------------------------------------------------------------- writer


class _Writer:
    """Paragraphs and tables appended to the body, with styles resolved once."""

    def __init__(self, doc: DocxDocument) -> None:
        self.doc = doc
        styles = doc.styles
        # Style ids, set on the XML directly: assigning a style object makes python-docx compare it with
        # the default style by scanning every style, which was most of the render time.
        self.headings = {level: styles[f"Heading {level}"].style_id for level in (1, 2, 3)}
        self.title_style = styles["Title"].style_id
        self.bullet = styles["List Bullet"].style_id
        self.grid = styles["Table Grid"].style_id
        section = doc.sections[0]
        self.width = section.page_width - section.left_margin - section.right_margin

    def _styled(self, text: str, style_id: str) -> Paragraph:
        paragraph = self.doc.add_paragraph(_clean(text))
        paragraph._p.style = style_id
        return paragraph

    def heading(self, text: str, level: int) -> Paragraph:
        return self._styled(text, self.headings[level])

    def title(self, text: str) -> Paragraph:
        return self._styled(text, self.title_style)

    def para(self, text: str = "", label: str | None = None, *, bold: bool = False, keep: bool = False) -> Paragraph:
        """A paragraph, with an optional bold label; `keep` holds it on the page of the paragraph after it."""
        paragraph = self.doc.add_paragraph()
        if keep:
            paragraph.paragraph_format.keep_with_next = True
        if label:
            paragraph.add_run(_clean(label)).bold = True
        if text:
            run = paragraph.add_run(_clean(text))
            if bold:
                run.bold = True
        return paragraph

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self._styled(item, self.bullet)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
        """A bordered table whose header row repeats on each page; widths are fractions of the text width."""
        table = self.doc.add_table(rows=len(rows) + 1, cols=len(headers))
        table._tbl.tblStyle_val = self.grid
        # Word reads each cell's width, LibreOffice the grid's: set both.
        lengths = [Emu(int(self.width * share)) for share in widths]
        for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, lengths, strict=True):
            grid_col.w = width
        for index, (row, values) in enumerate(zip(table.rows, [headers, *rows], strict=True)):
            for cell, value, width in zip(row.cells, values, lengths, strict=True):
                cell.width = width
                paragraph = cell.paragraphs[0]
                run = paragraph.add_run(_clean(value))
                if index == 0:
                    run.bold = True
                    _shade(cell._tc)
        header_row = table.rows[0]._tr.get_or_add_trPr()
        header_row.append(OxmlElement("w:tblHeader"))
        # A blank line after the table, so two tables in a row do not merge into one in Word.
        self.doc.add_paragraph()
        return table


def _shade(tc: CT_Tc) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), _HEADER_FILL)
    tc.get_or_add_tcPr().append(shading)


def _strip_theme_fonts(rpr: CT_RPr | None) -> None:
    # Theme font attributes win over w:ascii, so they go for Arial to show.
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    if fonts is None:
        return
    for attribute in list(fonts.attrib):
        if attribute.lower().endswith("theme"):
            del fonts.attrib[attribute]


def _fonts(doc: DocxDocument) -> None:
    """Arial 11 in Normal, black Arial headings, British English for the spelling checker."""
    styles = doc.styles
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _strip_theme_fonts(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    language = rpr.find(qn("w:lang"))
    if language is not None:
        language.set(qn("w:val"), "en-GB")
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for style, size, before in (
        (styles["Title"], 20, 0),
        (styles["Heading 1"], 16, 18),
        (styles["Heading 2"], 14, 14),
        (styles["Heading 3"], 12, 10),
    ):
        _strip_theme_fonts(style.element.rPr)
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(6)


# ---------------------------------------------------------------------------------------------- page


def _page_setup(doc: DocxDocument, minutes: Minutes) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(20)
    section.header_distance = section.footer_distance = Mm(10)
    # One header and one footer for every page, the first included.
    section.different_first_page_header_footer = False
    doc.settings.odd_and_even_pages_header_footer = False

    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.add_run(MARKING).bold = True

    footer = section.footer
    pages = footer.paragraphs[0]
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run("Page ")
    _field(pages, "PAGE", "1")
    pages.add_run(" of ")
    _field(pages, "NUMPAGES", "1")
    status = footer.add_paragraph(version_line(minutes))
    status.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if minutes.copy_for_agency_name:
        status.add_run(f". Copy for {_clean(minutes.copy_for_agency_name)}")
    marking = footer.add_paragraph()
    marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
    marking.add_run(MARKING).bold = True
    for paragraph in footer.paragraphs:
        paragraph.paragraph_format.space_after = Pt(0)
        for run in paragraph.runs:
            run.font.size = Pt(9)


def _field(paragraph: Paragraph, code: str, cached: str) -> None:
    """A complex field (begin, instruction, separate, cached result, end): Word and LibreOffice update it
    when they lay the pages out; a reader that does not still shows the cached number."""

    def marker(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    marker("begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} \\* MERGEFORMAT "
    paragraph.add_run()._r.append(instruction)
    marker("separate")
    paragraph.add_run(cached)
    marker("end")


def _properties(doc: DocxDocument, minutes: Minutes) -> None:
    """Core properties: the meeting and the version only, since file managers and search indexes show them."""
    local_day = _day(_local(minutes.starts_at).date())
    copy = f" (copy for {_clean(minutes.copy_for_agency_name)})" if minutes.copy_for_agency_name else ""
    drawn = minutes.drawn_at if minutes.drawn_at.tzinfo else minutes.drawn_at.replace(tzinfo=UTC)
    # python-docx writes the time with a "Z" without converting it, so convert first.
    drawn = drawn.astimezone(UTC)
    properties = doc.core_properties
    properties.title = f"Minutes: {_clean(minutes.series_name)}, {local_day}{copy}"
    properties.subject = f"Minutes of {_clean(minutes.series_name)}"
    properties.author = _clean(minutes.partnership_name)
    properties.last_modified_by = _clean(minutes.partnership_name)
    properties.category = MARKING
    properties.keywords = f"{MARKING}; minutes; safeguarding; domestic abuse"
    properties.comments = f"{version_line(minutes)}{copy}"
    properties.content_status = minutes.state.label
    properties.language = "en-GB"
    properties.revision = max(1, minutes.version)
    properties.created = drawn
    properties.modified = drawn


# ---------------------------------------------------------------------------------------------- content


def _title_block(writer: _Writer, minutes: Minutes) -> None:
    writer.para(minutes.partnership_name, bold=True)
    writer.title(f"Minutes of {minutes.series_name}")
    if minutes.state is MinutesState.DRAFT:
        draft = writer.para("DRAFT", bold=True)
        draft.runs[0].font.size = Pt(16)
        writer.para(f"{version_line(minutes)}: these minutes may change before they are approved.")
    else:
        approved_by = f" by {minutes.approved_by_name}" if minutes.approved_by_name else ""
        writer.para(f"{version_line(minutes)}{approved_by}", bold=True)
    if minutes.correction_reason and minutes.version > 1:
        writer.para(f"This version replaces version {minutes.version - 1}: {minutes.correction_reason}")
    if minutes.copy_for_agency_name:
        agency = minutes.copy_for_agency_name
        writer.para(f"Copy for {agency}: holds only what {agency} may see", bold=True)
    starts, ends = _local(minutes.starts_at), _local(minutes.ends_at)
    writer.para(_long_day(starts.date()), "Date: ")
    writer.para(f"{starts:%H:%M} to {ends:%H:%M}", "Time: ")
    writer.para(minutes.place or "Not recorded", "Place: ")
    writer.para(minutes.chair_name or "Not recorded", "Chair: ")
    writer.para(minutes.minute_taker_name or "Not recorded", "Minute-taker: ")


def _attendance(writer: _Writer, minutes: Minutes) -> None:
    writer.heading("Attendance", 1)
    if minutes.attendance:
        writer.table(
            ["Agency", "Attendance", "Who", "Information sent in advance"],
            [[a.agency_name, a.status, a.present_names or "", _yes_no(a.information_sent)] for a in minutes.attendance],
            [0.3, 0.17, 0.33, 0.2],
        )
    else:
        writer.para("No attendance recorded.")
    writer.heading("Observers", 2)
    if minutes.observers:
        writer.table(
            ["Name", "Organisation", "Confidentiality statement signed"],
            [[o.name, o.organisation or "", _yes_no(o.statement_signed)] for o in minutes.observers],
            [0.35, 0.4, 0.25],
        )
    else:
        writer.para("No observers.")
    writer.heading("Apologies", 2)
    apologies = [a for a in minutes.attendance if a.status.strip().lower() == "apologies"]
    if apologies:
        writer.bullets(
            [f"{a.agency_name} (information sent in advance: {_yes_no(a.information_sent).lower()})" for a in apologies]
        )
    else:
        writer.para("No apologies.")


def _review(writer: _Writer, review: Sequence[Action]) -> None:
    writer.heading("Review of actions from earlier meetings", 1)
    if not review:
        writer.para("There were no actions from earlier meetings to review.")
        return
    writer.table(
        ["Police reference", "Action", "Agency", "Person", "Due", "Status"],
        [
            [
                a.police_reference,
                a.description,
                a.owner_agency_name,
                a.owner_name or "",
                _short(a.due_at),
                f"{a.status}: {a.completion_note}" if a.completion_note else a.status,
            ]
            for a in review
        ],
        [0.15, 0.3, 0.15, 0.13, 0.12, 0.15],
    )


def _case(writer: _Writer, case: Case, copy_for: str | None) -> None:
    references = _references(case)
    name = f"For information {case.number}" if case.for_information else f"Item {case.number}"
    writer.heading(f"{name}: {references}" if references else name, 2)
    if case.for_information:
        writer.para("For information: routed to the allocated worker.")
    writer.para(_when(case.incident_at) if case.incident_at else "Not recorded", "Incident: ")
    writer.para(case.grade, "Grade: ")
    if case.reasons:
        writer.para("", "Why it was on the agenda:", keep=True)
        writer.bullets(case.reasons)
    if case.carried_from:
        writer.para(f"Carried from the meeting of {_day(case.carried_from)}.")

    writer.heading("People", 3)
    if case.people:
        writer.table(
            ["Role", "Name", "Age", "Notes"],
            [[p.role, p.name, p.age or "", p.notes or ""] for p in case.people],
            [0.2, 0.3, 0.15, 0.35],
        )
    else:
        writer.para("No people recorded.")

    writer.heading("Agency information", 3)
    if not case.information:
        writer.para("No agency information recorded.")
    for information in case.information:
        _information(writer, information)
    for agency in case.third_party_withheld:
        writer.para(
            f"{agency} shared third-party information at the meeting. It is not passed on in this copy: "
            f"ask {agency} if you need it."
        )

    writer.heading("Decision", 3)
    if case.decision is None:
        writer.para("No decision recorded.")
    else:
        _decision(writer, case.decision)

    writer.heading("Actions", 3)
    if case.actions:
        writer.table(
            ["What", "Agency", "Person", "Due"],
            [[a.description, a.owner_agency_name, a.owner_name or "", _short(a.due_at)] for a in case.actions],
            [0.45, 0.2, 0.17, 0.18],
        )
    else:
        writer.para(f"No actions for {copy_for}." if copy_for else "No actions.")


def _information(writer: _Writer, information: Information) -> None:
    # The agency's name and its markings stay on the page of what they mark.
    writer.para(information.knowledge, f"{information.agency_name}: ", keep=True)
    if information.restricted_to or information.restricted_to_names:
        names = ", ".join(information.restricted_to_names) or "the agencies named in Pitstop"
        writer.para(f"Restricted to: {names}", bold=True, keep=True)
    if information.third_party:
        writer.para("Third-party information: not to be passed on", bold=True, keep=True)
    if information.carried_from:
        writer.para(f"Recorded for the meeting of {_day(information.carried_from)}", keep=True)
    for line in _lines(information.summary):
        writer.para(line)
    checked = []
    if information.source_system:
        checked.append(f"on {information.source_system}")
    if information.checked_at:
        checked.append(_when(information.checked_at))
    where = f"Checked {', '.join(checked)}. " if checked else ""
    writer.para(f"{where}Recorded by {information.recorded_by_name}.")


def _decision(writer: _Writer, decision: Decision) -> None:
    if decision.deferred:
        writer.para("Deferred to the next meeting.", bold=True)
    if decision.outcomes:
        writer.para("", "Outcomes:", keep=True)
        writer.bullets(decision.outcomes)
    writer.para(decision.rationale, "Rationale: ")
    if decision.regrade:
        writer.para(decision.regrade, "Re-graded to: ")
        if decision.regrade_rationale:
            writer.para(decision.regrade_rationale, "Re-grade rationale: ")
    if decision.marac_criterion:
        writer.para(decision.marac_criterion, "MARAC criterion: ")
    for dissent in decision.dissents:
        writer.para(dissent.reason, f"Dissent from {dissent.agency_name}: ")
    writer.para(f"Recorded by {decision.recorded_by_name}.")


def _all_actions(writer: _Writer, actions: Sequence[Action], copy_for: str | None) -> None:
    writer.heading(
        f"Actions agreed at this meeting for {copy_for}" if copy_for else "All actions agreed at this meeting", 1
    )
    if not actions:
        writer.para(
            f"No actions were agreed for {copy_for}." if copy_for else "No actions were agreed at this meeting."
        )
        return
    writer.table(
        ["Item", "Police reference", "What", "Agency", "Person", "Due", "Status"],
        [
            [
                str(a.item_number) if a.item_number is not None else "",
                a.police_reference,
                a.description,
                a.owner_agency_name,
                a.owner_name or "",
                _short(a.due_at),
                a.status,
            ]
            for a in actions
        ],
        [0.07, 0.14, 0.3, 0.14, 0.13, 0.12, 0.1],
    )


def _distribution(writer: _Writer, minutes: Minutes) -> None:
    writer.heading("Distribution", 1)
    if not minutes.distribution:
        writer.para("No distribution recorded.")
    for recipient in minutes.distribution:
        names = ", ".join(recipient.names) if recipient.names else "no named representatives"
        writer.para(names, f"{recipient.agency_name}: ")
