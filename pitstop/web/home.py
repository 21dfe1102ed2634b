"""The home page: what Pitstop is, and where a signed-in user can go."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.response import Template

from pitstop.web.dependencies import Connection


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any], conn: Connection, state: State) -> Template:
    identity = request.scope.get("user")
    context: dict[str, Any] = {"database_label": state.database_label}
    if identity is not None:
        row = await conn.fetchrow(
            """SELECT p.name AS partnership, a.name AS agency
                 FROM partnership p JOIN agency a ON a.partnership_id = p.id
                WHERE p.id = $1 AND a.id = $2""",
            identity.partnership_id,
            identity.agency_id,
        )
        context |= {"partnership_name": row["partnership"], "agency_name": row["agency"]}
    return Template(template_name="home.html", context=context)
