"""`spr assignment`: reviewer assignment."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import (
    N_,
    fail,
    messages,
    next_pass,
    next_step,
    reasons_text,
    refusal_text,
    reported_errors,
    stage_name,
    success,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

app = typer.Typer(help="Assign peer reviewers without conflicts of interest.", no_args_is_help=True)


@app.command("solve")
def solve(
    scores: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="CSV: submission,reviewer,affinity.")],
    out: Annotated[Path, typer.Option(help="Where to write the assignment (CSV: submission,reviewer,affinity).")],
    conflicts: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="CSV: submission,reviewer pairs to avoid.")
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, help="Reviewers per submission.")] = 3,
    min_load: Annotated[int, typer.Option(min=0, help="Fewest reviews per reviewer.")] = 0,
    max_load: Annotated[int, typer.Option(min=1, help="Most reviews per reviewer.")] = 4,
) -> None:
    """Solve an assignment given as CSV files, outside any round: the exact maximum total affinity.

    Only the pairs listed in the scores file may be assigned; conflicts remove pairs. Prints the total
    affinity, the coverage, the load range and the seconds taken. When no complete assignment exists, says
    which submissions cannot be covered and why, and writes nothing.
    """
    started = time.perf_counter()
    with reported_errors():
        from review_model.assignment_files import InstanceError, read_instance, write_assignment
        from review_model.assignment_solver import AssignmentInfeasible, solve_assignment

        try:
            problem = read_instance(scores, conflicts, k, min_load, max_load)
            assignment = solve_assignment(problem)
        except AssignmentInfeasible as infeasible:
            fail(refusal_text(infeasible))
        except InstanceError as error:
            fail(str(error))
        write_assignment(out, problem, assignment)
        seconds = time.perf_counter() - started
        covered = len(problem.submissions)
        lightest, heaviest = (
            (int(assignment.loads.min()), int(assignment.loads.max())) if len(assignment.loads) else (0, 0)
        )
        _ = messages()
        success(
            _(
                "{pairs} assignments written to {file}: total affinity {affinity}; {covered} of {covered} "
                "submissions covered with {k} reviewers each; loads {lightest}–{heaviest}; {seconds} s"
            ).format(
                pairs=len(assignment.pairs),
                file=out,
                affinity=f"{assignment.total_affinity:.4f}",
                covered=covered,
                k=k,
                lightest=lightest,
                heaviest=heaviest,
                seconds=f"{seconds:.2f}",
            )
        )


RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]


@app.command("compute")
def compute(
    round_ref: RoundArgument,
    reviewers: Annotated[
        list[str] | None,
        typer.Option("--reviewers", help="ORGANISATION=N: N reviewers for that organisation's submission."),
    ] = None,
) -> None:
    """Propose the round's reviewer assignment (the best total affinity under every rule), for you to check.

    Replaces an earlier proposal; a confirmed assignment is never replaced. When no complete assignment
    exists, says which submissions cannot be covered and why, and stores nothing.
    """
    with reported_errors():
        from review_model import clock
        from review_model.assignment_solver import AssignmentInfeasible
        from review_model.audit_trail import record_event
        from review_model.round_assignment import propose_assignment
        from review_model.rounds import find_round
        from review_model.store import session_scope
        from review_model.vocabulary import Stage
        from workflows.cli.output import COORDINATOR
        from workflows.cli.store_access import open_store

        _ = messages()
        overrides = {}
        for entry in reviewers or []:
            name, _equals, number = entry.rpartition("=")
            if not name or not number.isdigit() or int(number) < 1:
                fail(_("--reviewers {entry}: expected ORGANISATION=N with N at least 1").format(entry=repr(entry)))
            overrides[name] = int(number)
        with session_scope(open_store()) as session:
            round_ = find_round(session, round_ref)
            if round_.stage is not Stage.assignment:
                fail(
                    _("round {slug} is in stage {stage}; reviewers are assigned in the {assignment} stage").format(
                        slug=round_.slug, stage=stage_name(round_.stage), assignment=stage_name(Stage.assignment)
                    )
                )
            try:
                assignment = propose_assignment(session, round_, clock.now(), overrides)
            except AssignmentInfeasible as infeasible:
                fail(refusal_text(infeasible))
            except ValueError as error:
                fail(str(error))
            record_event(session, round_.id, COORDINATOR, "assignment proposed", pairs=len(assignment.pairs))
            lightest, heaviest = (
                (int(assignment.loads.min()), int(assignment.loads.max())) if len(assignment.loads) else (0, 0)
            )
        success(
            _(
                "Proposed {pairs} review assignments for {slug}: total affinity {affinity}, loads "
                "{lightest}–{heaviest}. Check them with `spr assignment show {slug}`, then `spr assignment confirm "
                "{slug}`."
            ).format(
                pairs=len(assignment.pairs),
                slug=round_.slug,
                affinity=f"{assignment.total_affinity:.2f}",
                lightest=lightest,
                heaviest=heaviest,
            )
        )


@app.command("show")
def show(round_ref: RoundArgument) -> None:
    """The round's assignment: for each reviewed organisation, its reviewers with their affinity."""
    with reported_errors():
        from review_model.vocabulary import Stage
        from workflows.cli.output import print_table

        _ = messages()
        rows = [(*row[:4], _("yes") if row[4] else _("no")) for row in _assignment_rows(round_ref)]
        if not rows:
            fail(
                _("no assignment yet: run `spr assignment compute ROUND` in the {stage} stage").format(
                    stage=stage_name(Stage.assignment)
                )
            )
        columns = [_("Reviewed"), _("Reviewer"), _("Reviewer's organisation"), _("Affinity"), _("Confirmed")]
        print_table(_("Assignment"), columns, rows)


