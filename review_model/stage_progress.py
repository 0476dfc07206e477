"""How far the running stage has come, for the progress bar and the counts beside it on the console's round page.

The self-assessment's counts are `participation`'s and the counts the stage rules decide on are
`round_progress`'s, as `spr status` shows them; only what neither counts is read here (reviews opened and
drafted, the reviewers' reminders and bounces, the withdrawn), in a small query each.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Integer, case, cast, exists, func
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import Session, col, select

from review_model.participation import Participation, participation
from review_model.rounds import get_round, round_progress
from review_model.stage_rules import STAGE_ORDER, RoundProgress
from review_model.tables import AccessToken, Enrolment, Review, ReviewAssignment, Submission
from review_model.vocabulary import Stage, TokenPurpose
from review_model.wide_select import select_columns


class ProgressMeasure(StrEnum):
    """What the progress bar counts: the work the running stage waits for."""

    self_assessments = "self_assessments"
    reviews = "reviews"
    joint_assessments = "joint_assessments"
    replies = "replies"


@dataclass(frozen=True)
class ReviewCounts:
    """The confirmed review assignments and where their reviews stand. `due` and `submitted` are the stage
    rules' counts (a withdrawn reviewer's open review is not due); `reviewers` are the people assigned."""

    assigned: int
    opened: int
    drafted: int
    submitted: int
    due: int
    reviewers: int
    reminders: int
    bounced: int


@dataclass(frozen=True)
class ReplyCounts:
    """The reviewed parties' right of reply: sent, still awaited, and the reminders to reply."""

    sent: int
    pending: int
    reminders: int


@dataclass(frozen=True)
class StageProgress:
    """The round's stage and its progress bar (`done` of `total` in `measure`; 0 of 0 and no measure in a
    stage nobody answers in), with the counts of the self-assessment, of the reviews once reviewers are
    assigned, of the replies once the comment stage opened, and how many people were withdrawn."""

    stage: Stage
    measure: ProgressMeasure | None
    done: int
    total: int
    people: Participation
    withdrawn: int
    reviews: ReviewCounts | None = None
    replies: ReplyCounts | None = None

    @property
    def share(self) -> float:
        """`done` as a share of `total`, 0.0 when there is nothing to do."""
        return self.done / self.total if self.total else 0.0


def _flag(condition: ColumnElement[bool] | QueryableAttribute[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)


def stage_progress(session: Session, round_id: int, progress: RoundProgress | None = None) -> StageProgress:
    """The running stage's progress: self-assessments in invitation and submission, reviews in review,
    replies in comment, with every count the round's page shows beside the bar. `progress` is the round's
    `round_progress` when the caller has it already (it is the costliest count: the dashboard reads it once)."""
    round_ = get_round(session, round_id)
    stage = round_.stage
    people = participation(session, round_id)
    withdrawn = session.exec(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.round_id == round_id, col(Enrolment.withdrawn_at).is_not(None))
    ).one()
    reviews = replies = None
    measure, done, total = None, 0, 0
    if stage in (Stage.invitation, Stage.submission):
        measure, done, total = ProgressMeasure.self_assessments, people.submitted, people.respondents
    if STAGE_ORDER.index(stage) >= STAGE_ORDER.index(Stage.review):
        progress = progress or round_progress(session, round_id)
        reviews = _review_counts(session, round_id, progress)
        if stage is Stage.review:
            measure, done, total = ProgressMeasure.reviews, progress.reviews_submitted, progress.reviews_due
        if stage is Stage.consensus:
            measure, done, total = (ProgressMeasure.joint_assessments, progress.assessments_submitted,
                                    progress.assessments_due)  # fmt: skip
        if STAGE_ORDER.index(stage) >= STAGE_ORDER.index(Stage.comment):
            reminded = session.exec(
                select(func.coalesce(func.sum(Enrolment.reply_reminders_sent), 0)).where(
                    Enrolment.round_id == round_id,
                    exists().where(col(Submission.enrolment_id) == Enrolment.id, Submission.is_submitted),
                )
            ).one()
            replies = ReplyCounts(progress.replies_sent, progress.replies_pending, int(reminded))
            if stage is Stage.comment:
                parties = progress.replies_sent + progress.replies_pending
                measure, done, total = ProgressMeasure.replies, progress.replies_sent, parties
    return StageProgress(stage, measure, done, total, people, withdrawn, reviews, replies)


def _review_counts(session: Session, round_id: int, progress: RoundProgress) -> ReviewCounts:
    """The reviews begun (opened) and drafted, and the reviewers, in three small queries: assigned, due and
    submitted are the stage rules' counts."""
    # Counted on the round's index alone: a review begun is a draft or submitted, and the submitted are counted.
    begun = session.exec(select(func.count()).select_from(Review).where(Review.round_id == round_id)).one()
    # A review is opened once begun, or once its link was used (a link opened, nothing saved yet).
    opened_unbegun = session.exec(
        select(func.count())
        .select_from(AccessToken)
        .where(
            AccessToken.round_id == round_id,
            AccessToken.purpose == TokenPurpose.review,
            col(AccessToken.last_used_at).is_not(None),
            ~exists().where(col(Review.assignment_id) == AccessToken.assignment_id),
        )
    ).one()
    has_reviews = exists().where(
        col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id, col(ReviewAssignment.confirmed_at).is_not(None)
    )
    reviewers, reminders, bounced = session.exec(
        select_columns(
            func.count(),
            func.coalesce(func.sum(Enrolment.review_reminders_sent), 0),
            _flag(col(Enrolment.bounced_at).is_not(None)),
        ).where(Enrolment.round_id == round_id, has_reviews)
    ).one()
    return ReviewCounts(
        assigned=progress.assignments - progress.unconfirmed_assignments,
        opened=begun + opened_unbegun,
        drafted=begun - progress.reviews_submitted,
        submitted=progress.reviews_submitted,
        due=progress.reviews_due,
        reviewers=int(reviewers),
        reminders=int(reminders),
        bounced=int(bounced),
    )
