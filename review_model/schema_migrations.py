"""Bringing a store's schema up to date with Alembic, driven from code (no alembic.ini to find)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for spr's migrations, bound to a connection when one is given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration this version of spr ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the store is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_store(engine: Engine, revision: str = "head") -> None:
    """Apply every migration the store has not had yet, in one transaction where the database allows it."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def store_is_current(engine: Engine) -> bool:
    """Whether the store's schema is the one this version of spr expects."""
    return current_revision(engine) == head_revision()
