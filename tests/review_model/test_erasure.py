"""Erasing a person: nothing of their name or address is left anywhere in the store, what their organisation
did stays, and a running round goes on without them."""

import pytest
from sqlmodel import Session, col, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import compose_message
from notifications.message_kinds import Reminder
from notifications.outbox import claim_batch, enqueue_messages, record_outcomes
from review_model import clock
from review_model.audit_trail import record_event
from review_model.erasure import ErasureRefused, erase_person, plan_erasure
from review_model.round_lock import lock_round
from review_model.rounds import get_round
from review_model.tables import (
    AccessToken,
    AuditEvent,
    ConflictDeclaration,
    Enrolment,
    Organisation,
    OutboxMessage,
    Participant,
    Review,
    Submission,
)
from review_model.vocabulary import Stage
from tests.support.staged_actions import participant_of
from tests.support.staged_rounds import factory_context, round_in_stage
from tests.support.store_dump import mentions, store_dump

ANNA = ("anna@auenburg.example", "Anna Keller")


def _reminders_to(engine, staged, who: str, count: int) -> None:
    """Real reminders to the person (their name in the To header and the greeting), the first `count - 1`
    sent (the last with the server naming the address in its reply), the last still queued."""
    context, now = factory_context(engine), clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        person = session.get(Participant, participant_of(engine, staged, who))
        recipient = recipient_for(person, session.get(Organisation, person.organisation_id))
        messages = [
            compose_message(Reminder(link=f"https://portal.example/a/{number}", deadline=round_.submission_deadline,
                                     number=number, total=count, days_left=3),
                            recipient, round_context(round_), context.sender, stage="submission", now=now,
                            sequence=number)
            for number in range(1, count + 1)
        ]  # fmt: skip
        enqueue_messages(session, messages, now)
        session.commit()
    claimed = claim_batch(engine, "test worker", count - 1, now)
    record_outcomes(engine, "test worker", [m.id for m in claimed], [], [], now)


def _erase(engine, participant_id: int, actor: str = "coordinator"):
    with Session(engine) as session:
        planned = plan_erasure(session, participant_id)
        for round_id in planned.round_ids:
            lock_round(session, round_id)
        erased = erase_person(session, planned, actor, clock.now())
        session.commit()
    return planned, erased


def test_after_erasure_no_table_holds_the_persons_name_or_address_and_their_organisations_work_stays(engine):
    staged = round_in_stage(engine, Stage.review, reviewed=["ben"])
    anna = participant_of(engine, staged, "anna")
    _reminders_to(engine, staged, "anna", 3)
    with Session(engine) as session:
        session.add(ConflictDeclaration(participant_id=anna, organisation_id=session.exec(
            select(Organisation.id).where(Organisation.name == "Stadt Elbstein")).one(),
            note="Anna Keller worked in Elbstein until 2026"))  # fmt: skip
        record_event(session, staged.round_id, ANNA[0], "link opened", who=ANNA[1], note=f"asked by {ANNA[0]}")
        record_event(session, None, "coordinator", "address corrected", old="ANNA@auenburg.example")
        session.commit()
    assert mentions(store_dump(engine), *ANNA)  # the search finds what is there

    planned, erased = _erase(engine, anna)

    assert mentions(store_dump(engine), *ANNA) == []
    assert planned.withdrawn_from == (staged.slug,) and erased.withdrawn_from == (staged.slug,)
    assert erased.messages_dropped == 1 and erased.messages_emptied == 2 and erased.links_deleted >= 1
    with Session(engine) as session:
        person = session.get(Participant, anna)
        assert person.erased_at is not None and person.name == "" and person.email.endswith("@erased.invalid")
        # Her organisation's self-assessment stays, attributed to the organisation through her record.
        submission = session.exec(select(Submission).where(Submission.enrolment_id == staged["anna"].enrolment_id))
        assert submission.one().is_submitted
        assert session.get(Organisation, person.organisation_id).name == "Stadt Auenburg"
        enrolment = session.get(Enrolment, staged["anna"].enrolment_id)
        assert enrolment.withdrawn_at is not None  # the running round waits for her no longer
        assert session.exec(select(AccessToken).where(AccessToken.enrolment_id == enrolment.id)).all() == []
        assert session.exec(select(ConflictDeclaration)).all() == []
        assert all(m.payload == b"" for m in session.exec(
            select(OutboxMessage).where(OutboxMessage.recipient_participant_id == anna)))  # fmt: skip
        erasures = session.exec(select(AuditEvent).where(AuditEvent.action == "person erased")).all()
        assert [(e.round_id, e.details) for e in erasures] == [(staged.round_id, {})]  # that it happened, not whom
        # The others are untouched.
        ben = session.get(Participant, participant_of(engine, staged, "ben"))
        assert (ben.name, ben.email, ben.erased_at) == ("Ben Hansen", "ben@nordhaven.example", None)
        assert session.exec(select(Review).where(col(Review.submitted_at).is_not(None))).all()


def test_a_person_is_erased_once_and_an_unknown_address_is_refused(engine):
    staged = round_in_stage(engine, Stage.submission)
    anna = participant_of(engine, staged, "anna")
    _erase(engine, anna)
    with Session(engine) as session, pytest.raises(ErasureRefused) as refused:
        plan_erasure(session, anna, who="anna")
    assert refused.value.reasons[0].startswith("anna was erased already, on ")
    with Session(engine) as session, pytest.raises(ErasureRefused) as refused:
        plan_erasure(session, None, who="nobody@x.example")
    assert refused.value.reasons == ["there is nobody with the address nobody@x.example"]


def test_a_short_name_is_not_cut_out_of_other_words(engine):
    staged = round_in_stage(engine, Stage.submission)
    with Session(engine) as session:
        person = session.get(Participant, participant_of(engine, staged, "cara"))
        person.name = "Al"
        record_event(session, staged.round_id, "coordinator", "note", text="Alle Unterlagen liegen vor")
        session.commit()
        cara = person.id
    _erase(engine, cara)
    with Session(engine) as session:
        notes = session.exec(select(AuditEvent.details).where(AuditEvent.action == "note")).all()
    assert notes == [{"text": "Alle Unterlagen liegen vor"}]


def test_every_place_the_right_of_access_reads_has_a_decision_in_the_erasure():
    from review_model.erasure import WHAT_ERASURE_DOES
    from review_model.personal_data import PERSONAL_DATA

    assert [place.table for place in PERSONAL_DATA] == list(WHAT_ERASURE_DOES)
