"""The console's actions run as the coordinator operations and their flow runs, as the commands do: launch,
remind, extend, close a stage; an observer and a coordinator of another round change nothing."""

from prefect.client.orchestration import get_client
from sqlmodel import Session, select

from review_model.tables import AuditEvent, OutboxMessage, Round
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import flow_console
from tests.support.messages import link_in
from tests.support.round_world import COORDINATOR, RoundWorld
from tests.support.staff import OBSERVER, console_post, staff_member

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/fruehjahr-2027"


def stage_of(world: RoundWorld) -> Stage:
    with Session(world.engine) as session:
        return session.exec(select(Round.stage)).one()


def test_a_coordinator_launches_reminds_and_extends_from_the_console(world: RoundWorld):
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        asking = client.get(f"{ROUND}/launch")
        assert asking.status_code == 200
        assert "each of the 4 respondents gets their invitation" in asking.text
        assert stage_of(world) is Stage.draft  # asking changes nothing

        launched = console_post(client, f"{ROUND}/launch")
        assert launched.status_code == 303 and launched.headers["location"] == ROUND
        page = client.get(ROUND).text
        assert "Round fruehjahr-2027 launched:" in page and "4 invitations queued" in page
        assert stage_of(world) is Stage.submission
        assert len(world.received("Einladung") + world.received("Invitation")) == 4

        reminded = console_post(client, f"{ROUND}/remind")
        assert reminded.status_code == 303
        page = client.get(ROUND).text
        assert "4 reminders queued (self-assessment stage)." in page
        assert "Round advanced here" in page  # what followed: no deployment serves the round here

        refused = console_post(client, f"{ROUND}/extend", until_date="2020-01-01")
        assert refused.status_code == 303
        assert "The new deadline must be in the future." in client.get(ROUND).text
    with Session(world.engine) as session:
        actors = {event.actor for event in session.exec(select(AuditEvent))}
        assert f"{COORDINATOR} (console)" in actors
    with get_client(sync_client=True) as prefect:
        names = [run.name for run in prefect.read_flow_runs()]
    assert any(name.startswith("Round fruehjahr-2027 · launched") for name in names)
    assert any("reminders queued for 4" in name and f"{COORDINATOR} (console)" in name for name in names)


def test_an_observer_and_a_coordinator_of_another_round_change_nothing(world: RoundWorld):
    staff_member(world.engine, "andere@land.example", StaffRole.coordinator)
    with flow_console(world, logged_in_as=OBSERVER) as client:
        page = client.get(f"{ROUND}/launch")
        assert (
            page.status_code == 200
            and "not change anything" in page.text
            and '<button type="submit">Launch' not in page.text
        )
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        assert client.post(f"{ROUND}/launch", data={"csrf": csrf}).status_code == 403
    with flow_console(world, logged_in_as="andere@land.example") as client:
        assert client.get(ROUND).status_code == 404
        csrf = client.get("/console").text.split('name="csrf" value="')[1].split('"')[0]
        assert client.post(f"{ROUND}/launch", data={"csrf": csrf}).status_code == 404
    assert stage_of(world) is Stage.draft
    with Session(world.engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_a_coordinator_sends_a_link_again_reminds_one_person_and_withdraws_another(world: RoundWorld):
    from review_model.tables import Enrolment, Participant

    with Session(world.engine) as session:
        ids = {p.email.split("@")[0]: p.id for p in session.exec(select(Participant))}
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        console_post(client, f"{ROUND}/launch")
        person = f"{ROUND}/people/{ids['cara']}"
        assert "gets the message of the self-assessment stage again, with the same personal link" in client.get(
            f"{person}/resend-link").text  # fmt: skip
        resent = console_post(client, f"{person}/resend-link")
        assert resent.status_code == 303 and resent.headers["location"] == person
        page = client.get(person).text
        assert "The message of the self-assessment stage went out again with the same link." in page
        invitations = [m for m in world.received() if m.recipients[0].startswith("cara")]
        assert len(invitations) == 2 and link_in(invitations[0]) == link_in(invitations[1])

        console_post(client, f"{person}/remind")
        assert "1 reminder queued (self-assessment stage)." in client.get(person).text

        dora = f"{ROUND}/people/{ids['dora']}"
        withdrawn = console_post(client, f"{dora}/withdraw", reason="Der Landkreis ist ausgetreten")
        assert withdrawn.status_code == 303
        assert "Dora Roth (Landkreis Talbach) is withdrawn from the round" in client.get(dora).text
        console_post(client, f"{dora}/remind", page_path=f"{dora}/remind")
        assert "does not wait for this person: no reminder was sent" in client.get(dora).text
    with Session(world.engine) as session:
        enrolment = session.exec(select(Enrolment).where(Enrolment.participant_id == ids["dora"])).one()
        assert enrolment.withdrawn_by == f"{COORDINATOR} (console)"
        assert enrolment.withdrawal_reason == "Der Landkreis ist ausgetreten"


def test_an_administrator_erases_a_person_from_the_console_as_the_command_does(world: RoundWorld):
    from review_model.tables import Participant
    from tests.support.store_dump import mentions, store_dump

    staff_member(world.engine, "admin@peer-review.example", StaffRole.admin)
    with Session(world.engine) as session:
        dora = session.exec(select(Participant.id).where(Participant.email == "dora@talbach.example")).one()
    with flow_console(world, logged_in_as="admin@peer-review.example") as client:
        console_post(client, f"{ROUND}/launch")
        erased = console_post(client, f"{ROUND}/people/{dora}/erase")
        assert erased.status_code == 303
        page = client.get(f"{ROUND}/people/{dora}").text
        assert "The person is erased in 1 round: 1 links deleted, 1 messages emptied" in page
        assert "<h1>Erased person</h1>" in page
    assert mentions(store_dump(world.engine), "dora@talbach.example", "Dora Roth") == []
    with get_client(sync_client=True) as prefect:
        names = [run.name for run in prefect.read_flow_runs()]
    assert f"Participant {dora} erased in 1 round(s) (by admin@peer-review.example (console))" in names


def test_a_coordinator_records_the_adoption_from_the_console_as_the_command_does(world: RoundWorld):
    from datetime import date

    from tests.support.staged_rounds import bring_round_to

    bring_round_to(world.engine, world.round_id, Stage.drafting)
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        done = console_post(client, f"{ROUND}/adopt", adopted_by="Plenum", adopted_on="2026-11-20")
        assert done.status_code == 303
        assert "The adoption by Plenum on Friday 20 November 2026 is recorded." in client.get(ROUND).text
    with Session(world.engine) as session:
        round_ = session.exec(select(Round)).one()
        assert (round_.adopted_by, round_.adopted_on, round_.adoption_recorded_by) == (
            "Plenum", date(2026, 11, 20), f"{COORDINATOR} (console)")  # fmt: skip
