"""`spr assignment`: reviewer assignment."""

import time
from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import fail, next_pass, next_step, reported_errors, success

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
        except (InstanceError, AssignmentInfeasible) as error:
            fail(str(error))
        write_assignment(out, problem, assignment)
        seconds = time.perf_counter() - started
        covered = len(problem.submissions)
        lightest, heaviest = (
            (int(assignment.loads.min()), int(assignment.loads.max())) if len(assignment.loads) else (0, 0)
        )
        success(
            f"{len(assignment.pairs)} assignments written to {out}: total affinity {assignment.total_affinity:.4f}; "
            f"{covered} of {covered} submissions covered with {k} reviewers each; loads "
            f"{lightest}–{heaviest}; {seconds:.2f} s"
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

        overrides = {}
        for entry in reviewers or []:
            name, _, number = entry.rpartition("=")
            if not name or not number.isdigit() or int(number) < 1:
                fail(f"--reviewers {entry!r}: expected ORGANISATION=N with N at least 1")
            overrides[name] = int(number)
        with session_scope(open_store()) as session:
            round_ = find_round(session, round_ref)
            if round_.stage is not Stage.assignment:
                fail(f"round {round_.slug} is in stage {round_.stage}; reviewers are assigned in the assignment stage")
            try:
                assignment = propose_assignment(session, round_, clock.now(), overrides)
            except (AssignmentInfeasible, ValueError) as error:
                fail(str(error))
            record_event(session, round_.id, COORDINATOR, "assignment proposed", pairs=len(assignment.pairs))
            lightest, heaviest = (
                (int(assignment.loads.min()), int(assignment.loads.max())) if len(assignment.loads) else (0, 0)
            )
        success(
            f"Proposed {len(assignment.pairs)} review assignments for {round_.slug}: total affinity "
            f"{assignment.total_affinity:.2f}, loads {lightest}–{heaviest}. Check them with `spr assignment show "
            f"{round_.slug}`, then `spr assignment confirm {round_.slug}`."
        )


@app.command("show")
def show(round_ref: RoundArgument) -> None:
    """The round's assignment: for each reviewed organisation, its reviewers with their affinity."""
    with reported_errors():
        from workflows.cli.output import print_table

        rows = _assignment_rows(round_ref)
        if not rows:
            fail("no assignment yet: run `spr assignment compute ROUND` in the assignment stage")
        print_table("Assignment", ["Reviewed", "Reviewer", "Reviewer's organisation", "Affinity", "Confirmed"], rows)


@app.command("export")
def export(
    round_ref: RoundArgument,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("assignment.csv"),
) -> None:
    """Write the round's assignment as CSV (reviewed organisation, reviewer, organisation, affinity, confirmed)."""
    with reported_errors():
        from review_model.spreadsheet_csv import GuardedWriter

        rows = _assignment_rows(round_ref)
        with out.open("w", encoding="utf-8", newline="") as file:
            writer = GuardedWriter(file)
            writer.writerow(["reviewed", "reviewer", "reviewer_organisation", "affinity", "confirmed"])
            writer.writerows(rows)
        success(f"{len(rows)} assignments written to {out}.")


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

        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            round_id, slug = round_.id, round_.slug
        with on_prefect() as api:
            try:
                with about_round(slug):
                    confirmed = confirm_assignment_flow(round_id, slug, COORDINATOR)
            except ActionRefused as refused:
                fail(f"the assignment of {slug} cannot be confirmed:\n" + "\n".join(refused.reasons))
            success(f"Confirmed {confirmed} assignments for {slug}.")
            followed = advance_after(api, round_id, slug, "confirming the assignment")
            typer.echo(followed.line)
        typer.echo(
            next_step(slug, followed.stage)
            if followed.stage
            else next_pass(slug, "the review stage opens and the review requests go out")
        )


def _assignment_rows(round_ref: str) -> list[tuple]:
    from sqlalchemy.orm import aliased
    from sqlmodel import col, select

    from review_model.rounds import find_round
    from review_model.store import reading_session
    from review_model.tables import Enrolment, Organisation, Participant, ReviewAssignment, Submission
    from workflows.cli.store_access import open_store

    reviewed_enrolment, reviewed_person, reviewed_org = aliased(Enrolment), aliased(Participant), aliased(Organisation)
    with reading_session(open_store()) as session:
        round_ = find_round(session, round_ref)
        rows = session.exec(
            select(
                reviewed_org.name,
                Participant.email,
                Organisation.name,
                ReviewAssignment.affinity,
                ReviewAssignment.confirmed_at,
            )
            .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
            .join(reviewed_enrolment, reviewed_enrolment.id == Submission.enrolment_id)
            .join(reviewed_person, reviewed_person.id == reviewed_enrolment.participant_id)
            .join(reviewed_org, reviewed_org.id == reviewed_person.organisation_id)
            .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(ReviewAssignment.round_id == round_.id)
            .order_by(reviewed_org.name, col(ReviewAssignment.affinity).desc())
        ).all()
    return [(r[0], r[1], r[2], f"{r[3]:.3f}", "yes" if r[4] else "no") for r in rows]


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
        from review_model import clock
        from review_model.audit_trail import record_event
        from review_model.round_assignment import AssignmentRefused, find_reviewed_submission, swap_reviewer
        from review_model.rounds import find_round
        from review_model.store import session_scope
        from workflows.cli.output import COORDINATOR
        from workflows.cli.store_access import open_store

        with session_scope(open_store()) as session:
            round_ = find_round(session, round_ref)
            try:
                submission_id = find_reviewed_submission(session, round_, reviewed)
                swap_reviewer(session, round_, submission_id, remove, add, clock.now())
            except AssignmentRefused as refused:
                fail(f"{add} cannot review {reviewed} instead of {remove}:\n{refused}")
            record_event(
                session, round_.id, COORDINATOR, "reviewer swapped", reviewed=reviewed, removed=remove, added=add
            )
        success(
            f"{add} now reviews {reviewed} instead of {remove}. Confirm with `spr assignment confirm {round_.slug}`."
        )
