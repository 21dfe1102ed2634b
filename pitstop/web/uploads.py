"""A multipart form whose small fields come before its one file: the fields are read first, then
the file is streamed through, never held whole in memory or written to disk.

Litestar's own form parsing spools the whole upload to a temporary file first. For a police
extract that would put special-category data on disk and make a 100,000-row file as big in
memory as on disk, so the upload route reads the body itself with `multipart`'s push parser
(the one Litestar uses underneath). The form lists its hidden fields and choices before the
file input; browsers send fields in document order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from multipart import MultipartError, MultipartSegment, PushMultipartParser

MAX_FIELD_BYTES = 10_000  # a CSRF token or a radio value, not a document
MAX_FIELDS = 20


class UploadError(ValueError):
    """The body is not a form we can read (no boundary, broken multipart, oversized fields)."""


def boundary_of(content_type: str, options: dict[str, str]) -> bytes:
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise UploadError("expected multipart/form-data with a boundary")
    return options["boundary"].encode("latin-1")


class StreamedUpload:
    def __init__(self, stream: AsyncIterator[bytes], boundary: bytes) -> None:
        self._stream = stream
        self._parser = PushMultipartParser(boundary, max_segment_count=MAX_FIELDS + 1)
        self._events: list[MultipartSegment | bytes | bytearray | None] = []
        self._ended = False
        self.file_name: str | None = None

    async def _next_event(self) -> MultipartSegment | bytes | bytearray | bool | None:
        """The parser's next event; False at the end of the body."""
        while not self._events:
            if self._ended:
                return False
            chunk = await anext(self._stream, b"")
            if not chunk:
                self._ended = True
            try:
                self._events.extend(self._parser.parse(chunk))
            except MultipartError as error:
                raise UploadError(str(error)) from error
        return self._events.pop(0)

    async def fields(self) -> dict[str, str]:
        """The fields before the file; stops at the file's part (its name is in `file_name`)."""
        fields: dict[str, str] = {}
        name: str | None = None
        value = bytearray()
        while True:
            event = await self._next_event()
            if event is False:
                return fields
            if isinstance(event, MultipartSegment):
                if event.filename is not None:
                    self.file_name = event.filename
                    return fields
                name, value = event.name, bytearray()
            elif event is None:
                if name is not None and len(fields) < MAX_FIELDS:
                    fields[name] = value.decode("utf-8", errors="replace")
                name = None
            elif isinstance(event, bytes | bytearray):
                value.extend(event)
                if len(value) > MAX_FIELD_BYTES:
                    raise UploadError("a form field is too long")

    async def file(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive; afterwards the rest of the body is read and dropped."""
        while True:
            event = await self._next_event()
            if event is False or event is None:
                break
            if isinstance(event, bytes | bytearray):
                yield bytes(event)
        await self.drain()

    async def drain(self) -> None:
        while await self._next_event() is not False:
            pass
