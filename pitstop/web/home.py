"""The home page."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State
from litestar.response import Template

from pitstop.accounts import queries as partnerships
from pitstop.web.dependencies import Connection


@get("/", include_in_schema=False)
async def home(conn: Connection, state: State) -> Template:
    return Template(
        template_name="home.html",
        context={
            "partnerships": await partnerships.list_partnerships(conn),
            "database_label": state.database_label,
        },
    )
