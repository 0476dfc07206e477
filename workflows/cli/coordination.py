"""The coordinator's commands for a running round: launch, advance, remind, close a stage, extend, status."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import (
    COORDINATOR,
    N_,
    coordinator_language,
    fail,
    local_time,
    messages,
    next_pass,
    next_step,
    plural_messages,
    print_table,
    reasons_text,
    reported_errors,
    stage_name,
    success,
    translated,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from review_model.early_close import LeftOut
    from review_model.tables import Round
    from review_model.vocabulary import RecommendationStatus, Stage
    from workflows.stages.context import StageContext

RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]


def _round(reference: str) -> tuple[int, str]:
    from review_model.rounds import find_round
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        round_ = find_round(session, reference)
        assert round_.id is not None
        return round_.id, round_.slug


def _listed(reasons: list[str]) -> str:
    """Reasons of the domain, one a line, in the coordinator's language."""
    return "\n  - " + reasons_text(reasons, "\n  - ")


def _context() -> "StageContext":
    from config.settings import get_settings
    from workflows.cli.store_access import open_store
    from workflows.stages.context import StageContext

    return StageContext.from_settings(get_settings(), open_store())


def launch(round_ref: RoundArgument) -> None:
    """Check the round and launch it: send every respondent their invitation with a personal link.

    Checks first — questionnaire, participants, deadlines in the future, SMTP server reachable — and refuses
    with every reason it found. Runs as a Prefect flow (on the server `spr serve` runs, when it runs).
    """
    with reported_errors():
        round_id, slug = _round(round_ref)
        from workflows.stages.launch import launch_blockers

        _ = messages()
        reasons = launch_blockers(_context(), round_id)  # before Prefect starts: a refusal is quick
        if reasons:
            fail(_("round {slug} cannot be launched:").format(slug=slug) + _listed(reasons))
        from workflows.cli.prefect_runs import on_prefect
        from workflows.flows import LaunchRefused, about_round, launch_round_flow

        with on_prefect(), about_round(slug):
            try:
                report = launch_round_flow(round_id, slug, COORDINATOR)
            except LaunchRefused as refused:
                fail(_("round {slug} cannot be launched:").format(slug=slug) + _listed(refused.reasons))
        summary = report.summary(coordinator_language())
        success(_("Round {slug} launched: {summary}.").format(slug=slug, summary=summary))
        typer.echo(_("Personal data: {statement}.").format(statement=_retention_of(round_id)))
        typer.echo(next_step(slug, report.stage_after))


def _retention_of(round_id: int) -> str:
    """When the round's personal data will be erased (review_model.retention), as a coordinator reads it."""
    from review_model.retention import retention_statement
    from review_model.rounds import get_round
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        return retention_statement(get_round(session, round_id), coordinator_language())


def advance(
    round_ref: RoundArgument,
    direct: Annotated[
        bool,
        typer.Option("--direct", help="Run the round driver here without Prefect (when its server is down)."),
    ] = False,
) -> None:
    """Do whatever is due for the round now: invitations, reminders, closing a stage, delivering email.

    Safe to run at any time and as often as you like (two at once take each step once); `spr serve` runs it
    every few minutes by itself. Runs as a Prefect flow, or with --direct without Prefect.
    """
    with reported_errors():
        round_id, slug = _round(round_ref)
        if direct:
            from workflows.round_driver import advance_round

            context = _context()
            try:
                report = advance_round(context, round_id)
            finally:
                context.engine.dispose()
        else:
            from workflows.cli.prefect_runs import on_prefect
            from workflows.flows import about_round, advance_round_flow

            with on_prefect(), about_round(slug):
                flow_report = advance_round_flow(round_id, slug)
            assert flow_report is not None  # None only for a run given wait_seconds
            report = flow_report
        _ = messages()
        success(_("Round {slug}: {summary}.").format(slug=slug, summary=report.summary(coordinator_language())))
        typer.echo(next_step(slug, report.stage_after))


