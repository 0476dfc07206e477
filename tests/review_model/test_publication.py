"""Who the published report's link goes to, counted by role, and where each reviewed party's reply stands."""

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.publication import ReplyState, party_replies, report_readers
from review_model.rounds import get_round
from review_model.tables import Enrolment, Participant
from review_model.vocabulary import Stage
from review_model.withdrawal import plan_withdrawal, withdraw
from tests.support.staged_rounds import bring_round_to, round_in_stage

DECISION_MAKERS = """email,name,organisation,organisation_kind,state,language,roles
referat@bund.example,Rita Referat,Bundesministerium,Bund,,de,decision-maker
"""


def enrolment_of(session: Session, email: str) -> Enrolment:
    return session.exec(
        select(Enrolment)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .where(Participant.email == email)
    ).one()


def test_the_readers_are_everyone_taking_part_whose_address_works_counted_under_each_role(engine: Engine):
    staged = round_in_stage(engine, Stage.draft)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        import_participants(session, round_, parse_participants(DECISION_MAKERS.encode()), "people.csv")
        session.commit()
    bring_round_to(engine, staged.round_id, Stage.comment, replies={"anna": "Wir widersprechen.", "ben": ""})
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        enrolment_of(session, "cara@elbstein.example").bounced_at = clock.now()
        enrolment_of(session, "anna@auenburg.example").opted_out_at = clock.now()  # the report is no reminder
        dora = enrolment_of(session, "dora@talbach.example")
        planned = plan_withdrawal(session, round_, dora.participant_id, "Die Organisation ist ausgetreten.")
        withdraw(session, planned, "test", "Die Organisation ist ausgetreten.", clock.now())
        session.commit()
        readers = report_readers(session, staged.round_id)
        replies = party_replies(session, staged.round_id)
    # Anna (who stopped her reminders), Ben and the ministry; Cara's address bounced;
    # Dora, withdrawn, is neither a reader nor unreachable.
    assert (readers.people, readers.respondents, readers.reviewers, readers.decision_makers) == (3, 2, 2, 1)
    assert readers.unreachable == 1
    # Dora sent no reply and was withdrawn: nobody waits for it, and it is not listed.
    assert [(r.organisation, r.state) for r in replies] == [
        ("Hansestadt Nordhaven", ReplyState.nothing_to_add),
        ("Stadt Auenburg", ReplyState.sent),
        ("Stadt Elbstein", ReplyState.none),
    ]
    assert replies[1].sent_at is not None and replies[2].sent_at is None and not replies[1].withdrawn


def test_a_withdrawn_party_that_replied_is_listed_as_withdrawn(engine: Engine):
    staged = round_in_stage(engine, Stage.comment, replies={"dora": "Unsere Sicht."})
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        dora = enrolment_of(session, "dora@talbach.example")
        planned = plan_withdrawal(session, round_, dora.participant_id, "Die Organisation ist ausgetreten.")
        withdraw(session, planned, "test", "Die Organisation ist ausgetreten.", clock.now())
        session.commit()
        [talbach] = [r for r in party_replies(session, staged.round_id) if r.organisation == "Landkreis Talbach"]
    assert talbach.state is ReplyState.sent and talbach.withdrawn
