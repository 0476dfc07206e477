"""The coordinator's commands for a running round: launch, advance, remind, close a stage, extend, status."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import (
    COORDINATOR,
    fail,
    local_time,
    next_pass,
    next_step,
    print_table,
    reported_errors,
    success,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from review_model.early_close import LeftOut
    from review_model.tables import Round
    from review_model.vocabulary import Stage

RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]


def _round(reference: str) -> tuple[int, str]:
    from review_model.rounds import find_round
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        round_ = find_round(session, reference)
        return round_.id, round_.slug


def _context():
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

        reasons = launch_blockers(_context(), round_id)  # before Prefect starts: a refusal is quick
        if reasons:
            fail(f"round {slug} cannot be launched:\n" + "\n".join(f"  - {reason}" for reason in reasons))
        from workflows.cli.prefect_runs import on_prefect
        from workflows.flows import LaunchRefused, about_round, launch_round_flow

        with on_prefect(), about_round(slug):
            try:
                report = launch_round_flow(round_id, slug, COORDINATOR)
            except LaunchRefused as refused:
                fail(f"round {slug} cannot be launched:\n" + "\n".join(f"  - {r}" for r in refused.reasons))
        success(f"Round {slug} launched: {report.summary()}.")
        typer.echo(next_step(slug, report.stage_after))


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
                report = advance_round_flow(round_id, slug)
        success(f"Round {slug}: {report.summary()}.")
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

        refusals = reminder_refusals(_stage(round_id))
        if refusals:  # before Prefect starts: a refusal is quick, and no failed run is left behind
            fail(f"nobody to remind in {slug}: " + "; ".join(refusals))
        person = _participant_id(participant) if participant else None
        if participant and person is None:
            fail(f"{participant} takes no part in {slug}")
        with on_prefect() as api:
            with about_round(slug):
                reminded = remind_flow(round_id, slug, person, COORDINATOR)
            if participant and not reminded.queued:
                fail(f"{participant} is not among the {reminded.whom} in {slug} ({reminded.stage} stage)")
            success(f"{reminded.queued} reminder(s) queued for {reminded.whom} ({reminded.stage} stage).")
            what = f"{reminded.queued} reminder{'' if reminded.queued == 1 else 's'}"
            followed = advance_after(api, round_id, slug, what)
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or reminded.stage))


def _participant_id(email: str) -> int | None:
    """The id of the person with this address (None when nobody has it): flows are given ids, not addresses."""
    from review_model.participant_import import participant_with_email
    from review_model.store import reading_session
    from workflows.cli.store_access import open_store

    with reading_session(open_store()) as session:
        return participant_with_email(session, email)


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
        if left_out:
            _show_left_out(stage, left_out)
            _confirm(f"Close the {stage} stage of {slug} now and leave {len(left_out)} out?", yes)
        with on_prefect() as api:
            with about_round(slug):
                closed = close_stage_flow(round_id, slug, COORDINATOR, publish_now)
            if closed.publication_planned:
                success(f"Every party of {slug} has replied; the right of reply is closed. Publication is planned "
                        f"for {local_time(planned, zone)}: the report is published then. To publish now instead, "
                        f"run `spr round close-stage {slug} --publish-now`.")  # fmt: skip
                return
            success(f"The {stage} stage of {slug} closed ({stage} → {closed.after}); {closed.queued} messages "
                    "queued.")  # fmt: skip
            followed = advance_after(api, round_id, slug, f"closing the {stage} stage")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage) if followed.stage else _after_closing(slug, closed.after))


def _after_closing(slug: str, target: "Stage") -> str:
    from review_model.vocabulary import Stage

    if target is Stage.assignment:  # the driver proposes the reviewers
        return next_pass(slug, f"the reviewers are proposed (then `spr assignment show {slug}`)")
    if target is Stage.consolidation:
        return next_pass(slug, f"the findings and drafts follow (then `spr recommendations list {slug}`)")
    return next_step(slug, target)


def _show_left_out(stage: "Stage", left_out: "list[LeftOut]") -> None:
    """Who a stage closed now leaves out, with whether they saved a draft."""
    reviewing = any(person.reviewing for person in left_out)
    columns = ["Name", "Organisation", *(["Review of"] if reviewing else []), "Draft saved"]
    rows = [
        (person.name, person.organisation, *([person.reviewing] if reviewing else []),
         "yes" if person.has_draft else "no")
        for person in left_out
    ]  # fmt: skip
    what = "review" if reviewing else "self-assessment"
    print_table(f"Not submitted: {len(left_out)} {what}(s) left out if the {stage} stage closes now", columns, rows)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (a script or a pipe cannot)."""
    import sys

    return sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not stdin_is_terminal():
        fail("not closed: confirm with --yes when no one can answer at a terminal")
    if not typer.confirm(question, default=False):
        fail("not closed; nothing changed")


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
            fail(f"--until {until!r} is not a date (2027-03-22) or a date and time (2027-03-22T18:00)")
        if "T" not in until:
            moment = datetime.combine(moment.date(), at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        with on_prefect() as api:
            try:
                with about_round(slug):
                    extension = extend_deadline_flow(round_id, slug, moment, COORDINATOR)
            except ExtensionRefused as refused:
                fail(f"the deadline of {slug} cannot move: {refused}")
            success(
                f"Submission deadline of {slug} moved from {local_time(extension.previous, str(zone))} to "
                f"{local_time(extension.deadline, str(zone))}; {extension.links_extended} links extended, "
                f"{extension.told} participants told."
            )
            followed = advance_after(api, round_id, slug, "extending the deadline")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or "submission"))


