"""`spr round`: create rounds from round files, list them, show one."""

from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import (
    COORDINATOR,
    console,
    describe_questionnaire,
    local_time,
    next_step,
    print_table,
    reported_errors,
    styled,
    success,
)

app = typer.Typer(help="Create, list and inspect review rounds.", no_args_is_help=True)


@app.command("create")
def create(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The round file (YAML).")],
    import_participants: Annotated[
        bool, typer.Option("--import/--no-import", help="Also import the participants CSV the round file names.")
    ] = True,
) -> None:
    """Create a round from a round file: questionnaire, coordinator, deadlines, reminder and assignment rules.

    The round starts in the draft stage. Deadlines in the past or out of order, an invalid questionnaire or
    a bad participants file refuse the whole file, with every reason. Creating the same file again changes
    nothing; another file with the same slug is refused.
    """
    with reported_errors():
        from config.settings import get_settings
        from review_model import clock
        from review_model.participant_import import import_participants as enrol
        from review_model.participant_import import read_participants_file
        from review_model.round_file import participants_path
        from review_model.rounds import create_round_from_file
        from review_model.store import session_scope
        from workflows.cli.store_access import open_store

        settings = get_settings()
        with session_scope(open_store()) as session:
            creation = create_round_from_file(
                session,
                file,
                now=clock.now(),
                default_time_zone=settings.time_zone,
                default_language=settings.language,
                actor=COORDINATOR,
            )
            csv_path = participants_path(creation.spec, file)
            summary = None
            if import_participants and csv_path is not None:
                summary = enrol(session, creation.round, read_participants_file(csv_path), str(csv_path))
            round_ = creation.round

        if creation.created:
            success(f"Created round {round_.slug} ({round_.title}) in stage draft.")
        else:
            success(f"Round {round_.slug} exists already, created from this file; nothing changed.")
        if summary is not None:
            print_import_summary(summary)
        typer.echo(f"Next: check it with `spr round show {round_.slug}`.")


@app.command("list")
def list_() -> None:
    """List every round with its stage and submission deadline, newest first."""
    with reported_errors():
        from review_model.rounds import enrolment_counts, list_rounds
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            rows = [
                (r.slug, r.title, r.stage, local_time(r.submission_deadline, r.time_zone), enrolled)
                for r in list_rounds(session)
                for enrolled, _, _ in [enrolment_counts(session, r.id)]
            ]
        if not rows:
            typer.echo("No rounds yet. Create one with `spr round create ROUND.yaml`.")
            return
        print_table("Rounds", ["Round", "Title", "Stage", "Submission deadline", "Enrolled"], rows)


@app.command("show")
def show(round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]) -> None:
    """Show a round: stage, schedule, rules, questionnaire, participation, and what the next stage waits for."""
    with reported_errors():
        from review_model import clock
        from review_model.questionnaire import Questionnaire
        from review_model.rounds import enrolment_counts, find_round, round_progress
        from review_model.stage_rules import next_stage, transition_blockers
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            r = find_round(session, round_ref)
            enrolled, respondents, reviewers = enrolment_counts(session, r.id)
            progress = round_progress(session, r.id)
        questionnaire = Questionnaire.model_validate(r.questionnaire_snapshot)
        tz = r.time_zone
        out = console()
        out.print(styled((r.title, "bold"), f"  ({r.title_en})" if r.title_en else ""))
        rows = [
            ("Round", f"{r.slug} (id {r.id})"),
            ("Stage", f"{r.stage} since {local_time(r.stage_entered_at, tz)}"),
            ("Coordinator", f"{r.coordinator_name} <{r.coordinator_email}>"),
            ("Language, time zone", f"{r.language}, {tz}"),
            ("Questionnaire", describe_questionnaire(questionnaire)),
            ("Submission opens", local_time(r.submission_opens_at, tz) if r.submission_opens_at else "at launch"),
            ("Submission deadline", local_time(r.submission_deadline, tz)),
            ("Review deadline", local_time(r.review_deadline, tz)),
            ("Comment deadline", local_time(r.comment_deadline, tz)),
            ("Publication", local_time(r.publication_at, tz) if r.publication_at else "when the comment stage closes"),
            ("Reminders", f"{', '.join(map(str, r.reminder_days_before)) or 'none'} days before each deadline"),
            ("", f"at most {r.max_reminders} per person and stage"),
            ("Late submissions", f"accepted for {r.late_grace_hours} h" if r.late_grace_hours else "refused"),
            (
                "Assignment",
                f"{r.reviewers_per_submission} reviewers per submission, {r.min_reviews_per_reviewer}–"
                f"{r.max_reviews_per_reviewer} reviews per reviewer"
                + (", not from the same Land" if r.exclude_same_state else "")
                + (", no mutual reviews" if r.forbid_mutual_review else "")
                + (f", at most {r.max_reviewers_per_kind} of one kind" if r.max_reviewers_per_kind else "")
                + (", open review" if r.open_review else ", reviewers stay anonymous"),
            ),
            ("Enrolled", f"{enrolled} ({respondents} respondents, {reviewers} reviewers)"),
            ("Invited / submitted", f"{progress.invited} / {progress.submitted}"),
        ]
        print_table(None, ["", ""], rows)
        following = next_stage(r.stage)
        if following is not None:
            blockers = transition_blockers(r, following, progress, clock.now())
            if blockers:
                typer.echo(f"Before {following}: " + "; ".join(blockers))
            else:
                typer.echo(f"Ready for {following}.")
        typer.echo(next_step(r.slug, r.stage))


def print_import_summary(summary: object) -> None:
    """Say what a participant import changed."""
    from review_model.participant_import import ImportSummary

    assert isinstance(summary, ImportSummary)
    if not summary.changed:
        success(f"Participants: all {summary.participants_unchanged} already imported; nothing changed.")
        return
    success(
        f"Participants: {summary.participants_created} new, {summary.participants_updated} updated, "
        f"{summary.participants_unchanged} unchanged; {summary.organisations_created} new organisations; "
        f"{summary.enrolled} enrolled, {summary.enrolments_updated} with changed roles; "
        f"{summary.conflicts_added} declared conflicts."
    )
