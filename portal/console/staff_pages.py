"""The staff page, for administrators: who logs in to the console, adding a member of staff, a new link to set
a password, naming a member for rounds or no longer, and removing a member.

Everything goes through review_model.staff, which writes the audit trail, as `spr staff` does. A one-time
link to set a password is shown once, in the answer to the POST that made it (never in a redirect's cookie,
never stored): the page says to hand it over, and `Cache-Control: no-store` keeps it out of the browser's
cache. Anyone but an administrator gets 404 for every page here, as for a round they are not named for.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from config.translations import gettext_for
from portal.console.access import NotVisible, Staff, check_form, current_staff
from portal.console.pages import console_page, done_and_go
from review_model import clock
from review_model.moments import format_moment
from review_model.refusals import Refused, reasons_in
from review_model.rounds import list_rounds
from review_model.staff import (
    PasswordLink,
    StaffListing,
    StaffRefused,
    add_staff,
    list_staff,
    name_for_round,
    new_password_link,
    remove_staff,
    unname_for_round,
)
from review_model.store import reading_session, session_scope
from review_model.tables import Round
from review_model.vocabulary import StaffRole

if TYPE_CHECKING:
    from portal.app import Portal

FormValues = Mapping[str, Sequence[str]]
STAFF_PATH = "/console/staff"


def add_staff_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/staff and each member's pages (administrators only)."""

    @app.get(STAFF_PATH)
    def staff_page(request: Request) -> Response:
        staff = _administrator(request, portal)
        return _staff_page(portal, request, staff)

    @app.post(STAFF_PATH)
    async def add_member(request: Request) -> Response:
        staff, values = await _checked_post(request, portal)
        return await run_in_threadpool(_add_member, portal, request, staff, values)

    @app.get(STAFF_PATH + "/{account_id}")
    def member_page(request: Request, account_id: int) -> Response:
        staff = _administrator(request, portal)
        member = _member(portal, account_id)
        with reading_session(portal.engine) as session:
            rounds = list_rounds(session)
        return console_page(portal, request, "staff_member.html", staff.language, staff=staff, member=member,
                            rounds=rounds, moment=_moment_shown(portal, staff.language))  # fmt: skip

    @app.post(STAFF_PATH + "/{account_id}/rounds")
    async def name_for_rounds(request: Request, account_id: int) -> Response:
        staff, values = await _checked_post(request, portal)
        return await run_in_threadpool(_name_for_rounds, portal, staff, _member(portal, account_id), values)

    @app.post(STAFF_PATH + "/{account_id}/password-link")
    async def password_link(request: Request, account_id: int) -> Response:
        staff, _values = await _checked_post(request, portal)
        member = _member(portal, account_id)

        def issue() -> Response:
            try:
                with session_scope(portal.engine) as session:
                    link = new_password_link(session, member.email, actor=staff.actor, now=clock.now())
            except StaffRefused:  # removed meanwhile
                raise NotVisible from None
            return _link_page(portal, request, staff, link, added=False)

        return await run_in_threadpool(issue)

    @app.get(STAFF_PATH + "/{account_id}/remove")
    def remove_page(request: Request, account_id: int) -> Response:
        staff = _administrator(request, portal)
        member = _member(portal, account_id)
        with reading_session(portal.engine) as session:
            admins = sum(listing.role is StaffRole.admin for listing in list_staff(session))
        _ = gettext_for(staff.language, "portal")
        last = member.role is StaffRole.admin and admins == 1
        refusals = [_("{email} is the last administrator: add another one first.").format(email=member.email)]
        yourself = member.account_id == staff.account_id
        return console_page(portal, request, "staff_remove.html", staff.language, staff=staff, member=member,
                            refusals=refusals if last else [], yourself=yourself)  # fmt: skip

    @app.post(STAFF_PATH + "/{account_id}/remove")
    async def remove(request: Request, account_id: int) -> Response:
        staff, _values = await _checked_post(request, portal)
        member = _member(portal, account_id)

        def run() -> Response:
            _ = gettext_for(staff.language, "portal")
            try:
                with session_scope(portal.engine) as session:
                    remove_staff(session, member.email, actor=staff.actor)
            except StaffRefused as refused:
                return done_and_go(portal, f"{STAFF_PATH}/{account_id}", refused.in_language(staff.language), True)
            notice = _("{email} was removed and logged out everywhere.").format(email=member.email)
            return done_and_go(portal, STAFF_PATH, notice)

        return await run_in_threadpool(run)


def _administrator(request: Request, portal: "Portal") -> Staff:
    """The member of staff asking, if an administrator; the page does not exist for anyone else."""
    staff = current_staff(request, portal)
    if not staff.access.manages_staff:
        raise NotVisible
    return staff


