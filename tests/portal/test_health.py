"""/health: the store decides the HTTP status; the Prefect server and the rounds' last advances are reported in
the body, and a Prefect server that does not answer leaves the portal in rotation (200, "degraded")."""

import socket
import threading
import time
from base64 import b64encode
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session

from config.settings import Settings
from portal.app import create_app
from portal.health import PrefectCheck
from review_model.round_advances import record_advance
from review_model.tables import Round
from review_model.vocabulary import Stage
from tests.portal.conftest import SECRET

SETTINGS = Settings(
    secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://", advance_interval_seconds=60
)


class PrefectStandIn(BaseHTTPRequestHandler):
    """Answers GET /api/health as a Prefect server does, and GET /broken/api/health with a 500."""

    asked: list[str]  # the paths asked for, and the Authorization header with each
    authorizations: list[str | None]

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.authorizations.append(self.headers.get("authorization"))
        status = {"/api/health": 200, "/broken/api/health": 500}.get(self.path, 404)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def prefect_server() -> Iterator[tuple[str, type[PrefectStandIn]]]:
    """A stand-in Prefect server on loopback: its base address, and its handler class with what it was asked."""
    handler = type("Handler", (PrefectStandIn,), {"asked": [], "authorizations": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def health_on(world, **options) -> tuple[int, dict]:
    with TestClient(create_app(SETTINGS, world.engine, **options)) as client:
        response = client.get("/health")
    return response.status_code, response.json()


def test_active_rounds_with_their_last_advance_and_whether_they_are_overdue(world):
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        draft = Round.model_validate(round_.model_dump(exclude={"id"}) | {"slug": "entwurf", "stage": Stage.draft})
        session.add(draft)
        session.commit()
        advanced = round_.stage_entered_at + timedelta(hours=1)
    record_advance(world.engine, world.round_id, advanced)
    app = create_app(SETTINGS, world.engine, prefect_api_url="")  # three intervals: 3 minutes
    with TestClient(app) as client:
        with freeze_time(advanced + timedelta(minutes=3)):
            on_time = client.get("/health")
        with freeze_time(advanced + timedelta(minutes=3, seconds=1)):
            late = client.get("/health")
    entry = {"slug": "portal-test", "stage": "submission", "last_advanced_at": advanced.isoformat(timespec="seconds")}
    assert on_time.status_code == 200 and on_time.json()["status"] == "ok" and on_time.json()["problems"] == []
    assert on_time.json()["rounds"] == [entry | {"overdue": False}]  # the draft is not active
    assert late.status_code == 200, "an overdue round leaves the portal in rotation"
    assert late.json()["status"] == "degraded" and late.json()["rounds"] == [entry | {"overdue": True}]
    assert late.json()["problems"] == ["not advanced for over 3 min: portal-test"]


def test_a_round_never_advanced_is_overdue_three_intervals_after_entering_its_stage(world):
    entered = world.round().stage_entered_at
    app = create_app(SETTINGS, world.engine, prefect_api_url="")
    with TestClient(app) as client:
        with freeze_time(entered + timedelta(minutes=2)):
            assert client.get("/health").json()["rounds"][0] == {
                "slug": "portal-test", "stage": "submission", "last_advanced_at": None, "overdue": False,
            }  # fmt: skip
        with freeze_time(entered + timedelta(minutes=4)):
            assert client.get("/health").json()["rounds"][0]["overdue"] is True


def test_a_prefect_server_that_answers(world, prefect_server):
    address, stand_in = prefect_server
    with TestClient(create_app(SETTINGS, world.engine, prefect_api_url=f"{address}/api/")) as client:
        first, second = client.get("/health"), client.get("/health")
    assert first.status_code == 200 and first.json()["status"] == "ok"
    assert first.json()["prefect"] == {"api": f"{address}/api", "status": "ok"}
    assert second.json() == first.json()
    assert stand_in.asked == ["/api/health"], "asked once: the answer is kept for a few seconds"


def test_a_prefect_server_that_does_not_answer_is_reported_and_the_portal_stays_in_rotation(world):
    api = f"http://127.0.0.1:{closed_port()}/api"
    status, body = health_on(world, prefect_api_url=api)
    assert status == 200 and body["status"] == "degraded" and body["database"] == "ok"
    assert body["prefect"]["api"] == api and body["prefect"]["status"] == "unavailable"
    assert "refused" in body["prefect"]["error"].lower()
    assert body["problems"] == [f"Prefect API {api} does not answer ({body['prefect']['error']})"]


def test_a_prefect_server_that_answers_with_an_error(world, prefect_server):
    address, _asked = prefect_server
    status, body = health_on(world, prefect_api_url=f"{address}/broken/api")
    assert status == 200 and body["status"] == "degraded"
    assert body["prefect"] == {"api": f"{address}/broken/api", "status": "unavailable", "error": "HTTP 500"}


def test_the_prefect_api_comes_from_the_environment_unless_given(world, prefect_server, monkeypatch):
    address, stand_in = prefect_server
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    status, body = health_on(world)
    assert status == 200 and body["status"] == "ok" and body["problems"] == []
    assert body["prefect"] == {
        "api": None,
        "status": "not configured",
        "detail": "this portal knows no Prefect server (PREFECT_API_URL): submissions do not start "
        "an advance of their round; rounds advance where a worker or `spr round advance` runs",
    }
    monkeypatch.setenv("PREFECT_API_URL", f"{address}/api")
    assert health_on(world)[1]["prefect"] == {"api": f"{address}/api", "status": "ok"}
    assert health_on(world, prefect_api_url="")[1]["prefect"]["status"] == "not configured"
    assert stand_in.asked == ["/api/health"]


def test_credentials_in_the_prefect_address_are_sent_as_a_header_and_not_shown(world, prefect_server):
    address, stand_in = prefect_server
    with_credentials = address.replace("http://", "http://spr:geheim@") + "/api"
    status, body = health_on(world, prefect_api_url=with_credentials)
    assert status == 200 and body["prefect"] == {"api": f"{address}/api", "status": "ok"}
    assert stand_in.authorizations == ["Basic " + b64encode(b"spr:geheim").decode()]
    down = f"http://spr:geheim@127.0.0.1:{closed_port()}/api"
    assert "geheim" not in str(health_on(world, prefect_api_url=down)[1])
    status, body = health_on(world, prefect_api_url="http://spr:geheim@[::1/api")  # not a URL
    assert status == 200 and body["prefect"]["status"] == "unavailable" and "geheim" not in str(body)


def test_a_prefect_server_that_takes_the_connection_and_never_answers_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections wait in the backlog, unanswered
        check = PrefectCheck(f"http://127.0.0.1:{silent.getsockname()[1]}/api", timeout_seconds=0.2)
        started = time.monotonic()
        report = check.report()
    assert time.monotonic() - started < 2
    assert report["status"] == "unavailable" and "timed out" in report["error"]
