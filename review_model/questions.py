"""Questions during the review: a reviewer asks the reviewed party about one item of its self-assessment, or
about it as a whole, and the party answers.

Who may ask: a reviewer with a confirmed assignment to the party, not withdrawn, while the round takes
questions (`QUESTION_STAGES`, until the stage's deadline). Who answers: the party's respondent (the enrolment
whose submission it is), until the same deadline; an answer may be changed until then, each change recorded.
Every reviewer of the party sees every question and answer beside the items; the asker is shown as "Reviewer
2" of the party (review_model.pseudonyms), by name only in an open review. The audit trail records that a
question was asked or answered, with ids only: the texts are the organisations' words and stay in their
table.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, type_coerce
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.audit_trail import record_event
from review_model.column_types import UTCDateTime
from review_model.pseudonyms import reviewer_numbers_of, reviewer_pseudonym
from review_model.questionnaire import Questionnaire
from review_model.refusals import Reason, Refused
from review_model.reminder_opt_out import person_actor
from review_model.reminders import reminder_times
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    ReviewAssignment,
    ReviewQuestion,
    Round,
    Submission,
)
from review_model.vocabulary import Stage
from review_model.wide_select import select_columns

MAX_QUESTION_LENGTH = 2000
MAX_ANSWER_LENGTH = 5000
QUESTION_ASKED = "question asked"
QUESTION_ANSWERED = "question answered"

# The stages in which reviewers may ask and parties answer, each with the deadline that ends it. A later
# stage of the review (a consensus among a party's reviewers, say) joins here with its own deadline.
QUESTION_STAGES = {Stage.review: lambda round_: round_.review_deadline}


class QuestionRefused(Refused):
    """A question cannot be asked or answered; `reasons` lists every reason found."""


def questions_close_at(round_: Round) -> datetime | None:
    """Until when the round's current stage takes questions and answers; None: it takes none."""
    deadline_of = QUESTION_STAGES.get(round_.stage)
    return deadline_of(round_) if deadline_of is not None else None


def takes_questions(round_: Round, now: datetime) -> bool:
    """Whether reviewers may ask, and parties answer, now."""
    closes = questions_close_at(round_)
    return closes is not None and now < closes


def _stage_problems(round_: Round, now: datetime) -> list[str]:
    closes = questions_close_at(round_)
    if closes is None:
        return [Reason(N_("round {slug} is in stage {stage}: questions are asked and answered in {review}"),
                       slug=round_.slug, stage=round_.stage, review=Stage.review)]  # fmt: skip
    if now >= closes:
        return [Reason(N_("the deadline for questions passed on {when} UTC"), when=f"{closes:%Y-%m-%d %H:%M}")]
    return []


def _text_problems(text: str, limit: int) -> list[str]:
    if not text.strip():
        return [Reason(N_("the text is empty"))]
    problems: list[str] = []
    if len(text) > limit:
        problems.append(Reason(N_("the text is longer than {limit} characters"), limit=limit))
    if "\x00" in text:
        problems.append(Reason(N_("the text contains a NUL character")))
    return problems


def clean_text(raw: str) -> str:
    """A text as stored: the browser's CRLF line breaks as plain newlines, outer white space trimmed."""
    return raw.replace("\r\n", "\n").strip()


def ask_problems(
    round_: Round,
    assignment: ReviewAssignment,
    reviewer: Enrolment,
    questionnaire: Questionnaire,
    item_id: str | None,
    text: str,
    now: datetime,
) -> list[str]:
    """Every reason why this reviewer cannot ask this question now; empty when they can."""
    reasons = _stage_problems(round_, now)
    if assignment.confirmed_at is None or assignment.reviewer_enrolment_id != reviewer.id:
        reasons.append(Reason(N_("the reviewer has no confirmed review of this party")))
    if reviewer.withdrawn_at is not None:
        reasons.append(Reason(N_("the reviewer was withdrawn from {slug}"), slug=round_.slug))
    if item_id is not None and item_id not in {item.id for _, item in questionnaire.items()}:
        reasons.append(Reason(N_("the questionnaire has no item {item}"), item=item_id))
    return reasons + _text_problems(text, MAX_QUESTION_LENGTH)


