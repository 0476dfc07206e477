"""The consensus stage: after review, each party's reviewers see one another's ratings (review_model.co_reviewers),
may revise their own (review_model.reviews keeps every version), comment on each point where they disagree,
and their lead (review_model.lead_reviewer) writes the joint assessment, which the others endorse or comment on.

Everything here may be changed until the consensus deadline, and only by a reviewer whose review was submitted.
Refusals name every reason (ConsensusRefused); a closed stage is ConsensusClosed, as a closed review form is.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from config.translations import N_
from review_model.co_reviewers import disputed_keys, reviewer_names
from review_model.questionnaire import Questionnaire
from review_model.refusals import Reason, Refused
from review_model.reviews import find_review
from review_model.tables import (
    AssessmentEndorsement,
    DisputedItemComment,
    JointAssessment,
    Review,
    ReviewAssignment,
    Round,
)
from review_model.tables.consensus import (
    ASSESSMENT_LENGTH,
    COMMENT_LENGTH,
    MAX_RECOMMENDATIONS,
    RECOMMENDATION_LENGTH,
)
from review_model.vocabulary import Stage


class ConsensusClosed(Exception):
    """The round is not in its consensus stage, or the stage's deadline has passed."""


class ConsensusRefused(Refused):
    """What was asked cannot be saved; `reasons` lists every reason."""


def consensus_open(round_: Round, now: datetime) -> bool:
    """Whether reviewers may revise, comment and endorse now."""
    return round_.stage is Stage.consensus and round_.consensus_deadline is not None and now < round_.consensus_deadline


def may_take_part(session: Session, assignment: ReviewAssignment) -> bool:
    """Whether the reviewer of `assignment` takes part in the party's consensus: their review was submitted."""
    assert assignment.id is not None
    review = find_review(session, assignment.id)
    return review is not None and review.is_submitted


def _refuse_unless_open(session: Session, round_: Round, assignment: ReviewAssignment, now: datetime) -> None:
    if not consensus_open(round_, now):
        raise ConsensusClosed
    if not may_take_part(session, assignment):
        raise ConsensusRefused([Reason(N_("only a reviewer who submitted their review takes part in consensus"))])


def save_item_comment(
    session: Session,
    round_: Round,
    questionnaire: Questionnaire,
    assignment: ReviewAssignment,
    item_id: str,
    text: str,
    now: datetime,
) -> DisputedItemComment | None:
    """Keep the reviewer's comment on one disputed item of their party (an empty text takes it back; None)."""
    _refuse_unless_open(session, round_, assignment, now)
    assert assignment.id is not None and round_.id is not None
    text = text.strip()
    reasons: list[str] = []
    if item_id not in disputed_keys(session, questionnaire, assignment.submission_id):
        reasons.append(Reason(N_("the reviewers do not disagree on that item")))
    if len(text) > COMMENT_LENGTH:
        reasons.append(Reason(N_("a comment has at most {limit} characters"), limit=COMMENT_LENGTH))
    if reasons:
        raise ConsensusRefused(reasons)
    comment = session.exec(
        select(DisputedItemComment).where(
            DisputedItemComment.assignment_id == assignment.id, DisputedItemComment.item_id == item_id
        )
    ).first()
    if not text:
        if comment is not None:
            session.delete(comment)
            session.flush()
        return None
    if comment is None:
        comment = DisputedItemComment(round_id=round_.id, assignment_id=assignment.id, item_id=item_id, text=text,
                                      created_at=now)  # fmt: skip
        session.add(comment)
    else:
        comment.text, comment.updated_at = text, now
    session.flush()
    return comment


@dataclass(frozen=True)
class AssessmentText:
    """What the lead writes: strengths, weaknesses and up to MAX_RECOMMENDATIONS recommendations to the party."""

    strengths: str = ""
    weaknesses: str = ""
    recommendations: tuple[str, ...] = field(default_factory=tuple)

    def cleaned(self) -> "AssessmentText":
        """The text with surrounding blanks and empty recommendations dropped."""
        return AssessmentText(self.strengths.strip(), self.weaknesses.strip(),
                              tuple(text.strip() for text in self.recommendations if text.strip()))  # fmt: skip


