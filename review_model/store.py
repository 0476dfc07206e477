"""Opening the store: one engine per database URL, sessions that commit or roll back as a unit."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Table, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

SQLITE_LOCK_TIMEOUT_SECONDS = 30.0


def make_engine(database_url: str, **engine_options: Any) -> Engine:
    """Create an engine for the store, with the settings each database needs to behave like the other.

    PostgreSQL URLs without a driver use psycopg 3. SQLite gets foreign keys, write-ahead logging, and
    transactions that take the write lock when they begin (see _serialise_sqlite_transactions).
    """
    url = make_url(database_url)
    engine_options.setdefault("json_serializer", _json_text)
    engine_options.setdefault("json_deserializer", orjson.loads)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() != "sqlite":
        # No ping before each checkout: measured under the portal's load it tripled the 99th percentile.
        # A connection the server dropped fails once, the pool then discards all of its connections, and
        # connections are renewed every half hour anyway.
        engine_options.setdefault("pool_recycle", 1800)
        # Connections beyond the pool's size are opened and closed per use, and a new PostgreSQL connection
        # costs a process on the server: keep enough for the portal's threads and the delivery workers.
        engine_options.setdefault("pool_size", 20)
        engine_options.setdefault("max_overflow", 20)
        return create_engine(url, **engine_options)
    engine_options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_LOCK_TIMEOUT_SECONDS)
    engine = create_engine(url, **engine_options)
    _serialise_sqlite_transactions(engine)
    return engine


def _json_text(value: Any) -> str:
    """A JSON column's value as text, with orjson: the standard library's encoder and decoder took about 1.5 s
    of a 10,000-party round's consolidation and report. Like the standard library, keys that are not strings
    (an item's number) become strings; unlike it, NaN becomes null, which PostgreSQL's JSON accepts."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _serialise_sqlite_transactions(engine: Engine) -> None:
    """One transaction at a time per process, each starting with BEGIN IMMEDIATE.

    SQLite lets one writer in at a time. Left to itself, a transaction that began reading and then wants to
    write fails or waits in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and, under
    the portal's concurrent requests, turns milliseconds of work into seconds of waiting. Here threads queue
    on a lock instead and go on the moment the previous transaction ends; other processes (the command
    line beside `spr serve`) still meet SQLite's own lock and busy timeout.
    """
    lock = threading.Lock()
    holders: dict[int, bool] = {}
    owner: list[int | None] = [None]  # the thread whose transaction holds the lock

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN from the driver: ours comes below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        if options.get("spr_read_only"):
            connection.exec_driver_sql("BEGIN")  # a snapshot to read; writers go on meanwhile (WAL)
            return
        if owner[0] == threading.get_ident():
            # A second connection inside this thread's own transaction: waiting for the lock would wait for
            # ourselves. It reads alongside (write-ahead logging allows that) as SQLite's default BEGIN does.
            connection.exec_driver_sql("BEGIN")
            return
        if not lock.acquire(timeout=SQLITE_LOCK_TIMEOUT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", {}, TimeoutError("the store stayed busy for 30 s"))
        holders[id(connection)] = True
        owner[0] = threading.get_ident()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Connection) -> None:
        if holders.pop(id(connection), False):
            owner[0] = None
            lock.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


@contextmanager
def reading_session(engine: Engine) -> Iterator[Session]:
    """A session that only reads: on SQLite it takes no write lock, so rendering a report or sending a large
    document never holds up the portal's writes. Nothing done in it is committed: closing the session hands
    its connection back, which ends the transaction, and what was read stays readable."""
    with Session(engine.execution_options(spr_read_only=True), expire_on_commit=False) as session:
        yield session


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


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (dicts with the same keys) in the session's transaction, quickly.

    The values go through each column's own converter for this database once, and then straight to the
    driver: SQLite's executemany, PostgreSQL's COPY. For a hundred thousand findings that takes a fraction
    of SQLAlchemy's general path (most of which is per-row bookkeeping).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    # The dialect's own processors (for a TypeDecorator, its process_bind_param and then its impl's).
    columns = []
    for name in names:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        column = [row[name] for row in rows]
        first = column[0]
        if process is None:
            columns.append(column)
        elif all(value is first for value in column):
            # One moment or round id for every row: converted once (a datetime's conversion took 0.3 s of
            # inserting a 10,000-party round's findings).
            columns.append([process(first)] * len(column))
        else:
            columns.append(list(map(process, column)))
    values = list(zip(*columns, strict=True))
    if dialect.name == "sqlite":
        statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        connection.exec_driver_sql(statement, values)
    elif dialect.driver == "psycopg":
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
    else:
        connection.execute(table.insert(), rows)
