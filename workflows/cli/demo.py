"""`spr demo`: the whole engine at work on the example round and its follow-up round, in a minute or two, on this
machine alone."""

from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import reported_errors


def demo(
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the demo keeps its store and writes the report.")
    ] = Path("spr-demo"),
    participants: Annotated[
        int | None, typer.Option(min=8, help="Take only the first N people of the example participants.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated answers (the same seed, the same round).")] = 2027,
) -> None:
    """Run the example round and the round that follows it up, end to end, with simulated participants.

    A fresh store in FOLDER, the development SMTP server and the portal on loopback, the Prefect flows on
    Prefect's temporary local API. Participants answer by following the links in the emails they receive;
    the demo's clock jumps to each reminder day and deadline; the coordinator's decisions are taken
    automatically. Ends with each round's published report in FOLDER/report/<round>.
    """
    with reported_errors():
        from workflows.demo.run import run_demo

        summaries = run_demo(folder, participants=participants, seed=seed, say=typer.echo)
        typer.echo("")
        typer.echo(f"Done in {summaries[-1].seconds:.0f} s.")
        for summary in summaries:
            typer.echo(
                f"{summary.title} ({summary.slug}): the report is in {summary.folder / 'report' / summary.slug}:"
            )
            for path in summary.report_files:
                typer.echo(f"  {path}")
            emails = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in summary.emails.most_common())
            typer.echo(f"  Emails: {sum(summary.emails.values())} ({emails}).")
            typer.echo(
                f"  Invited {summary.invited}; self-assessments {summary.submissions}; reviews {summary.reviews} of "
                f"{summary.reviews_assigned}; findings {summary.findings}; recommendations published "
                f"{summary.recommendations_approved}; parties that replied (or said they had nothing to add) "
                f"{summary.replies}."
            )
        last = summaries[-1]
        store = f"sqlite:///{last.folder / 'spr-demo.db'}"
        typer.echo(f"Open {last.folder / 'report' / last.slug / 'report-de.html'} in a browser, or look around with "
                   f"SPR_DATABASE_URL={store} spr status {last.slug}.")  # fmt: skip