def ask_question(
    session: Session,
    round_: Round,
    assignment: ReviewAssignment,
    reviewer: Enrolment,
    item_id: str | None,
    text: str,
    now: datetime,
) -> ReviewQuestion:
    """Keep the reviewer's question to the party they review, in the caller's transaction, and record it;
    QuestionRefused with every reason when it cannot be asked."""
    text = clean_text(text)
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    reasons = ask_problems(round_, assignment, reviewer, questionnaire, item_id, text, now)
    if reasons:
        raise QuestionRefused(reasons)
    assert round_.id is not None and assignment.id is not None
    question = ReviewQuestion(round_id=round_.id, submission_id=assignment.submission_id,
                              assignment_id=assignment.id, item_id=item_id, text=text, asked_at=now)  # fmt: skip
    session.add(question)
    session.flush()
    record_event(session, round_.id, person_actor(reviewer.participant_id), QUESTION_ASKED, question=question.id,
                 assignment=assignment.id, submission=assignment.submission_id)  # fmt: skip
    return question


def answer_problems(
    round_: Round, submission: Submission, answerer: Enrolment, question: ReviewQuestion, text: str, now: datetime
) -> list[str]:
    """Every reason why this person cannot give this answer now; empty when they can."""
    reasons = _stage_problems(round_, now)
    if question.submission_id != submission.id or submission.enrolment_id != answerer.id:
        reasons.append(Reason(N_("only the reviewed party's respondent answers its questions")))
    if answerer.withdrawn_at is not None:
        reasons.append(Reason(N_("the respondent was withdrawn from {slug}"), slug=round_.slug))
    return reasons + _text_problems(text, MAX_ANSWER_LENGTH)


def answer_question(
    session: Session,
    round_: Round,
    submission: Submission,
    answerer: Enrolment,
    question: ReviewQuestion,
    text: str,
    now: datetime,
) -> bool:
    """Keep the party's answer (a first one, or a change until the deadline), in the caller's transaction;
    returns whether it changed. QuestionRefused with every reason when it cannot be given."""
    text = clean_text(text)
    reasons = answer_problems(round_, submission, answerer, question, text, now)
    if reasons:
        raise QuestionRefused(reasons)
    if question.answer == text:
        return False
    first = question.answer is None
    question.answer, question.answered_at, question.answered_by_enrolment_id = text, now, answerer.id
    session.add(question)
    session.flush()
    record_event(session, round_.id, person_actor(answerer.participant_id), QUESTION_ANSWERED, question=question.id,
                 submission=submission.id, changed=not first)  # fmt: skip
    return True


def questions_to(session: Session, submission_id: int) -> list[ReviewQuestion]:
    """The questions asked of one party, oldest first."""
    return list(
        session.exec(
            select(ReviewQuestion)
            .where(ReviewQuestion.submission_id == submission_id)
            .order_by(col(ReviewQuestion.asked_at), col(ReviewQuestion.id))
        ).all()
    )


def unanswered_count(session: Session, submission_id: int) -> int:
    """How many of the party's questions have no answer yet."""
    return int(
        session.exec(
            select(func.count())
            .select_from(ReviewQuestion)
            .where(ReviewQuestion.submission_id == submission_id, col(ReviewQuestion.answer).is_(None))
        ).one()
    )


@dataclass(frozen=True)
class QuestionCounts:
    """A party's questions: how many were asked, and how many of them answered."""

    asked: int = 0
    answered: int = 0


def question_counts(session: Session, round_id: int) -> dict[int, QuestionCounts]:
    """Each party's questions asked and answered, by submission id (parties asked nothing are left out)."""
    return {
        submission_id: QuestionCounts(int(asked), int(answered or 0))
        for submission_id, asked, answered in session.exec(
            select(
                ReviewQuestion.submission_id,
                func.count(),
                func.count(col(ReviewQuestion.answered_at)),
            )
            .where(ReviewQuestion.round_id == round_id)
            .group_by(col(ReviewQuestion.submission_id))
        ).all()
    }


def question_counts_by_organisation(session: Session, round_id: int) -> dict[int, QuestionCounts]:
    """Each reviewed organisation's questions asked and answered, by organisation id (as the console lists
    the parties)."""
    return {
        organisation_id: QuestionCounts(int(asked), int(answered or 0))
        for organisation_id, asked, answered in session.exec(
            select(Participant.organisation_id, func.count(), func.count(col(ReviewQuestion.answered_at)))
            .select_from(ReviewQuestion)
            .join(Submission, col(Submission.id) == ReviewQuestion.submission_id)
            .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .where(ReviewQuestion.round_id == round_id)
            .group_by(col(Participant.organisation_id))
        ).all()
    }


