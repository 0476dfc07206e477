"""The staff page: administrators list, add and remove the people who log in to the console, give them a new
link to set a password, and name them for rounds; nobody else finds the page."""

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model.tables import AuditEvent, RoundStaff, StaffAccount, StaffSession
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import console_client, console_in_browser, windows_at_every_width
from tests.support.staff import COORDINATOR, OBSERVER, PASSWORD, console_post, form_csrf, log_in, staff_member
from tests.support.staged_rounds import round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ADMIN = "verwaltung@land.example"
NEWCOMER = "neu@kreis.example"
ACTOR = f"{ADMIN} (console)"


@pytest.fixture
def rounds(engine: Engine) -> dict[str, int]:
    """Two rounds, by slug: their ids."""
    return {slug: round_in_stage(engine, Stage.draft, slug=slug, parties=1).round_id
            for slug in ("round-one", "round-two")}  # fmt: skip


@pytest.fixture
def admin(engine: Engine, rounds: dict[str, int]) -> Iterator[TestClient]:
    staff_member(engine, ADMIN, StaffRole.admin)
    with console_client(engine, logged_in_as=ADMIN) as client:
        yield client


def account_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        account = session.exec(select(StaffAccount).where(StaffAccount.email == email)).one()
        assert account.id is not None
        return account.id


def link_on(page: str) -> str:
    """The path of the one-time link a page shows."""
    found = re.search(r'id="password-link"[^>]*>http://testserver(/console/password/[^<]+)</textarea>', page)
    assert found, page
    return html.unescape(found.group(1))


def actions_by(engine: Engine, actor: str) -> list[str]:
    with Session(engine) as session:
        statement = select(AuditEvent.action).where(AuditEvent.actor == actor).order_by(col(AuditEvent.id))
        return list(session.exec(statement).all())


def test_an_administrator_adds_a_member_whose_link_is_shown_once_and_works(
    engine: Engine, admin: TestClient, rounds: dict[str, int]
):
    staff_page = admin.get("/console/staff")
    assert staff_page.status_code == 200 and 'href="/console/staff"' in staff_page.text  # in the header
    answer = admin.post("/console/staff", data={"csrf": form_csrf(staff_page.text), "email": " Neu@Kreis.example",
                                                "name": "Nele Neu", "role": "coordinator",
                                                "round": [str(rounds["round-two"])]})  # fmt: skip
    assert answer.status_code == 200  # the link is in this answer, not behind a redirect
    assert answer.headers["cache-control"] == "no-store"
    assert "neu@kreis.example can log in to the console once they have set their password." in answer.text
    path = link_on(answer.text)
    listed = admin.get("/console/staff").text
    assert "neu@kreis.example" in listed and "Nele Neu" in listed and "/console/password/" not in listed
    assert "/console/password/" not in admin.get(f"/console/staff/{account_id(engine, NEWCOMER)}").text
    with Session(engine) as session:
        assert session.exec(select(RoundStaff.round_id).where(RoundStaff.email == NEWCOMER)).all() == [
            rounds["round-two"]
        ]
    assert actions_by(engine, ACTOR) == ["staff named for round", "staff added"]

    with console_client(engine) as newcomer:
        page = newcomer.get(path)
        assert page.status_code == 200 and NEWCOMER in page.text
        data = {"csrf": form_csrf(page.text), "password": PASSWORD, "confirmation": PASSWORD}
        assert newcomer.post(path, data=data, follow_redirects=False).status_code == 303
        assert newcomer.get(path).status_code == 404  # used up
        assert log_in(newcomer, NEWCOMER).status_code == 303
        rounds_page = newcomer.get("/console").text
        assert "round-two" in rounds_page and "round-one" not in rounds_page
        assert newcomer.get("/console/staff").status_code == 404  # a coordinator