def remind(
    round_ref: RoundArgument,
    participant: Annotated[str | None, typer.Option(help="Only this person (their email address).")] = None,
) -> None:
    """Remind now, outside the reminder schedule, everyone the current stage waits for (or one person):
    respondents who have not submitted in submission, reviewers with reviews still open in review, reviewed
    parties without a reply in comment."""
    with reported_errors():
        round_id, slug = _round(round_ref)
        from review_model.reminders import reminder_refusals
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.flows import about_round, remind_flow

        _ = messages()
        refusals = reminder_refusals(_stage(round_id))
        if refusals:  # before Prefect starts: a refusal is quick, and no failed run is left behind
            fail(_("nobody to remind in {slug}: {reasons}").format(slug=slug, reasons=reasons_text(refusals)))
        person = _participant_id(participant) if participant else None
        if participant and person is None:
            fail(_("{email} takes no part in {slug}").format(email=participant, slug=slug))
        stopped = _stopped_reminders(round_id, person, participant, slug) if participant else []
        if stopped:
            fail(reasons_text(stopped))
        with on_prefect() as api:
            with about_round(slug):
                reminded = remind_flow(round_id, slug, person, COORDINATOR)
            if participant and not reminded.queued:
                fail(_not_reminded(participant, slug, reminded.stage))
            success(_reminders_queued(reminded.queued - reminded.questions, reminded.stage))
            if reminded.questions:
                ngettext = plural_messages()
                success(ngettext(
                    "{n} reminder queued for a reviewed party with reviewers' questions still to answer.",
                    "{n} reminders queued for reviewed parties with reviewers' questions still to answer.",
                    reminded.questions).format(n=reminded.questions))  # fmt: skip
            what = f"{reminded.queued} reminder{'' if reminded.queued == 1 else 's'}"
            followed = advance_after(api, round_id, slug, what)
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or reminded.stage))


def _reminders_queued(queued: int, stage: "Stage") -> str:
    """How many reminders went to whom the stage waits for (the words of review_model.reminders.REMINDED_IN)."""
    from review_model.vocabulary import Stage

    ngettext = plural_messages()
    if stage is Stage.review:
        text = ngettext(
            "{n} reminder(s) queued for reviewers with reviews still open ({stage} stage).",
            "{n} reminder(s) queued for reviewers with reviews still open ({stage} stage).",
            queued,
        )
    elif stage is Stage.consensus:
        text = ngettext("{n} reminder(s) queued for reviewers whose joint assessment is still to write or to answer "
                        "({stage} stage).",
                        "{n} reminder(s) queued for reviewers whose joint assessment is still to write or to answer "
                        "({stage} stage).", queued)  # fmt: skip
    elif stage is Stage.comment:
        text = ngettext("{n} reminder(s) queued for reviewed parties that have not sent their reply ({stage} stage).",
                        "{n} reminder(s) queued for reviewed parties that have not sent their reply ({stage} stage).",
                        queued)  # fmt: skip
    else:
        text = ngettext(
            "{n} reminder(s) queued for respondents who have not submitted their self-assessment ({stage} stage).",
            "{n} reminder(s) queued for respondents who have not submitted their self-assessment ({stage} stage).",
            queued,
        )
    return text.format(n=queued, stage=stage_name(stage))


def _not_reminded(email: str, slug: str, stage: "Stage") -> str:
    """Why the one person asked for got no reminder: the stage does not wait for them."""
    from review_model.vocabulary import Stage

    _ = messages()
    if stage is Stage.review:
        text = _("{email} is not among the reviewers with reviews still open in {slug} ({stage} stage)")
    elif stage is Stage.consensus:
        text = _("{email} is not among the reviewers whose joint assessment is still to write or to answer in {slug} "
                 "({stage} stage)")  # fmt: skip
    elif stage is Stage.comment:
        text = _("{email} is not among the reviewed parties that have not sent their reply in {slug} ({stage} stage)")
    else:
        text = _("{email} is not among the respondents who have not submitted their self-assessment in {slug} "
                 "({stage} stage)")  # fmt: skip
    return text.format(email=email, slug=slug, stage=stage_name(stage))


