"""Creating a round in the console: the round file and its participants file, sent from the coordinator's
computer, checked exactly as `spr round create` and `spr participants import` check them, and stored in one
transaction, the round with its participants, or nothing at all.

Every problem of either file is listed on the page with its file, line and field. The round file's
questionnaire can only be one that ships with spr: an uploaded file has no folder a path in it could be
relative to (review_model.questionnaire.shipped_questionnaire says so in the staff member's language).
"""

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from config.settings import Settings
from config.translations import gettext_for, ngettext_for
from portal.console.access import Staff, check_form, current_staff
from portal.console.pages import console_message, console_page, done_and_go
from review_model import clock
from review_model.audit_trail import record_event
from review_model.participant_import import (
    ParticipantImportError,
    ParticipantRow,
    enrolled_elsewhere,
    import_participants,
    parse_participants,
)
from review_model.plain_text import control_character
from review_model.questionnaire import shipped_questionnaires
from review_model.refusals import reason_in
from review_model.rounds import RoundExists, create_round_from_upload
from review_model.staff import name_for_round
from review_model.store import session_scope
from review_model.yaml_documents import DocumentError

if TYPE_CHECKING:
    from portal.app import Portal

NEW_ROUND_PATH = "/console/rounds/new"
# The participants' forms keep the portal's small body limit; this page alone takes files. A participants
# file of 10,000 people has about 1 MB; review_model refuses files beyond its own limits (5 MiB for the
# participants, 1 MiB for the round file) with a message naming the file, which a 413 here would not.
UPLOAD_LIMITS = {NEW_ROUND_PATH: 20 * 1024 * 1024}
ROUND_FIELD, PARTICIPANTS_FIELD = "round_file", "participants_file"


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong with a file that was sent: which file, where (line 0: the file as a whole) and what."""

    file: str
    line: int
    field: str
    message: str


class _NothingCreated(Exception):
    """Rolls the round back: the files have these problems."""

    def __init__(self, problems: list[FileProblem]):
        super().__init__(problems)
        self.problems = problems


def add_new_round_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/new: create a round from its files (administrators and coordinators)."""

    @app.get(NEW_ROUND_PATH)
    def new_round_page(request: Request) -> Response:
        staff = current_staff(request, portal)
        if not staff.access.creates_rounds:
            return _not_allowed(portal, request, staff)
        return _form_page(portal, request, staff, [])

    @app.post(NEW_ROUND_PATH)
    async def create_round(request: Request) -> Response:
        staff = current_staff(request, portal)
        if not staff.access.creates_rounds:  # refused before a byte of the files is read
            return _not_allowed(portal, request, staff)
        async with request.form(max_files=2, max_fields=10) as form:  # its spooled files are closed after
            values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
            check_form(portal, request, staff, values)
            round_sent = await _sent_file(form.get(ROUND_FIELD), "round.yaml")
            participants_sent = await _sent_file(form.get(PARTICIPANTS_FIELD), "participants.csv")
        return await run_in_threadpool(_create, portal, request, staff, round_sent, participants_sent)


async def _sent_file(value: UploadFile | str | None, default_name: str) -> tuple[str, bytes] | None:
    """A file's name and bytes; None when the input was left empty."""
    if not isinstance(value, UploadFile) or (not value.filename and not value.size):
        return None
    return _file_name(value.filename, default_name), await value.read()


def _file_name(sent: str | None, default: str) -> str:
    """The name a file had on the sender's computer, as the problems name it: its last part, one plain line."""
    name = posixpath.basename((sent or "").replace("\\", "/")).strip()[:100]
    return name if name and control_character(name) is None else default


def _create(
    portal: "Portal",
    request: Request,
    staff: Staff,
    round_sent: tuple[str, bytes] | None,
    participants_sent: tuple[str, bytes] | None,
) -> Response:
    """Check both files and create the round with its participants, or show every problem and create nothing."""
    _ = gettext_for(staff.language, "portal")
    if round_sent is None:
        problem = FileProblem("", 0, "", _("Choose the round file (YAML) to send."))
        return _form_page(portal, request, staff, [problem], 400)
    try:
        with session_scope(portal.engine) as session:
            slug, enrolled = _create_in(session, portal.settings, staff, round_sent, participants_sent)
    except _NothingCreated as nothing:
        return _form_page(portal, request, staff, nothing.problems, 400)
    ngettext = ngettext_for(staff.language, "portal")
    said = ngettext(
        "Round {slug} created in the draft stage, with {n} participant enrolled.",
        "Round {slug} created in the draft stage, with {n} participants enrolled.",
        enrolled,
    ).format(slug=slug, n=enrolled)
    next_step = _("Next: check it, then launch it.")
    return done_and_go(portal, f"/console/rounds/{slug}", f"{said} {next_step}")


