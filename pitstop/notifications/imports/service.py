"""Importing the police's daily extract, and the mapping that reads it.

The file streams through: bytes -> rows -> incidents -> batches of up to BATCH incidents, each
written with a few set-based statements. New notifications go in by the batch; one the
partnership already has is compared by content hash (unchanged: nothing written) or, when the
police changed it, goes through the same `receive` as every other intake (versions kept,
re-screening). By default any bad row means nothing is imported: the writes sit in a savepoint
that is rolled back. The import record, its counts and its report are kept either way; the file
never is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from datetime import UTC, datetime

import asyncpg
import msgspec

from pitstop.accounts import policy
from pitstop.accounts.identity import Identity
from pitstop.audit import service as audit
from pitstop.audit.models import AuditAction
from pitstop.calendar.service import load_calendar
from pitstop.calendar.working_time import WorkingCalendar
from pitstop.errors import Conflict, Invalid, NotFound
from pitstop.notifications import queries as notification_queries
from pitstop.notifications import service as intake
from pitstop.notifications.imports import queries
from pitstop.notifications.imports.extract import (
    DEFAULT_MAPPING,
    Columns,
    ExtractReader,
    FileError,
    ImportMapping,
    Incident,
    IncidentBuilder,
    RowError,
    mapping_errors,
)
from pitstop.notifications.imports.models import ImportMode, ImportOutcome, ImportReport
from pitstop.notifications.models import Outcome, Source

BATCH = 500  # incidents written together: big enough to amortise round trips, small enough to stay flat
MAX_ERRORS_KEPT = 1_000


class _Run:
    """One import in progress: counts, the first errors, and whether writing is still worthwhile."""

    def __init__(self, mode: ImportMode) -> None:
        self.mode = mode
        self.counts = queries.Counts()
        self.errors: list[RowError] = []
        self.errors_total = 0
        self.columns: Columns | None = None
        self.file_failed = False

    def fail(self, errors: list[RowError]) -> None:
        self.errors_total += len(errors)
        room = MAX_ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    @property
    def writing(self) -> bool:
        """All or nothing: after the first bad row, nothing will be kept, so stop writing."""
        if self.file_failed:
            return False
        return self.mode is ImportMode.GOOD_INCIDENTS or self.errors_total == 0


async def import_extract(
    conn: asyncpg.Connection,
    *,
    actor: Identity | None,
    partnership_id: int,
    chunks: AsyncIterable[bytes],
    file_name: str,
    mode: ImportMode,
    origin: audit.Origin,
) -> ImportReport:
    """Read the extract from `chunks` and import it; the report. `actor` None: an operator's import."""
    if actor is not None:
        policy.require(actor, policy.Permission.RECEIVE_NOTIFICATIONS)
        partnership_id = actor.partnership_id
    file_name = _clean_file_name(file_name)
    mapping = await mapping_for(conn, partnership_id)
    import_id = await queries.insert_import(conn, partnership_id, actor.user_id if actor else None, file_name, mode)
    writer = _Writer(
        conn,
        actor=actor,
        partnership_id=partnership_id,
        import_id=import_id,
        origin=origin,
        calendar=await load_calendar(conn, partnership_id),
        risk_tools=await notification_queries.risk_tool_question_keys(conn),
    )
    await queries.create_seen(conn)
    run = _Run(mode)
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        await _read(chunks, mapping, run, writer)
    except FileError as error:
        run.file_failed = True
        run.fail([RowError(error.line, None, error.message)])
    except BaseException:
        # Anything else (the upload broke off, the database failed): none of the file is kept.
        await savepoint.rollback()
        raise
    keep = not run.file_failed and run.columns is not None
    if mode is ImportMode.ALL_OR_NOTHING and run.errors_total:
        keep = False
    counts = run.counts
    if keep:
        await savepoint.commit()
    else:
        await savepoint.rollback()
        counts.created = counts.updated = counts.unchanged = 0
        counts.incidents_rejected = counts.incidents_read
    imported = counts.created + counts.updated + counts.unchanged
    if not keep or (imported == 0 and counts.incidents_rejected):
        outcome = ImportOutcome.REJECTED
    elif run.errors_total:
        outcome = ImportOutcome.PARTLY_IMPORTED
    else:
        outcome = ImportOutcome.IMPORTED
    ignored = run.columns.unused if run.columns else []
    # Rows are read while earlier batches are checked, so their errors arrive out of line order.
    errors = [e.as_dict() for e in sorted(run.errors, key=lambda e: e.line)]
    await queries.finish_import(conn, import_id, outcome, counts, errors, run.errors_total, ignored)
    await audit.record(
        conn,
        AuditAction.NOTIFICATIONS_IMPORTED,
        actor=actor,
        origin=origin,
        partnership_id=partnership_id,
        record_type="notification_import",
        record_id=import_id,
        detail={
            "outcome": outcome.value,
            "mode": mode.value,
            "rows_read": counts.rows_read,
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "incidents_rejected": counts.incidents_rejected,
            "errors": run.errors_total,
        },
    )
    report = await queries.report(conn, partnership_id, import_id)
    assert report is not None
    return report


