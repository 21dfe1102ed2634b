"""What every benchmark shares: the database, server processes, a load generator and the verdict.

Nothing here is tuned for one benchmark. Traffic goes to 127.0.0.1 only; every request loop is
bounded by a request count and a deadline, and every wait on a process has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil

from pitstop.db import embedded, migrate
from pitstop.db.embedded import EmbeddedDatabase

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0
# A round's requests that have not answered this long after its deadline count as errors.
ROUND_GRACE_SECONDS = 10.0


class BenchError(Exception):
    """The benchmark could not be measured: a server did not start, answered wrongly, or hung."""


@dataclass(frozen=True)
class Options:
    seconds: float = 1.5  # length of one measured round, per side
    rounds: int = 10  # measured rounds per side, alternating sides
    warmup: float = 1.5  # seconds of discarded traffic per side before the first round
    connections: int = 16  # concurrent keep-alive connections
    max_requests: int = 100_000  # per round: the count bound, whatever the duration
    # PITSTOP_LOG_LEVEL of the Pitstop under test, one run each: INFO is what production runs at (an
    # access-log line a request), WARNING shows the cost of everything but that line.
    log_levels: tuple[str, ...] = ("INFO", "WARNING")
    verbose: bool = False


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def base_environment() -> dict[str, str]:
    """This process's environment without PITSTOP_* variables (Pitstop refuses unknown ones)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}


@dataclass
class Server:
    """A server process on 127.0.0.1:port, its output going to a log file."""

    label: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    ready_body: bytes = b""  # what ready_path answered when the server came up

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    async def wait_ready(self, path: str) -> bytes:
        """Poll path until it answers 200; return that body."""
        deadline = time.monotonic() + STARTUP_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, body = await asyncio.wait_for(fetch(self.port, path), 5)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError) as exc:
                last = type(exc).__name__
            else:
                if status == 200:
                    return body
                last = f"status {status}"
            await asyncio.sleep(0.1)
        raise BenchError(f"{self.label} was not ready in {STARTUP_SECONDS:.0f}s ({last}):\n{self.log_tail()}")

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            if not await _wait_exit(self.process, STOP_SECONDS):
                self.process.kill()
                await _wait_exit(self.process, STOP_SECONDS)


