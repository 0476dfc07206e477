"""A round's people in the console: filtered and said in words, paged, each person's page with what they were
sent, and the actions' confirming pages (which change nothing); an observer's POST is refused."""

from collections.abc import Iterator
from typing import cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.console import people_pages
from portal.console.actions import ConsoleActions
from review_model.tables import Enrolment, Participant
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import RecordedActions, console_client
from tests.support.staff import COORDINATOR, OBSERVER, form_csrf, staff_member
from tests.support.staged_rounds import StagedRound, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
PEOPLE = "/console/rounds/staged-round/people"


@pytest.fixture
def staged(engine: Engine) -> StagedRound:
    return round_in_stage(engine, Stage.submission, submitted=["anna", "ben"])


@pytest.fixture
def client(engine: Engine, staged: StagedRound) -> Iterator[TestClient]:
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    with console_client(engine, logged_in_as=COORDINATOR) as client:
        yield client


def participant_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Participant.id).where(Participant.email == email)).one()


def test_everyone_is_listed_and_filters_combine_and_are_said_in_words(client: TestClient):
    everyone = client.get(PEOPLE).text
    assert "4 people" in everyone
    for name in ("Anna Keller", "Ben Hansen", "Cara Wolf", "Dora Roth"):
        assert name in everyone
    regions = client.get(f"{PEOPLE}?kind=region").text
    assert "1 person" in regions and "Dora Roth" in regions and "Anna Keller" not in regions
    not_submitted = client.get(f"{PEOPLE}?role=respondent&kind=kommune&state=not_submitted").text
    assert "Cara Wolf" in not_submitted and "Anna Keller" not in not_submitted and "Dora Roth" not in not_submitted
    assert "1 person" in not_submitted
    searched = client.get(f"{PEOPLE}?search=nordhaven").text
    assert "Ben Hansen" in searched and "1 person" in searched
    stale = client.get(f"{PEOPLE}?kind=no-such-kind&state=").text  # an old bookmark still opens
    assert "4 people" in stale


def test_the_filter_is_said_in_german_too(client: TestClient):
    page = client.get(f"{PEOPLE}?kind=region&lang=de").text
    assert "1 Person" in page and "Dora Roth" in page


