"""When the store fails (read-only, full, down), a participant reads a 503 page in their language with the
security headers, the form comes back with everything typed where the store can still be read, and /health
says so."""

import sqlite3
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from portal.security import SECURITY_HEADERS
from review_model.store import make_engine
from review_model.tables import Submission
from tests.portal.conftest import ANNA, BEN, COMPLETE, SECRET

TYPED = {**COMPLETE, "facts.staerken": "Mühsam getippt, nicht verloren"}
TYPED_EN = {**TYPED, "facts.einwohner": "48,250", "facts.budget": "2.5"}


def client_on(engine: Engine) -> TestClient:
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    return TestClient(create_app(settings, engine), base_url="http://testserver", raise_server_exceptions=False)


def assert_secured(response) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name.decode()) == value.decode(), name
    assert response.headers["content-type"].startswith("text/html")


@pytest.fixture
def read_only_engine(database_url: str) -> Iterator[Engine]:
    """The test store, opened so that it can be read but not written (a read-only file or server)."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    else:
        engine = make_engine(database_url, connect_args={"options": "-c default_transaction_read_only=on"})
    yield engine
    engine.dispose()


def test_a_failing_save_shows_the_form_again_with_everything_typed(world, monkeypatch):
    csrf = world.csrf(ANNA)

    def disk_full(self) -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(Session, "commit", disk_full)
    response = world.client.post(world.form(ANNA), data={"csrf": csrf, "action": "submit", **TYPED})
    assert response.status_code == 503 and response.headers["retry-after"]
    assert_secured(response)
    assert "Ihre Eingaben wurden nicht gespeichert" in response.text
    assert "Mühsam getippt, nicht verloren</textarea>" in response.text and 'value="3" checked' in response.text
    monkeypatch.undo()
    with Session(world.engine) as session:
        assert session.exec(select(Submission)).first() is None


def test_a_failing_reply_shows_the_reply_page_again_with_the_typed_text(world, replies, monkeypatch):
    reply_world = replies
    csrf = reply_world.csrf()

    def disk_full(self) -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(Session, "commit", disk_full)
    data = {"csrf": csrf, "action": "send", "lang": "en", "reply-general": "Lange überlegt"}
    response = reply_world.world.client.post(reply_world.link, data=data, follow_redirects=False)
    assert response.status_code == 503 and "Your typed answers were not saved" in response.text
    assert_secured(response)
    assert ">\nLange überlegt</textarea>" in response.text
    monkeypatch.undo()
    assert reply_world.stored()[1] == {}


def test_a_read_only_store_keeps_the_typed_form_and_fails_health(world, read_only_engine):
    csrf = world.csrf(BEN)
    with client_on(read_only_engine) as client:
        response = client.post(world.form(BEN), data={"csrf": csrf, "action": "save", "lang": "en", **TYPED_EN})
        assert response.status_code == 503
        assert_secured(response)
        assert "Your typed answers were not saved" in response.text and 'lang="en"' in response.text
        assert "Mühsam getippt, nicht verloren</textarea>" in response.text
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert world.client.get("/health").status_code == 200  # the same store, writable


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_health_fails_when_the_disk_beside_a_sqlite_store_is_full(world, monkeypatch):
    from types import SimpleNamespace

    import portal.failures

    monkeypatch.setattr(portal.failures.shutil, "disk_usage", lambda _path: SimpleNamespace(free=4096))
    health = world.client.get("/health")
    body = health.json()
    assert health.status_code == 503 and body["status"] == "unavailable" and body["database"] == "OSError"
    assert body["problems"][0] == "the store does not take writes (OSError)" and body["rounds"] is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_unreachable_database_gives_a_friendly_503_in_the_participants_language(world, database_url):
    down = make_engine(
        make_url(database_url).set(host="127.0.0.1", port=1).render_as_string(hide_password=False),
        connect_args={"connect_timeout": 2},
    )
    with client_on(down) as client:
        page = client.get(world.form(ANNA) + "?lang=en")
        assert page.status_code == 503 and "Your typed answers were not saved" in page.text
        assert_secured(page)
        posted = client.post(world.form(ANNA), data={"csrf": "x", "action": "save", "lang": "de", **TYPED})
        assert posted.status_code == 503 and "Ihre Eingaben wurden nicht gespeichert" in posted.text
        assert "Zurück-Taste" in posted.text  # where what was typed is kept: the browser's previous page
        assert_secured(posted)
        assert client.get("/health").status_code == 503
    down.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unexpected_error_gives_a_page_with_the_security_headers(world, monkeypatch):
    import portal.form_pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(portal.form_pages, "_load", broken)
    with client_on(world.engine) as client:
        response = client.get(world.form(ANNA) + "?lang=en")
    assert response.status_code == 500 and "Something went wrong" in response.text
    assert_secured(response)
