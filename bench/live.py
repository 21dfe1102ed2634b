"""live: 60 open streams on one meeting while 10 users save: the time from a save to its delivery on every stream.

The issue's target ("The live meeting screen"): 60 open streams on one meeting while 10 users save; the time
from save to delivery on every stream, p95 at most 1 s; and the service's memory with 60 streams.

Set-up, as the schema owner through the product's services, records' (`Meeting.set_up` of
`bench/_meeting.py`) for a partnership of its own, `live` (e-mail addresses are unique across
partnerships): 10 agencies, all invited to a series 30 days ahead (then made inactive, so the server's
meeting clock leaves it alone); 10 notifications received through intake, screened and queued, each its
own victim; the series' first meeting published (10 items) and started. 60 users (one argon2 hash, the
product's own insert): 54 agency members over the 10 agencies and 6 coordinators. `pitstop serve` at INFO,
as production runs it. Every user signs in through the form (`sign_in` of `bench/_meeting.py`): its
session cookie and the CSRF token of a signed-in page.

- **Savers**: the first member of each agency saves its agency's information on its own item (saver k on
  item k), `PUT /api/v1/meetings/{m}/items/{i}/information` as records does it (`exchange` of `bench/_meeting.py`,
  on a keep-alive connection), one save after another with a pause of 0.5-1.5 s before each: about 10 saves a
  second in all. Each acknowledged save must be 201 (the first) or 200 with the version sent + 1: nobody
  else writes that record, so a 409 is an error.
- **Streams**: `GET /meetings/{m}/live` with the user's session cookie, one connection each, read
  incrementally on raw asyncio streams (chunked transfer, SSE messages split on the blank line), each
  message stamped with `time.perf_counter()` as its chunk arrives. Streams are opened before the saves.
- **Matching**, through the database: each save publishes one `information` event (table meeting_event)
  in its transaction. A saver saves one after another, so the k-th information event of item i after the
  phase began is saver i's k-th acknowledged save (its record_id must be the save's record). Delivery
  latency = the time a stream received that event id - the time the save's request was sent, for every
  (save, stream) pair. An event not received within 10 s of its save, on any stream, is missing (an error).
- **Ids only**: every message's fields are `id`, `event` and `data` (or a comment); the kind and the item
  id must be the log's, and the ids strictly increasing on a stream.

Phases, on one server: warm-up (every saver once, all at once, one stream open); the baseline's first half
(1 stream, a coordinator's, saves for 8 s); the load (60 streams, every user's, saves for 30 s); a burst
(the same 60 streams, 5 rounds of all 10 savers at once: saves whose transactions overlap, so that their
events may commit out of id order); the baseline's second half (1 stream, 8 s), so that drift on the
machine affects both sides. Warm-up and burst are not in the percentiles but are checked like the rest.

Memory: the resident set (VmRSS, of the server process and any children) with no stream open, just after
the 60 opened, and after the load with the 60 open; the peak (VmHWM) during the 60-stream phase (reset with
clear_refs when the kernel allows it); and after the 60 closed.

Target: p95 delivery with 60 streams at most 1 s (ratio = 1 s / p95 >= 1.0); printed beside it, the same
p95 against the p95 with one stream measured in the same run. Errors (a save answered wrongly, a stream
refused or ended, a message that is not ids only, a delivery missing in any phase) make the line ERROR
(exit status 2); each missing event is printed with how many streams lacked it, whether they had later
events, and how many other saves were in flight while its save was.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import psutil

from bench._common import (
    BenchError,
    Comparison,
    Connection,
    Context,
    percentile_ms,
    process_cpu,
    reset_peak,
    status_kib,
)
from bench._meeting import REQUEST_SECONDS, Meeting, Save, Setup, Tally, User, exchange, save_paced, sign_in

DESCRIPTION = "60 live streams on one meeting while 10 users save: p95 save-to-delivery (target <= 1 s), memory"
AGENCIES = 10  # and savers, one per agency, each on its own item
MEMBERS = 54  # agency members, spread over the agencies
COORDINATORS = 6
STREAMS = MEMBERS + COORDINATORS  # every user opens one in the load
MEETING = Meeting(
    slug="live", reference="LV", agencies=AGENCIES, members=MEMBERS, coordinators=COORDINATORS, items=AGENCIES
)
LOAD_SECONDS = 30.0
BASELINE_SECONDS = 8.0  # each half, one stream
PAUSE_SECONDS = (0.5, 1.5)  # before each save, uniform
MAX_SAVES_PER_USER = 200  # the count bound beside the deadline (about 30 fit in 30 s)
MISSING_AFTER = 10.0  # seconds: a delivery later than this after its save is missing
TARGET_SECONDS = 1.0  # the issue's: p95 save to delivery with 60 streams
SIGN_INS_AT_ONCE = 8  # each is an argon2 hash on the server; a queue longer than this only waits
BURST_ROUNDS = 5  # every saver at once, with the 60 streams open: saves that commit out of order
SEED = 20_250_612
KINDS = {"meeting", "item", "information", "decision", "action"}


# ---- streams ------------------------------------------------------------------------------------


@dataclass
class Received:
    at: float  # time.perf_counter() as the message's chunk arrived
    kind: str
    data: str


@dataclass
class Stream:
    """One user's live stream, read by a task of its own until closed."""

    user: User
    conn: Connection | None = None
    task: asyncio.Task[None] | None = None
    seen: dict[int, Received] = field(default_factory=dict)  # event id -> what arrived
    last_id: int = 0
    messages: int = 0
    comments: int = 0  # keep-alive comments (`: still here`)
    empty_data_comments: int = 0  # of which also dispatch an event (a `data:` line beside the comment)
    bytes: int = 0
    errors: list[str] = field(default_factory=list)
    closing: bool = False

    def error(self, message: str) -> None:
        self.errors.append(f"stream of {self.user.email}: {message}"[:300])

    async def open(self, port: int, meeting_id: int) -> None:
        """Send the request and read the response's head; then read the stream in a task."""
        conn = await asyncio.wait_for(Connection.open(port), 5)
        request = (
            (
                f"GET /meetings/{meeting_id}/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: pitstop-bench\r\n"
                "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
            ).encode()
            + b"Cookie: "
            + self.user.session
            + b"\r\n\r\n"
        )
        try:
            conn.writer.write(request)
            head = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), REQUEST_SECONDS)
        except BaseException:
            conn.close()
            raise
        status = int(head[9:12]) if head.startswith(b"HTTP/1.1 ") else 0
        headers = {}
        for line in head[:-4].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if (
            status != 200
            or not headers.get(b"content-type", b"").startswith(b"text/event-stream")
            or b"chunked" not in headers.get(b"transfer-encoding", b"").lower()
        ):
            conn.close()
            raise BenchError(f"GET /meetings/{meeting_id}/live as {self.user.email}: {head[:300]!r}")
        self.conn = conn
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.conn is not None
        reader = self.conn.reader
        buffer = b""
        try:
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    break
                chunk = await reader.readexactly(size + 2)
                at = time.perf_counter()
                self.bytes += size
                buffer += chunk[:-2]
                while (end := buffer.find(b"\r\n\r\n")) >= 0:
                    self._message(buffer[:end], at)
                    buffer = buffer[end + 4 :]
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            if not self.closing:
                self.error(f"{type(exc).__name__}: {exc}")
            return
        if not self.closing:
            self.error("the server ended the stream")

    def _message(self, raw: bytes, at: float) -> None:
        """One SSE message: ids only (an event id, a kind, an item id or nothing), or a comment."""
        fields: dict[str, str] = {}
        comment = False
        for line in raw.decode("utf-8", "replace").split("\r\n"):
            if line.startswith(":"):
                comment = True
                continue
            name, _, value = line.partition(":")
            if name not in ("id", "event", "data") or name in fields:
                self.error(f"a message with field {name!r}: {raw[:200]!r}")
                return
            fields[name] = value[1:] if value.startswith(" ") else value
        if comment:
            self.comments += 1
            if fields.get("data") == "" and set(fields) == {"data"}:
                self.empty_data_comments += 1
            elif fields:
                self.error(f"a comment with fields: {raw[:200]!r}")
            return
        self.messages += 1
        raw_id, kind, data = fields.get("id", ""), fields.get("event", ""), fields.get("data")
        if not (raw_id.isascii() and raw_id.isdigit()) or kind not in KINDS or data is None:
            self.error(f"not an event of the log: {raw[:200]!r}")
            return
        if data and not (data.isascii() and data.isdigit()):
            self.error(f"data that is not an item id: {raw[:200]!r}")
            return
        event_id = int(raw_id)
        if event_id <= self.last_id:
            self.error(f"event {event_id} after {self.last_id}")
            return
        self.last_id = event_id
        self.seen[event_id] = Received(at, kind, data)

    async def close(self) -> None:
        self.closing = True
        if self.conn is not None:
            self.conn.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def _open_streams(users: Sequence[User], port: int, meeting_id: int) -> list[Stream]:
    streams = [Stream(u) for u in users]
    try:
        async with asyncio.timeout(REQUEST_SECONDS + 5):
            await asyncio.gather(*(s.open(port, meeting_id) for s in streams))
    except BaseException:
        await asyncio.gather(*(s.close() for s in streams))
        raise
    return streams