def test_a_refused_member_is_named_with_every_reason_and_nothing_is_added(engine: Engine, admin: TestClient):
    token = form_csrf(admin.get("/console/staff").text)
    answer = admin.post("/console/staff", data={"csrf": token, "email": "kein-name", "name": "Zwei\nZeilen",
                                                "role": "coordinator"})  # fmt: skip
    assert answer.status_code == 400
    assert "kein-name is not an email address" in answer.text
    assert "the name must be one line of at most 200 characters" in answer.text
    assert 'value="kein-name"' in answer.text  # what was typed stays
    taken = admin.post("/console/staff", data={"csrf": token, "email": ADMIN, "role": "observer"})
    assert taken.status_code == 400 and f"{ADMIN} has an account already" in taken.text
    no_role = admin.post("/console/staff", data={"csrf": token, "email": NEWCOMER, "role": "boss"})
    assert no_role.status_code == 400 and "Choose the role" in no_role.text
    with Session(engine) as session:
        assert session.exec(select(StaffAccount.email)).all() == [ADMIN]


def test_observers_and_coordinators_do_not_find_the_staff_pages(engine: Engine, rounds: dict[str, int]):
    staff_member(engine, ADMIN, StaffRole.admin)
    admin_id = account_id(engine, ADMIN)
    for email, role in ((OBSERVER, StaffRole.observer), (COORDINATOR, StaffRole.coordinator)):
        staff_member(engine, email, role, rounds=["round-one"])
        with console_client(engine, logged_in_as=email) as client:
            rounds_page = client.get("/console").text
            assert 'href="/console/staff"' not in rounds_page
            for path in ("/console/staff", f"/console/staff/{admin_id}", f"/console/staff/{admin_id}/remove"):
                assert client.get(path).status_code == 404, path
            token = form_csrf(rounds_page)
            for path, data in (
                ("/console/staff", {"email": "x@land.example", "role": "admin"}),
                (f"/console/staff/{admin_id}/password-link", {}),
                (f"/console/staff/{admin_id}/remove", {}),
                (f"/console/staff/{admin_id}/rounds", {"round": str(rounds["round-two"])}),
            ):
                assert client.post(path, data={"csrf": token, **data}).status_code == 404, path
    with Session(engine) as session:
        assert len(session.exec(select(StaffAccount)).all()) == 3
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "staff password link issued")).all() == []


def test_a_new_password_link_replaces_the_one_before(engine: Engine, admin: TestClient):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    member = f"/console/staff/{account_id(engine, COORDINATOR)}"
    first = console_post(admin, f"{member}/password-link", page_path=member)
    second = console_post(admin, f"{member}/password-link", page_path=member)
    assert first.status_code == second.status_code == 200
    assert second.headers["cache-control"] == "no-store"
    assert f"A new link for {COORDINATOR}; links issued before no longer work." in second.text
    with console_client(engine) as browser:
        assert browser.get(link_on(first.text)).status_code == 404
        assert browser.get(link_on(second.text)).status_code == 200
        assert log_in(browser, COORDINATOR).status_code == 303  # the password stays until they set another
    assert actions_by(engine, ACTOR) == ["staff password link issued"] * 2


def test_a_member_is_named_for_rounds_and_no_longer(engine: Engine, admin: TestClient, rounds: dict[str, int]):
    staff_member(engine, OBSERVER, StaffRole.observer, rounds=["round-one"])
    member = f"/console/staff/{account_id(engine, OBSERVER)}"
    page = admin.get(member).text
    assert f'value="{rounds["round-one"]}" checked' in page and f'value="{rounds["round-two"]}">' in page
    answer = console_post(admin, f"{member}/rounds", page_path=member, round=str(rounds["round-two"]))
    assert answer.status_code == 303 and answer.headers["location"] == member
    said = admin.get(member).text
    assert f"{OBSERVER} is named for round-two now." in said and f"{OBSERVER} is no longer named for round-one." in said
    with Session(engine) as session:
        assert session.exec(select(RoundStaff.round_id).where(RoundStaff.email == OBSERVER)).all() == [
            rounds["round-two"]
        ]
        events = session.exec(select(AuditEvent).where(AuditEvent.actor == ACTOR)).all()
    assert {(e.action, e.round_id) for e in events} == {
        ("staff named for round", rounds["round-two"]),
        ("staff unnamed for round", rounds["round-one"]),
    }
    unchanged = console_post(admin, f"{member}/rounds", page_path=member, round=str(rounds["round-two"]))
    assert "Nothing was changed" in admin.get(unchanged.headers["location"]).text