async def _read(chunks: AsyncIterable[bytes], mapping: ImportMapping, run: _Run, writer: _Writer) -> None:
    reader = ExtractReader()
    builder: IncidentBuilder | None = None
    batch: list[Incident] = []
    header_refused = False

    async def take(rows: list[tuple[int, list[str]]]) -> None:
        nonlocal builder, header_refused
        for line, row in rows:
            if builder is None:
                if header_refused:
                    return
                if not any(cell.strip() for cell in row):
                    continue  # blank lines before the header
                run.columns, errors = Columns.read(line, row, mapping)
                if run.columns is None:
                    header_refused = True
                    run.file_failed = True
                    run.fail(errors)
                    return
                builder = IncidentBuilder(run.columns, mapping)
                continue
            incident = builder.add(line, row)
            run.counts.rows_read = builder.rows_read
            if builder.row_errors:
                run.fail(builder.row_errors)
                builder.row_errors.clear()
            if incident is not None:
                batch.append(incident)
                if len(batch) >= BATCH:
                    await writer.submit(batch[:], run)
                    batch.clear()
            if line & 63 == 0:
                # Let the batch being written send its next statement: reading a buffered request
                # body never yields to the event loop by itself.
                await asyncio.sleep(0)

    try:
        async for chunk in chunks:
            if not header_refused:  # a refused header: the rest of the body is drained unread
                await take(reader.feed(chunk))
        if header_refused:
            return
        await take(reader.close())
        if builder is None:
            run.file_failed = True
            run.fail([RowError(1, None, "The file is empty: it needs a header row and a row for each person")])
            return
        last = builder.close()
        if last is not None:
            batch.append(last)
        if batch:
            await writer.submit(batch[:], run)
    except FileError:
        # Incidents read but not yet written count as read (and, the file failing, as refused).
        run.counts.incidents_read += len(batch) + (1 if builder is not None and builder.open_incident else 0)
        raise
    finally:
        # Never leave a write running on the connection: the savepoint is settled next.
        await writer.finish()


