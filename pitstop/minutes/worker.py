"""Drawing Word documents in worker processes, so that a 60-case meeting's minutes never stall the
service: python-docx is pure Python and holds the GIL, so a thread would stall every request too.

A small pool of processes started with "spawn" (never fork: the service's event loop, its threads and its
database connections must not be copied into a child), at the lowest priority, each replaced after a
number of documents. A worker is started on the first document and kept for the next; the snapshot goes
in as JSON bytes and the document comes back as bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from pitstop.minutes import document

WORKERS = 2
# A worker's memory grows with the documents it has drawn and levels off near 180 MiB (bench minutes):
# a fresh one after this many keeps two workers' memory near their starting size.
DOCUMENTS_PER_WORKER = 25


def _lower_priority() -> None:
    # Drawing is CPU-bound; scheduled only when nothing else wants the CPU (Linux SCHED_IDLE), a burst of
    # downloads uses spare CPU without delaying the process that answers every other request.
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError):  # not Linux: the next best thing
        with contextlib.suppress(OSError, AttributeError):
            os.nice(19)


class Renderer:
    def __init__(self, workers: int = WORKERS) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
                max_tasks_per_child=DOCUMENTS_PER_WORKER,
            )
        return self._pool

    async def render(self, snapshot: bytes) -> bytes:
        """The Word document of a snapshot (msgspec JSON of pitstop.minutes.models.Minutes)."""
        return await asyncio.get_running_loop().run_in_executor(self._started(), document.render_encoded, snapshot)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
