"""Administration pages: users, agencies and API tokens of the administrator's own partnership.

Thin handlers: read the form, call the service (which checks permission, visibility and versions,
and audits), then redirect or show the form again with the GOV.UK error summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from pitstop.accounts import policy, queries, service, tokens
from pitstop.accounts.models import Agency, Role, Scope, User
from pitstop.db.rows import MAX_ID
from pitstop.errors import Conflict, Invalid
from pitstop.web.auth import current_identity, origin_of, requires
from pitstop.web.dependencies import Connection, RecordId

USERS = requires(policy.Permission.ADMINISTER_USERS)
AGENCIES = requires(policy.Permission.ADMINISTER_AGENCIES)
TOKENS = requires(policy.Permission.ADMINISTER_TOKENS)

_ROLE_HINTS = {
    Role.COORDINATOR: "Screens notifications, builds agendas, chairs meetings or takes minutes.",
    Role.AGENCY_MEMBER: "Records their agency's information and actions.",
    Role.MANAGER: "Reads what coordinators read, downloads minutes and reports, sees the audit trail.",
    Role.ADMIN: "Manages users, agencies and API tokens. Sees no case information unless given another role too.",
}
ROLE_OPTIONS = [(role.value, role.label, _ROLE_HINTS[role]) for role in Role]
SCOPE_OPTIONS = [(scope.value, scope.value, None) for scope in Scope]


def _int(value: object) -> int:
    """A number from a form field; 0 (matches nothing) for anything that is not a plausible id."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        return 0
    return int(text)


def _roles(form: FormMultiDict) -> list[Role]:
    return [Role(r) for r in form.getall("roles", []) if r in Role._value2member_map_]


def _notice(request: Request[Any, Any, Any]) -> str | None:
    return {
        "created": "The user has been created. Give them their initial password by a secure route.",
        "saved": "Your changes have been saved.",
        "password": "The password has been reset. The user must change it when they next sign in.",
        "sessions": "The user has been signed out everywhere.",
        "deactivated": "The user has been deactivated and signed out.",
        "reactivated": "The user has been reactivated.",
        "agency": "The agency has been saved.",
        "revoked": "The token has been revoked.",
    }.get(str(request.query_params.get("done", "")))


# ---- users ----------------------------------------------------------------------------------


@get("/admin/users", guards=[USERS], include_in_schema=False)
async def users(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="admin/users.html",
        context={"users": await service.list_users(conn, identity), "notice": _notice(request)},
    )


async def _user_form(
    conn: Connection,
    request: Request[Any, Any, Any],
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    target: User | None = None,
    conflict: bool = False,
) -> Template:
    identity = current_identity(request)
    agencies = [a for a in await service.list_agencies(conn, identity) if a.active or a.id == values.get("agency_id")]
    return Template(
        template_name="admin/user.html",
        context={
            "target": target,
            "values": values,
            "errors": errors or {},
            "agency_options": [(a.id, a.name) for a in agencies],
            "role_options": ROLE_OPTIONS,
            "notice": _notice(request),
            "conflict": conflict,
            "session_count": await queries.count_user_sessions(conn, target.id) if target else 0,
        },
        status_code=status,
    )