# ---- saves --------------------------------------------------------------------------------------


@dataclass
class Sent(Save):
    sent_at: float = 0.0  # time.perf_counter() as the request's first byte went
    record_id: int | None = None  # the information record, as answered


async def _save(setup: Setup, port: int, user: User, item: int, tally: Tally, phase: str) -> None:
    """The user's agency's information on `item`: nobody else writes that record, so 201 then 200s."""
    text = f"live {phase} u{user.index:02d} #{sum(tally.attempts.values()):05d} {uuid.uuid4().hex[:12]}"
    save = Sent("information", phase, user.index, user.agency_id, item, text)
    sent_version = user.versions.get(item)
    payload = {"knowledge": "known", "summary": text, "source_system": "bench", "version": sent_version}
    path = f"/api/v1/meetings/{setup.meeting_id}/items/{item}/information"
    expected = 201 if sent_version is None else 200
    answer = await exchange(user, port, "PUT", path, payload, save, tally)
    if answer is None:
        return
    save.sent_at = time.perf_counter() - save.seconds
    if save.status != expected or not isinstance(answer, dict):
        tally.error(save, f"PUT {path}: status {save.status} (expected {expected}): {answer!r:.200}")
        return
    save.version, save.record_id = answer.get("version"), answer.get("id")
    if answer.get("summary") != text or save.version != (sent_version or 0) + 1 or not isinstance(save.record_id, int):
        tally.error(save, f"acknowledged with a wrong body (sent version {sent_version}): {answer!r:.200}")
        return
    user.versions[item] = save.version  # type: ignore[assignment]
    tally.acknowledged.append(save)