async def _checked_post(request: Request, portal: "Portal") -> tuple[Staff, FormValues]:
    """A POST of a staff form: by an administrator, from the console's own page, with the session's token."""
    staff = _administrator(request, portal)
    form = await request.form(max_files=0, max_fields=5000)
    values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    check_form(portal, request, staff, values)
    return staff, values


def _member(portal: "Portal", account_id: int) -> StaffListing:
    """One member of staff as the list shows them; NotVisible when there is no such account (any more)."""
    with reading_session(portal.engine) as session:
        found = [listing for listing in list_staff(session) if listing.account_id == account_id]
    if not found:
        raise NotVisible
    return found[0]


def _first(values: FormValues, name: str) -> str:
    return next(iter(values.get(name) or []), "").strip()


def _round_ids(values: FormValues) -> set[int]:
    return {int(value) for value in values.get("round", []) if value.isdigit() and len(value) < 19}


def _rounds(session: Session, ids: set[int]) -> list[Round]:
    return list(session.exec(select(Round).where(col(Round.id).in_(ids)).order_by(Round.slug))) if ids else []


def _staff_page(
    portal: "Portal",
    request: Request,
    staff: Staff,
    *,
    errors: Sequence[str] = (),
    typed: FormValues | None = None,
    status: int = 200,
) -> Response:
    with reading_session(portal.engine) as session:
        members, rounds = list_staff(session), list_rounds(session)
    typed = typed or {}
    return console_page(
        portal,
        request,
        "staff.html",
        staff.language,
        staff=staff,
        status_code=status,
        members=members,
        rounds=rounds,
        roles=list(StaffRole),
        errors=list(errors),
        typed_email=_first(typed, "email"),
        typed_name=_first(typed, "name"),
        typed_role=_first(typed, "role") or StaffRole.coordinator.value,
        typed_rounds=_round_ids(typed),
        moment=_moment_shown(portal, staff.language),
    )


def _add_member(portal: "Portal", request: Request, staff: Staff, values: FormValues) -> Response:
    _ = gettext_for(staff.language, "portal")
    role = _first(values, "role")
    if role not in StaffRole.__members__:
        reason = _("Choose the role: administrator, coordinator or observer.")
        return _staff_page(portal, request, staff, errors=[reason], typed=values, status=400)
    try:
        with session_scope(portal.engine) as session:
            named = _rounds(session, _round_ids(values))
            _account, link = add_staff(session, _first(values, "email"), StaffRole(role), name=_first(values, "name"),
                                       rounds=named, actor=staff.actor, now=clock.now())  # fmt: skip
    except Refused as refused:
        errors = reasons_in(staff.language, refused.reasons)
        return _staff_page(portal, request, staff, errors=errors, typed=values, status=400)
    return _link_page(portal, request, staff, link, added=True)


def _link_page(portal: "Portal", request: Request, staff: Staff, link: PasswordLink, *, added: bool) -> Response:
    """The one-time link, shown in the answer to the POST that made it and nowhere else."""
    base = str(portal.settings.public_base_url).rstrip("/")
    until = format_moment(link.expires_at, portal.settings.time_zone, staff.language)
    response = console_page(portal, request, "staff_link.html", staff.language, staff=staff, email=link.email,
                            link=f"{base}/console/password/{link.token}", added=added, until=until)  # fmt: skip
    response.headers["cache-control"] = "no-store"  # the portal says so for every page; this page must not lack it
    return response


def _name_for_rounds(portal: "Portal", staff: Staff, member: StaffListing, values: FormValues) -> Response:
    """Name the member for the rounds ticked and for no other: the difference, each change in the audit trail."""
    _ = gettext_for(staff.language, "portal")
    wanted = _round_ids(values)
    with session_scope(portal.engine) as session:
        every = list_rounds(session)
        named_slugs = set(member.rounds)
        added = [r.slug for r in every if r.id in wanted and r.slug not in named_slugs
                 and name_for_round(session, member.email, r, actor=staff.actor)]  # fmt: skip
        dropped = [r.slug for r in every if r.id not in wanted and r.slug in named_slugs
                   and unname_for_round(session, member.email, r, actor=staff.actor)]  # fmt: skip
    said = []
    if added:
        said.append(_("{email} is named for {rounds} now.").format(email=member.email, rounds=", ".join(added)))
    if dropped:
        said.append(_("{email} is no longer named for {rounds}.").format(email=member.email, rounds=", ".join(dropped)))
    if not said:
        said.append(_("Nothing was changed: {email} is named for the rounds ticked.").format(email=member.email))
    return done_and_go(portal, f"{STAFF_PATH}/{member.account_id}", " ".join(said))


def _moment_shown(portal: "Portal", language: str) -> Callable[[datetime], str]:
    """How the pages show a moment: in the installation's time zone, in the staff member's language."""
    return partial(format_moment, zone=portal.settings.time_zone, language=language)