@app.command("export")
def export(
    round_ref: RoundArgument,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("assignment.csv"),
) -> None:
    """Write the round's assignment as CSV (reviewed organisation, reviewer, organisation, affinity, confirmed)."""
    with reported_errors():
        from review_model.spreadsheet_csv import GuardedWriter

        # The file is for other programs: its headings and yes/no stay as they are in every language.
        rows = [(*row[:4], "yes" if row[4] else "no") for row in _assignment_rows(round_ref)]
        with out.open("w", encoding="utf-8", newline="") as file:
            writer = GuardedWriter(file)
            writer.writerow(["reviewed", "reviewer", "reviewer_organisation", "affinity", "confirmed"])
            writer.writerows(rows)
        _ = messages()
        success(_("{n} assignments written to {file}.").format(n=len(rows), file=out))


@app.command("confirm")
def confirm(round_ref: RoundArgument) -> None:
    """Check every rule of the round again and confirm the proposed assignment; the round driver then opens
    the review stage and sends the requests."""
    with reported_errors():
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.output import COORDINATOR
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.cli.store_access import open_store
        from workflows.coordinator_actions import ActionRefused
        from workflows.flows import about_round, confirm_assignment_flow

        _ = messages()
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            round_id, slug = round_.id, round_.slug
        with on_prefect() as api:
            try:
                with about_round(slug):
                    confirmed = confirm_assignment_flow(round_id, slug, COORDINATOR)
            except ActionRefused as refused:
                fail(_("the assignment of {slug} cannot be confirmed:").format(slug=slug) + "\n"
                     + "  - " + reasons_text(refused.reasons, "\n  - "))  # fmt: skip
            success(_("Confirmed {n} assignments for {slug}.").format(n=confirmed, slug=slug))
            followed = advance_after(api, round_id, slug, "confirming the assignment")
            typer.echo(followed.line)
        typer.echo(
            next_step(slug, followed.stage)
            if followed.stage
            else next_pass(
                slug,
                N_(
                    "Next: the review stage opens and the review requests go out once the round has advanced "
                    "(`spr serve` does it; `spr round advance {slug}` at once)."
                ),
            )
        )


def _assignment_rows(round_ref: str) -> list[tuple[str, str, str, str, bool]]:
    """(reviewed organisation, reviewer, their organisation, affinity, whether confirmed) of the round."""
    from sqlalchemy.orm import aliased
    from sqlmodel import col

    from review_model.rounds import find_round
    from review_model.store import reading_session
    from review_model.tables import Enrolment, Organisation, Participant, ReviewAssignment, Submission
    from review_model.wide_select import select_columns
    from workflows.cli.store_access import open_store

    reviewed_enrolment, reviewed_person, reviewed_org = aliased(Enrolment), aliased(Participant), aliased(Organisation)
    with reading_session(open_store()) as session:
        round_ = find_round(session, round_ref)
        rows = session.exec(
            select_columns(
                reviewed_org.name,
                Participant.email,
                Organisation.name,
                ReviewAssignment.affinity,
                ReviewAssignment.confirmed_at,
            )
            .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
            .join(reviewed_enrolment, col(reviewed_enrolment.id) == Submission.enrolment_id)
            .join(reviewed_person, col(reviewed_person.id) == reviewed_enrolment.participant_id)
            .join(reviewed_org, col(reviewed_org.id) == reviewed_person.organisation_id)
            .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(ReviewAssignment.round_id == round_.id)
            .order_by(reviewed_org.name, col(ReviewAssignment.affinity).desc())
        ).all()
    return [(r[0], r[1], r[2], f"{r[3]:.3f}", r[4] is not None) for r in rows]


