"""Questions during the review: who may ask and answer, until when, every reason a refusal gives, what the
history records (ids, never the texts), the counts, and how the asker is named."""

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model import clock
from review_model.erasure import erase_person, plan_erasure
from review_model.personal_data import personal_data_of
from review_model.pseudonyms import reviewer_numbers
from review_model.questions import (
    MAX_QUESTION_LENGTH,
    QUESTION_ANSWERED,
    QUESTION_ASKED,
    QuestionRefused,
    answer_question,
    ask_question,
    askers,
    question_counts,
    questions_to,
    round_question_counts,
    takes_questions,
    unanswered_count,
)
from review_model.rounds import get_round
from review_model.tables import AuditEvent, Enrolment, ReviewAssignment, ReviewQuestion, Round, Submission
from review_model.vocabulary import Stage
from tests.support.staged_rounds import StagedRound, round_in_stage

ITEM = "verwaltung.ziele"


@pytest.fixture
def staged(engine: Engine) -> StagedRound:
    return round_in_stage(engine, Stage.review, parties=3, reviewers_per_party=2)


def _anna_and_a_reviewer(session: Session, staged: StagedRound) -> tuple[Round, Submission, Enrolment, list]:
    """The round, Anna's submission, Anna's enrolment and the confirmed assignments to review her, with
    each reviewer's enrolment, in assignment order."""
    round_ = get_round(session, staged.round_id)
    submission = session.exec(select(Submission).where(Submission.id == staged["anna"].submission_id)).one()
    anna = session.get(Enrolment, staged["anna"].enrolment_id)
    assert anna is not None
    assignments = session.exec(
        select(ReviewAssignment, Enrolment)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .where(ReviewAssignment.submission_id == submission.id)
        .order_by(col(ReviewAssignment.id))
    ).all()
    return round_, submission, anna, list(assignments)


def test_a_reviewer_asks_and_the_party_answers_and_changes_its_answer_until_the_deadline(engine, staged):
    with Session(engine, expire_on_commit=False) as session:
        round_, submission, anna, assignments = _anna_and_a_reviewer(session, staged)
        assignment, reviewer = assignments[0]
        now = clock.now()
        question = ask_question(session, round_, assignment, reviewer, ITEM, "  Wie viele Stellen?\r\nDanke ", now)
        general = ask_question(session, round_, assignment, reviewer, None, "Gibt es einen Haushaltsplan?", now)
        assert question.text == "Wie viele Stellen?\nDanke" and general.item_id is None
        assert unanswered_count(session, submission.id) == 2
        assert answer_question(session, round_, submission, anna, question, "Zwölf.", now + timedelta(hours=1))
        assert not answer_question(session, round_, submission, anna, question, "Zwölf.", now + timedelta(hours=2))
        assert answer_question(session, round_, submission, anna, question, "Dreizehn.", now + timedelta(hours=3))
        session.commit()
        assert question.answered_by_enrolment_id == anna.id and question.answered_at == now + timedelta(hours=3)
        assert [q.id for q in questions_to(session, submission.id)] == [question.id, general.id]
        assert question_counts(session, staged.round_id)[submission.id].asked == 2
        assert round_question_counts(session, staged.round_id).answered == 1
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.action).in_([QUESTION_ASKED, QUESTION_ANSWERED]))
        ).all()
    assert [event.action for event in events] == [QUESTION_ASKED, QUESTION_ASKED, QUESTION_ANSWERED, QUESTION_ANSWERED]
    texts = ("Stellen", "Haushalt", "Zwölf", "Dreizehn")
    assert not any(text in repr(event.details) for event in events for text in texts)  # ids only
    assert events[0].details == {"question": question.id, "assignment": assignment.id, "submission": submission.id}
    assert events[3].details["changed"] is True


def test_asking_is_refused_with_every_reason(engine, staged):
    with Session(engine) as session:
        round_, _submission, _anna, assignments = _anna_and_a_reviewer(session, staged)
        assignment, reviewer = assignments[0]
        reviewer.withdrawn_at = clock.now()
        with pytest.raises(QuestionRefused) as refused:
            ask_question(session, round_, assignment, reviewer, "no.such.item", "x" * (MAX_QUESTION_LENGTH + 1),
                         clock.now())  # fmt: skip
        assert refused.value.reasons == [
            "the reviewer was withdrawn from staged-round",
            "the questionnaire has no item no.such.item",
            f"the text is longer than {MAX_QUESTION_LENGTH} characters",
        ]
        other_assignment, _ = assignments[1]
        with pytest.raises(QuestionRefused) as refused:  # a reviewer asking with another's assignment
            ask_question(session, round_, other_assignment, reviewer, None, " ", clock.now())
        assert "the reviewer has no confirmed review of this party" in refused.value.reasons
        assert "the text is empty" in refused.value.reasons
        assert session.exec(select(ReviewQuestion)).all() == []