def test_removing_asks_first_and_the_last_administrator_stays(engine: Engine, admin: TestClient):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    with console_client(engine, logged_in_as=COORDINATOR) as coordinator:
        member = f"/console/staff/{account_id(engine, COORDINATOR)}"
        for _ in range(2):  # the page that asks changes nothing
            asking = admin.get(f"{member}/remove")
            assert asking.status_code == 200 and "every session of theirs ends at once" in asking.text
        assert coordinator.get("/console").status_code == 200
        removed = console_post(admin, f"{member}/remove")
        assert removed.status_code == 303 and removed.headers["location"] == "/console/staff"
        assert f"{COORDINATOR} was removed and logged out everywhere." in admin.get("/console/staff").text
        assert coordinator.get("/console", follow_redirects=False).status_code == 303  # logged out
    assert admin.get(member).status_code == 404

    own = f"/console/staff/{account_id(engine, ADMIN)}"
    asking = admin.get(f"{own}/remove")
    assert f"{ADMIN} is the last administrator: add another one first." in asking.text
    assert 'action="/console/staff/' not in asking.text.split("<main", 1)[1]  # no button offered
    refused = console_post(admin, f"{own}/remove", page_path=own)
    assert refused.status_code == 303
    assert f"{ADMIN} is the last administrator" in html.unescape(admin.get(refused.headers["location"]).text)
    with Session(engine) as session:
        assert session.exec(select(StaffAccount.email)).all() == [ADMIN]
        assert session.exec(select(StaffSession)).all() != []
    assert actions_by(engine, ACTOR) == ["staff removed"]


def test_the_staff_pages_speak_german_and_english(engine: Engine, rounds: dict[str, int]):
    staff_member(engine, ADMIN, StaffRole.admin)
    with console_client(engine, language="de", logged_in_as=ADMIN) as client:
        page = client.get("/console/staff").text
        assert "<h1>Mitarbeitende</h1>" in page and "Mitarbeitende hinzufügen" in page and "Administration" in page
        answer = client.post("/console/staff", data={"csrf": form_csrf(page), "email": NEWCOMER, "role": "observer"})
        assert "Geben Sie diesen Link selbst weiter." in answer.text
        member = client.get(f"/console/staff/{account_id(engine, NEWCOMER)}").text
        assert "Neuen Link ausgeben" in member and "Beobachtung" in member
    with console_client(engine, language="en", logged_in_as=ADMIN) as client:
        page = client.get("/console/staff").text
        assert "<h1>Staff</h1>" in page and "Add a member of staff" in page and "never" in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_the_staff_pages_pass_axe_at_desktop_and_phone_width(engine: Engine, rounds: dict[str, int], chromium,
                                                              database_url):  # fmt: skip
    from tests.support.browser import require_axe
    from tests.support.staff import page_problems

    script = require_axe()
    staff_member(engine, ADMIN, StaffRole.admin)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=["round-one"])
    member = f"/console/staff/{account_id(engine, COORDINATOR)}"
    found: dict[str, list[str]] = {}
    with console_in_browser(engine, chromium) as (base, browser):
        for name, width, page in windows_at_every_width(browser, base, ADMIN):
            for path in ("/console/staff", member, f"{member}/remove"):
                page.goto(base + path)
                found[f"{path} at {name}"] = page_problems(page, script, width)
            page.goto(base + member)
            page.click(f"form[action='{member}/password-link'] button")  # the page with the link
            page.wait_for_selector("#password-link")
            found[f"the link at {name}"] = page_problems(page, script, width)
            page.goto(base + "/console/staff")
            page.fill("#email", COORDINATOR)  # has an account already
            page.click("form[action='/console/staff'] button")  # refused: the page with its reasons
            page.wait_for_selector("#errors")
            found[f"refused at {name}"] = page_problems(page, script, width)
    assert {page: problems for page, problems in found.items() if problems} == {}