def _participant_id(email: str) -> int | None:
    """The id of the person with this address (None when nobody has it): flows are given ids, not addresses."""
    from review_model.participant_import import participant_with_email
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        return participant_with_email(session, email)


def _stopped_reminders(round_id: int, participant_id: int | None, email: str, slug: str) -> list[str]:
    """Why the person gets no reminder if they stopped the round's reminders; empty otherwise."""
    from review_model.reminder_opt_out import not_reminded
    from review_model.round_people import person_in_round
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        found = person_in_round(session, round_id, participant_id) if participant_id is not None else None
        return not_reminded(found[0] if found is not None else None, email, slug)


def _stage(round_id: int) -> "Stage":
    from review_model.rounds import get_round
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        return get_round(session, round_id).stage


def close_stage(
    round_ref: RoundArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Close without asking (for scripts).")] = False,
    publish_now: Annotated[
        bool, typer.Option("--publish-now", help="In the comment stage: publish now, before a planned date.")
    ] = False,
) -> None:
    """Close the current stage now, before its deadline: submission (on to reviewer assignment), review (on to
    consolidation) or comment (publication, once every reviewed party has sent its reply).

    Lists who has not submitted (and whether they saved a draft) and asks before leaving them out; without a
    terminal, only with --yes. A comment stage closed before a planned publication date ends the right of
    reply now and publishes on that date, unless --publish-now."""
    with reported_errors():
        round_id, slug = _round(round_ref)
        from review_model import clock
        from review_model.early_close import left_out_by_closing
        from review_model.rounds import get_round
        from review_model.store import reading_session
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.cli.store_access import open_store
        from workflows.coordinator_actions import early_close
        from workflows.flows import about_round, close_stage_flow

        # Checked here too, before asking: nobody is asked about a close that would be refused.
        with reading_session(open_store()) as session:
            round_ = get_round(session, round_id)
            closing = early_close(session, round_, clock.now())
            left_out = left_out_by_closing(session, round_)
            stage, planned, zone = closing.stage, closing.publication_planned, round_.time_zone
        _, ngettext = messages(), plural_messages()
        if left_out:
            _show_left_out(stage, left_out)
            question = ngettext("Close the {stage} stage of {slug} now and leave {n} out?",
                                "Close the {stage} stage of {slug} now and leave {n} out?", len(left_out))  # fmt: skip
            confirm_or_stop(question.format(stage=stage_name(stage), slug=slug, n=len(left_out)), yes)
        with on_prefect() as api:
            with about_round(slug):
                closed = close_stage_flow(round_id, slug, COORDINATOR, publish_now)
            if closed.publication_planned:
                success(
                    _(
                        "Every party of {slug} has replied; the right of reply is closed. Publication is planned "
                        "for {when}: the report is published then. To publish now instead, run `spr round "
                        "close-stage {slug} --publish-now`."
                    ).format(slug=slug, when=local_time(planned, zone))
                )
                return
            closed_line = ngettext(
                "The {stage} stage of {slug} closed ({before} → {after}); {n} messages queued.",
                "The {stage} stage of {slug} closed ({before} → {after}); {n} messages queued.",
                closed.queued,
            )
            success(closed_line.format(stage=stage_name(stage), slug=slug, before=stage_name(stage),
                                       after=stage_name(closed.after), n=closed.queued))  # fmt: skip
            followed = advance_after(api, round_id, slug, f"closing the {stage} stage")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage) if followed.stage else _after_closing(slug, closed.after))


def _after_closing(slug: str, target: "Stage") -> str:
    from review_model.vocabulary import Stage

    if target is Stage.assignment:  # the driver proposes the reviewers
        return next_pass(
            slug,
            N_(
                "Next: the reviewers are proposed (then `spr assignment show {slug}`) once the "
                "round has advanced (`spr serve` does it; `spr round advance {slug}` at once)."
            ),
        )
    if target is Stage.consolidation:
        return next_pass(slug, N_("Next: the findings and drafts follow (then `spr recommendations list {slug}`) "
                                  "once the round has advanced (`spr serve` does it; `spr round advance {slug}` at "
                                  "once)."))  # fmt: skip
    return next_step(slug, target)


