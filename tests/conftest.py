"""Shared fixtures: a fresh store on SQLite and on PostgreSQL for every test that asks for one.

SPR_TEST_DATABASES picks the databases (default "sqlite,postgresql"); SPR_TEST_POSTGRES_URL points at a
PostgreSQL server whose user may create databases (default: postgres on 127.0.0.1:5432, trust auth).
Each run creates its own PostgreSQL database and drops it at the end.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from config.settings import get_settings
from review_model.schema_migrations import head_revision, upgrade_store
from review_model.store import make_engine
from review_model.tables import metadata
from workflows.prefect_output import send_prefect_logs_to_file

# pytest-xdist hands its workers the controller's terminal width (80 without a terminal); the commands' output is
# read here as a coordinator's log file gets it, without a terminal and so without COLUMNS (workflows.cli.output).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)

# Prefect's own logs go to a file, as in the commands, and are set before anything imports Prefect: its
# terminal handler would otherwise hold on to the stream of the first CliRunner that ran a flow, closed
# by the next one.
send_prefect_logs_to_file(Path(tempfile.gettempdir()) / f"spr-tests-prefect-{os.getpid()}.log")

POSTGRES_URL = os.environ.get("SPR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DATABASES = [name.strip() for name in os.environ.get("SPR_TEST_DATABASES", "sqlite,postgresql").split(",") if name]


class PostgresServer:
    """Creates and drops throw-away databases on the test PostgreSQL server."""

    def __init__(self, admin_url: str):
        self.admin_url = make_url(admin_url)
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        name = f"spr_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(POSTGRES_URL)
    try:
        with server.admin.connect():
            pass
    except Exception as error:  # the suite is meant to run on both databases: say why it cannot
        reason = f"PostgreSQL at {POSTGRES_URL} is not reachable ({error})"
        pytest.exit(f"{reason}; set SPR_TEST_DATABASES=sqlite to run on SQLite alone")
    yield server
    server.admin.dispose()


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it, on the database under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_store(engine)
    engine.dispose()  # the last connection to close checkpoints the write-ahead log into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_store_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A PostgreSQL store migrated once per run; each test starts from empty tables."""
    url = postgres_server.create_database()
    engine = make_engine(url)
    upgrade_store(engine)
    engine.dispose()
    yield url
    postgres_server.drop_database(url)


def empty_every_table(engine: Engine) -> None:
    """Start a PostgreSQL test from empty tables (faster than a new database per test)."""
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()})


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated, empty store on each database under test."""
    if request.param == "sqlite":
        target = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("postgres_store_url")
    engine = make_engine(url)
    empty_every_table(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def configured(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, prefect_harness: None
) -> Iterator[str]:
    """Settings pointing at the test store, as a command run by an operator would see them; the commands'
    flows run on the session's temporary Prefect API."""
    monkeypatch.setenv("SPR_DATABASE_URL", database_url)
    # The daily digest depends on the hour a test runs at; tests that count messages must not.
    # tests/workflows/test_status_digest.py sends it at the hours it chooses.
    monkeypatch.setenv("SPR_STATUS_DIGEST", "false")
    if not database_url.startswith("sqlite"):  # a SQLite store keeps its secret key beside its file
        monkeypatch.setenv("SPR_SECRET_KEY_FILE", str(tmp_path / "store.key"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "empty_database_url" in metafunc.fixturenames:
        metafunc.parametrize("empty_database_url", DATABASES, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module that sets `ONE_DATABASE = "why"` runs its tests on the first database under test only: the
    console's pages and actions, say, whose queries and operations are tested on both databases where they
    live (tests/review_model, tests/workflows). Running them twice took minutes and found nothing more."""
    first = DATABASES[0] if DATABASES else None
    skipped = []
    for item in items:
        module = getattr(item, "module", None)
        callspec = getattr(item, "callspec", None)
        one_database = module is not None and getattr(module, "ONE_DATABASE", None)
        if one_database and callspec is not None and callspec.params.get("database_url", first) != first:
            skipped.append(item)
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if item not in set(skipped)]


EXAMPLES = Path(__file__).resolve().parent.parent / "config" / "examples"


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh store on PostgreSQL alone, for what only PostgreSQL does (several workers, SKIP LOCKED)."""
    if "postgresql" not in DATABASES:
        pytest.skip("PostgreSQL is not among SPR_TEST_DATABASES")
    engine = make_engine(request.getfixturevalue("postgres_store_url"))
    empty_every_table(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API and database for the whole run, flow heartbeats off (as on any temporary API:
    see workflows.prefect_server.flow_heartbeats_off)."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    from workflows.prefect_server import flow_heartbeats_off

    with prefect_test_harness(server_startup_timeout=60), flow_heartbeats_off():
        yield


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One headless Chromium for every real-browser test of the run (skipped without it, except in CI)."""
    from tests.support.browser import SharedChromium, require_chromium

    require_chromium()
    with SharedChromium(tmp_path_factory.mktemp("chromium")) as shared:
        yield shared