async def _wait_exit(process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process.poll() is None:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


@contextlib.asynccontextmanager
async def serve(
    label: str, argv: Sequence[str], env: Mapping[str, str], port: int, log: Path, ready_path: str
) -> AsyncIterator[Server]:
    """Start a server process, wait until ready_path answers 200, stop it (SIGTERM, then SIGKILL) on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(list(argv), env=dict(env), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(label=label, port=port, process=process, log=log)
    try:
        server.ready_body = await server.wait_ready(ready_path)
        yield server
    finally:
        await server.stop()


# --- the embedded database ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def embedded_database(data_dir: Path) -> AsyncIterator[EmbeddedDatabase]:
    """One embedded PostgreSQL, migrated, for the whole run; stopped on exit."""
    server = await asyncio.to_thread(embedded.start, data_dir)
    try:
        await embedded.prepare(server)
        await migrate.migrate(server.owner_url)
        yield server
    finally:
        await asyncio.to_thread(server.stop)
        _kill_leftover_postgres(server.pgdata)


def _kill_leftover_postgres(pgdata: Path) -> None:
    # server.stop() stops PostgreSQL when no other process holds a handle; never leave one running.
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)


class Context:
    """What a benchmark gets: the options, a scratch directory, the database, and server launchers."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self._stack = contextlib.AsyncExitStack()
        self._database: EmbeddedDatabase | None = None

    async def database(self) -> EmbeddedDatabase:
        """The run's embedded PostgreSQL, migrated, started on first use and stopped by close()."""
        if self._database is None:
            self._database = await self._stack.enter_async_context(embedded_database(self.workdir / "db"))
        return self._database

    async def close(self) -> None:
        await self._stack.aclose()

    def log_path(self, label: str) -> Path:
        name = "".join(c if c.isalnum() else "-" for c in label)
        return self.workdir / f"{name}.{time.monotonic_ns()}.log"

    @contextlib.asynccontextmanager
    async def pitstop(self, *, log_level: str = "WARNING", ready_path: str = "/readyz") -> AsyncIterator[Server]:
        """`python -m pitstop.cli serve` as production runs it, on the run's database (already migrated)."""
        db = await self.database()
        port = free_port()
        env = base_environment() | {
            "PITSTOP_DATABASE_URL": db.url(),  # the app role, which owns nothing
            "PITSTOP_MIGRATION_DATABASE_URL": db.owner_url,
            "PITSTOP_MIGRATE_ON_START": "false",
            "PITSTOP_ENV": "test",
            "PITSTOP_DATA_DIR": str(self.workdir / "pitstop-data"),
            "PITSTOP_PORT": str(port),
            "PITSTOP_LOG_LEVEL": log_level,
        }
        label = f"pitstop ({log_level})"
        argv = [sys.executable, "-m", "pitstop.cli", "serve"]
        async with serve(label, argv, env, port, self.log_path(label), ready_path) as server:
            yield server

    @contextlib.asynccontextmanager
    async def bare_app(self, *, ready_path: str = "/readyz") -> AsyncIterator[Server]:
        """The baseline: bench/bare_app.py under uvicorn, on the run's database as the app role."""
        db = await self.database()
        port = free_port()
        env = base_environment() | {"BENCH_DATABASE_URL": db.url()}
        argv = [sys.executable, "-m", "bench.bare_app", "--port", str(port)]
        label = "bare litestar"
        async with serve(label, argv, env, port, self.log_path(label), ready_path) as server:
            yield server


# --- the load generator -------------------------------------------------------------------------


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.1 this client can read."""


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, then its whole response, then the next.

    Raw asyncio streams rather than httpx: on a 2-core machine the client shares the CPU with the
    server, and httpx spends several times more CPU per request than this does, which would
    flatten every ratio towards 1.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send one request; return (status, body, whether the server will close the connection)."""
        status, _, body, close = await self.exchange_with_headers(request)
        return status, body, close

    async def exchange_with_headers(self, request: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        """Send one request; return (status, headers with lower-case names, body, closing?)."""
        self.writer.write(request)
        return await self.read_response()

    async def read_response(self) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        """Read one whole response (after a request written by the caller, e.g. a streamed body):
        (status, headers with lower-case names, body, closing?)."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 "):
            raise ProtocolError(head[:40].decode("latin-1"))
        status = int(head[9:12])
        length = -1
        chunked = close = False
        headers = []
        for line in head[:-4].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            headers.append((name, value.strip()))
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            body = await self._chunked()
        elif length >= 0:
            body = await self.reader.readexactly(length)
        else:
            raise ProtocolError("a response without Content-Length or chunked encoding")
        return status, headers, body, close

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers expected
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


def process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (all its threads), or None."""
    if pid is None:
        return None
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def status_kib(pid: int, name: str) -> int:
    """A figure from /proc/<pid>/status, in KiB (VmHWM: the peak resident set; VmRSS: the current)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {name} in /proc/{pid}/status")


def reset_peak(pid: int) -> bool:
    """Start the process's VmHWM again from its current resident set (Linux: clear_refs 5); False when the
    kernel does not allow it (the peak then counts from the process's start)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def percentile_ms(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q from 0 to 1) of durations in seconds, in milliseconds; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def get_request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: pitstop-bench\r\nAccept: */*\r\n\r\n".encode()


async def fetch(port: int, path: str) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    conn = await Connection.open(port)
    try:
        status, body, _ = await conn.exchange(get_request(port, path))
        return status, body
    finally:
        conn.close()


@dataclass
class Round:
    """What one side answered in one round of load."""

    label: str
    requests: int = 0  # answered (any status)
    errors: int = 0  # wrong status or body, broken connection, or no answer in time
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, of every answered request
    first_error: str | None = None
    server_cpu: float | None = None  # CPU seconds the server process used during the round

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        """Server CPU per answered request: unlike rps, barely moved by other load on the machine."""
        if self.server_cpu is None or not self.requests:
            return float("nan")
        return self.server_cpu / self.requests * 1e6

    @property
    def cpu_share(self) -> float:
        """Cores the server used: about 1.0 when it is the bottleneck and had a core to itself."""
        if self.server_cpu is None or not self.seconds:
            return float("nan")
        return self.server_cpu / self.seconds

    def percentile_ms(self, q: float) -> float:
        return percentile_ms(self.latencies, q)

    def error(self, message: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = message


async def hammer(
    label: str,
    port: int,
    path: str,
    *,
    connections: int,
    seconds: float,
    max_requests: int,
    expect_status: int = 200,
    expect_body: bytes | None = None,
    server_pid: int | None = None,
) -> Round:
    """GET path over `connections` keep-alive connections, each one request at a time, until
    `seconds` have passed or `max_requests` were sent. Connections are opened before the clock starts.
    With server_pid, also record the CPU time that process used during the round.
    """
    result = Round(label=label)
    request = get_request(port, path)
    conns: list[Connection | None] = []
    for _ in range(connections):
        try:
            conns.append(await asyncio.wait_for(Connection.open(port), 5))
        except (OSError, TimeoutError) as exc:
            result.error(f"connect: {type(exc).__name__}")
            conns.append(None)
    sent = waiting = 0
    cpu_before = process_cpu(server_pid)
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(slot: int) -> None:
        nonlocal sent, waiting
        conn = conns[slot]
        while sent < max_requests and time.perf_counter() < deadline:
            sent += 1
            waiting += 1  # left counted if the round is cut short while this request waits
            began = time.perf_counter()
            try:
                if conn is None:
                    conn = conns[slot] = await Connection.open(port)
                status, body, close = await conn.exchange(request)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError, ValueError) as exc:
                waiting -= 1
                result.error(f"{type(exc).__name__}: {exc}"[:200])
                if conn is not None:
                    conn.close()
                conn = conns[slot] = None
                await asyncio.sleep(0.01)  # a server that refuses connections is not to be spun on
                continue
            waiting -= 1
            result.latencies.append(time.perf_counter() - began)
            result.requests += 1
            if status != expect_status:
                result.error(f"status {status}: {body[:200]!r}")
            elif expect_body is not None and body != expect_body:
                result.error(f"unexpected body: {body[:200]!r}")
            if close:
                conn.close()
                conn = conns[slot] = None

    tasks = [asyncio.create_task(worker(i)) for i in range(connections)]
    try:
        async with asyncio.timeout(seconds + ROUND_GRACE_SECONDS):
            await asyncio.gather(*tasks)
    except TimeoutError:
        result.error(f"{waiting} request(s) unanswered {ROUND_GRACE_SECONDS:g}s after the round's end")
        result.errors += max(waiting - 1, 0)
    finally:
        result.seconds = time.perf_counter() - started
        cpu_after = process_cpu(server_pid)
        if cpu_before is not None and cpu_after is not None:
            result.server_cpu = cpu_after - cpu_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for conn in conns:
            if conn is not None:
                conn.close()
    return result


async def probe(
    label: str, port: int, path: str, *, count: int, pause: float, seconds: float, stop: asyncio.Event | None = None
) -> Round:
    """GET path on one keep-alive connection, one request at a time, `pause` seconds after each answer: a probe,
    not a load (what a lone request waits for while the server does other work). Until `count` were answered,
    `seconds` have passed or `stop` is set. Every answer must be 200; a broken connection or an answer not in
    ROUND_GRACE_SECONDS is an error, and the connection is replaced. Latency: first byte sent to last byte read.
    """
    result = Round(label=label)
    request = get_request(port, path)
    conn: Connection | None = None
    started = time.perf_counter()
    deadline = started + seconds
    try:
        while result.requests < count and time.perf_counter() < deadline and not (stop and stop.is_set()):
            try:
                if conn is None:
                    conn = await asyncio.wait_for(Connection.open(port), 5)
                began = time.perf_counter()
                async with asyncio.timeout(ROUND_GRACE_SECONDS):
                    status, body, close = await conn.exchange(request)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ProtocolError,
                    ValueError) as exc:  # fmt: skip
                result.error(f"{type(exc).__name__}: {exc}"[:200])
                if conn is not None:
                    conn.close()
                conn = None
                await asyncio.sleep(0.01)  # a server that refuses connections is not to be spun on
                continue
            result.latencies.append(time.perf_counter() - began)
            result.requests += 1
            if status != 200:
                result.error(f"status {status}: {body[:200]!r}")
            if close:
                conn.close()
                conn = None
            await asyncio.sleep(pause)
    finally:
        result.seconds = time.perf_counter() - started
        if conn is not None:
            conn.close()
    return result


@dataclass(frozen=True)
class Side:
    """One server in an A/B comparison."""

    label: str
    port: int
    path: str
    expect_body: bytes | None = None
    pid: int | None = None  # the server process, to measure its CPU


async def alternate(sides: Sequence[Side], options: Options) -> dict[str, list[Round]]:
    """Warm every side up, then measure options.rounds rounds each, rotating which side goes first,
    with the same client and the same concurrency for all. Returns each side's measured rounds.
    """

    async def one(side: Side, seconds: float) -> Round:
        return await hammer(
            side.label,
            side.port,
            side.path,
            connections=options.connections,
            seconds=seconds,
            max_requests=options.max_requests,
            expect_body=side.expect_body,
            server_pid=side.pid,
        )

    rounds: dict[str, list[Round]] = {side.label: [] for side in sides}
    for side in sides:
        warm = await one(side, options.warmup)
        if warm.errors:
            raise BenchError(f"{side.label}: {warm.errors} error(s) while warming up, first: {warm.first_error}")
    for i in range(options.rounds):
        shift = i % len(sides)
        for side in [*sides[shift:], *sides[:shift]]:
            measured = await one(side, options.seconds)
            rounds[side.label].append(measured)
            if options.verbose:
                print(f"  round {i + 1}: {side.label}: {measured.rps:.0f} rps, {measured.errors} errors", flush=True)
    return rounds


def median_rps(rounds: Sequence[Round]) -> float:
    return statistics.median(r.rps for r in rounds) if rounds else float("nan")


def median_cpu_us(rounds: Sequence[Round]) -> float:
    values = [r.cpu_us_per_request for r in rounds if r.server_cpu is not None and r.requests]
    return statistics.median(values) if values else float("nan")


# A throughput round measures a server's capacity only if the server had a core to itself (it is
# the bottleneck: ~0.97 core when the machine is otherwise idle). When other work takes its CPU,
# both sides look alike and the ratio drifts towards 1, so such rounds are left out of the medians.
STEADY_CPU_SHARE = 0.9
MIN_STEADY_ROUNDS = 3


def is_steady(r: Round) -> bool:
    return r.server_cpu is None or r.cpu_share >= STEADY_CPU_SHARE


def steady_rounds(rounds: Sequence[Round]) -> tuple[list[Round], bool]:
    """The rounds in which the server had a core to itself, and whether the machine was too busy:
    with fewer than MIN_STEADY_ROUNDS of them, all rounds are returned and busy is True.
    """
    steady = [r for r in rounds if is_steady(r)]
    if len(steady) >= min(MIN_STEADY_ROUNDS, len(rounds)):
        return steady, False
    return list(rounds), True


def print_rounds(rounds: Mapping[str, Sequence[Round]], *, steady_only: bool = False) -> None:
    """Every round of every side, then each side's medians (of steady rounds, with steady_only).
    cpu is the server process's: microseconds per request, and cores used during the round.
    """
    print(
        f"  {'round':>6}  {'side':<20} {'requests':>9} {'rps':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'cpu us/req':>10} {'cpu cores':>9} {'errors':>6}"
    )
    count = max(len(r) for r in rounds.values())
    for i in range(count):
        for label, per_side in rounds.items():
            if i < len(per_side):
                r = per_side[i]
                busy = "  busy" if steady_only and not is_steady(r) else ""
                print(
                    f"  {i + 1:>6}  {label:<20} {r.requests:>9} {r.rps:>7.0f} {r.percentile_ms(0.5):>7.2f} "
                    f"{r.percentile_ms(0.99):>7.2f} {r.cpu_us_per_request:>10.0f} {r.cpu_share:>9.2f} "
                    f"{r.errors:>6}{busy}"
                )
    for label, per_side in rounds.items():
        used, busy = steady_rounds(per_side) if steady_only else (list(per_side), False)
        rps, cpu = median_rps(used), median_cpu_us(used)
        which = f"of {len(used)}/{len(per_side)} rounds" + (" (machine busy: all rounds)" if busy else "")
        print(f"  {'median':>6}  {label:<20} {'':>9} {rps:>7.0f} {'':>15} {cpu:>10.0f} {'':>16}  {which}")
    if steady_only and not all(is_steady(r) for per_side in rounds.values() for r in per_side):
        print(f"  (busy: the server had less than {STEADY_CPU_SHARE:g} of a core; left out of the medians)")
    for label, per_side in rounds.items():
        for r in per_side:
            if r.first_error:
                print(f"  {label}: first error: {r.first_error}")
                break


def json_body(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return body


# --- verdicts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Pitstop against its baseline, measured in the same run. ratio is oriented so that higher is
    better and 1.0 means "as good as the baseline" (rps: pitstop / baseline; latency: baseline / pitstop).
    """

    name: str
    subject: str
    subject_value: float
    baseline: str
    baseline_value: float
    unit: str
    ratio: float
    target: float
    errors: int = 0
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.errors:
            return "ERROR"
        return "PASS" if self.ratio >= self.target else "FAIL"

    def line(self) -> str:
        errors = f", {self.errors} error(s)" if self.errors else ""
        note = f" [{self.note}]" if self.note else ""
        return (
            f"{self.name}: {self.subject} {_figure(self.subject_value)} {self.unit}, "
            f"{self.baseline} {_figure(self.baseline_value)} {self.unit}, ratio {self.ratio:.2f} "
            f"(target >= {self.target:.2f}){errors} {self.verdict}{note}"
        )


def _figure(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


@contextlib.contextmanager
def scratch_directory(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pitstop-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


async def load_in_chunks(
    conns: Sequence[asyncpg.Connection],
    sql: str,
    first: int,
    upto: int,
    chunk: int,
    args: Callable[[int, int], tuple[object, ...]],
) -> None:
    """One set-based INSERT run over [first, upto) in chunks, each connection taking the next chunk until
    none is left: a load that keeps every core busy. `args(lo, hi)` gives a chunk's parameters."""
    chunks = [(lo, min(lo + chunk, upto)) for lo in range(first, upto, chunk)]

    async def loader(conn: asyncpg.Connection) -> None:
        while chunks:
            lo, hi = chunks.pop(0)
            await conn.execute(sql, *args(lo, hi))

    await asyncio.gather(*(loader(conn) for conn in conns))


async def vacuum_analyze(conns: Sequence[asyncpg.Connection], tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) the loaded tables, shared out over the connections, then a checkpoint, so that what
    is measured next reads planned, settled tables."""

    async def vacuum(conn: asyncpg.Connection, mine: Sequence[str]) -> None:
        for table in mine:
            await conn.execute(f"VACUUM (ANALYZE) {table}")

    await asyncio.gather(*(vacuum(conn, tables[i :: len(conns)]) for i, conn in enumerate(conns)))
    await conns[0].execute("CHECKPOINT")


async def server_times(server: Server, request_ids: Sequence[str]) -> dict[str, float]:
    """duration_ms of these requests' access-log lines, in seconds (waiting briefly for the last lines)."""
    wanted = set(request_ids)
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
            break
        await asyncio.sleep(0.1)
    if not wanted <= found.keys():
        raise BenchError(f"{len(wanted - found.keys())} request(s) missing from the server's access log")
    return found
