"""`pitstop serve` as a user runs it: real processes on the embedded database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from pitstop.db import embedded
from pitstop.resources import MIGRATIONS_DIR
from tests.conftest import free_port

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 60


class Service:
    def __init__(self, data_dir: Path, log: Path, settings: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
        env |= {"PITSTOP_DATA_DIR": str(data_dir), "PITSTOP_PORT": str(self.port), "PITSTOP_ENV": "development"}
        env |= settings or {}
        self.env = env
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pitstop.cli", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"pitstop serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"pitstop serve was not ready in {STARTUP_SECONDS}s:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


@pytest.fixture
def services(pg_dir: Path) -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.stop(signal.SIGKILL)
    # Whatever happened, leave no PostgreSQL running behind us.
    pid_file = pg_dir / "data" / "pgdata" / "postmaster.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def run_demo(data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")} | {"PITSTOP_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "pitstop.cli", "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def postgres_running(data_dir: Path) -> bool:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except ProcessLookupError:
        return False
    return True


def test_killed_service_restarts_with_its_data_and_stops_its_database_on_exit(
    tmp_path: Path, pg_dir: Path, services: list[Service]
) -> None:
    data_dir = pg_dir / "data"
    first = Service(data_dir, tmp_path / "first.log")
    services.append(first)
    first.wait_ready()
    assert "created: partnership Northfield Safeguarding Partnership" in run_demo(data_dir)
    assert httpx.get(first.url + "/sign-in").status_code == 200
    log = first.log.read_text()
    assert "embedded PostgreSQL" in log
    assert str(data_dir / "pgdata") in log  # the log says which database and where

    first.stop(signal.SIGKILL)  # no chance to clean up
    second = Service(data_dir, tmp_path / "second.log")
    services.append(second)
    second.wait_ready()
    # The data survived the kill: running the demo again finds it all and changes nothing.
    assert "already there: partnership Northfield Safeguarding Partnership" in run_demo(data_dir)

    second.stop(signal.SIGTERM)
    # Uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why it ended.
    assert second.process.returncode in (0, -signal.SIGTERM)
    assert '"msg":"request failed"' not in second.log.read_text()
    assert not postgres_running(data_dir), "the embedded database should stop with the last process using it"


async def test_two_processes_starting_together_migrate_once(
    tmp_path: Path, pg_dir: Path, services: list[Service]
) -> None:
    data_dir = pg_dir / "data"
    pair = [Service(data_dir, tmp_path / f"p{i}.log") for i in range(2)]
    services.extend(pair)
    for service in pair:
        service.wait_ready()
    logs = "".join(s.log.read_text() for s in pair)
    shipped = len(list(MIGRATIONS_DIR.glob("*.sql")))
    assert logs.count('"msg":"migration applied"') == shipped

    server = embedded.start(data_dir)  # joins the running server
    try:
        conn = await asyncpg.connect(server.owner_url)
        try:
            versions = await conn.fetch("SELECT version FROM pitstop_schema_migration")
        finally:
            await conn.close()
    finally:
        server.stop()
    assert len(versions) == shipped

    # The first to stop leaves the database to the other.
    pair[0].stop()
    assert httpx.get(pair[1].url + "/readyz").status_code == 200
    pair[1].stop()
    assert not postgres_running(data_dir)