async def _saving(
    setup: Setup, port: int, savers: Sequence[tuple[User, int]], tally: Tally, phase: str, seconds: float, seed: int
) -> None:
    """Every saver for `seconds`, a save after each pause of 0.5-1.5 s; no save starts after the deadline."""
    items = {user.index: item for user, item in savers}

    async def save(user: User, _: random.Random) -> None:
        await _save(setup, port, user, items[user.index], tally, phase)

    try:
        await save_paced([u for u, _ in savers], seconds, PAUSE_SECONDS, MAX_SAVES_PER_USER, seed, save)
    except TimeoutError:
        raise BenchError(f"{phase}: saves unanswered after {REQUEST_SECONDS:.0f}s; {tally.errors[:3]}") from None


# ---- a phase: saves while streams are open, then every delivery matched ---------------------------


@dataclass
class Phase:
    label: str
    streams: int
    seconds: float = 0.0
    saves: list[Sent] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # every (save, stream) delivery, seconds
    everywhere: list[float] = field(default_factory=list)  # per save delivered on all: until the last stream
    missing: int = 0
    errors: list[str] = field(default_factory=list)
    other_events: Counter[str] = field(default_factory=Counter)  # in the log, not from a save of this phase
    cpu: float = float("nan")  # cores the server used

    @property
    def deliveries(self) -> int:
        return len(self.latencies)


