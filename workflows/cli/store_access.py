"""Opening the configured store from a command."""

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url

from config.settings import get_settings
from review_model.schema_migrations import current_revision, head_revision, upgrade_store
from review_model.store import make_engine


class StoreNotReady(Exception):
    """The store's schema is older or newer than this version of spr expects."""


def describe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def configured_engine() -> Engine:
    """An engine for the store named by SPR_DATABASE_URL."""
    return make_engine(get_settings().database_url)


def open_store() -> Engine:
    """The configured store, ready for use.

    A database without any tables gets the current schema at once (so the embedded default just works);
    a store at an older schema is left alone until the operator runs `spr db upgrade`, after a backup.
    """
    engine = configured_engine()
    current, head = current_revision(engine), head_revision()
    if current == head:
        return engine
    if current is None and not inspect(engine).get_table_names():
        upgrade_store(engine)
        return engine
    from workflows.command_language import coordinator_messages

    _ = coordinator_messages()
    where = describe_url(get_settings().database_url)
    raise StoreNotReady(
        _("the store at {where} is at schema {schema}, this spr needs {needed}: run `spr db upgrade`").format(
            where=where, schema=current or _("unknown"), needed=head
        )
    )