@get("/admin/users/new", guards=[USERS], include_in_schema=False)
async def new_user_form(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _user_form(conn, request, values={"roles": [Role.AGENCY_MEMBER.value]})


@post("/admin/users", guards=[USERS], include_in_schema=False)
async def create_user(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    form = await request.form()
    values = {
        "email": str(form.get("email") or ""),
        "name": str(form.get("name") or ""),
        "agency_id": _int(form.get("agency_id")),
        "roles": [r.value for r in _roles(form)],
    }
    try:
        created = await service.create_user(
            conn,
            actor=current_identity(request),
            partnership_id=current_identity(request).partnership_id,
            new=service.NewUser(
                email=values["email"],
                name=values["name"],
                agency_id=values["agency_id"],
                roles=_roles(form),
                password=str(form.get("password") or ""),
            ),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _user_form(conn, request, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    return Redirect(path=f"/admin/users/{created.id}?done=created", status_code=303)


def _values_of(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "agency_id": user.agency_id,
        "roles": [r.value for r in user.roles],
        "version": user.version,
    }


@get("/admin/users/{user_id:int}", guards=[USERS], include_in_schema=False)
async def user_page(request: Request[Any, Any, Any], conn: Connection, user_id: RecordId) -> Template:
    target = await service.get_user(conn, current_identity(request), user_id)
    return await _user_form(conn, request, values=_values_of(target), target=target)


@post("/admin/users/{user_id:int}", guards=[USERS], include_in_schema=False)
async def update_user(request: Request[Any, Any, Any], conn: Connection, user_id: RecordId) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    change = service.UserChange(
        name=str(form.get("name") or ""),
        agency_id=_int(form.get("agency_id")),
        roles=_roles(form),
        version=_int(form.get("version")),
    )
    try:
        await service.update_user(conn, actor=identity, user_id=user_id, change=change, origin=origin_of(request.scope))
    except Invalid as invalid:
        target = await service.get_user(conn, identity, user_id)
        values = {**_values_of(target), "name": change.name, "agency_id": change.agency_id}
        values["roles"] = [r.value for r in change.roles]
        values["version"] = change.version
        return await _user_form(
            conn, request, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST, target=target
        )
    except Conflict:
        # Someone saved first: show what is there now; nothing of ours was written.
        target = await service.get_user(conn, identity, user_id)
        return await _user_form(
            conn, request, values=_values_of(target), status=HTTP_409_CONFLICT, target=target, conflict=True
        )
    return Redirect(path=f"/admin/users/{user_id}?done=saved", status_code=303)


@post("/admin/users/{user_id:int}/password", guards=[USERS], include_in_schema=False)
async def reset_password(request: Request[Any, Any, Any], conn: Connection, user_id: RecordId) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    try:
        await service.reset_password(
            conn,
            actor=identity,
            user_id=user_id,
            password=str(form.get("password") or ""),
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        target = await service.get_user(conn, identity, user_id)
        return await _user_form(
            conn, request, values=_values_of(target), errors=invalid.errors, status=HTTP_400_BAD_REQUEST, target=target
        )
    return Redirect(path=f"/admin/users/{user_id}?done=password", status_code=303)


@post("/admin/users/{user_id:int}/sessions/end", guards=[USERS], include_in_schema=False)
async def end_sessions(request: Request[Any, Any, Any], conn: Connection, user_id: RecordId) -> Redirect:
    await service.end_sessions(conn, actor=current_identity(request), user_id=user_id, origin=origin_of(request.scope))
    return Redirect(path=f"/admin/users/{user_id}?done=sessions", status_code=303)


async def _set_active(request: Request[Any, Any, Any], conn: Connection, user_id: int, active: bool) -> Any:
    identity = current_identity(request)
    form = await request.form()
    try:
        await service.set_active(
            conn,
            actor=identity,
            user_id=user_id,
            version=_int(form.get("version")),
            active=active,
            origin=origin_of(request.scope),
        )
    except (Invalid, Conflict) as problem:
        target = await service.get_user(conn, identity, user_id)
        errors = problem.errors if isinstance(problem, Invalid) else {}
        return await _user_form(
            conn,
            request,
            values=_values_of(target),
            errors=errors,
            status=HTTP_400_BAD_REQUEST if errors else HTTP_409_CONFLICT,
            target=target,
            conflict=not errors,
        )
    return Redirect(path=f"/admin/users/{user_id}?done={'reactivated' if active else 'deactivated'}", status_code=303)


@post("/admin/users/{user_id:int}/deactivate", guards=[USERS], include_in_schema=False)
async def deactivate(request: Request[Any, Any, Any], conn: Connection, user_id: RecordId) -> Template | Redirect:
    return await _set_active(request, conn, user_id, active=False)


@post("/admin/users/{user_id:int}/reactivate", guards=[USERS], include_in_schema=False)
async def reactivate(request: Request[Any, Any, Any], conn: Connection, user_id: RecordId) -> Template | Redirect:
    return await _set_active(request, conn, user_id, active=True)


# ---- agencies -------------------------------------------------------------------------------


async def _agencies_page(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="admin/agencies.html",
        context={
            "agencies": await service.list_agencies(conn, identity),
            "type_options": [(t.code, t.label) for t in await queries.agency_types(conn)],
            "values": values or {},
            "errors": errors or {},
            "notice": _notice(request),
        },
        status_code=status,
    )


@get("/admin/agencies", guards=[AGENCIES], include_in_schema=False)
async def agencies(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _agencies_page(request, conn)


@post("/admin/agencies", guards=[AGENCIES], include_in_schema=False)
async def create_agency(request: Request[Any, Any, Any], conn: Connection) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    values = {"name": str(form.get("name") or ""), "agency_type": str(form.get("agency_type") or "")}
    try:
        await service.create_agency(
            conn,
            actor=identity,
            partnership_id=identity.partnership_id,
            name=values["name"],
            agency_type=values["agency_type"],
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _agencies_page(request, conn, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    return Redirect(path="/admin/agencies?done=agency", status_code=303)


async def _agency_form(
    request: Request[Any, Any, Any],
    conn: Connection,
    agency_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    conflict: bool = False,
) -> Template:
    identity = current_identity(request)
    agency = await queries.agency(conn, agency_id)
    policy.visible(identity, "agency", agency, agency.partnership_id if agency else None)
    assert agency is not None
    return Template(
        template_name="admin/agency.html",
        context={
            "agency": agency,
            "values": values
            or {
                "name": agency.name,
                "agency_type": agency.agency_type,
                "active": agency.active,
                "version": agency.version,
            },
            "type_options": [(t.code, t.label) for t in await queries.agency_types(conn)],
            "errors": errors or {},
            "conflict": conflict,
        },
        status_code=status,
    )


def _agency_values(agency: Agency) -> dict[str, Any]:
    return {"name": agency.name, "agency_type": agency.agency_type, "active": agency.active, "version": agency.version}


@get("/admin/agencies/{agency_id:int}", guards=[AGENCIES], include_in_schema=False)
async def agency_page(request: Request[Any, Any, Any], conn: Connection, agency_id: RecordId) -> Template:
    return await _agency_form(request, conn, agency_id)


@post("/admin/agencies/{agency_id:int}", guards=[AGENCIES], include_in_schema=False)
async def update_agency(request: Request[Any, Any, Any], conn: Connection, agency_id: RecordId) -> Template | Redirect:
    identity = current_identity(request)
    form = await request.form()
    values = {
        "name": str(form.get("name") or ""),
        "agency_type": str(form.get("agency_type") or ""),
        "active": form.get("active") == "yes",
        "version": _int(form.get("version")),
    }
    try:
        await service.update_agency(
            conn,
            actor=identity,
            agency_id=agency_id,
            version=values["version"],
            name=values["name"],
            agency_type=values["agency_type"],
            active=values["active"],
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _agency_form(request, conn, agency_id, values=values, errors=invalid.errors, status=400)
    except Conflict:
        return await _agency_form(request, conn, agency_id, status=HTTP_409_CONFLICT, conflict=True)
    return Redirect(path="/admin/agencies?done=agency", status_code=303)


# ---- API tokens -----------------------------------------------------------------------------


@get("/admin/tokens", guards=[TOKENS], include_in_schema=False)
async def token_list(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    return Template(
        template_name="admin/tokens.html",
        context={
            "tokens": await tokens.list_tokens(conn, identity),
            "notice": _notice(request),
            "now": datetime.now(UTC),
        },
    )


async def _token_form(
    request: Request[Any, Any, Any],
    conn: Connection,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    identity = current_identity(request)
    people = [u for u in await service.list_users(conn, identity) if u.active]
    return Template(
        template_name="admin/token_new.html",
        context={
            "values": values,
            "errors": errors or {},
            # Roles shown, because they decide which scopes the token may have.
            "user_options": [
                (u.id, f"{u.name}, {u.agency_name} ({', '.join(r.label.lower() for r in u.roles)})") for u in people
            ],
            "scope_options": SCOPE_OPTIONS,
        },
        status_code=status,
    )


@get("/admin/tokens/new", guards=[TOKENS], include_in_schema=False)
async def new_token_form(request: Request[Any, Any, Any], conn: Connection) -> Template:
    return await _token_form(request, conn, values={"days": tokens.DEFAULT_DAYS, "scopes": []})


@post("/admin/tokens", guards=[TOKENS], include_in_schema=False)
async def create_token(request: Request[Any, Any, Any], conn: Connection) -> Template:
    identity = current_identity(request)
    form = await request.form()
    values = {
        "user_id": _int(form.get("user_id")),
        "name": str(form.get("name") or ""),
        "scopes": [s for s in form.getall("scopes", []) if s in Scope._value2member_map_],
        "days": _int(form.get("days")),
    }
    try:
        made = await tokens.create(
            conn,
            actor=identity,
            user_id=values["user_id"],
            name=values["name"],
            scopes=[Scope(s) for s in values["scopes"]],
            days=values["days"],
            origin=origin_of(request.scope),
        )
    except Invalid as invalid:
        return await _token_form(request, conn, values=values, errors=invalid.errors, status=HTTP_400_BAD_REQUEST)
    # Shown once, on this page only (no-store like every page); never again.
    return Template(template_name="admin/token_created.html", context={"token": made.token, "secret": made.secret})


@post("/admin/tokens/{token_id:int}/revoke", guards=[TOKENS], include_in_schema=False)
async def revoke_token(request: Request[Any, Any, Any], conn: Connection, token_id: RecordId) -> Redirect:
    await tokens.revoke(conn, actor=current_identity(request), token_id=token_id, origin=origin_of(request.scope))
    return Redirect(path="/admin/tokens?done=revoked", status_code=303)


ROUTES = [
    users,
    new_user_form,
    create_user,
    user_page,
    update_user,
    reset_password,
    end_sessions,
    deactivate,
    reactivate,
    agencies,
    create_agency,
    agency_page,
    update_agency,
    token_list,
    new_token_form,
    create_token,
    revoke_token,
]
