"""A round in its comment stage where Anna has done everything a person can: answered (in three versions),
reviewed two parties, replied, declared a conflict and a wish, been written to in several kinds of email (each
with her personal links in it), and been named in the history; others had mail and history entries too."""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import OutgoingMessage, compose_message
from notifications.message_kinds import (
    CommentInvitation,
    Invitation,
    MessageContent,
    Reminder,
    ReviewRequest,
    ReviewTask,
)
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.audit_trail import record_event
from review_model.questionnaire import Questionnaire
from review_model.rounds import get_round
from review_model.submissions import submit_answers
from review_model.tables import (
    AccessToken,
    ConflictDeclaration,
    Enrolment,
    Organisation,
    Participant,
    ReviewPreference,
)
from review_model.tokens import derive_token
from review_model.vocabulary import Stage
from tests.support.round_world import PUBLIC_BASE_URL, SECRET, stage_context
from tests.support.staged_actions import deliver, participant_of
from tests.support.staged_rounds import StagedRound, bring_round_to, round_in_stage
from tests.support.stored_answers import stored_answers

ANNAS_REPLY = "Wir danken für die Hinweise; die Plattform geht 2027 in Betrieb."
ANNAS_KINDS = ["invitation", "reminder", "review_request", "comment_invitation", "reminder", "reply_receipt"]


@dataclass
class AnnasRound:
    staged: StagedRound
    anna: int  # her participant id

    def secrets(self, engine: Engine) -> list[str]:
        """Every link's token, nonce and token hash in the store: none may appear in an export."""
        with Session(engine) as session:
            links = session.exec(select(AccessToken)).all()
        return [value for a in links for value in (derive_token(SECRET.encode(), a.nonce), a.nonce, a.token_hash)]

    def others(self, engine: Engine) -> list[str]:
        """The name and address of everyone but Anna."""
        with Session(engine) as session:
            people = session.exec(select(Participant).where(Participant.id != self.anna)).all()
        return [value for person in people for value in (person.name, person.email)]


def annas_round(engine: Engine) -> AnnasRound:
    staged = round_in_stage(engine, Stage.submission, submitted=["anna"])
    with Session(engine) as session:  # a second version before the deadline
        round_ = get_round(session, staged.round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        submit_answers(session, round_, session.get(Enrolment, staged["anna"].enrolment_id),
                       stored_answers(questionnaire, 3), clock.now())  # fmt: skip
        session.commit()
    # everyone submits on the way through: Anna's third version
    staged = bring_round_to(engine, staged.round_id, Stage.comment, replies={"anna": ANNAS_REPLY},
                            review_comments={})  # fmt: skip
    anna, ben, dora = (participant_of(engine, staged, who) for who in ("anna", "ben", "dora"))
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        person = session.get(Participant, anna)
        organisation = session.get(Organisation, person.organisation_id)
        others = {name: oid for oid, name in session.exec(select(Organisation.id, Organisation.name)).all()}
        session.add(ConflictDeclaration(participant_id=anna, organisation_id=others["Landkreis Talbach"],
                                        note="Kooperationsvertrag seit 2024"))  # fmt: skip
        session.add(ReviewPreference(participant_id=anna, organisation_id=others["Stadt Elbstein"]))
        url = f"{PUBLIC_BASE_URL}{staged['anna'].form}"
        review_tasks = tuple(ReviewTask(org, PUBLIC_BASE_URL + path) for org, path in staged["anna"].reviews.items())
        deadline = round_.submission_deadline
        contents: list[MessageContent] = [
            Invitation(url, deadline, Questionnaire.model_validate(round_.questionnaire_snapshot).title, 12),
            Reminder(url, deadline, 1, 3, 7),
            ReviewRequest(round_.review_deadline, review_tasks),
            CommentInvitation(f"{PUBLIC_BASE_URL}{staged['anna'].reply}", round_.comment_deadline, 5, 2),
            Reminder(url, deadline, 2, 3, 3),
        ]
        context = round_context(round_)
        sender = stage_context(engine, 1).sender
        messages = [compose_message(content, recipient_for(person, organisation), context, sender, stage="test",
                                    now=now, sequence=number) for number, content in enumerate(contents)]  # fmt: skip
        ben_person = session.get(Participant, ben)
        to_ben = compose_message(contents[0], recipient_for(ben_person, None), context, sender, stage="test", now=now)
        record_event(session, round_.id, "kim@land.example", "reviewer swapped", submission=1,
                     reviewed="Stadt Elbstein", removed=person.email, added=ben_person.email)  # fmt: skip
        record_event(session, round_.id, "kim@land.example", "link sent again", participant=anna, kind="invitation",
                     links=1, queued=1)  # fmt: skip
        record_event(session, round_.id, "kim@land.example", "links revoked", participant=dora, links=1,
                     reason="Adresse falsch")  # fmt: skip
        session.commit()
    deliver(engine, [*messages[:3], to_ben], refused=set(), at=now)  # sent; the others stay queued
    with Session(engine) as session:
        enqueue_messages(session, messages[3:], now + timedelta(minutes=1))
        unbuilt = OutgoingMessage("unbuilt", "<unbuilt@x.invalid>", staged.round_id, "reply_receipt",
                                  staged["anna"].email, anna, "", b"", error="could not be built")  # fmt: skip
        enqueue_messages(session, [unbuilt], now + timedelta(minutes=2))
        session.commit()
    return AnnasRound(staged, anna)


TOKEN = re.compile(r"/[acr]/[A-Za-z0-9_-]{43}")