def round_question_counts(session: Session, round_id: int) -> QuestionCounts:
    """The round's questions asked and answered, for the report's method section."""
    counts = question_counts(session, round_id).values()
    return QuestionCounts(sum(c.asked for c in counts), sum(c.answered for c in counts))


def askers(session: Session, round_: Round, questions: Iterable[ReviewQuestion], language: str) -> dict[int, str]:
    """How each question's asker is shown, by question id: "Reviewer 2" of the party (the number
    review_model.pseudonyms gives), or in an open review the reviewer's name (an erased reviewer by their
    number, as the report names them). Reads the assignments of the parties asked only: the review form, a
    page read often, shows one party's questions."""
    asked = list(questions)
    if not asked:
        return {}
    numbers = reviewer_numbers_of(session, {question.submission_id for question in asked})
    names: dict[int, tuple[str, datetime | None]] = {}
    if round_.open_review:
        names = {
            assignment_id: (name, erased_at)
            for assignment_id, name, erased_at in session.exec(
                select(ReviewAssignment.id, Participant.name, Participant.erased_at)
                .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
                .join(Participant, col(Participant.id) == Enrolment.participant_id)
                .where(col(ReviewAssignment.id).in_(sorted({question.assignment_id for question in asked})))
            ).all()
            if assignment_id is not None
        }
    shown: dict[int, str] = {}
    for question in asked:
        assert question.id is not None
        name, erased_at = names.get(question.assignment_id, ("", None))
        if name and erased_at is None:
            shown[question.id] = name
        else:
            shown[question.id] = reviewer_pseudonym(language, numbers.get(question.assignment_id, 0))
    return shown


@dataclass(frozen=True)
class WaitingParty:
    """A reviewed party with questions not answered yet: its respondent, and since when the oldest waits."""

    submission_id: int
    enrolment: Enrolment
    participant: Participant
    organisation: Organisation
    waiting: int
    oldest: datetime


def parties_waiting(session: Session, round_id: int) -> list[WaitingParty]:
    """The round's parties with unanswered questions whose respondent takes part and whose address works."""
    statement = (
        select_columns(
            ReviewQuestion.submission_id,
            Enrolment,
            Participant,
            Organisation,
            func.count(),
            # The aggregate keeps the column's type, so SQLite's text comes back as a moment in UTC.
            type_coerce(func.min(col(ReviewQuestion.asked_at)), UTCDateTime),
        )
        .select_from(ReviewQuestion)
        .join(Submission, col(Submission.id) == ReviewQuestion.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewQuestion.round_id == round_id, col(ReviewQuestion.answer).is_(None))
        .where(col(Enrolment.withdrawn_at).is_(None), col(Enrolment.bounced_at).is_(None))
        .group_by(col(ReviewQuestion.submission_id), col(Enrolment.id), col(Participant.id), col(Organisation.id))
        .order_by(col(ReviewQuestion.submission_id))
    )
    return [
        WaitingParty(submission_id, enrolment, participant, organisation, int(waiting), oldest)
        for submission_id, enrolment, participant, organisation, waiting, oldest in session.exec(statement).all()
    ]


def question_reminder_number(round_: Round, oldest: datetime, now: datetime) -> int | None:
    """The number of the reminder due now to a party whose oldest unanswered question was asked at `oldest`,
    or None. The round's reminder days before the questions close are the reminder times; a party is reminded
    at a time only if a question waited before it (a question asked minutes ago is not reminded at once), and
    each number goes out once per party (its message's key holds it), at most the round's `max_reminders`."""
    closes = questions_close_at(round_)
    if closes is None or now >= closes:
        return None
    passed = [moment for moment in reminder_times(closes, round_.reminder_days_before) if moment <= now]
    if not passed or passed[-1] <= oldest:
        return None
    return min(len(passed), round_.max_reminders) or None


def party_respondent(session: Session, submission_id: int) -> tuple[Submission, Enrolment, Participant]:
    """The reviewed party's submission and its respondent, who is told of questions and answers them."""
    submission, enrolment, participant = session.exec(
        select(Submission, Enrolment, Participant)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .where(Submission.id == submission_id)
    ).one()
    return submission, enrolment, participant
