"""`spr round`: create rounds from round files, list them, show one."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import (
    COORDINATOR,
    console,
    coordinator_language,
    describe_questionnaire,
    local_time,
    messages,
    next_step,
    plural_messages,
    print_table,
    reasons_text,
    reported_errors,
    stage_name,
    styled,
    success,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from review_model.tables import Round
    from review_model.withdrawal import WithdrawnPerson

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
                default_language=settings.round_language,
                actor=COORDINATOR,
            )
            csv_path = participants_path(creation.spec, file)
            summary = None
            if import_participants and csv_path is not None:
                summary = enrol(session, creation.round, read_participants_file(csv_path), str(csv_path))
            round_ = creation.round

        _ = messages()
        if creation.created:
            success(
                _("Created round {slug} ({title}) in stage {stage}.").format(
                    slug=round_.slug, title=round_.title, stage=stage_name(round_.stage)
                )
            )
        else:
            success(_("Round {slug} exists already, created from this file; nothing changed.").format(slug=round_.slug))
        if summary is not None:
            print_import_summary(summary)
        typer.echo(_("Next: check it with `spr round show {slug}`.").format(slug=round_.slug))


@app.command("list")
def list_() -> None:
    """List every round with its stage and submission deadline, newest first."""
    with reported_errors():
        from review_model.rounds import enrolment_counts, list_rounds
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            rows = [
                (r.slug, r.title, stage_name(r.stage), local_time(r.submission_deadline, r.time_zone), enrolled)
                for r in list_rounds(session)
                if r.id is not None  # a stored round's key never is
                for enrolled, _, _ in [enrolment_counts(session, r.id)]
            ]
        _ = messages()
        if not rows:
            typer.echo(_("No rounds yet. Create one with `spr round create ROUND.yaml`."))
            return
        print_table(_("Rounds"), [_("Round"), _("Title"), _("Stage"), _("Submission deadline"), _("Enrolled")], rows)


@app.command("show")
def show(round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]) -> None:
    """Show a round: stage, schedule, rules, questionnaire, participation, and what the next stage waits for;
    who was withdrawn from it, separately."""
    with reported_errors():
        from review_model import clock
        from review_model.questionnaire import Questionnaire
        from review_model.retention import retention_statement
        from review_model.rounds import enrolment_counts, find_round, round_progress
        from review_model.stage_rules import stage_after, transition_blockers
        from review_model.store import reading_session
        from review_model.withdrawal import withdrawn_participants
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            r = find_round(session, round_ref)
            assert r.id is not None
            enrolled, respondents, reviewers = enrolment_counts(session, r.id)
            progress = round_progress(session, r.id)
            withdrawn = withdrawn_participants(session, r.id)
            follow_up = follow_up_row(session, r)
        questionnaire = Questionnaire.model_validate(r.questionnaire_snapshot)
        tz = r.time_zone
        _, ngettext = messages(), plural_messages()
        out = console()
        out.print(styled((r.title, "bold"), f"  ({r.title_en})" if r.title_en else ""))
        rules = [
            ngettext("{n} reviewer per submission", "{n} reviewers per submission", r.reviewers_per_submission).format(
                n=r.reviewers_per_submission
            ),
            _("{least}–{most} reviews per reviewer").format(
                least=r.min_reviews_per_reviewer, most=r.max_reviews_per_reviewer
            ),
        ]
        if r.exclude_same_state:
            rules.append(_("not from the same Land"))
        if r.forbid_mutual_review:
            rules.append(_("no mutual reviews"))
        if r.max_reviewers_per_kind:
            rules.append(_("at most {n} of one kind").format(n=r.max_reviewers_per_kind))
        rules.append(_("open review") if r.open_review else _("reviewers stay anonymous"))
        if r.normalise:
            rules.append(_("peer means also corrected for reviewer leniency"))
        reminder_days = ", ".join(map(str, r.reminder_days_before))
        rows = [
            (_("Round"), _("{slug} (id {id})").format(slug=r.slug, id=r.id)),
            (
                _("Stage"),
                _("{stage} since {when}").format(stage=stage_name(r.stage), when=local_time(r.stage_entered_at, tz)),
            ),
            (_("Coordinator"), f"{r.coordinator_name} <{r.coordinator_email}>"),
            (_("Language, time zone"), f"{r.language}, {tz}"),
            (_("Questionnaire"), describe_questionnaire(questionnaire)),
            (
                _("Submission opens"),
                local_time(r.submission_opens_at, tz) if r.submission_opens_at else _("at launch"),
            ),
            (_("Submission deadline"), local_time(r.submission_deadline, tz)),
            (_("Review deadline"), local_time(r.review_deadline, tz)),
            (
                _("End of consensus"),
                local_time(r.consensus_deadline, tz) if r.consensus_deadline else _("no consensus stage"),
            ),
            (_("Comment deadline"), local_time(r.comment_deadline, tz)),
            (
                _("Publication"),
                local_time(r.publication_at, tz) if r.publication_at else _("when the comment stage closes"),
            ),
            (
                _("Reminders"),
                _("{days} days before each deadline").format(days=reminder_days)
                if reminder_days
                else _("none before the deadlines"),
            ),
            (
                "",
                _("at most {n} per person and stage").format(n=r.max_reminders),
            ),
            (
                _("Late submissions"),
                _("accepted for {hours} h").format(hours=r.late_grace_hours) if r.late_grace_hours else _("refused"),
            ),
            (_("Assignment"), ", ".join(rules)),
            (_("Personal data"), retention_statement(r, coordinator_language())),
            (
                _("Enrolled"),
                _("{enrolled} ({respondents} respondents, {reviewers} reviewers)").format(
                    enrolled=enrolled, respondents=respondents, reviewers=reviewers
                ),
            ),
            (_("Invited / submitted"), f"{progress.invited} / {progress.submitted}"),
            *([(_("Withdrawn"), _("{n} (listed below)").format(n=len(withdrawn)))] if withdrawn else []),
            *([follow_up] if follow_up else []),
        ]
        print_table(None, ["", ""], rows)
        print_withdrawn(withdrawn, tz)
        following = stage_after(r)
        if following is not None:
            blockers = transition_blockers(r, following, progress, clock.now())
            if blockers:
                # Translators: the reasons come from the stage rules (the review_model catalog).
                typer.echo(
                    _("Before {stage}: {reasons}").format(stage=stage_name(following), reasons=reasons_text(blockers))
                )
            else:
                typer.echo(_("Ready for {stage}.").format(stage=stage_name(following)))
        typer.echo(next_step(r.slug, r.stage))


def follow_up_row(session: "Session", round_: "Round") -> tuple[str, str] | None:
    """The row of `spr round show` that counts the statuses reported on the previous round's recommendations;
    None for a round that follows up no earlier round."""
    from review_model.follow_up import reported_status_counts

    previous = session.get(type(round_), round_.previous_round_id) if round_.previous_round_id is not None else None
    if previous is None:
        return None
    _, language = messages(), coordinator_language()
    counts = reported_status_counts(session, round_)
    said = ", ".join(f"{n} {status.label(language)}" for status, n in counts.items())
    return _("Follow-up of {round}").format(round=previous.slug), said or "—"


def print_withdrawn(withdrawn: "Sequence[WithdrawnPerson]", zone: str) -> None:
    """The people withdrawn from a round, each with when, by whom and why (nothing when there are none)."""
    if not withdrawn:
        return
    rows = [(w.name, w.organisation, ", ".join(w.roles), local_time(w.withdrawn_at, zone), w.withdrawn_by, w.reason)
            for w in withdrawn]  # fmt: skip
    _ = messages()
    columns = [_("Name"), _("Organisation"), _("Roles"), _("Withdrawn"), _("By"), _("Reason")]
    title = _("Withdrawn: {n} (counted only for what they submitted)").format(n=len(withdrawn))
    print_table(title, columns, rows)


def print_import_summary(summary: object) -> None:
    """Say what a participant import changed."""
    from review_model.participant_import import ImportSummary

    assert isinstance(summary, ImportSummary)
    _ = messages()
    if not summary.changed:
        success(_("Participants: all {n} already imported; nothing changed.").format(n=summary.participants_unchanged))
        return
    success(
        _(
            "Participants: {created} new, {updated} updated, {unchanged} unchanged; {organisations} new "
            "organisations; {enrolled} enrolled, {roles_changed} with changed roles; {conflicts} declared conflicts."
        ).format(
            created=summary.participants_created,
            updated=summary.participants_updated,
            unchanged=summary.participants_unchanged,
            organisations=summary.organisations_created,
            enrolled=summary.enrolled,
            roles_changed=summary.enrolments_updated,
            conflicts=summary.conflicts_added,
        )
    )