def test_questions_close_with_the_review_stage_and_its_deadline(engine, staged):
    with Session(engine) as session:
        round_, submission, anna, assignments = _anna_and_a_reviewer(session, staged)
        assignment, reviewer = assignments[0]
        question = ask_question(session, round_, assignment, reviewer, None, "Frage?", clock.now())
        assert takes_questions(round_, clock.now())
        late = round_.review_deadline
        assert not takes_questions(round_, late)
        with pytest.raises(QuestionRefused) as refused:
            answer_question(session, round_, submission, anna, question, "Antwort", late)
        assert refused.value.reasons[0].startswith("the deadline for questions passed on")
        round_.stage = Stage.consolidation
        with pytest.raises(QuestionRefused) as refused:
            ask_question(session, round_, assignment, reviewer, None, "Noch eine?", clock.now())
        assert refused.value.reasons == [
            "round staged-round is in stage consolidation: questions are asked and answered in review"
        ]


def test_only_the_reviewed_partys_respondent_answers(engine, staged):
    with Session(engine) as session:
        round_, submission, _anna, assignments = _anna_and_a_reviewer(session, staged)
        assignment, reviewer = assignments[0]
        question = ask_question(session, round_, assignment, reviewer, None, "Frage?", clock.now())
        with pytest.raises(QuestionRefused) as refused:
            answer_question(session, round_, submission, reviewer, question, "Ich antworte für Anna.", clock.now())
        assert refused.value.reasons == ["only the reviewed party's respondent answers its questions"]
        assert question.answer is None


def test_the_asker_is_a_number_of_the_party_in_a_closed_round_and_named_in_an_open_review(engine, staged):
    with Session(engine) as session:
        round_, _submission, _anna, assignments = _anna_and_a_reviewer(session, staged)
        (first, first_reviewer), (second, second_reviewer) = assignments
        with freeze_time(clock.now()):
            asked = [
                ask_question(session, round_, second, second_reviewer, None, "Frage eins?", clock.now()),
                ask_question(session, round_, first, first_reviewer, ITEM, "Frage zwei?", clock.now()),
            ]
        shown = askers(session, round_, asked, "en")
        assert [shown[q.id] for q in asked] == ["Reviewer 2", "Reviewer 1"]
        numbers = reviewer_numbers(session, staged.round_id)  # the numbers the report and the sheets give
        assert shown[asked[0].id] == f"Reviewer {numbers[second.id]}"
        assert askers(session, round_, asked, "de")[asked[0].id] == "Gutachter:in 2"
        round_.open_review = True
        named = askers(session, round_, asked, "en")
        names = {staged[who].enrolment_id: staged[who].name for who in ("anna", "ben", "cara")}
        assert named[asked[0].id] == names[second_reviewer.id]


def test_the_right_of_access_shows_the_questions_a_person_asked_and_answered(engine, staged):
    with Session(engine) as session:
        round_, submission, anna, assignments = _anna_and_a_reviewer(session, staged)
        assignment, reviewer = assignments[0]
        question = ask_question(session, round_, assignment, reviewer, ITEM, "Wie viele Stellen?", clock.now())
        answer_question(session, round_, submission, anna, question, "Zwölf.", clock.now())
        session.commit()
        asked = personal_data_of(session, reviewer.participant_id).review_questions
        answered = personal_data_of(session, anna.participant_id).review_questions
    assert [(q.role, q.reviewed_organisation, q.question, q.answer) for q in asked] == [
        ("asked", "Stadt Auenburg", "Wie viele Stellen?", "Zwölf.")
    ]
    assert [(q.role, q.about) for q in answered] == [("answered", ITEM)]


def test_an_erased_asker_is_shown_by_number_even_in_an_open_review_and_the_question_stays(engine, staged):
    with Session(engine, expire_on_commit=False) as session:
        round_, _submission, _anna, assignments = _anna_and_a_reviewer(session, staged)
        assignment, reviewer = assignments[0]
        question = ask_question(session, round_, assignment, reviewer, None, "Frage?", clock.now())
        round_.open_review = True
        session.commit()
        erase_person(session, plan_erasure(session, reviewer.participant_id), "test", clock.now())
        session.commit()
        kept = session.get(ReviewQuestion, question.id)
        assert kept is not None and kept.text == "Frage?"
        assert askers(session, get_round(session, staged.round_id), [kept], "en") == {question.id: "Reviewer 1"}
