"""Publishing from the console runs as `spr round close-stage --publish-now` does: the comment stage's early
close, as a flow run, with the report kept and its link queued for exactly the people the confirming page
counted; before every party has replied, nothing is published."""

from datetime import timedelta

from prefect.client.orchestration import get_client
from sqlmodel import Session, select

from notifications.message_kinds import ReportPublished
from review_model import clock
from review_model.tables import Enrolment, OutboxMessage, Participant, PublishedReport, Round
from review_model.vocabulary import Stage
from tests.support.console import flow_console
from tests.support.round_world import COORDINATOR, RoundWorld
from tests.support.staff import form_csrf
from tests.support.staged_rounds import bring_round_to

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/fruehjahr-2027"
EVERYONE_REPLIED = {"anna": "Wir widersprechen.", "ben": "", "cara": "Danke.", "dora": ""}


def stage_of(world: RoundWorld) -> Stage:
    with Session(world.engine) as session:
        return session.exec(select(Round.stage)).one()


def announcements(world: RoundWorld) -> int:
    with Session(world.engine) as session:
        return len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == ReportPublished.kind)).all())


def test_publishing_now_sends_the_link_to_exactly_the_people_the_page_counted(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.comment, replies=EVERYONE_REPLIED)
    with Session(world.engine) as session:  # a planned date ahead, which publishing now waives
        round_ = session.get(Round, world.round_id)
        round_.publication_at = round_.comment_deadline + timedelta(days=7)
        cara = session.exec(select(Participant.id).where(Participant.email == "cara@elbstein.example")).one()
        session.exec(select(Enrolment).where(Enrolment.participant_id == cara)).one().bounced_at = clock.now()
        dora = session.exec(select(Participant.id).where(Participant.email == "dora@talbach.example")).one()
        session.exec(select(Enrolment).where(Enrolment.participant_id == dora)).one().opted_out_at = clock.now()
        session.commit()
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        asking = client.get(f"{ROUND}/publish")
        assert "An email with the report&#39;s link goes to 3 people" in asking.text
        assert "1 person of the round gets no email" in asking.text
        assert stage_of(world) is Stage.comment and announcements(world) == 0  # asking changes nothing

        done = client.post(f"{ROUND}/publish", data={"csrf": form_csrf(asking.text)}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"{ROUND}/publication"
        page = client.get(f"{ROUND}/publication").text
        assert "The right of reply stage is closed; the round is in the publication stage now." in page
        assert "The report was published on" in page
        assert 'href="/reports/fruehjahr-2027/report.html?lang=de"' in page
        assert client.get("/reports/fruehjahr-2027/report.html?lang=en").status_code == 200
    assert stage_of(world) is Stage.published
    assert announcements(world) == 3
    with Session(world.engine) as session:
        assert session.exec(select(PublishedReport.id)).first() is not None
        announced = select(OutboxMessage.recipient_email).where(OutboxMessage.kind == ReportPublished.kind)
        assert "dora@talbach.example" in session.exec(announced).all()  # she stopped her reminders; the report is none
    with get_client(sync_client=True) as prefect:
        names = [run.name for run in prefect.read_flow_runs()]
    assert any("comment stage closed early" in name and f"{COORDINATOR} (console)" in name for name in names)


def test_nothing_is_published_while_a_party_may_still_reply(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.comment, replies={"anna": "Wir widersprechen."})
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        page = client.get(f"{ROUND}/publication").text
        refused = client.post(f"{ROUND}/publish", data={"csrf": form_csrf(page)})
        assert "the right of reply runs until" in refused.text and "3 reviewed parties have not replied" in refused.text
    assert stage_of(world) is Stage.comment and announcements(world) == 0
