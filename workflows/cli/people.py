"""`spr people`: what the store holds about one person, for a request that comes by letter (right of access)."""

from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import fail, messages, reported_errors, success

app = typer.Typer(help="Answer people's requests about their data.")


@app.command("export")
def export(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The file to write; without it, standard output.")
    ] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="json (the whole record) or csv (one row per fact).")
    ] = "json",
) -> None:
    """Everything the store holds about a person (their rounds, every email to them, their links without the
    links themselves, answers with every submitted version, reviews, replies, conflicts, history), as JSON or
    CSV. It changes nothing."""
    with reported_errors():
        from review_model.personal_data import UnknownPerson, participant_by_email, personal_data_of
        from review_model.personal_data_files import personal_data_csv, personal_data_json
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        _ = messages()
        if file_format not in ("json", "csv"):
            fail(_("--format must be json or csv, not {format!r}").format(format=file_format))
        with reading_session(open_store()) as session:
            try:
                person = participant_by_email(session, email)
            except UnknownPerson:
                fail(_("No participant has the address {email}.").format(email=email))
            assert person.id is not None
            data = personal_data_of(session, person.id)
        content = personal_data_json(data) if file_format == "json" else personal_data_csv(data)
        if output is None:
            typer.echo(content, nl=False)
            return
        output.write_text(content, encoding="utf-8", newline="")
        success(_("The data stored about {email} is in {file}.").format(email=data.person.email, file=output))