def status(round_ref: RoundArgument) -> None:
    """Where a round stands: invited, opened, drafts, submitted, bounced, reminders, days left, email; from the
    review stage on also reviews, recommendations and replies, and once published, where the report is."""
    with reported_errors():
        from rich.progress_bar import ProgressBar

        from notifications.outbox import outbox_counts
        from review_model import clock
        from review_model.participation import participation
        from review_model.reminders import days_left
        from review_model.rounds import find_round
        from review_model.stage_rules import stage_deadline
        from review_model.store import reading_session
        from workflows.cli.output import console, styled
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            counts = participation(session, round_.id)
            mail = outbox_counts(session, round_.id)
            later = _later_stages(session, round_)
        out = console()
        out.print(styled((round_.title, "bold"), f" ({round_.slug}) · stage ", (round_.stage.value, "bold")))
        deadline = stage_deadline(round_, round_.stage)
        if deadline is not None:
            grace = round_.late_grace_hours if round_.stage.value in ("invitation", "submission") else 0
            proper = deadline - timedelta(hours=grace)
            late = f" (late answers taken for {grace} h more)" if grace else ""
            left = days_left(proper, clock.now())
            out.print(f"Deadline {local_time(proper, round_.time_zone)}{late} · {left} days left")
        rows = [
            ("Respondents", counts.respondents),
            ("Invited", counts.invited),
            ("Opened their link", counts.opened),
            ("Draft saved", counts.drafts),
            ("Submitted", counts.submitted),
            ("Email bounced", counts.bounced),
            ("Reminders sent", counts.reminders),
        ]
        print_table(None, ["", ""], rows)
        done, total, what = counts.submitted, counts.respondents, "submitted"
        if later:
            print_table(None, ["", ""], later.rows)
            done, total, what = later.done, later.total, later.what
        if total:
            out.print(ProgressBar(total=total, completed=done, width=40))
            out.print(f"{done} of {total} {what} ({done / total:.0%})")
        if round_.stage.value in ("published", "archived"):
            from config.settings import get_settings

            base = str(get_settings().public_base_url).rstrip("/")
            out.print(f"Report: {base}/reports/{round_.slug}  (or `spr report {round_.slug}`)")
        failed = sum(n for state, n in mail.items() if state.value == "failed")
        pending = sum(n for state, n in mail.items() if state.value in ("queued", "sending"))
        out.print(f"Email: {pending} waiting, {failed} failed" + (" (see `spr outbox status`)" if failed else ""))
        out.print(next_step(round_.slug, round_.stage))


@dataclass(frozen=True)
class _LaterStages:
    rows: list[tuple[str, object]]
    done: int
    total: int
    what: str


def _later_stages(session: "Session", round_: "Round") -> _LaterStages | None:
    """From the review stage on: reviews, recommendations by status, replies; the current stage's progress."""
    from sqlmodel import func, select

    from review_model.rounds import round_progress
    from review_model.stage_rules import STAGE_ORDER
    from review_model.tables import Recommendation
    from review_model.vocabulary import Stage

    if STAGE_ORDER.index(round_.stage) < STAGE_ORDER.index(Stage.review):
        return None
    progress = round_progress(session, round_.id)
    decided = dict(
        session.exec(
            select(Recommendation.status, func.count())
            .where(Recommendation.round_id == round_.id)
            .group_by(Recommendation.status)
        ).all()
    )
    replies_sent = progress.submitted - progress.replies_pending
    rows: list[tuple[str, object]] = [("Reviews submitted", f"{progress.reviews_submitted} of {progress.reviews_due}")]
    if decided:
        rows.append(("Recommendations", ", ".join(f"{n} {status.value}" for status, n in sorted(decided.items()))))
    if STAGE_ORDER.index(round_.stage) >= STAGE_ORDER.index(Stage.comment):
        rows.append(("Replies sent", f"{replies_sent} of {progress.submitted} reviewed parties"))
    if round_.stage is Stage.review:
        return _LaterStages(rows, progress.reviews_submitted, progress.reviews_due, "reviews submitted")
    if round_.stage is Stage.comment:
        return _LaterStages(rows, replies_sent, progress.submitted, "parties replied")
    return _LaterStages(rows, 0, 0, "")
