"""Drawing Word documents in worker processes, so that a 60-case meeting's minutes never stall the
service: python-docx is pure Python and holds the GIL, so a thread would stall every request too.

A small pool of processes started with "spawn" (never fork: the service's event loop, its threads and its
database connections must not be copied into a child). A worker is started on the first document and
kept for the next; the snapshot goes in as JSON bytes and the document comes back as bytes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from pitstop.minutes import document

WORKERS = 2


class Renderer:
    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def render(self, snapshot: bytes) -> bytes:
        """The Word document of a snapshot (msgspec JSON of pitstop.minutes.models.Minutes)."""
        return await asyncio.get_running_loop().run_in_executor(self._started(), document.render_encoded, snapshot)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
