"""The importer's own guarantees, below HTTP: a stream that breaks off keeps nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from pitstop.audit.service import Origin
from pitstop.notifications.imports import service
from pitstop.notifications.imports.models import ImportMode
from pitstop.web.uploads import UploadError
from tests import factories
from tests.web.test_import_api import HEADER, incident


@pytest.mark.parametrize("mode", list(ImportMode))
async def test_an_upload_that_breaks_off_keeps_none_of_the_file(owner: asyncpg.Connection, mode: ImportMode) -> None:
    p = await factories.partnership(owner)
    # More than a batch, so some incidents are written before the stream fails.
    content = (HEADER + "".join(incident(f"14/{n}/26") for n in range(service.BATCH + 100))).encode()

    async def breaking() -> AsyncIterator[bytes]:
        yield content
        raise UploadError("the connection closed")

    async with owner.transaction():
        with pytest.raises(UploadError):
            await service.import_extract(
                owner, actor=None, partnership_id=p.id, chunks=breaking(), file_name="x.csv", mode=mode, origin=Origin()
            )
        assert await owner.fetchval("SELECT count(*) FROM notification") == 0
        assert await owner.fetchval("SELECT count(*) FROM notification_person") == 0


async def test_a_file_that_fails_part_way_counts_what_it_read(owner: asyncpg.Connection) -> None:
    p = await factories.partnership(owner)
    content = (HEADER + incident("14/1/26") + incident("14/2/26") + '14/3/26,,"never closed\n').encode()

    async def whole() -> AsyncIterator[bytes]:
        yield content

    async with owner.transaction():  # as every caller runs it: the request's, or the command's
        report = await service.import_extract(
            owner, actor=None, partnership_id=p.id, chunks=whole(), file_name="x.csv",
            mode=ImportMode.GOOD_INCIDENTS, origin=Origin(),
        )  # fmt: skip
    assert report.outcome.value == "rejected"
    assert (report.incidents_read, report.incidents_rejected, report.created) == (2, 2, 0)
    assert "never closed" in report.errors[0].message