def _show_left_out(stage: "Stage", left_out: "list[LeftOut]") -> None:
    """Who a stage closed now leaves out, with whether they saved a draft."""
    _, ngettext = messages(), plural_messages()
    reviewing = any(person.reviewing for person in left_out)
    columns = [_("Name"), _("Organisation"), *([_("Review of")] if reviewing else []), _("Draft saved")]
    rows = [
        (person.name, person.organisation, *([person.reviewing] if reviewing else []),
         _("yes") if person.has_draft else _("no"))
        for person in left_out
    ]  # fmt: skip
    if reviewing:
        title = ngettext(
            "Not submitted: {n} review(s) left out if the {stage} stage closes now",
            "Not submitted: {n} review(s) left out if the {stage} stage closes now",
            len(left_out),
        )
    else:
        title = ngettext("Not submitted: {n} self-assessment(s) left out if the {stage} stage closes now",
                         "Not submitted: {n} self-assessment(s) left out if the {stage} stage closes now",
                         len(left_out))  # fmt: skip
    print_table(title.format(n=len(left_out), stage=stage_name(stage)), columns, rows)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (a script or a pipe cannot)."""
    import sys

    return sys.stdin.isatty()


def confirm_or_stop(question: str, yes: bool, undone: str | None = None) -> None:
    """Ask `question` (unless --yes was given); stop, saying `undone` ("not closed"), unless it is answered yes."""
    if yes:
        return
    _ = messages()
    undone = undone or _("not closed")
    if not stdin_is_terminal():
        fail(_("{undone}: confirm with --yes when no one can answer at a terminal").format(undone=undone))
    if not typer.confirm(question, default=False):
        fail(_("{undone}; nothing changed").format(undone=undone))


def extend(
    round_ref: RoundArgument,
    until: Annotated[
        str, typer.Option(help="The new deadline: 2027-03-22 (at the round's deadline time) or 2027-03-22T18:00.")
    ],
) -> None:
    """Move the submission deadline, keep the links working until then, and tell everyone not yet done."""
    with reported_errors():
        round_id, slug = _round(round_ref)
        from datetime import date, time
        from zoneinfo import ZoneInfo

        from review_model.rounds import get_round
        from review_model.store import reading_session
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.flows import about_round, extend_deadline_flow
        from workflows.stages.submission import ExtensionRefused

        context = _context()
        with reading_session(context.engine) as session:
            round_ = get_round(session, round_id)
            zone = ZoneInfo(round_.time_zone)
            at = round_.submission_deadline.astimezone(zone).time()
        try:
            moment = (
                datetime.fromisoformat(until) if "T" in until else datetime.combine(date.fromisoformat(until), time())
            )
        except ValueError:
            _ = messages()
            fail(_("--until {value} is not a date (2027-03-22) or a date and time (2027-03-22T18:00)").format(
                value=repr(until)))  # fmt: skip
        if "T" not in until:
            moment = datetime.combine(moment.date(), at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        _ = messages()
        with on_prefect() as api:
            try:
                with about_round(slug):
                    extension = extend_deadline_flow(round_id, slug, moment, COORDINATOR)
            except ExtensionRefused as refused:
                fail(_("the deadline of {slug} cannot move: {reason}").format(slug=slug, reason=refused))
            success(
                _(
                    "Submission deadline of {slug} moved from {before} to {after}; {links} links extended, {told} "
                    "participants told."
                ).format(
                    slug=slug,
                    before=local_time(extension.previous, str(zone)),
                    after=local_time(extension.deadline, str(zone)),
                    links=extension.links_extended,
                    told=extension.told,
                )
            )
            followed = advance_after(api, round_id, slug, "extending the deadline")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or "submission"))


def adopt(
    round_ref: RoundArgument,
    by: Annotated[str, typer.Option("--by", help="The body that adopted the results, e.g. the plenary.")],
    on: Annotated[str, typer.Option("--on", help="The day it adopted them (2027-05-03).")],
    changes: Annotated[
        str | None, typer.Option("--changes", help="The changes it made or noted, as the report should say them.")
    ] = None,
) -> None:
    """Record that a body adopted the round's findings and recommendations, and on which day: the report's front
    page says so, and a round whose file asks for adoption (`adoption: {required: true}`) is published only
    after it. Recording it again replaces the record; the round's history keeps both."""
    with reported_errors():
        round_id, slug = _round(round_ref)
        from datetime import date

        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.flows import about_round, kept_private, record_adoption_flow

        _ = messages()
        try:
            day = date.fromisoformat(on)
        except ValueError:
            fail(_("--on {value} is not a date (2027-05-03)").format(value=repr(on)))
        with on_prefect() as api:
            with about_round(slug):
                record_adoption_flow(round_id, slug, by, day, kept_private(changes), COORDINATOR)
            success(_("Adoption of {slug} by {body} on {day} recorded.").format(slug=slug, body=by.strip(),
                                                                               day=day.isoformat()))  # fmt: skip
            followed = advance_after(api, round_id, slug, "recording the adoption")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or "comment"))