async def _phase(
    label: str,
    owner: asyncpg.Connection,
    setup: Setup,
    port: int,
    pid: int,
    savers: Sequence[tuple[User, int]],
    streams: Sequence[Stream],
    seconds: float | None,
    seed: int,
    rounds: int = 1,
) -> Phase:
    """The savers save for `seconds` (None: each once, all at once) while `streams` are open; then, once every
    stream has had the last event or MISSING_AFTER has passed, each acknowledged save is matched with its
    event in the log and its arrival on every stream."""
    phase = Phase(label, len(streams))
    tally = Tally()
    after = await owner.fetchval(
        "SELECT coalesce(max(id), 0) FROM meeting_event WHERE meeting_id = $1", setup.meeting_id
    )
    cpu_before, started = process_cpu(pid), time.perf_counter()
    if seconds is None:
        for _ in range(rounds):
            async with asyncio.timeout(REQUEST_SECONDS + 5):
                await asyncio.gather(*(_save(setup, port, u, i, tally, label) for u, i in savers))
    else:
        await _saving(setup, port, savers, tally, label, seconds, seed)
    phase.seconds = time.perf_counter() - started
    phase.saves = [s for s in tally.acknowledged if isinstance(s, Sent)]
    phase.errors += tally.errors
    last_sent = max((s.sent_at for s in phase.saves), default=time.perf_counter())
    # Every acknowledged save's event is in the log (it was written in the save's transaction); then wait
    # until every stream has had the last of them, or until MISSING_AFTER after the last save was sent.
    query = """SELECT id, kind, item_id, record_id FROM meeting_event WHERE meeting_id = $1 AND id > $2
                ORDER BY id"""
    rows = await owner.fetch(query, setup.meeting_id, after)
    last_id = max((r["id"] for r in rows), default=after)
    while time.perf_counter() < last_sent + MISSING_AFTER and any(s.last_id < last_id for s in streams):
        await asyncio.sleep(0.02)
    cpu_after = process_cpu(pid)
    if cpu_before is not None and cpu_after is not None:
        phase.cpu = (cpu_after - cpu_before) / (time.perf_counter() - started)

    by_item: dict[int, list[asyncpg.Record]] = defaultdict(list)
    ours = {item for _, item in savers}
    for row in rows:
        if row["kind"] == "information" and row["item_id"] in ours:
            by_item[row["item_id"]].append(row)
        else:
            phase.other_events[row["kind"]] += 1
    saves_by_item: dict[int, list[Sent]] = defaultdict(list)
    for save in sorted(phase.saves, key=lambda s: s.sent_at):
        saves_by_item[save.item_id].append(save)  # type: ignore[index]
    matched: list[tuple[asyncpg.Record, Sent]] = []
    for item in ours:
        events, saves = by_item.get(item, []), saves_by_item.get(item, [])
        if len(events) != len(saves):
            phase.errors.append(f"item {item}: {len(events)} information events for {len(saves)} acknowledged saves")
        for event, save in zip(events, saves, strict=False):
            if event["record_id"] != save.record_id:
                phase.errors.append(f"event {event['id']}: record {event['record_id']}, the save's {save.record_id}")
            matched.append((event, save))
    logged = {r["id"]: r for r in rows}
    for stream in streams:
        for event_id, got in stream.seen.items():
            row = logged.get(event_id)
            if event_id <= after:
                continue
            if row is None:
                stream.error(f"event {event_id} is not in the meeting's log")
            elif (got.kind, got.data) != (row["kind"], str(row["item_id"] or "")):
                stream.error(f"event {event_id} arrived as {got.kind} {got.data!r}: the log has {dict(row)}")
    for event, save in matched:
        slowest, absent = 0.0, []
        for stream in streams:
            got = stream.seen.get(event["id"])
            if got is None or got.at - save.sent_at > MISSING_AFTER:
                absent.append(stream)
                continue
            phase.latencies.append(got.at - save.sent_at)
            slowest = max(slowest, got.at - save.sent_at)
        if not absent:
            phase.everywhere.append(slowest)
            continue
        phase.missing += len(absent)
        later = sum(s.last_id > event["id"] for s in absent)
        end = save.sent_at + save.seconds
        overlapping = sum(o is not save and o.sent_at < end < o.sent_at + o.seconds + save.seconds for o in phase.saves)
        phase.errors.append(
            f"{label}: event {event['id']} (item {event['item_id']}, its save sent {save.sent_at - started:.1f}s into "
            f"the phase, {overlapping} other save(s) in flight meanwhile) not on {len(absent)} of {len(streams)} "
            f"stream(s) within {MISSING_AFTER:g}s; {later} of them had later events"
        )
    return phase


# ---- memory -------------------------------------------------------------------------------------


