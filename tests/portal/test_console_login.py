"""Logging in to the console: passwords, sessions, CSRF, throttling, and who sees which round."""

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from review_model import clock
from review_model.login_throttle import PAIR_LIMIT
from review_model.staff import add_staff
from review_model.staff_sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from review_model.tables import StaffPasswordLink, StaffSession
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import console_client
from tests.support.staff import COORDINATOR, OBSERVER, PASSWORD, console_post, form_csrf, log_in, staff_member
from tests.support.staged_rounds import round_in_stage


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with console_client(engine) as client:
        yield client


@pytest.fixture
def two_rounds(engine: Engine) -> None:
    round_in_stage(engine, Stage.submission, slug="round-one")
    round_in_stage(engine, Stage.submission, slug="round-two")


def test_an_anonymous_request_to_any_console_page_is_sent_to_the_login_page(client: TestClient, two_rounds: None):
    for path in ("/console", "/console/rounds/round-one", "/console/rounds/no-such-round"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/login?next=/console")
    answer = client.post("/console/logout", data={"csrf": "x"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


def test_a_coordinator_logs_in_with_a_password_and_sees_only_the_rounds_named_for_them(
    engine: Engine, client: TestClient, two_rounds: None
):
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=["round-one"])
    answer = log_in(client, COORDINATOR, next_path="/console")
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = client.get("/console")
    assert page.status_code == 200
    assert "round-one" in page.text and "round-two" not in page.text
    assert client.get("/console/rounds/round-two").status_code == 404
    assert client.get("/console/rounds/no-such-round").status_code == 404


def test_the_session_cookie_is_secure_behind_tls(engine: Engine):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    with console_client(engine, public_base_url="https://peer-review.example") as client:
        answer = log_in(client, COORDINATOR)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-spr-console=") and "Secure" in cookie and "HttpOnly" in cookie


def test_a_wrong_password_or_unknown_address_is_refused_alike(engine: Engine, client: TestClient):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    wrong = log_in(client, COORDINATOR, "not the password at all")
    unknown = log_in(client, "nobody@land.example")
    assert wrong.status_code == unknown.status_code == 401
    assert "The email address or the password is not right." in wrong.text
    assert "The email address or the password is not right." in unknown.text
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_login_starts_a_new_session_and_an_earlier_cookie_opens_nothing(engine: Engine, client: TestClient):
    """Session fixation: a session id planted before the login is not the one the login hands out."""
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    log_in(client, COORDINATOR)
    first = client.cookies.get("spr-console")
    log_in(client, COORDINATOR)
    second = client.cookies.get("spr-console")
    assert first and second and first != second
    client.cookies.set("spr-console", "planted-by-someone-else.signature")
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_log_out_ends_this_session_and_log_out_everywhere_ends_every_one(engine: Engine):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    with console_client(engine) as desk, console_client(engine) as laptop:
        log_in(desk, COORDINATOR)
        log_in(laptop, COORDINATOR)
        assert console_post(desk, "/console/logout", page_path="/console").status_code == 303
        assert desk.get("/console", follow_redirects=False).status_code == 303
        assert laptop.get("/console").status_code == 200
        log_in(desk, COORDINATOR)
        answer = console_post(desk, "/console/logout", page_path="/console", everywhere="1")
        assert answer.status_code == 303
        assert laptop.get("/console", follow_redirects=False).status_code == 303
    with Session(engine) as session:
        assert session.exec(select(StaffSession)).all() == []


def test_a_post_without_the_sessions_csrf_token_or_from_another_site_changes_nothing(
    engine: Engine, client: TestClient
):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    log_in(client, COORDINATOR)
    token = form_csrf(client.get("/console").text)
    assert client.post("/console/logout", data={"csrf": "forged"}).status_code == 403
    other_site = {"sec-fetch-site": "cross-site"}
    assert client.post("/console/logout", data={"csrf": token}, headers=other_site).status_code == 403
    assert client.get("/console").status_code == 200  # still logged in


def test_the_login_form_itself_carries_a_csrf_token(engine: Engine, client: TestClient):
    """Login CSRF: another site cannot log a browser in to an account of its choosing."""
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    data = {"csrf": "forged", "email": COORDINATOR, "password": PASSWORD}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 403
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_sessions_end_after_an_idle_hour_and_after_twelve_hours_at_most(engine: Engine, client: TestClient):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    start = clock.now()
    with freeze_time(start) as frozen:
        log_in(client, COORDINATOR)
        frozen.move_to(start + IDLE_TIMEOUT - timedelta(minutes=1))
        assert client.get("/console").status_code == 200
        frozen.move_to(start + 2 * IDLE_TIMEOUT - timedelta(minutes=3))
        assert client.get("/console").status_code == 200  # the visit before kept it alive
        frozen.move_to(start + 3 * IDLE_TIMEOUT)
        assert client.get("/console", follow_redirects=False).status_code == 303
        log_in(client, COORDINATOR)
        login = clock.now()
        moment = login
        while moment < login + ABSOLUTE_TIMEOUT - IDLE_TIMEOUT:
            moment += IDLE_TIMEOUT - timedelta(minutes=5)
            frozen.move_to(moment)
            client.get("/console")
        frozen.move_to(login + ABSOLUTE_TIMEOUT + timedelta(minutes=1))
        assert client.get("/console", follow_redirects=False).status_code == 303


def test_guessing_is_throttled_but_the_owner_at_their_usual_address_still_logs_in(
    engine: Engine, caplog: pytest.LogCaptureFixture
):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    with console_client(engine) as owner:
        assert log_in(owner, COORDINATOR).status_code == 303  # the owner's address is known from now on
    caplog.set_level(logging.WARNING, "spr.console")
    with console_client(engine) as guesser:
        for _ in range(PAIR_LIMIT):
            assert log_in(guesser, COORDINATOR, "a wrong guess 123").status_code == 401
        held = log_in(guesser, COORDINATOR, PASSWORD)  # even the right password is not checked now
        assert held.status_code == 429
        assert "Too many failed logins" in held.text
    assert any("console login failed" in record.message and "testclient" in record.message for record in caplog.records)
    assert any("held back" in record.message for record in caplog.records)


def test_guesses_from_many_addresses_hold_back_unknown_addresses_only(engine: Engine):
    from review_model.login_throttle import ACCOUNT_LIMIT, login_throttled, record_login_attempt

    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    now = clock.now()
    with Session(engine) as session:
        record_login_attempt(session, COORDINATOR, "10.0.0.1", True, now - timedelta(days=3))
        for n in range(ACCOUNT_LIMIT):
            record_login_attempt(session, COORDINATOR, f"203.0.113.{n}", False, now - timedelta(minutes=n))
        session.commit()
        assert login_throttled(session, COORDINATOR, "198.51.100.7", now) is not None
        assert login_throttled(session, COORDINATOR, "10.0.0.1", now) is None
        assert login_throttled(session, "other@land.example", "198.51.100.7", now) is None
        later = now + timedelta(hours=1)
        assert login_throttled(session, COORDINATOR, "198.51.100.7", later) is None


def test_a_password_link_sets_the_password_once_and_its_page_changes_nothing(engine: Engine, client: TestClient):
    with Session(engine) as session:
        _, link = add_staff(session, COORDINATOR, StaffRole.coordinator, name="Koordination", rounds=[],
                            actor="test", now=clock.now())  # fmt: skip
        session.commit()
    path = f"/console/password/{link.token}"
    for _ in range(3):
        page = client.get(path)  # a mail scanner opening the link uses nothing up
        assert page.status_code == 200 and COORDINATOR in page.text
    weak = client.post(path, data={"csrf": form_csrf(page.text), "password": "short", "confirmation": "short"})
    assert weak.status_code == 400 and "at least 12 characters" in weak.text
    answer = client.post(path, data={"csrf": form_csrf(page.text), "password": PASSWORD, "confirmation": PASSWORD},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert client.get(path).status_code == 404  # used up
    assert log_in(client, COORDINATOR).status_code == 303
    with Session(engine) as session:
        assert session.exec(select(StaffPasswordLink)).one().used_at is not None


def test_an_expired_password_link_does_not_work(engine: Engine, client: TestClient):
    with Session(engine) as session:
        _, link = add_staff(session, COORDINATOR, StaffRole.observer, name="", rounds=[], actor="test",
                            now=clock.now() - timedelta(days=4))  # fmt: skip
        session.commit()
    assert client.get(f"/console/password/{link.token}").status_code == 404


def test_an_observer_reads_a_round_but_every_post_is_refused(engine: Engine, client: TestClient, two_rounds: None):
    staff_member(engine, OBSERVER, StaffRole.observer, rounds=["round-one"])
    log_in(client, OBSERVER)
    assert client.get("/console/rounds/round-one").status_code == 200
    assert client.get("/console/rounds/round-two").status_code == 404


def test_the_console_speaks_german_and_english(engine: Engine, client: TestClient):
    assert "Bei der Konsole anmelden" in client.get("/console/login?lang=de").text
    assert "Bei der Konsole anmelden" in client.get("/console/login").text  # the choice is kept
    assert "Log in to the console" in client.get("/console/login?lang=en").text


def test_a_guessing_address_is_held_back_except_for_the_staff_who_logged_in_from_it_before(engine: Engine):
    """Staff behind one proxy share an address: a guesser among them must not lock them all out."""
    from review_model.login_throttle import ADDRESS_LIMIT, login_throttled, record_login_attempt

    now = clock.now()
    with Session(engine) as session:
        record_login_attempt(session, COORDINATOR, "10.0.0.1", True, now - timedelta(days=1))
        for n in range(ADDRESS_LIMIT):
            record_login_attempt(session, f"guess{n}@land.example", "10.0.0.1", False, now - timedelta(seconds=n))
        session.commit()
        assert login_throttled(session, "someone@land.example", "10.0.0.1", now) is not None
        assert login_throttled(session, COORDINATOR, "10.0.0.1", now) is None


def test_a_cookie_that_is_not_even_ascii_is_no_session(client: TestClient):
    cookie = "spr-console=abc.é".encode()  # as a browser may send it: bytes the signature is no text of
    assert client.get("/console", headers=[(b"cookie", cookie)], follow_redirects=False).status_code == 303