class _Writer:
    def __init__(
        self,
        conn: asyncpg.Connection,
        *,
        actor: Identity | None,
        partnership_id: int,
        import_id: int,
        origin: audit.Origin,
        calendar: WorkingCalendar,
        risk_tools: dict[str, list[str]],
    ) -> None:
        self.conn = conn
        self.actor = actor
        self.partnership_id = partnership_id
        self.import_id = import_id
        self.origin = origin
        self.calendar = calendar
        self.risk_tools = risk_tools
        self.now = datetime.now(UTC)
        self._pending: asyncio.Task[None] | None = None

    async def submit(self, batch: list[Incident], run: _Run) -> None:
        """Write a batch while the next one is read: the database works while Python parses.

        One batch at a time (one connection), in file order, so rule checks and counts stay in order.
        """
        await self.finish()
        self._pending = asyncio.create_task(self.write(batch, run))

    async def finish(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending

    async def write(self, batch: list[Incident], run: _Run) -> None:
        """Check a batch against the rules, then write its good incidents (if still writing)."""
        run.counts.incidents_read += len(batch)
        first_in_batch: dict[str, int] = {}
        for incident in batch:
            if incident.reference in first_in_batch:
                incident.errors.append(_apart(incident, first_in_batch[incident.reference]))
            else:
                first_in_batch[incident.reference] = incident.first_line
            if incident.body is not None and not incident.errors:
                for path, message in intake.rule_errors(incident.body, self.risk_tools).items():
                    incident.errors.append(incident.place(path, message))
        seen_before = await queries.mark_seen(self.conn, list(first_in_batch), list(first_in_batch.values()))
        for incident in batch:
            line = seen_before.get(incident.reference)
            if line is not None and line != incident.first_line:
                incident.errors.append(_apart(incident, line))
        good = [incident for incident in batch if not incident.errors]
        for incident in batch:
            if incident.errors:
                run.counts.incidents_rejected += 1
                run.fail(incident.errors)
        if good and run.writing:
            await self._save(good, run)

    async def _save(self, good: list[Incident], run: _Run) -> None:
        conn = self.conn
        hashes = {incident.reference: intake.content_hash(incident.body) for incident in good if incident.body}
        known = await queries.existing(conn, self.partnership_id, list(hashes))
        new: list[queries.NewNotification] = []
        changed: list[Incident] = []
        for incident in good:
            body = incident.body
            assert body is not None
            digest = hashes[incident.reference]
            if incident.reference not in known:
                received_at = body.received_at or self.now
                due = self.calendar.deadline(received_at, body.risk.grade.value)
                new.append(queries.NewNotification(body, received_at, digest, due))
            elif known[incident.reference] == digest:
                run.counts.unchanged += 1
            else:
                changed.append(incident)
        if new:
            ids = await queries.insert_notifications(conn, self.partnership_id, Source.CSV, new)
            created = [(ids[ref], item.body) for item in new if (ref := item.body.police_reference.strip()) in ids]
            # A reference another sender created a moment ago: treat it as any update would be.
            taken = {item.body.police_reference.strip() for item in new} - set(ids)
            changed.extend(incident for incident in good if incident.reference in taken)
            if created:
                occurred = {
                    item.body.police_reference.strip(): item.body.incident_at or item.received_at for item in new
                }
                await notification_queries.insert_linked_people(
                    conn,
                    self.partnership_id,
                    [(i, body, occurred[body.police_reference.strip()]) for i, body in created],
                )
                user_id = self.actor.user_id if self.actor else None
                await queries.insert_first_versions(conn, created, Source.CSV, user_id, self.import_id)
                await audit.record_many(
                    conn,
                    AuditAction.NOTIFICATION_RECEIVED,
                    actor=self.actor,
                    origin=self.origin,
                    partnership_id=self.partnership_id,
                    record_type="notification",
                    record_ids=[notification_id for notification_id, _ in created],
                    detail={"source": Source.CSV.value, "import_id": self.import_id},
                )
                run.counts.created += len(created)
        for incident in changed:
            assert incident.body is not None
            received = await intake.receive(
                conn,
                actor=self.actor,
                partnership_id=self.partnership_id,
                body=incident.body,
                source=Source.CSV,
                origin=self.origin,
                import_id=self.import_id,
            )
            if received.outcome is Outcome.UNCHANGED:
                run.counts.unchanged += 1
            elif received.outcome is Outcome.UPDATED:
                run.counts.updated += 1
            else:
                run.counts.created += 1


def _apart(incident: Incident, first_line: int) -> RowError:
    return RowError(
        incident.first_line,
        None,
        f"The rows for this police reference must be together: it also appears at line {first_line}",
        incident.reference,
    )


def _clean_file_name(name: str) -> str:
    """The name as the browser gave it, without a path, printable, at most 255 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:255] or "extract.csv"


# ---- the mapping ----------------------------------------------------------------------------


class MappingState(msgspec.Struct, frozen=True, kw_only=True):
    mapping: ImportMapping
    version: int  # 0: the defaults, never saved


async def mapping_for(conn: asyncpg.Connection, partnership_id: int) -> ImportMapping:
    return (await _state(conn, partnership_id)).mapping


async def _state(conn: asyncpg.Connection, partnership_id: int) -> MappingState:
    found = await queries.mapping(conn, partnership_id)
    if found is None:
        return MappingState(mapping=DEFAULT_MAPPING, version=0)
    raw, version = found
    return MappingState(mapping=msgspec.convert(raw, ImportMapping), version=version)


async def mapping_state(conn: asyncpg.Connection, actor: Identity) -> MappingState:
    """The mapping for the settings page (no personal data: headers and words)."""
    policy.require(actor, policy.Permission.MANAGE_IMPORT_MAPPING)
    return await _state(conn, actor.partnership_id)


async def risk_tool_codes(conn: asyncpg.Connection) -> list[str]:
    return sorted(await notification_queries.risk_tool_question_keys(conn))


async def template(conn: asyncpg.Connection, actor: Identity, origin: audit.Origin) -> ImportMapping:
    """The mapping the template is written from; the download is audited like any other."""
    policy.require(actor, policy.Permission.RECEIVE_NOTIFICATIONS)
    await audit.record(conn, AuditAction.IMPORT_TEMPLATE_DOWNLOADED, actor=actor, origin=origin)
    return await mapping_for(conn, actor.partnership_id)


async def save_mapping(
    conn: asyncpg.Connection, actor: Identity, mapping: ImportMapping, version: int, origin: audit.Origin
) -> MappingState:
    """Save the partnership's mapping; Invalid with field errors, Conflict if someone saved first."""
    policy.require(actor, policy.Permission.MANAGE_IMPORT_MAPPING)
    if errors := mapping_errors(mapping):
        raise Invalid({f"columns.{key}" if key != "columns" else key: message for key, message in errors.items()})
    saved = await queries.save_mapping(conn, actor.partnership_id, msgspec.to_builtins(mapping), version, actor.user_id)
    if saved is None:
        raise Conflict("import_mapping")
    await audit.record(
        conn,
        AuditAction.IMPORT_MAPPING_UPDATED,
        actor=actor,
        origin=origin,
        record_type="import_mapping",
        record_id=actor.partnership_id,
        detail={"version": saved},
    )
    return MappingState(mapping=mapping, version=saved)


# ---- reading imports back ---------------------------------------------------------------------


async def report(conn: asyncpg.Connection, actor: Identity, import_id: int, origin: audit.Origin) -> ImportReport:
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    found = await queries.report(conn, actor.partnership_id, import_id)
    if found is None:
        raise NotFound("notification_import")
    await audit.record(
        conn,
        AuditAction.IMPORT_VIEWED,
        actor=actor,
        origin=origin,
        record_type="notification_import",
        record_id=import_id,
    )
    return found


async def recent(conn: asyncpg.Connection, actor: Identity, origin: audit.Origin) -> list[ImportReport]:
    policy.require(actor, policy.Permission.VIEW_NOTIFICATIONS)
    found = await queries.recent(conn, actor.partnership_id)
    await audit.record(conn, AuditAction.IMPORTS_LISTED, actor=actor, origin=origin, detail={"results": len(found)})
    return found
