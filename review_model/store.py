"""Opening the store: one engine per database URL, sessions that commit or roll back as a unit."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def make_engine(database_url: str, **engine_options: Any) -> Engine:
    """Create an engine for the store, with the settings each database needs to behave like the other.

    SQLite gets foreign keys switched on, write-ahead logging and a busy timeout, so that the portal and the
    round driver can share one file; PostgreSQL URLs without a driver use psycopg 3.
    """
    url = make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        engine_options.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **engine_options)
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    engine_options.setdefault("pool_pre_ping", True)
    return create_engine(url, **engine_options)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed when the block ends normally and rolled back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