def assessment_problems(text: AssessmentText, *, final: bool) -> dict[str, Reason]:
    """What is wrong with a joint assessment, by field (strengths, weaknesses, recommendations, or
    recommendation-N); a draft may be incomplete, a submitted assessment names strengths, weaknesses and at
    least one recommendation."""
    problems: dict[str, Reason] = {}
    for name in ("strengths", "weaknesses"):
        value = getattr(text, name)
        if len(value) > ASSESSMENT_LENGTH:
            problems[name] = Reason(N_("at most {limit} characters"), limit=ASSESSMENT_LENGTH)
        elif final and not value:
            problems[name] = Reason(N_("required to submit the joint assessment"))
    if len(text.recommendations) > MAX_RECOMMENDATIONS:
        problems["recommendations"] = Reason(N_("at most {limit} recommendations"), limit=MAX_RECOMMENDATIONS)
    elif final and not text.recommendations:
        problems["recommendations"] = Reason(N_("at least one recommendation to the party"))
    for number, recommendation in enumerate(text.recommendations, 1):
        if len(recommendation) > RECOMMENDATION_LENGTH:
            problems[f"recommendation-{number}"] = Reason(N_("at most {limit} characters"),
                                                          limit=RECOMMENDATION_LENGTH)  # fmt: skip
    return problems


@dataclass(frozen=True)
class AssessmentSaved:
    assessment: JointAssessment
    first_submission: bool  # submitted now for the first time: the co-reviewers are told


def save_joint_assessment(
    session: Session, round_: Round, assignment: ReviewAssignment, text: AssessmentText, now: datetime, *,
    submit: bool,
) -> AssessmentSaved:  # fmt: skip
    """Keep the lead's joint assessment as a draft or submit it (again, until the deadline). ConsensusRefused
    when the reviewer is not the party's lead or the text has problems (assessment_problems)."""
    _refuse_unless_open(session, round_, assignment, now)
    assert assignment.id is not None and round_.id is not None
    text = text.cleaned()
    reasons: list[str] = []
    if not assignment.is_lead:
        reasons.append(Reason(N_("only the party's lead reviewer writes the joint assessment")))
    reasons.extend(assessment_problems(text, final=submit).values())
    if reasons:
        raise ConsensusRefused(reasons)
    assessment = joint_assessment_of(session, assignment.submission_id)
    if assessment is None:
        assessment = JointAssessment(round_id=round_.id, submission_id=assignment.submission_id,
                                     written_by_assignment_id=assignment.id, created_at=now)  # fmt: skip
        session.add(assessment)
    first = submit and assessment.submitted_at is None
    assessment.strengths, assessment.weaknesses = text.strengths, text.weaknesses
    assessment.recommendations = list(text.recommendations)
    assessment.written_by_assignment_id, assessment.updated_at = assignment.id, now
    if submit:
        assessment.submitted_at = now
    session.flush()
    return AssessmentSaved(assessment, first)


def save_endorsement(
    session: Session, round_: Round, assignment: ReviewAssignment, endorses: bool, comment: str, now: datetime
) -> AssessmentEndorsement:
    """Keep a co-reviewer's endorsement of the submitted joint assessment (or their dissent), with a comment;
    one per reviewer, changeable until the deadline."""
    _refuse_unless_open(session, round_, assignment, now)
    assert assignment.id is not None
    comment = comment.strip()
    assessment = joint_assessment_of(session, assignment.submission_id)
    reasons: list[str] = []
    if assignment.is_lead:
        reasons.append(Reason(N_("the lead reviewer writes the joint assessment and does not endorse it")))
    if assessment is None or assessment.submitted_at is None:
        reasons.append(Reason(N_("the joint assessment has not been submitted yet")))
    if len(comment) > COMMENT_LENGTH:
        reasons.append(Reason(N_("a comment has at most {limit} characters"), limit=COMMENT_LENGTH))
    if reasons:
        raise ConsensusRefused(reasons)
    assert assessment is not None and assessment.id is not None
    endorsement = session.exec(
        select(AssessmentEndorsement).where(
            AssessmentEndorsement.assessment_id == assessment.id, AssessmentEndorsement.assignment_id == assignment.id
        )
    ).first()
    if endorsement is None:
        endorsement = AssessmentEndorsement(assessment_id=assessment.id, assignment_id=assignment.id, created_at=now)
        session.add(endorsement)
    endorsement.endorses, endorsement.comment, endorsement.updated_at = endorses, comment, now
    session.flush()
    return endorsement


