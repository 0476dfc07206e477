"""A store made for one benchmark run and gone after it: a SQLite file in a temporary folder, or a database
created on a PostgreSQL server (whose user may create databases) and dropped at the end."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from review_model.store import make_engine


@contextmanager
def throwaway_store(postgres_server: str | None = None, prefix: str = "spr_bench") -> Iterator[str]:
    """The URL of an empty database: on the PostgreSQL server `postgres_server` (any database on it) if given,
    else SQLite."""
    if postgres_server is None:
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as folder:
            yield f"sqlite:///{Path(folder) / 'store.db'}"
        return
    admin = make_engine(postgres_server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
