"""`spr assignment`: reviewer assignment."""

import time
from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import fail, reported_errors, success

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