def test_long_lists_are_paged_and_the_pages_keep_the_filter(client: TestClient, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(people_pages, "PAGE_SIZE", 2)
    first = client.get(f"{PEOPLE}?role=respondent").text
    assert "Page 1 of 2" in first and 'href="?role=respondent&amp;page=2"' in first
    second = client.get(f"{PEOPLE}?role=respondent&page=2").text
    assert "Page 2 of 2" in second and "Previous page" in second


def test_a_persons_page_shows_what_they_were_sent(engine: Engine, client: TestClient):
    cara = participant_id(engine, "cara@elbstein.example")
    page = client.get(f"{PEOPLE}/{cara}")
    assert page.status_code == 200
    assert "cara@elbstein.example" in page.text and "Stadt Elbstein" in page.text
    assert "What they were sent" in page.text
    assert client.get(f"{PEOPLE}/999999").status_code == 404


def test_asking_before_withdrawing_says_what_happens_and_changes_nothing(engine: Engine, client: TestClient):
    dora = participant_id(engine, "dora@talbach.example")
    page = client.get(f"{PEOPLE}/{dora}/withdraw")
    assert page.status_code == 200
    assert "Dora Roth &lt;dora@talbach.example&gt; (Landkreis Talbach) leaves the round:" in page.text
    assert "This cannot be undone." in page.text and 'name="reason"' in page.text
    with Session(engine) as session:
        assert session.exec(select(Enrolment.withdrawn_at).where(Enrolment.participant_id == dora)).one() is None


def test_an_observer_sees_people_but_every_post_is_refused(engine: Engine, staged: StagedRound):
    staff_member(engine, OBSERVER, StaffRole.observer, rounds=[staged.slug])
    dora = participant_id(engine, "dora@talbach.example")
    with console_client(engine, logged_in_as=OBSERVER) as client:
        assert client.get(PEOPLE).status_code == 200
        page = client.get(f"{PEOPLE}/{dora}/withdraw").text
        assert "not change anything" in page and "<button" not in page.split("<main")[1]
        answer = client.post(f"{PEOPLE}/{dora}/withdraw", data={"csrf": form_csrf(page), "reason": "weg"})
        assert answer.status_code == 403


def test_writing_to_the_people_shown_starts_the_message_with_their_filter(engine: Engine, client: TestClient):
    people = client.get(f"{PEOPLE}?kind=region&state=not_submitted").text
    link = people.split('href="/console/rounds/staged-round/email/message?')[1].split('"')[0].replace("&amp;", "&")
    # with operations (never called here), so that the page shows its form
    operations = cast(ConsoleActions, object())
    with console_client(engine, actions=operations, logged_in_as=COORDINATOR) as writer:
        form = writer.get(f"/console/rounds/staged-round/email/message?{link}").text
    assert 'value="region" checked' in form and 'value="not_submitted" checked' in form


def test_crafted_numbers_in_the_address_are_no_page_and_no_error(engine: Engine, client: TestClient):
    assert client.get(f"{PEOPLE}?page={10**23}").status_code == 200
    assert client.get(f"{PEOPLE}/{10**20}").status_code == 404
    assert client.get("/console/rounds/staged-round/history?page=100000000000000000000000").status_code == 200
    assert client.get("/console/rounds/staged-round/history?to=9999-12-31&from=0001-01-01").status_code == 200
    csrf = form_csrf(client.get(PEOPLE).text)
    assert client.post(f"{PEOPLE}/999999/remind", data={"csrf": csrf}).status_code == 404


def test_an_administrator_is_asked_before_erasing_a_person_and_the_erasure_runs_as_the_operation(
    engine: Engine, staged: StagedRound
):
    staff_member(engine, "admin@peer-review.example", StaffRole.admin)
    dora = participant_id(engine, "dora@talbach.example")
    actions = RecordedActions()
    with console_client(engine, actions=actions, logged_in_as="admin@peer-review.example") as admin:
        assert f"{PEOPLE}/{dora}/erase" in admin.get(f"{PEOPLE}/{dora}").text
        page = admin.get(f"{PEOPLE}/{dora}/erase").text
        assert ("Dora Roth &lt;dora@talbach.example&gt; (Landkreis Talbach) is erased in every round they take "
                "part in (staged-round), on their request (GDPR Art. 17):") in page  # fmt: skip
        assert "they are withdrawn from the running rounds staged-round" in page and "This cannot be undone." in page
        assert actions.calls == []  # asking changes nothing
        done = admin.post(f"{PEOPLE}/{dora}/erase", data={"csrf": form_csrf(page)}, follow_redirects=True)
    assert done.status_code == 200
    assert actions.calls == [("erase_person", (dora, "admin@peer-review.example (console)", "en"), {})]


def test_a_coordinator_may_not_erase_a_person_who_may_take_part_in_rounds_they_do_not_see(
    engine: Engine, staged: StagedRound
):
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    dora = participant_id(engine, "dora@talbach.example")
    actions = RecordedActions()
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        assert f"{PEOPLE}/{dora}/erase" not in client.get(f"{PEOPLE}/{dora}").text
        page = client.get(f"{PEOPLE}/{dora}/erase").text
        assert "Only an administrator erases a person" in page and "<button" not in page.split("<main")[1]
        refused = client.post(f"{PEOPLE}/{dora}/erase", data={"csrf": form_csrf(page)}, follow_redirects=True)
    assert "Only an administrator erases a person" in refused.text and actions.calls == []


def test_an_erased_persons_page_names_no_one_and_says_when(engine: Engine, client: TestClient, staged: StagedRound):
    dora = participant_id(engine, "dora@talbach.example")
    from review_model import clock
    from review_model.erasure import erase_person, plan_erasure

    with Session(engine) as session:
        erase_person(session, plan_erasure(session, dora), "test", clock.now())
        session.commit()
    page = client.get(f"{PEOPLE}/{dora}").text
    assert "<h1>Erased person</h1>" in page and "Dora" not in page and "Erased</dt>" in page
    assert "Erased person" in client.get(PEOPLE).text