def _rss_mib(pid: int) -> float:
    """The resident set of the server process and any children (uvicorn forks none with one worker)."""
    try:
        children = [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        children = []
    return sum(status_kib(p, "VmRSS") for p in (pid, *children)) / 1024


# ---- figures ------------------------------------------------------------------------------------


def _line(label: str, phases: Sequence[Phase]) -> str:
    latencies = [x for p in phases for x in p.latencies]
    everywhere = [x for p in phases for x in p.everywhere]
    saves = [s.seconds for p in phases for s in p.saves]
    missing = sum(p.missing for p in phases)
    delivery = " ".join(f"{percentile_ms(latencies, q):>7.1f}" for q in (0.5, 0.95, 1.0))
    save = " ".join(f"{percentile_ms(saves, q):>6.1f}" for q in (0.5, 0.95))
    everywhere_p95 = percentile_ms(everywhere, 0.95)
    return (
        f"  {label:<26} {len(saves):>5} {len(latencies):>10} {missing:>7}  {delivery}  {everywhere_p95:>11.1f}  {save}"
    )


# ---- the run ------------------------------------------------------------------------------------


async def run(ctx: Context) -> list[Comparison]:
    db = await ctx.database()
    setup = await MEETING.set_up(db.owner_url)
    savers = list(zip(setup.members[:AGENCIES], setup.items, strict=True))  # member k is agency k's first
    watcher = next(u for u in setup.users if u.coordinator)
    async with ctx.pitstop(log_level="INFO") as server:
        port, pid = server.port, server.process.pid
        owner = await asyncpg.connect(db.owner_url)
        opened: list[Stream] = []  # every stream of the run: closed on the way out, their errors counted
        try:
            started = time.perf_counter()
            gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)

            async def sign_in_one(user: User) -> None:
                async with gate:
                    await sign_in(user, port)
                if all(user is not u for u, _ in savers) and user.conn is not None:
                    user.conn.close()  # only the savers keep their connection
                    user.conn = None

            await asyncio.gather(*(sign_in_one(u) for u in setup.users))
            print(f"{len(setup.users)} users signed in through the form in {time.perf_counter() - started:.1f}s",
                  flush=True)  # fmt: skip

            async def open_streams(users: Sequence[User]) -> list[Stream]:
                streams = await _open_streams(users, port, setup.meeting_id)
                opened.extend(streams)
                return streams

            async def phase(
                label: str, streams: Sequence[Stream], seconds: float | None, seed: int, rounds: int = 1
            ) -> Phase:
                return await _phase(label, owner, setup, port, pid, savers, streams, seconds, seed, rounds)

            one = await open_streams([watcher])
            warm = await phase("warm-up", one, None, SEED)
            first = await phase("1 stream, first half", one, BASELINE_SECONDS, SEED + 100)
            await one[0].close()
            idle_mib = _rss_mib(pid)
            peak_reset = reset_peak(pid)
            streams = await open_streams(setup.users)
            opened_mib = _rss_mib(pid)
            load = await phase(f"{STREAMS} streams", streams, LOAD_SECONDS, SEED + 200)
            loaded_mib = _rss_mib(pid)
            burst = await phase("burst", streams, None, SEED + 300, BURST_ROUNDS)
            peak_mib = status_kib(pid, "VmHWM") / 1024
            comments = sum(s.comments for s in streams)
            empty_data = sum(s.empty_data_comments for s in streams)
            streamed = sum(s.bytes for s in streams)
            kinds = Counter(r.kind for s in streams for r in s.seen.values())
            await asyncio.gather(*(s.close() for s in streams))
            one = await open_streams([watcher])
            second = await phase("1 stream, second half", one, BASELINE_SECONDS, SEED + 400)
            await one[0].close()
            closed_mib = _rss_mib(pid)
        finally:
            await asyncio.gather(*(s.close() for s in opened))
            await owner.close()
            for u in setup.users:
                if u.conn is not None:
                    u.conn.close()
    phases = [warm, first, load, burst, second]
    errors = [e for p in phases for e in p.errors] + [e for s in opened for e in s.errors]

    baseline = [first, second]
    print(f"saves: {len(savers)} agency members, each its agency's information on its own item, a pause of "
          f"{PAUSE_SECONDS[0]:g}-{PAUSE_SECONDS[1]:g}s before each: {len(load.saves) / load.seconds:.1f} saves/s "
          f"under load; server on CPU {first.cpu:.2f} cores with 1 stream, {load.cpu:.2f} with {STREAMS}, "
          f"{second.cpu:.2f} with 1 again")  # fmt: skip
    print("save to delivery, ms: from the save's first byte sent to the event's arrival, on every open stream;")
    print("  all streams: until the last stream had it; save: the PUT's wall time on its keep-alive connection")
    print(f"  {'':<26} {'saves':>5} {'deliveries':>10} {'missing':>7}  {'--------- delivery ---------':>23}  "
          f"{'all streams':>11}  {'---- save ----':>13}")  # fmt: skip
    print(f"  {'':<26} {'':>5} {'':>10} {'':>7}  {'p50':>7} {'p95':>7} {'max':>7}  {'p95':>11}  "
          f"{'p50':>6} {'p95':>6}")  # fmt: skip
    print(_line("warm-up, 1 stream, at once", [warm]))
    print(_line("1 stream (first half)", [first]))
    print(_line(f"{STREAMS} streams", [load]))
    print(_line(f"burst, {STREAMS} streams", [burst]))
    print(_line("1 stream (second half)", [second]))
    print(_line("1 stream (baseline)", baseline))
    other = Counter[str]()
    for p in phases:
        other.update(p.other_events)
    print(f"streams: {sum(p.deliveries for p in phases)} deliveries, {sum(p.missing for p in phases)} missing; "
          f"with {STREAMS} open: {sum(kinds.values())} events ({', '.join(f'{k} {n}' for k, n in kinds.items())}), "
          f"{streamed / 1024:.0f} KiB, ids only; {comments} keep-alive comments ({empty_data} with an empty "
          f"data line); other events in the log: {dict(other) or 'none'}")  # fmt: skip
    per_stream = (loaded_mib - idle_mib) / STREAMS * 1024
    peak = f"peak {peak_mib:.1f} MiB" if peak_reset else f"peak {peak_mib:.1f} MiB (since start-up: no clear_refs)"
    print(f"server memory: {idle_mib:.1f} MiB with no stream open, {opened_mib:.1f} MiB with {STREAMS} just opened, "
          f"{loaded_mib:.1f} MiB after the saves with {STREAMS} open (+{loaded_mib - idle_mib:.1f} MiB, "
          f"{per_stream:.0f} KiB a stream), {peak} during them; {closed_mib:.1f} MiB after they closed")  # fmt: skip
    for message in errors[:10]:
        print(f"  error: {message}")

    p95 = percentile_ms(load.latencies, 0.95)
    p95_one = percentile_ms([x for p in baseline for x in p.latencies], 0.95)
    target_ms = TARGET_SECONDS * 1000
    missing = sum(p.missing for p in phases)
    deliveries = sum(p.deliveries for p in phases) + missing
    print(f"live[delivered]: {missing} of {deliveries} deliveries missing, every phase (target 0) "
          f"{'PASS' if not missing else 'FAIL'}")  # fmt: skip
    print(f"live[1 stream]: p95 delivery with {STREAMS} streams {p95:.1f} ms, with 1 stream {p95_one:.1f} ms in the "
          f"same run: {p95 / p95_one:.1f}x")  # fmt: skip
    print(f"live[target]: p95 delivery with {STREAMS} streams {p95:.1f} ms (target <= {target_ms:.0f} ms) "
          f"{'PASS' if p95 <= target_ms else 'FAIL'}")  # fmt: skip
    expected = len(load.saves) * STREAMS
    if len(load.saves) < AGENCIES * LOAD_SECONDS / PAUSE_SECONDS[1] / 2 or load.deliveries + load.missing != expected:
        errors.append(f"too few saves or deliveries: {len(load.saves)} saves, {load.deliveries} deliveries")
    return [
        Comparison(
            name="live",
            subject=f"p95 save to delivery, {STREAMS} streams",
            subject_value=p95,
            baseline="the issue's target",
            baseline_value=target_ms,
            unit="ms",
            ratio=target_ms / p95,
            target=1.0,
            errors=len(errors),
            note=f"{p95 / p95_one:.1f}x the p95 with 1 stream ({p95_one:.1f} ms) in the same run; "
            f"p50 {percentile_ms(load.latencies, 0.5):.1f} ms, max {percentile_ms(load.latencies, 1.0):.0f} ms over "
            f"{load.deliveries} deliveries of {len(load.saves)} saves; {missing} of {deliveries} deliveries missing "
            f"in every phase (burst: {burst.missing}); server memory "
            f"+{loaded_mib - idle_mib:.1f} MiB with {STREAMS} streams ({per_stream:.0f} KiB a stream)",
        )
    ]
