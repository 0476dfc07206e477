"""`spr db`: the store's schema."""

import typer

from workflows.cli.output import messages, reported_errors, success

app = typer.Typer(help="Create the store or bring its schema up to date.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every schema migration the store has not had yet (creates the store when it is empty).

    Safe to run again: a store that is up to date is left as it is.
    """
    with reported_errors():
        from config.settings import get_settings
        from review_model.schema_migrations import current_revision, head_revision, upgrade_store
        from review_model.store_key import describe_key_location, store_secret_key
        from workflows.cli.store_access import configured_engine, describe_url

        settings = get_settings()
        key_location = describe_key_location(settings)  # a store without a way to its key is refused first
        engine = configured_engine()
        before = current_revision(engine)
        upgrade_store(engine)
        store_secret_key(settings, engine)  # made on first use; refused when it is not this store's key
        where = describe_url(settings.database_url)
        _ = messages()
        if before == head_revision():
            success(_("The store at {where} is up to date (schema {schema}).").format(where=where, schema=before))
        elif before is None:
            success(_("Upgraded the store at {where} from schema empty to {schema}.").format(
                where=where, schema=head_revision()))  # fmt: skip
        else:
            success(_("Upgraded the store at {where} from schema {before} to {schema}.").format(
                where=where, before=before, schema=head_revision()))  # fmt: skip
        if key_location == "SPR_SECRET_KEY":
            key = _("Its secret key comes from SPR_SECRET_KEY: keep it, and back it up with the store. Every personal "
                    "link is made with it; without it, or with another, no link sent out opens.")  # fmt: skip
        else:
            key = _(
                "Its secret key is in {where}: keep it, and back it up with the store. Every personal link is "
                "made with it; without it, or with another, no link sent out opens."
            ).format(where=key_location)
        typer.echo(key)
        typer.echo(_("Next: create a round with `spr round create ROUND.yaml`."))


@app.command("status")
def status() -> None:
    """Show which schema the store is at and which one this version of spr needs."""
    with reported_errors():
        from config.settings import get_settings
        from review_model.schema_migrations import current_revision, head_revision
        from workflows.cli.store_access import configured_engine, describe_url

        current, head = current_revision(configured_engine()), head_revision()
        _ = messages()
        typer.echo(_("store:   {where}").format(where=describe_url(get_settings().database_url)))
        typer.echo(_("schema:  {schema}").format(schema=current or _("empty")))
        typer.echo(_("needed:  {schema}").format(schema=head))
        if current != head:
            raise typer.Exit(1)
