"""Setting up what a benchmark signs in or posts as: a partnership, a police agency, its users."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Arranged:
    partnership_id: int
    emails: list[str]
    token: str | None  # an API token of the first user, when scopes were asked for


async def arrange(
    owner_url: str, slug: str, people: Sequence[tuple[str, str, str]], password: str, token_scopes: Sequence[str] = ()
) -> Arranged:
    """One partnership `slug` with a police agency and `people` (email, name, role), through the
    product's own services, in one transaction."""
    from pitstop.accounts import service, tokens
    from pitstop.accounts.models import NewPartnership, Role, Scope
    from pitstop.audit.service import Origin
    from pitstop.db.pool import connect

    name = slug.title()
    conn = await connect(owner_url)
    try:
        async with conn.transaction():
            partnership, _ = await service.ensure_partnership(
                conn,
                NewPartnership(slug=slug, name=name, council_area=name, police_force=f"{name} Police"),
                Origin(),
            )
            police = await service.create_agency(
                conn,
                actor=None,
                partnership_id=partnership.id,
                name=f"{name} Police",
                agency_type="police",
                origin=Origin(),
            )
            users = [
                await service.create_user(
                    conn,
                    actor=None,
                    partnership_id=partnership.id,
                    new=service.NewUser(
                        email=email, name=person, agency_id=police.id, roles=[Role(role)], password=password
                    ),
                    origin=Origin(),
                    must_change_password=False,
                )
                for email, person, role in people
            ]
            token = None
            if token_scopes:
                made = await tokens.create(
                    conn,
                    actor=None,
                    user_id=users[0].id,
                    name=f"{slug} bench",
                    scopes=[Scope(s) for s in token_scopes],
                    origin=Origin(),
                )
                token = made.secret
        return Arranged(partnership_id=partnership.id, emails=[u.email for u in users], token=token)
    finally:
        await conn.close()