def joint_assessment_of(session: Session, submission_id: int) -> JointAssessment | None:
    """The party's joint assessment, draft or submitted."""
    return session.exec(select(JointAssessment).where(JointAssessment.submission_id == submission_id)).first()


def endorsements_of(session: Session, assessment_id: int) -> list[AssessmentEndorsement]:
    """The answers to a joint assessment, in the order of the reviewers' assignments."""
    return list(
        session.exec(
            select(AssessmentEndorsement)
            .where(AssessmentEndorsement.assessment_id == assessment_id)
            .order_by(col(AssessmentEndorsement.assignment_id))
        ).all()
    )


@dataclass(frozen=True)
class Answer:
    """A co-reviewer's answer to a joint assessment, the reviewer named as review_model.co_reviewers names them."""

    reviewer: str
    endorses: bool
    comment: str


@dataclass(frozen=True)
class AgreedAssessment:
    """A submitted joint assessment as the report and the reviewed party read it."""

    submission_id: int
    strengths: str
    weaknesses: str
    recommendations: tuple[str, ...]
    answers: tuple[Answer, ...]
    co_reviewers: int  # the party's other reviewers who took part (submitted a review)

    @property
    def endorsed_by(self) -> int:
        return sum(1 for answer in self.answers if answer.endorses)

    @property
    def comments(self) -> tuple[Answer, ...]:
        return tuple(answer for answer in self.answers if answer.comment)


def agreed_assessments(
    session: Session, round_: Round, language: str, submission_id: int | None = None
) -> dict[int, AgreedAssessment]:
    """Every submitted joint assessment of the round (or the one of `submission_id`), by submission, with the
    co-reviewers' answers (reviewers by pseudonym; by name only in an open review, see
    review_model.co_reviewers.reviewer_names)."""
    assert round_.id is not None
    statement = select(JointAssessment).where(
        JointAssessment.round_id == round_.id, col(JointAssessment.submitted_at).is_not(None)
    )
    if submission_id is not None:
        statement = statement.where(JointAssessment.submission_id == submission_id)
    assessments = session.exec(statement).all()
    if not assessments:
        return {}
    names = reviewer_names(session, round_, language)
    answers: dict[int, list[Answer]] = {}
    for endorsement in session.exec(
        select(AssessmentEndorsement)
        .join(JointAssessment, col(JointAssessment.id) == AssessmentEndorsement.assessment_id)
        .where(JointAssessment.round_id == round_.id)
        .order_by(col(AssessmentEndorsement.assignment_id))
    ).all():
        answers.setdefault(endorsement.assessment_id, []).append(
            Answer(names.get(endorsement.assignment_id, "—"), endorsement.endorses, endorsement.comment)
        )
    taking_part: dict[int, int] = {}
    for submission_id in session.exec(
        select(ReviewAssignment.submission_id)
        .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .where(ReviewAssignment.round_id == round_.id, Review.is_submitted, ~col(ReviewAssignment.is_lead))
    ).all():
        taking_part[submission_id] = taking_part.get(submission_id, 0) + 1
    return {
        assessment.submission_id: AgreedAssessment(
            assessment.submission_id, assessment.strengths, assessment.weaknesses, tuple(assessment.recommendations),
            tuple(answers.get(assessment.id or 0, ())), taking_part.get(assessment.submission_id, 0),
        )
        for assessment in assessments
    }  # fmt: skip