def status(round_ref: RoundArgument) -> None:
    """Where a round stands: invited, opened, drafts, submitted, bounced, reminders, days left, email; from the
    review stage on also reviews, recommendations and replies, and once published, where the report is. Who
    was withdrawn is listed separately (and counted only for what they submitted)."""
    with reported_errors():
        from rich.progress_bar import ProgressBar
        from rich.text import Text

        from notifications.outbox import outbox_counts
        from review_model import clock
        from review_model.participation import participation
        from review_model.reminders import days_left
        from review_model.rounds import find_round
        from review_model.stage_rules import stage_deadline
        from review_model.store import reading_session
        from review_model.withdrawal import withdrawn_participants
        from workflows.cli.output import console
        from workflows.cli.rounds import print_withdrawn
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            counts = participation(session, round_.id)
            mail = outbox_counts(session, round_.id)
            later = _later_stages(session, round_)
            withdrawn = withdrawn_participants(session, round_.id)
        _, ngettext = messages(), plural_messages()
        out = console()
        stage = stage_name(round_.stage)
        heading = Text(_("{title} ({slug}) · stage {stage}").format(title=round_.title, slug=round_.slug, stage=stage))
        heading.highlight_words([round_.title, stage], "bold")
        out.print(heading)
        deadline = stage_deadline(round_, round_.stage)
        if deadline is not None:
            grace = round_.late_grace_hours if round_.stage.value in ("invitation", "submission") else 0
            proper = deadline - timedelta(hours=grace)
            left = days_left(proper, clock.now())
            when = local_time(proper, round_.time_zone)
            if grace:
                line = ngettext(
                    "Deadline {when} (late answers taken for {hours} h more) · {days} days left",
                    "Deadline {when} (late answers taken for {hours} h more) · {days} days left",
                    left,
                )
            else:
                line = ngettext("Deadline {when} · {days} days left", "Deadline {when} · {days} days left", left)
            out.print(line.format(when=when, hours=grace, days=left))
        rows = [
            (_("Respondents"), counts.respondents),
            (_("Invited"), counts.invited),
            (_("Opened their link"), counts.opened),
            (_("Draft saved"), counts.drafts),
            (_("Submitted"), counts.submitted),
            (_("Email bounced"), counts.bounced),
            (_("Reminders sent"), counts.reminders),
        ]
        print_table(None, ["", ""], rows)
        done, total, what = counts.submitted, counts.respondents, N_("{done} of {total} submitted ({share})")
        if later:
            print_table(None, ["", ""], later.rows)
            done, total, what = later.done, later.total, later.what
        if total:
            out.print(ProgressBar(total=total, completed=done, width=40))
            out.print(translated(what, done=done, total=total, share=f"{done / total:.0%}"))
        print_withdrawn(withdrawn, round_.time_zone)
        if round_.stage.value in ("published", "archived"):
            from config.settings import get_settings

            base = str(get_settings().public_base_url).rstrip("/")
            out.print(_("Report: {address}  (or `spr report {slug}`)").format(
                address=f"{base}/reports/{round_.slug}", slug=round_.slug))  # fmt: skip
        failed = sum(n for state, n in mail.items() if state.value == "failed")
        pending = sum(n for state, n in mail.items() if state.value in ("queued", "sending"))
        if failed:
            out.print(_("Email: {waiting} waiting, {failed} failed (see `spr outbox status`)").format(
                waiting=pending, failed=failed))  # fmt: skip
        else:
            out.print(_("Email: {waiting} waiting, {failed} failed").format(waiting=pending, failed=failed))
        out.print(next_step(round_.slug, round_.stage))


