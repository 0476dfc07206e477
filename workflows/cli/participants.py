"""`spr participants`: bring people into a round, and stop a person's links."""

from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import COORDINATOR, reported_errors, success
from workflows.cli.rounds import print_import_summary

app = typer.Typer(help="Import participants into a round; revoke a person's links.", no_args_is_help=True)


@app.command("import")
def import_(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The participants CSV (UTF-8).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file against the store; change nothing.")
    ] = False,
) -> None:
    """Import participants from a CSV file and enrol them in ROUND.

    Columns: email, name, organisation, organisation_kind (required); state, language (de/en), roles
    (respondent;reviewer), expertise and conflicts (lists separated by ';', or by ',' where the file itself
    is semicolon-separated).
    A file with any bad row imports nothing and lists every bad row. Importing the same file again changes
    nothing; a changed name or language updates the person.
    """
    with reported_errors():
        from review_model.audit_trail import record_event
        from review_model.participant_import import import_participants, read_participants_file
        from review_model.rounds import find_round
        from review_model.store import session_scope
        from workflows.cli.store_access import open_store

        rows = read_participants_file(file)
        with session_scope(open_store()) as session:
            round_ = find_round(session, round_ref)
            summary = import_participants(session, round_, rows, str(file))
            if dry_run:
                session.rollback()
            elif summary.changed:
                record_event(
                    session,
                    round_.id,
                    COORDINATOR,
                    "participants imported",
                    file=file.name,
                    created=summary.participants_created,
                    updated=summary.participants_updated,
                    enrolled=summary.enrolled,
                )
        if dry_run:
            success(f"{file.name}: {len(rows)} participants, all valid (dry run: nothing changed).")
        print_import_summary(summary)


@app.command("revoke-link")
def revoke_link(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: Annotated[str, typer.Option(help="Why, for the round's history (e.g. 'forwarded to a mailing list').")],
) -> None:
    """Make a person's personal links in ROUND open nothing from now on: a link that reached the wrong hands.

    What they saved or submitted stays. The next message they get carries a new link: send one at once
    with `spr round remind ROUND --participant EMAIL`. The round's history says who revoked, whose and why.
    """
    with reported_errors():
        from review_model.participant_import import participant_with_email
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.output import fail
        from workflows.cli.prefect_runs import on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, revoke_links_flow

        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            round_id, slug = round_.id, round_.slug
            person = participant_with_email(session, email)
        if person is None:
            fail(f"{email} takes no part in {slug}")
        with on_prefect(), about_round(slug):
            revoked = revoke_links_flow(round_id, slug, person, COORDINATOR, reason)
        success(f"{revoked} link(s) of {email} in {slug} revoked: they open nothing from now on.")
        typer.echo(f"Next: send a new link with `spr round remind {slug} --participant {email}`.")