def _create_in(
    session: Session,
    settings: Settings,
    staff: Staff,
    round_sent: tuple[str, bytes],
    participants_sent: tuple[str, bytes] | None,
) -> tuple[str, int]:
    """Create the round and enrol its participants in the session's transaction, as `spr round create` does
    with its participants file; the round's slug and how many were enrolled. _NothingCreated with every
    problem of both files otherwise (the round file's first). The participants file is checked against the
    store (organisations registered with another kind, unknown conflicts) once the round file is sound, as
    the command does: an import needs its round."""
    _ = gettext_for(staff.language, "portal")
    round_name, round_raw = round_sent
    problems: list[FileProblem] = []
    rows: list[ParticipantRow] | None = None
    if participants_sent is not None:  # read first: its own problems are named even when the round file fails
        try:
            rows = parse_participants(participants_sent[1], participants_sent[0])
        except ParticipantImportError as error:
            problems += _participant_problems(participants_sent[0], error)
    try:
        creation = create_round_from_upload(session, round_raw, round_name, now=clock.now(),
                                            default_time_zone=settings.time_zone,
                                            default_language=settings.round_language, actor=staff.actor,
                                            visible=staff.access.sees)  # fmt: skip
    except DocumentError as error:
        language = staff.language
        found = [FileProblem(round_name, p.line or 0, _field(p.path, p.subject), reason_in(language, p.message))
                 for p in error.problems]  # fmt: skip
        raise _NothingCreated(found + problems) from None
    except RoundExists as error:
        if error.created_at is None:  # a round the sender may not see: nothing more than that the slug is taken
            text = _("The slug {slug} is taken: give the new round another slug.").format(slug=error.slug)
        else:
            text = _("A round with the slug {slug} exists already, created from another file on {day}: give the "
                     "new round another slug.").format(slug=error.slug, day=f"{error.created_at:%Y-%m-%d}")  # fmt: skip
        raise _NothingCreated([FileProblem(round_name, 0, "slug", text), *problems]) from None
    round_ = creation.round
    if not creation.created:
        text = _("The round {slug} exists already, created from this same file: nothing was changed.")
        raise _NothingCreated([FileProblem(round_name, 0, "slug", text.format(slug=round_.slug)), *problems])
    if creation.spec.participants is not None and participants_sent is None:
        text = _("The round file names the participants file {name}: send it along with the round file.")
        problems.append(FileProblem(round_name, 0, "participants", text.format(name=creation.spec.participants)))
    summary = None
    if rows is not None and participants_sent is not None and not problems:
        problems += _people_of_other_rounds(session, staff, rows, participants_sent[0])
    if rows is not None and participants_sent is not None and not problems:
        try:
            summary = import_participants(session, round_, rows, participants_sent[0])
        except ParticipantImportError as error:
            problems += _participant_problems(participants_sent[0], error)
    if problems:
        raise _NothingCreated(problems)
    name_for_round(session, staff.email, round_, actor=staff.actor)
    if summary is None:
        return round_.slug, 0
    assert participants_sent is not None
    record_event(session, round_.id, staff.actor, "participants imported", file=participants_sent[0],
                 created=summary.participants_created, updated=summary.participants_updated,
                 enrolled=summary.enrolled)  # fmt: skip
    return round_.slug, summary.enrolled


def _people_of_other_rounds(
    session: Session, staff: Staff, rows: list[ParticipantRow], file_name: str
) -> list[FileProblem]:
    """A person is one record across rounds (importing them again updates their name, organisation and
    declared conflicts): someone may change only the people of rounds they see. Said without naming who or
    which rounds, which the sender may not learn."""
    visible = staff.access.visible_rounds()
    if visible is None:
        return []
    elsewhere = enrolled_elsewhere(session, [row.email for row in rows], visible)
    if not elsewhere:
        return []
    _ = gettext_for(staff.language, "portal")
    text = _("{n} people in this file take part in rounds you are not named for; their details can only be changed "
             "by an administrator, who may import this file.").format(n=elsewhere)  # fmt: skip
    return [FileProblem(file_name, 0, "email", text)]


def _participant_problems(file_name: str, error: ParticipantImportError) -> list[FileProblem]:
    return [FileProblem(file_name, row.line, row.column or "", row.message) for row in error.errors]


def _field(path: tuple[str | int, ...], subject: str | None) -> str:
    where = ".".join(str(part) for part in path)
    return f"{subject}: {where}" if subject else where


def _form_page(
    portal: "Portal", request: Request, staff: Staff, problems: list[FileProblem], status: int = 200
) -> Response:
    questionnaires = [path.stem for path in shipped_questionnaires()]
    return console_page(portal, request, "new_round.html", staff.language, staff=staff, status_code=status,
                        problems=problems, questionnaires=questionnaires, action=NEW_ROUND_PATH)  # fmt: skip


def _not_allowed(portal: "Portal", request: Request, staff: Staff) -> Response:
    _ = gettext_for(staff.language, "portal")
    text = _("Only administrators and coordinators create rounds.")
    return console_message(portal, request, staff.language, _("Not allowed"), text, 403)
