"""records: 30 agency users saving information and actions on one meeting's agenda at once.

The issue's target: 30 simulated agency users, each saving information or an action every 2-4 seconds
for a minute: zero errors, zero lost writes (every acknowledged save is in the database), 409s counted
apart; the p95 save latency against a single user's p50 in the same run, at most 3 times.

Set-up (`Meeting.set_up` of `bench/_meeting.py`, shared with `live`), as the schema owner through the
product's services (users by its own insert, sharing one argon2 hash): partnership `records` with 10
agencies; a series 30 days ahead inviting all 10, then made inactive so the server's meeting clock leaves
it alone; 20 notifications received through intake, screened and queued, each naming its own victim (20
agenda items); the series' first meeting published (which places them) and started. 30 users: 28 agency
members over the 10 agencies (3 each, 2 in the last two) and 2 coordinators. `pitstop serve` at INFO, as
production runs it. Every user signs in through the sign-in form, takes the CSRF token of a signed-in
page (sent as X-CSRF-Token) and keeps one keep-alive HTTP/1.1 connection (replaced, untimed, when idle
over 4.5 s: uvicorn closes an idle one after 5 s, and a request sent as it does is lost in that race, as a
browser's would be before its retry).

A save is one of:
- **information** (agency members): `PUT /api/v1/meetings/{m}/items/{i}/information`, its own agency's
  record on a random item, a unique summary and the version the user last saw of that record (none at
  first): 201 for a first version, 200 after. A 409 (a colleague of the same agency saved first) is
  counted apart; the user takes the version from the 409's `current` and carries on.
- **action** (coordinators): `POST /api/v1/meetings/{m}/items/{i}/actions`, a unique description, for
  a random invited agency, due a week after the meeting: 201.
- **close** (agency members, one save in ten under load when their agency owns an open action that an
  acknowledged save created): `POST /api/v1/actions/{id}/status`, done, a unique note, the version the
  user knows: 200, or 409 (a colleague closed it first), counted apart.

Phases, on one server: warm-up (every user saves once, all at once, so that the server's pool
connections have prepared their statements); burst (5 rounds of all 30 at once on 2 items: colleagues
race for a record's first insert, its row lock and an action's close; 3 in 10 of a member's saves close
an action); the baseline's first half; the load; the baseline's second half (drift on the machine
affects both sides). Warm-up and burst are not timed, but checked like every save.

- **Load**: all 30 users for 60 s, each pausing uniform 2-4 s before every save (none starts after 60 s).
  About 6 saves a second: the server uses about 0.02 of a core.
- **Baseline**: one agency member alone, 30 acknowledged information saves one after another (15
  before the load, 15 after; a 409 from a colleague's earlier save is counted apart and the user carries
  on), with a pause of 0.2-0.4 s before each: a server left idle between requests, as under this load,
  answers about 1.7 ms slower than one kept busy back to back (p50 4.9 ms against 3.1 ms here, the same
  from 0.2 s of pause to 3 s), so a back-to-back baseline would price warm caches, not the other users.
  10 back-to-back saves follow, printed for information.

Latency is the client's wall time of a save on its keep-alive connection, from the request's first byte
to the response's last; the server's own time (`duration_ms` of its access-log line) is printed beside
it. 409s are timed and printed but are not saves in the percentiles.

Errors: an answer other than the expected 200/201/409, a wrong body (a returned version, summary, note
or description not what was sent), a broken connection, or no answer in 30 s. Lost writes, checked in
the database afterwards as the owner: each acknowledged information save's (record, version) is in
`agency_information_version` with its summary; no two acknowledged saves share a version of a record;
each record stands at its last acknowledged version with that save's summary; each acknowledged action
exists with its description, owner and `created` event; each acknowledged close left its action done
with its note and a `completed` event. Rows no acknowledged save accounts for (versions, records,
actions, closed actions) are printed too: with no errors there should be none.

Targets: 0 errors and 0 lost writes (either makes the line ERROR, exit status 2); ratio = the lone
user's p50 / the load's p95 of every acknowledged save >= 0.33 (the p95 at most 3 times that p50).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from bench._common import BenchError, Comparison, Context, Server, percentile_ms, process_cpu
from bench._meeting import REQUEST_SECONDS, Meeting, Save, Setup, Tally, User, exchange, save_paced, sign_in

DESCRIPTION = "30 users saving agency information and actions for 60 s: errors, lost writes, p95 vs one user's p50"
MEETING = Meeting(slug="records", reference="RC", agencies=10, members=28, coordinators=2, items=20)
LOAD_SECONDS = 60.0
PAUSE_SECONDS = (2.0, 4.0)  # before each save, uniform
MAX_SAVES_PER_USER = 100  # the count bound beside the deadline (about 20 fit in 60 s)
BASELINE_SAVES = 30  # half before the load, half after
# A pause before each of the lone user's saves. A server idle between requests (as under this load: about
# 0.02 of a core) answers a save about 1.7 ms slower than one kept busy back to back (4.9 ms against 3.1 ms
# here), from 0.2 s of pause up: so the baseline pauses too, ten times shorter than the load's.
BASELINE_PAUSE = (0.2, 0.4)
BACK_TO_BACK = 10  # then saves with no pause, printed for information
# Of an agency member's saves, the share that close an action, when its agency has an open one.
CLOSE_SHARE = {"load": 0.1, "burst": 0.3}
BURST_ROUNDS = 5  # every user at once, on BURST_ITEMS items: races for the same rows, untimed
BURST_ITEMS = 2
TARGET = 3.0  # load p95 at most this many times the single user's p50
SEED = 20_250_611


# ---- saves --------------------------------------------------------------------------------------


async def _save(
    setup: Setup, port: int, user: User, rng: random.Random, tally: Tally, phase: str, items: Sequence[int] = ()
) -> None:
    """One save by this user: an action (coordinators), a close or its agency's information (members),
    on a random item (of `items`, if given)."""
    items = items or setup.items
    n = sum(tally.attempts.values())
    text = f"records {phase} u{user.index:02d} #{n:05d} {uuid.uuid4().hex[:12]}"
    mine = tally.open_actions.get(user.agency_id)
    if user.coordinator:
        item = rng.choice(items)
        owner = rng.choice(setup.agencies)
        save = Save("action", phase, user.index, owner, item, text)
        path = f"/api/v1/meetings/{setup.meeting_id}/items/{item}/actions"
        due = setup.starts_at + timedelta(days=7)
        payload: dict[str, Any] = {"description": text, "owner_agency_id": owner, "due_at": due.isoformat()}
        method, expected = "POST", (201,)
    elif mine and rng.random() < CLOSE_SHARE.get(phase, 0.0):
        action_id = rng.choice(sorted(mine))
        save = Save("close", phase, user.index, user.agency_id, None, text, action_id=action_id)
        path = f"/api/v1/actions/{action_id}/status"
        payload = {"status": "done", "note": text, "version": mine[action_id]}
        method, expected = "POST", (200, 409)
    else:
        item = rng.choice(items)
        save = Save("information", phase, user.index, user.agency_id, item, text)
        path = f"/api/v1/meetings/{setup.meeting_id}/items/{item}/information"
        payload = {"knowledge": "known", "summary": text, "source_system": "bench", "version": user.versions.get(item)}
        method, expected = "PUT", ((200,) if item in user.versions else (201,)) + (409,)
    answer = await exchange(user, port, method, path, payload, save, tally)
    if answer is None:
        return
    if save.status not in expected or not isinstance(answer, dict):
        tally.error(save, f"{method} {path}: status {save.status} (expected {expected}): {answer!r:.200}")
        return
    if save.status == 409:
        current = answer.get("current")
        if not isinstance(current, dict) or not isinstance(current.get("version"), int):
            tally.error(save, f"409 without a current version: {answer!r:.200}")
            return
        tally.conflicts.append(save)
        if save.kind == "information":
            user.versions[save.item_id] = current["version"]  # type: ignore[index]
        elif current.get("status") == "open":
            mine[save.action_id] = current["version"]  # type: ignore[index]
        else:
            mine.pop(save.action_id, None)  # type: ignore[union-attr, arg-type]
        return
    save.version = answer.get("version")
    if save.kind == "information":
        sent = payload["version"]
        if answer.get("summary") != text or save.version != (1 if sent is None else sent + 1):
            tally.error(save, f"acknowledged with a wrong body (sent version {sent}): {answer!r:.200}")
            return
        user.versions[save.item_id] = save.version  # type: ignore[index]
    elif save.kind == "action":
        save.action_id = answer.get("id")
        if answer.get("description") != text or not isinstance(save.action_id, int) or save.version != 1:
            tally.error(save, f"acknowledged with a wrong body: {answer!r:.200}")
            return
        tally.open_actions[owner][save.action_id] = 1
    else:
        if answer.get("status") != "done" or answer.get("completion_note") != text:
            tally.error(save, f"acknowledged with a wrong body: {answer!r:.200}")
            return
        mine.pop(save.action_id, None)  # type: ignore[union-attr, arg-type]
    tally.acknowledged.append(save)


async def _load(setup: Setup, port: int, tally: Tally) -> None:
    """Every user for LOAD_SECONDS, a save after each pause of 2-4 s; no save starts after the deadline."""

    async def save(user: User, rng: random.Random) -> None:
        await _save(setup, port, user, rng, tally, "load")

    await save_paced(setup.users, LOAD_SECONDS, PAUSE_SECONDS, MAX_SAVES_PER_USER, SEED, save)


async def _burst(setup: Setup, port: int, tally: Tally) -> None:
    """BURST_ROUNDS rounds of every user saving at once on the last BURST_ITEMS items: colleagues race for
    the same record's first insert and row lock, and for the same action's close. Untimed; its saves are
    checked like every other."""
    rngs = {u.index: random.Random(SEED + 1000 + u.index) for u in setup.users}
    for _ in range(BURST_ROUNDS):
        await asyncio.gather(
            *(_save(setup, port, u, rngs[u.index], tally, "burst", setup.items[-BURST_ITEMS:]) for u in setup.users)
        )


async def _alone(
    setup: Setup, port: int, user: User, tally: Tally, count: int, seed: int, pause: tuple[float, float], phase: str
) -> None:
    """One user alone: saves one after another, a pause before each, until `count` are acknowledged (a 409
    from the load's leftovers is counted apart and the user carries on, as under load)."""
    rng = random.Random(seed)
    done = sum(s.phase == phase for s in tally.acknowledged) + count
    for _ in range(3 * count):
        if sum(s.phase == phase for s in tally.acknowledged) >= done:
            return
        await asyncio.sleep(rng.uniform(*pause))
        await _save(setup, port, user, rng, tally, phase)


# ---- the check ----------------------------------------------------------------------------------


@dataclass
class Check:
    lost: list[str] = field(default_factory=list)  # acknowledged saves not (or not rightly) in the database
    unaccounted: list[str] = field(default_factory=list)  # in the database, acknowledged by no save
    records: int = 0
    versions: int = 0
    actions: int = 0


async def _check(owner_url: str, setup: Setup, tally: Tally) -> Check:
    check = Check()
    conn = await asyncpg.connect(owner_url)
    try:
        records = await conn.fetch(
            "SELECT id, agenda_item_id, agency_id, version, summary FROM agency_information WHERE meeting_id = $1",
            setup.meeting_id,
        )
        history = await conn.fetch(
            """SELECT v.information_id, v.version, v.summary FROM agency_information_version v
                JOIN agency_information i ON i.id = v.information_id WHERE i.meeting_id = $1""",
            setup.meeting_id,
        )
        actions = await conn.fetch(
            """SELECT id, description, owner_agency_id, status, completion_note, version FROM action
                WHERE meeting_id = $1""",
            setup.meeting_id,
        )
        events = await conn.fetch(
            """SELECT e.action_id, e.kind, e.note FROM action_event e JOIN action a ON a.id = e.action_id
                WHERE a.meeting_id = $1""",
            setup.meeting_id,
        )
    finally:
        await conn.close()
    check.records, check.versions, check.actions = len(records), len(history), len(actions)

    by_key = {(r["agenda_item_id"], r["agency_id"]): r for r in records}
    kept = {(h["information_id"], h["version"]): h["summary"] for h in history}
    acknowledged: dict[tuple[int, int], list[Save]] = defaultdict(list)
    for save in tally.acknowledged:
        if save.kind == "information":
            acknowledged[(save.item_id, save.agency_id)].append(save)  # type: ignore[index]
    for key, saves in acknowledged.items():
        record = by_key.get(key)
        if record is None:
            check.lost.append(f"item {key[0]}, agency {key[1]}: no record, {len(saves)} acknowledged save(s)")
            continue
        seen = Counter(s.version for s in saves)
        for version, times in seen.items():
            if times > 1:
                check.lost.append(f"record {record['id']}: version {version} acknowledged {times} times")
        for save in saves:
            if kept.get((record["id"], save.version)) != save.text:
                check.lost.append(
                    f"record {record['id']} version {save.version} ({save.text!r}, user {save.user}): "
                    f"history has {kept.get((record['id'], save.version))!r}"
                )
        last = max(saves, key=lambda s: s.version or 0)
        if (record["version"], record["summary"]) != (last.version, last.text):
            check.lost.append(
                f"record {record['id']} stands at version {record['version']} ({record['summary']!r}); "
                f"the last acknowledged save was version {last.version} ({last.text!r})"
            )
    acked_versions = {(by_key[k]["id"], s.version) for k, saves in acknowledged.items() if k in by_key for s in saves}
    for key in kept.keys() - acked_versions:
        check.unaccounted.append(f"record {key[0]} version {key[1]}: {kept[key]!r}")
    for record in records:
        if (record["agenda_item_id"], record["agency_id"]) not in acknowledged:
            check.unaccounted.append(f"record {record['id']}: no acknowledged save")

    stored = {a["id"]: a for a in actions}
    kinds = Counter((e["action_id"], e["kind"], e["note"]) for e in events)
    created = {s.action_id: s for s in tally.acknowledged if s.kind == "action"}
    closed = {s.action_id: s for s in tally.acknowledged if s.kind == "close"}
    for action_id, save in created.items():
        found = stored.get(action_id)  # type: ignore[arg-type]
        if found is None or (found["description"], found["owner_agency_id"]) != (save.text, save.agency_id):
            check.lost.append(f"action {action_id} ({save.text!r}): {dict(found) if found else 'missing'}")
        elif not kinds[(action_id, "created", None)]:
            check.lost.append(f"action {action_id}: no 'created' event")
    for action_id, save in closed.items():
        found = stored.get(action_id)  # type: ignore[arg-type]
        if found is None or (found["status"], found["completion_note"]) != ("done", save.text):
            check.lost.append(f"close of action {action_id} ({save.text!r}): {dict(found) if found else 'missing'}")
        elif not kinds[(action_id, "completed", save.text)]:
            check.lost.append(f"close of action {action_id}: no 'completed' event")
    for action_id in stored.keys() - created.keys():
        check.unaccounted.append(f"action {action_id}: {stored[action_id]['description']!r}")
    for action_id in (a for a in stored if stored[a]["status"] != "open" and a not in closed):
        check.unaccounted.append(f"action {action_id} is {stored[action_id]['status']}: no acknowledged close")
    return check


# ---- figures ------------------------------------------------------------------------------------


async def _server_times(server: Server, request_ids: Sequence[str]) -> dict[str, float]:
    """duration_ms of these requests' access-log lines, in seconds (waiting briefly for the last lines)."""
    wanted = {r for r in request_ids if r}
    found: dict[str, float] = {}
    deadline = time.monotonic() + 5
    while True:
        for line in server.log.read_text(errors="replace").splitlines():
            if '"pitstop.access"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("request_id") in wanted:
                found[entry["request_id"]] = entry["duration_ms"] / 1000
        if wanted <= found.keys() or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


def _line(label: str, saves: Sequence[Save], server: dict[str, float]) -> str:
    wall = [s.seconds for s in saves]
    own = [server[s.request_id] for s in saves if s.request_id in server]
    p50, p95, top = (percentile_ms(wall, q) for q in (0.5, 0.95, 1.0))
    return (
        f"  {label:<22} {len(wall):>5}  p50 {p50:6.1f}  p95 {p95:6.1f}  max {top:6.1f} ms   "
        f"server p50 {percentile_ms(own, 0.5):6.1f}  p95 {percentile_ms(own, 0.95):6.1f} ms"
    )


# ---- the run ------------------------------------------------------------------------------------


async def run(ctx: Context) -> list[Comparison]:
    db = await ctx.database()
    setup = await MEETING.set_up(db.owner_url)
    tally = Tally()
    async with ctx.pitstop(log_level="INFO") as server:
        port = server.port
        try:
            started = time.perf_counter()
            await asyncio.gather(*(sign_in(u, port) for u in setup.users))
            print(f"{len(setup.users)} users signed in through the form in {time.perf_counter() - started:.1f}s",
                  flush=True)  # fmt: skip
            async with asyncio.timeout(REQUEST_SECONDS + 5):  # warm-up: every user once, all at once
                await asyncio.gather(
                    *(_save(setup, port, u, random.Random(SEED - 1 - u.index), tally, "warm-up") for u in setup.users)
                )
            async with asyncio.timeout(REQUEST_SECONDS + 5):
                await _burst(setup, port, tally)
            alone = setup.members[0]
            half = BASELINE_SAVES // 2
            async with asyncio.timeout(REQUEST_SECONDS * half):
                await _alone(setup, port, alone, tally, half, SEED - 100, BASELINE_PAUSE, "baseline")
            cpu_before, load_started = process_cpu(server.process.pid), time.perf_counter()
            await _load(setup, port, tally)
            load_seconds = time.perf_counter() - load_started
            cpu_after = process_cpu(server.process.pid)
            async with asyncio.timeout(REQUEST_SECONDS * (BASELINE_SAVES - half + BACK_TO_BACK)):
                await _alone(setup, port, alone, tally, BASELINE_SAVES - half, SEED - 200, BASELINE_PAUSE, "baseline")
                await _alone(setup, port, alone, tally, BACK_TO_BACK, SEED - 300, (0.0, 0.0), "back-to-back")
        except TimeoutError:
            unanswered = f"saves unanswered after {REQUEST_SECONDS:.0f}s; first errors: {tally.errors[:3]}"
            raise BenchError(unanswered) from None
        finally:
            for u in setup.users:
                if u.conn is not None:
                    u.conn.close()
        everything = [*tally.acknowledged, *tally.conflicts]
        server_times = await _server_times(server, [s.request_id for s in everything])
    check = await _check(db.owner_url, setup, tally)

    load = [s for s in tally.acknowledged if s.phase == "load"]
    baseline = [s for s in tally.acknowledged if s.phase == "baseline"]
    load_conflicts = [s for s in tally.conflicts if s.phase == "load"]
    statuses = Counter((s.kind, s.status) for s in tally.acknowledged + tally.conflicts if s.phase == "load")
    cpu = (cpu_after - cpu_before) / load_seconds if cpu_before is not None and cpu_after is not None else float("nan")
    print(f"load: {len(setup.users)} users for {load_seconds:.0f}s, a save every "
          f"{PAUSE_SECONDS[0]:g}-{PAUSE_SECONDS[1]:g}s each: {sum(statuses.values())} answered "
          f"({len(load) / load_seconds:.1f} acknowledged saves/s); "
          f"server on CPU {cpu:.2f} cores")  # fmt: skip
    print("  " + ", ".join(f"{kind} {status}: {count}" for (kind, status), count in sorted(statuses.items())))
    print("latency, client wall time on a keep-alive connection (server: duration_ms of the access log):")
    print(_line("single user (baseline)", baseline, server_times))
    back_to_back = [s for s in tally.acknowledged if s.phase == "back-to-back"]
    print(_line("single, back to back", back_to_back, server_times) + "  (for information)")
    print(_line("load, every save", load, server_times))
    for kind in ("information", "action", "close"):
        print(_line(f"load, {kind}", [s for s in load if s.kind == kind], server_times))
    print(_line("load, 409s", load_conflicts, server_times))
    nan = float("nan")
    slowest = sorted(load, key=lambda s: s.seconds, reverse=True)[:5]
    print("  slowest under load: " + "; ".join(
        f"{s.seconds * 1000:.1f} ms {s.kind} {s.status} (server {server_times.get(s.request_id, nan) * 1000:.1f} ms, "
        f"{s.in_flight} others in flight)" for s in slowest))  # fmt: skip
    busy = [s.seconds for s in load if s.in_flight]
    alone_p95 = percentile_ms([s.seconds for s in load if not s.in_flight], 0.95)
    print(f"  saves sent while another was in flight: {len(busy)} of {len(load)}, "
          f"p95 {percentile_ms(busy, 0.95):.1f} ms; sent alone: p95 {alone_p95:.1f} ms")  # fmt: skip
    warm = [s for s in tally.acknowledged + tally.conflicts if s.phase == "warm-up"]
    burst = Counter((s.kind, s.status) for s in tally.acknowledged + tally.conflicts if s.phase == "burst")
    print(f"warm-up: {len(warm)} saves, all at once; burst: {BURST_ROUNDS} x {len(setup.users)} at once on "
          f"{BURST_ITEMS} items: " + ", ".join(f"{k} {st}: {c}" for (k, st), c in sorted(burst.items())))  # fmt: skip
    print(f"every phase: {len(tally.acknowledged)} acknowledged, {len(tally.conflicts)} 409s, "
          f"{len(tally.errors)} errors")  # fmt: skip
    print(
        f"database: {check.records} information records with {check.versions} versions, {check.actions} actions; "
        f"{len(check.lost)} lost writes, {len(check.unaccounted)} rows no acknowledged save accounts for"
    )
    for message in tally.errors[:10]:
        print(f"  error: {message}")
    for message in check.lost[:10]:
        print(f"  lost: {message}")
    for message in check.unaccounted[:10]:
        print(f"  unaccounted: {message}")
    verdict = "PASS" if not tally.errors else "FAIL"
    print(f"records[errors]: {len(tally.errors)} errors in {sum(tally.attempts.values())} saves (target 0) {verdict}")
    verdict = "PASS" if not check.lost else "FAIL"
    print(f"records[lost writes]: {len(check.lost)} of {len(tally.acknowledged)} acknowledged saves not in the "
          f"database (target 0) {verdict}")  # fmt: skip
    p95 = percentile_ms([s.seconds for s in load], 0.95)
    p50_alone = percentile_ms([s.seconds for s in baseline], 0.5)
    ratio = p50_alone / p95
    print(f"records[latency]: p95 {p95:.1f} ms under load, a lone user's p50 {p50_alone:.1f} ms: "
          f"{p95 / p50_alone:.2f}x (target <= {TARGET:g}x) {'PASS' if ratio >= 1 / TARGET else 'FAIL'}")  # fmt: skip
    if len(load) < len(setup.users) * 10 or len(baseline) != BASELINE_SAVES:
        tally.errors.append(f"too few saves measured: {len(load)} under load, {len(baseline)} alone")
    return [
        Comparison(
            name="records",
            subject=f"p95 save, {len(setup.users)} users",
            subject_value=p95,
            baseline="one user's p50",
            baseline_value=p50_alone,
            unit="ms",
            ratio=ratio,
            target=1 / TARGET,
            errors=len(tally.errors) + len(check.lost),
            note=f"p95 is {p95 / p50_alone:.2f}x a lone user's p50 (target <= {TARGET:g}x); {len(load)} saves in "
            f"{load_seconds:.0f}s, {len(load_conflicts)} 409s apart, {len(tally.errors)} errors, "
            f"{len(check.lost)} lost writes",
        )
    ]
