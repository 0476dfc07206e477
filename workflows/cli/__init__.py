"""The `spr` command line. Each command imports what it needs when it runs, so `spr --help` stays instant."""

from typing import Annotated

import typer

from workflows.cli import (
    assignment,
    coordination,
    db,
    demo,
    mail,
    messaging,
    participants,
    people,
    questionnaires,
    questions,
    recommendations,
    report,
    reviews,
    rounds,
    serve,
    staff,
)

app = typer.Typer(
    name="spr",
    help="Run stakeholder peer review rounds: invite, collect self-assessments, assign peer reviewers, "
    "consolidate findings, draft recommendations, publish.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
for command in (coordination.launch, coordination.advance, coordination.remind, coordination.extend):
    rounds.app.command(command.__name__)(command)
rounds.app.command("close-stage")(coordination.close_stage)
rounds.app.command("adopt")(coordination.adopt)
rounds.app.command("message")(messaging.message)
rounds.app.command("questions")(questions.questions)
app.add_typer(rounds.app, name="round")
app.command("status")(coordination.status)
app.add_typer(participants.app, name="participants")
app.add_typer(people.app, name="people")
app.add_typer(questionnaires.app, name="questionnaire")
app.add_typer(mail.outbox_app, name="outbox")
app.add_typer(assignment.app, name="assignment")
app.add_typer(recommendations.app, name="recommendations")
app.add_typer(reviews.app, name="reviews")
app.add_typer(staff.app, name="staff")
app.command("demo")(demo.demo)
app.command("report")(report.report)
app.command("mail-server")(mail.mail_server)
app.command("serve")(serve.serve)
app.command("deploy")(serve.deploy)
app.command("worker")(serve.worker)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"spr {version('spr')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Show Prefect's own log on the terminal (else it goes to spr-prefect.log here)."
        ),
    ] = False,
) -> None:
    """Settings come from SPR_* environment variables or a .env file in the working directory."""
    if not verbose:
        from workflows.prefect_output import send_prefect_logs_to_file

        send_prefect_logs_to_file()


def main() -> None:
    """Entry point of the `spr` console script."""
    app()