@dataclass(frozen=True)
class _LaterStages:
    rows: list[tuple[str, object]]
    done: int
    total: int
    what: str  # the progress line, marked with N_: {done} of {total} …, ({share})


def _later_stages(session: "Session", round_: "Round") -> _LaterStages | None:
    """From the review stage on: reviews, recommendations by status, replies; the current stage's progress."""
    from sqlmodel import col, func, select

    from review_model.rounds import round_progress
    from review_model.stage_rules import STAGE_ORDER
    from review_model.tables import Recommendation
    from review_model.vocabulary import Stage

    if STAGE_ORDER.index(round_.stage) < STAGE_ORDER.index(Stage.review):
        return None
    assert round_.id is not None
    progress = round_progress(session, round_.id)
    decided = dict(
        session.exec(
            select(col(Recommendation.status), func.count())
            .where(Recommendation.round_id == round_.id)
            .group_by(col(Recommendation.status))
        ).all()
    )
    replies_sent, parties = progress.replies_sent, progress.replies_sent + progress.replies_pending
    _ = messages()
    rows: list[tuple[str, object]] = [
        (
            _("Reviews submitted"),
            _("{done} of {due}").format(done=progress.reviews_submitted, due=progress.reviews_due),
        )
    ]
    if decided:
        rows.append(
            (_("Recommendations"), ", ".join(_recommendations_in(status, n) for status, n in sorted(decided.items())))
        )
    if STAGE_ORDER.index(round_.stage) >= STAGE_ORDER.index(Stage.comment):
        rows.append(
            (
                _("Replies sent"),
                _("{sent} of {parties} reviewed parties").format(sent=replies_sent, parties=parties),
            )
        )
    if round_.stage is Stage.review:
        return _LaterStages(rows, progress.reviews_submitted, progress.reviews_due,
                            N_("{done} of {total} reviews submitted ({share})"))  # fmt: skip
    if round_.stage is Stage.consensus:
        return _LaterStages(rows, progress.assessments_submitted, progress.assessments_due,
                            N_("{done} of {total} joint assessments submitted ({share})"))  # fmt: skip
    if round_.stage is Stage.comment:
        return _LaterStages(rows, replies_sent, parties, N_("{done} of {total} parties replied ({share})"))
    return _LaterStages(rows, 0, 0, "")


def _recommendations_in(status: "RecommendationStatus", count: int) -> str:
    """How many recommendations have one status, as `spr status` lists them: "3 approved"."""
    from review_model.vocabulary import RecommendationStatus

    ngettext = plural_messages()
    texts = {
        RecommendationStatus.draft: ngettext("{n} draft", "{n} draft", count),
        RecommendationStatus.approved: ngettext("{n} approved", "{n} approved", count),
        RecommendationStatus.rejected: ngettext("{n} rejected", "{n} rejected", count),
        RecommendationStatus.published: ngettext("{n} published", "{n} published", count),
    }
    return texts[status].format(n=count)