def _round_and_party(engine: "Engine", round_ref: str, reviewed: str) -> tuple[int, str, int]:
    """The round's id and slug, and the submission of the reviewed organisation named as `spr assignment show`
    prints it (AssignmentRefused when the round reviews no such organisation)."""
    from review_model.round_assignment import find_reviewed_submission
    from review_model.rounds import find_round
    from review_model.store import reading_session

    with reading_session(engine) as session:
        round_ = find_round(session, round_ref)
        assert round_.id is not None
        return round_.id, round_.slug, find_reviewed_submission(session, round_, reviewed)


@app.command("swap")
def swap(
    round_ref: RoundArgument,
    reviewed: Annotated[
        str, typer.Option(help="The reviewed organisation (its name, as `spr assignment show` prints it).")
    ],
    remove: Annotated[str, typer.Option(help="Email of the reviewer to take off.")],
    add: Annotated[str, typer.Option(help="Email of the reviewer to put on.")],
) -> None:
    """Replace one reviewer of a submission by another. Every rule of the round is checked (own organisation,
    declared conflicts, exclude_same_state, min_load/max_load, max_per_organisation_kind,
    forbid_mutual_review), and each one broken is named. Confirm again after."""
    with reported_errors():
        from review_model.round_assignment import AssignmentRefused
        from workflows.cli.output import COORDINATOR
        from workflows.cli.store_access import open_store
        from workflows.coordinator_actions import swap_reviewer_in_round

        _ = messages()
        engine = open_store()
        try:
            round_id, slug, submission_id = _round_and_party(engine, round_ref, reviewed)
            swap_reviewer_in_round(engine, round_id, submission_id, remove, add, COORDINATOR)
        except AssignmentRefused as refused:
            fail(
                _("{added} cannot review {reviewed} instead of {removed}:").format(
                    added=add, reviewed=reviewed, removed=remove
                )
                + f"\n{refusal_text(refused)}"
            )
        success(
            _(
                "{added} now reviews {reviewed} instead of {removed}. Confirm with `spr assignment confirm {slug}`."
            ).format(added=add, reviewed=reviewed, removed=remove, slug=slug)
        )


@app.command("lead")
def lead(
    round_ref: RoundArgument,
    reviewed: Annotated[
        str, typer.Option(help="The reviewed organisation (its name, as `spr assignment show` prints it).")
    ],
    reviewer: Annotated[str, typer.Option(help="Email of the party's reviewer who becomes its lead.")],
) -> None:
    """Name the lead reviewer of a party, who writes its joint assessment in the consensus stage. The
    assignment proposes the reviewer of highest affinity; another of the party's reviewers may take over until
    the consensus stage ends."""
    with reported_errors():
        from review_model.lead_reviewer import LeadRefused
        from review_model.round_assignment import AssignmentRefused
        from workflows.cli.output import COORDINATOR
        from workflows.cli.store_access import open_store
        from workflows.coordinator_actions import change_lead_reviewer

        _ = messages()
        engine = open_store()
        try:
            round_id, _slug, submission_id = _round_and_party(engine, round_ref, reviewed)
            changed = change_lead_reviewer(engine, round_id, submission_id, reviewer, COORDINATOR)
        except (AssignmentRefused, LeadRefused) as refused:
            fail(
                _("{reviewer} cannot become the lead reviewer of {reviewed}:").format(
                    reviewer=reviewer, reviewed=reviewed
                )
                + f"\n{refusal_text(refused)}"
            )
        success(
            _("{reviewer} is now the lead reviewer of {reviewed} (before: {before}).").format(
                reviewer=changed.lead, reviewed=reviewed, before=changed.before or "—"
            )
        )
