"""A round's actions in the console: launch, remind, close the stage, extend the deadline.

Each is a page that says what the action will do and to whom (GET, which changes nothing), and a POST from
that page that runs it as the coordinator operation (see portal.console.actions) and returns to the dashboard
saying what was done and what comes next. Other pages' actions follow the same pattern (`ask_first` and
`run_action`).
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from config.translations import gettext_for, ngettext_for
from portal.console.access import Staff, check_form, current_staff, round_run, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_page, done_and_go
from review_model import clock
from review_model.adoption import ADOPTION_STAGES
from review_model.moments import format_calendar_day, format_moment
from review_model.questions import parties_waiting
from review_model.refusals import Refused
from review_model.reminder_opt_out import stopped_in_round
from review_model.retention import retention_statement
from review_model.rounds import round_progress
from review_model.stage_rules import CLOSES_EARLY, stage_deadline
from review_model.store import reading_session
from review_model.tables import Round
from review_model.vocabulary import Stage

if TYPE_CHECKING:
    from portal.app import Portal

FormValues = Mapping[str, Sequence[str]]
log = logging.getLogger("spr.console")


@dataclass(frozen=True)
class Confirmation:
    """What the confirming page says: its title, what will happen (one sentence a line), its button, and the
    inputs the action takes (names of the input blocks in templates/console/confirm.html)."""

    title: str
    lines: list[str]
    button: str
    inputs: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # known before asking: the button is not offered
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of the "choice" input


def ask_first(
    portal: "Portal",
    request: Request,
    slug: str,
    explain: Callable[[Round, str], Confirmation],
    hidden: Mapping[str, str] | None = None,
) -> Response:
    """The page that asks before an action: it changes nothing (mail scanners and prefetching open links).
    `hidden` are values the form sends along (which person, which recommendations)."""
    staff = current_staff(request, portal)
    with reading_session(portal.engine) as session:
        round_ = round_seen(session, staff, slug)
        confirmation = explain(round_, staff.language)
    assert round_.id is not None
    runs = staff.access.runs(round_.id)
    return console_page(portal, request, "confirm.html", staff.language, staff=staff, round=round_,
                        confirmation=confirmation, runs=runs, action=request.url.path, hidden=hidden or {})  # fmt: skip


async def run_action(
    portal: "Portal",
    request: Request,
    slug: str,
    operation: Callable[[ConsoleActions, Round, Staff, FormValues], ActionDone],
    back_to: str | None = None,
) -> Response:
    """A POST of an action's form: checked (session, CSRF, origin, may run the round), run, and answered with
    the dashboard (or `back_to`) saying what was done or every reason it was refused."""
    form = await request.form(max_files=0, max_fields=200)
    values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    staff = current_staff(request, portal)
    check_form(portal, request, staff, values)

    def run() -> Response:
        with reading_session(portal.engine) as session:
            round_ = round_run(session, staff, slug)
        location = back_to or f"/console/rounds/{round_.slug}"
        _ = gettext_for(staff.language, "portal")
        if portal.actions is None:
            text = _("This portal runs no coordinator operations (it was started without them); use spr serve.")
            return done_and_go(portal, location, text, failed=True)
        try:
            done = operation(portal.actions, round_, staff, values)
        except Refused as refused:
            return done_and_go(portal, location, refused.in_language(staff.language), failed=True)
        except Exception as error:  # the Prefect server gone, the store down mid-way: said, not a bare 500
            log.exception("console action on %s by %s did not finish", round_.slug, staff.actor)
            text = _("The action did not finish ({error}). Part of it may have been done: look at the round's "
                     "history before you try again.").format(error=type(error).__name__)  # fmt: skip
            return done_and_go(portal, location, text, failed=True)
        return done_and_go(portal, location, done.notice)

    return await run_in_threadpool(run)


def first_value(values: FormValues, name: str) -> str:
    """The first value of a form field, or an empty string."""
    return next(iter(values.get(name) or []), "").strip()


def add_round_action_routes(app: FastAPI, portal: "Portal") -> None:
    """Launch, remind, close the stage, extend the submission deadline: each an asking page and its POST."""
    for action, explain, operation in (
        ("launch", _explain_launch, _launch),
        ("remind", _explain_remind, _remind),
        ("close-stage", _explain_close, _close),
        ("extend", _explain_extend, _extend),
        ("adopt", _explain_adopt, _adopt),
    ):
        add_action_route(app, portal, action, partial_explain(portal, explain), operation)


def add_action_route(
    app: FastAPI,
    portal: "Portal",
    action: str,
    explain: Callable[[Round, str], Confirmation],
    operation: Callable[[ConsoleActions, Round, Staff, FormValues], ActionDone],
) -> None:
    """/console/rounds/<slug>/<action>: the page that asks first (GET) and the action itself (POST)."""
    path = "/console/rounds/{slug}/" + action

    @app.get(path, name=f"{action}-asking")
    def asking(request: Request, slug: str) -> Response:
        return ask_first(portal, request, slug, explain)

    @app.post(path, name=action)
    async def doing(request: Request, slug: str) -> Response:
        return await run_action(portal, request, slug, operation)


def partial_explain(
    portal: "Portal", explain: Callable[["Portal", Round, str], Confirmation]
) -> Callable[[Round, str], Confirmation]:
    """An explanation that reads the store through the portal."""
    return lambda round_, language: explain(portal, round_, language)


def _progress(portal: "Portal", round_: Round) -> tuple[int, int]:
    """(respondents, who the current stage still waits for)."""
    assert round_.id is not None
    with reading_session(portal.engine) as session:
        progress = round_progress(session, round_.id)
    waiting = {
        Stage.submission: progress.respondents - progress.submitted,
        Stage.review: progress.reviews_due - progress.reviews_submitted,
        Stage.consensus: progress.assessments_due - progress.assessments_submitted,
        Stage.comment: progress.replies_pending,
    }.get(round_.stage, 0)
    return progress.respondents, waiting


def _explain_launch(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    respondents, _waiting = _progress(portal, round_)
    refusals = [] if round_.stage is Stage.draft else [_("The round was launched already.")]
    deadline = format_moment(round_.submission_deadline, round_.time_zone, language)
    lines = [
        _("Everything is checked first: the questionnaire, the participants, the deadlines, the mail server. "
          "If anything is wrong, nothing is sent and every reason is named."),
        _("Then each of the {n} respondents gets their invitation with a personal link, in their language.").format(
            n=respondents),
        _("The self-assessment runs until {deadline}; reminders follow the round's schedule.").format(
            deadline=deadline),
        _("The people's data: {statement}.").format(statement=retention_statement(round_, language)),
    ]  # fmt: skip
    return Confirmation(_("Launch the round"), lines, _("Launch and send the invitations"), refusals=refusals)


def _launch(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
    assert round_.id is not None
    return actions.launch(round_.id, round_.slug, staff.actor, staff.language)


def _explain_remind(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    _respondents, waiting = _progress(portal, round_)
    whom = {
        Stage.submission: _("{n} respondents who have not submitted their self-assessment"),
        Stage.review: _("reviewers with {n} reviews still open (one reminder each, listing their open reviews)"),
        Stage.consensus: _(
            "lead reviewers of {n} joint assessments not yet submitted, and co-reviewers who have not "
            "answered a submitted one"
        ),
        Stage.comment: _("{n} reviewed parties that have not sent their reply"),
    }.get(round_.stage)
    if whom is None:
        refusals = [_("In this stage nobody is waiting to answer: reminders go out in the self-assessment, the "
                      "review and the right of reply.")]  # fmt: skip
        return Confirmation(_("Remind now"), [], _("Send the reminders"), refusals=refusals)
    lines = [
        _("A reminder goes out now, outside the round's schedule, to: {whom}.").format(whom=whom.format(n=waiting)),
        _("Each reminder carries the person's personal link; the scheduled reminders still follow."),
    ]
    assert round_.id is not None
    with reading_session(portal.engine) as session:
        stopped = stopped_in_round(session, round_.id)
        asked = len(parties_waiting(session, round_.id)) if round_.stage is Stage.review else 0
    ngettext = ngettext_for(language, "portal")
    if asked:
        lines.insert(1, ngettext(
            "{n} reviewed party with reviewers' questions still to answer is reminded of them too.",
            "{n} reviewed parties with reviewers' questions still to answer are reminded of them too.",
            asked).format(n=asked))  # fmt: skip
    if stopped:
        lines.append(ngettext(
            "{n} person of the round stopped their reminders and gets none.",
            "{n} people of the round stopped their reminders and get none.", stopped).format(n=stopped))  # fmt: skip
    return Confirmation(_("Remind now"), lines, _("Send the reminders"))


def _remind(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
    assert round_.id is not None
    return actions.remind(round_.id, round_.slug, None, staff.actor, staff.language)


def _explain_close(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    _respondents, waiting = _progress(portal, round_)
    deadline = stage_deadline(round_, round_.stage)
    if round_.stage not in CLOSES_EARLY or deadline is None:
        refusals = [_("Only the self-assessment, the review, the consensus and the right of reply close early.")]
        return Confirmation(_("Close the stage now"), [], _("Close the stage"), refusals=refusals)
    lines = [
        _("The {stage} stage closes now instead of on {deadline}; the round moves on at once.").format(
            stage=round_.stage.label(language), deadline=format_moment(deadline, round_.time_zone, language)
        ),
        _("{n} answers it still waits for will not be taken any more; their links stop working.").format(n=waiting),
        _("This cannot be undone."),
    ]
    inputs = ["publish_now"] if round_.stage is Stage.comment and round_.publication_at else []
    return Confirmation(_("Close the stage now"), lines, _("Close the stage"), inputs)


def _close(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
    assert round_.id is not None
    publish_now = first_value(values, "publish_now") == "1"
    return actions.close_stage(round_.id, round_.slug, staff.actor, staff.language, publish_now)


def _explain_extend(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    _respondents, waiting = _progress(portal, round_)
    if round_.stage not in (Stage.invitation, Stage.submission):
        refusals = [_("Only the submission deadline can be moved, before the self-assessment closes.")]
        return Confirmation(_("Extend the submission deadline"), [], _("Extend"), refusals=refusals)
    deadline = format_moment(round_.submission_deadline, round_.time_zone, language)
    lines = [
        _("The submission deadline is {deadline}.").format(deadline=deadline),
        _(
            "The personal links work until the new deadline, and the {n} respondents who have not submitted are "
            "told by email."
        ).format(n=waiting),
    ]
    return Confirmation(_("Extend the submission deadline"), lines, _("Extend and tell them"), ["until"])


def _extend(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
    assert round_.id is not None
    _ = gettext_for(staff.language, "portal")
    day, hour = first_value(values, "until_date"), first_value(values, "until_time")
    try:
        local = datetime.combine(
            datetime.strptime(day, "%Y-%m-%d").date(),
            time.fromisoformat(hour)
            if hour
            else round_.submission_deadline.astimezone(ZoneInfo(round_.time_zone)).time(),
        )
    except ValueError:
        raise Refused([_("Give the new deadline as a date (and a time, if you like).")]) from None
    until = local.replace(tzinfo=ZoneInfo(round_.time_zone))
    if until <= clock.now():
        raise Refused([_("The new deadline must be in the future.")])
    return actions.extend_deadline(round_.id, round_.slug, until, staff.actor, staff.language)


def _explain_adopt(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    title, button = _("Record the adoption"), _("Record it")
    if round_.stage not in ADOPTION_STAGES:
        refusals = [_("The adoption is recorded after the drafting and before publication.")]
        return Confirmation(title, [], button, refusals=refusals)
    lines = [_("Record which body adopted the findings and recommendations, on which day, and the changes it noted: "
               "the report's front page says so.")]  # fmt: skip
    if round_.adopted_by and round_.adopted_on:
        lines.append(_("Recorded so far: {body}, {day}. Recording it again replaces that; the history keeps both.")
                     .format(body=round_.adopted_by, day=format_calendar_day(round_.adopted_on, language)))  # fmt: skip
    if round_.adoption_required:
        lines.append(_("This round is published only once its adoption is recorded."))
    return Confirmation(title, lines, button, ["adoption"])


def _adopt(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
    assert round_.id is not None
    _ = gettext_for(staff.language, "portal")
    try:
        day = datetime.strptime(first_value(values, "adopted_on"), "%Y-%m-%d").date()
    except ValueError:
        raise Refused([_("Give the day of the adoption as a date.")]) from None
    body, changes = first_value(values, "adopted_by"), first_value(values, "changes") or None
    return actions.record_adoption(round_.id, round_.slug, body, day, changes, staff.actor, staff.language)
