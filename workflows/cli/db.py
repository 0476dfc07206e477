"""`spr db`: the store's schema."""

import typer

from workflows.cli.output import reported_errors, success

app = typer.Typer(help="Create the store or bring its schema up to date.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every schema migration the store has not had yet (creates the store when it is empty).

    Safe to run again: a store that is up to date is left as it is.
    """
    with reported_errors():
        from config.settings import get_settings
        from review_model.schema_migrations import current_revision, head_revision, upgrade_store
        from workflows.cli.store_access import configured_engine, describe_url

        engine = configured_engine()
        before = current_revision(engine)
        upgrade_store(engine)
        where = describe_url(get_settings().database_url)
        if before == head_revision():
            success(f"The store at {where} is up to date (schema {before}).")
        else:
            success(f"Upgraded the store at {where} from schema {before or 'empty'} to {head_revision()}.")


@app.command("status")
def status() -> None:
    """Show which schema the store is at and which one this version of spr needs."""
    with reported_errors():
        from config.settings import get_settings
        from review_model.schema_migrations import current_revision, head_revision
        from workflows.cli.store_access import configured_engine, describe_url

        current, head = current_revision(configured_engine()), head_revision()
        typer.echo(f"store:   {describe_url(get_settings().database_url)}")
        typer.echo(f"schema:  {current or 'empty'}")
        typer.echo(f"needed:  {head}")
        if current != head:
            raise typer.Exit(1)
