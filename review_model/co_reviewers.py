"""What a reviewer sees of their co-reviewers once they submitted: the ratings and comments the others gave the
same party, item by item, each reviewer by pseudonym ("Reviewer 2"; by name only in an open review), with the
items where the ratings lie DISAGREEMENT_SPREAD levels apart or more marked as points to discuss, and what each
reviewer wrote about those points in the consensus stage.

Only submitted reviews count, each as last submitted (review_model.reviews.last_submitted): a draft is nobody's
opinion yet. The spread is consolidation's own (review_model.consolidation.RoundFigures), so the points marked
here are the disagreements the report will show.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from review_model.consolidation import RoundFigures
from review_model.pseudonyms import reviewer_numbers, reviewer_pseudonym
from review_model.questionnaire import MatrixItem, Questionnaire, ScaleItem
from review_model.reviews import last_submitted
from review_model.tables import (
    DisputedItemComment,
    Enrolment,
    Participant,
    Review,
    ReviewAssignment,
    ReviewVersion,
    Round,
)


@dataclass(frozen=True)
class PeerRating:
    """One reviewer's rating of one item, as shown: the level's label, and the comment they wrote with it."""

    reviewer: str
    rating: str
    comment: str | None
    own: bool  # the reader's own


@dataclass(frozen=True)
class ItemOpinions:
    """One rating cell of the party: every submitted rating, their spread, and the comments on it in consensus."""

    key: str
    label: str
    ratings: tuple[PeerRating, ...]
    spread: float | None
    disputed: bool
    discussion: tuple[tuple[str, str], ...] = ()  # (reviewer, comment) on this point, in consensus


@dataclass(frozen=True)
class CoReviewersView:
    """The co-reviewers' view of one party for one reviewer."""

    reviewer: str  # how the reader is named to the others
    reviewers: tuple[str, ...]  # every reviewer with a submitted review, the reader among them
    items: tuple[ItemOpinions, ...]

    @property
    def disputed(self) -> tuple[ItemOpinions, ...]:
        return tuple(item for item in self.items if item.disputed)

    @property
    def has_co_reviewers(self) -> bool:
        return len(self.reviewers) > 1


def cell_labels(questionnaire: Questionnaire, language: str) -> dict[str, str]:
    """A readable name for every rating cell: the item, and for a matrix its row and column. Where items
    of several sections share a name (each field of action asks about the same four guidelines), the
    section's title comes first: "Mobilität · Ziele, Strategien und Strukturen"."""
    labels, sections = {}, {}
    for section, item in questionnaire.items():
        if isinstance(item, ScaleItem):
            labels[item.id] = item.label.in_language(language)
            sections[item.id] = section
        elif isinstance(item, MatrixItem):
            for row in item.rows:
                for column in item.columns:
                    key = f"{item.id}/{row.id}/{column.id}"
                    labels[key] = " · ".join(
                        text.in_language(language) for text in (item.label, row.label, column.label)
                    )
                    sections[key] = section
    shared = {label for label, n in Counter(labels.values()).items() if n > 1}
    return {
        key: f"{sections[key].title.in_language(language)} · {label}" if label in shared else label
        for key, label in labels.items()
    }


def reviewer_names(session: Session, round_: Round, language: str) -> dict[int, str]:
    """How each confirmed assignment's reviewer is named to their co-reviewers and in the report: their
    pseudonym, or in an open review their name (the pseudonym again once they were erased)."""
    assert round_.id is not None
    numbers = reviewer_numbers(session, round_.id)
    names = {assignment: reviewer_pseudonym(language, number) for assignment, number in numbers.items()}
    if round_.open_review:
        for assignment_id, name, erased in session.exec(
            select(ReviewAssignment.id, Participant.name, Participant.erased_at)
            .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .where(ReviewAssignment.round_id == round_.id, col(ReviewAssignment.confirmed_at).is_not(None))
        ).all():
            if assignment_id is not None and erased is None and assignment_id in names:
                names[assignment_id] = name
    return names


def submitted_reviews_of(session: Session, submission_id: int) -> list[tuple[int, dict[str, Any]]]:
    """(assignment id, last submitted answers) of every submitted review of one party, in assignment order."""
    rows = session.exec(
        last_submitted(
            select(ReviewAssignment.id, ReviewVersion.answers)
            .select_from(ReviewAssignment)
            .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
        )
        .where(ReviewAssignment.submission_id == submission_id, col(ReviewAssignment.confirmed_at).is_not(None))
        .where(Review.is_submitted)
        .order_by(col(ReviewAssignment.id))
    ).all()
    return [(assignment_id, dict(answers)) for assignment_id, answers in rows if assignment_id is not None]


def co_reviewers_view(
    session: Session, round_: Round, questionnaire: Questionnaire, assignment: ReviewAssignment, language: str
) -> CoReviewersView:
    """The view of `assignment`'s party for its reviewer (see the module's description)."""
    assert assignment.id is not None
    reviews = submitted_reviews_of(session, assignment.submission_id)
    names = reviewer_names(session, round_, language)
    figures = RoundFigures(questionnaire, [{}], [[answers for _, answers in reviews]])
    labels = cell_labels(questionnaire, language)
    discussion = _discussion(session, [assignment_id for assignment_id, _ in reviews], names)
    scales = questionnaire.scales
    items = []
    for index, cell in enumerate(figures.cells):
        scale = scales.get(cell.scale)
        ratings = []
        for assignment_id, answers in reviews:
            value = answers.get(cell.key)
            if value in (None, ""):
                continue
            shown = str(value)
            if scale is not None:
                shown = next((f"{level.value} – {level.label.in_language(language)}" for level in scale.levels
                              if level.value == value), shown)  # fmt: skip
            comment = answers.get(cell.comment_key)
            ratings.append(PeerRating(names.get(assignment_id, "—"), shown,
                                      comment.strip() if isinstance(comment, str) and comment.strip() else None,
                                      assignment_id == assignment.id))  # fmt: skip
        spread = figures.spread[0, index]
        items.append(
            ItemOpinions(
                cell.key,
                labels.get(cell.key, cell.key),
                tuple(ratings),
                None if spread != spread else float(spread),  # NaN: nobody rated it
                bool(figures.disagreement[0, index]),
                tuple(discussion.get(cell.key, ())),
            )
        )
    return CoReviewersView(names.get(assignment.id, "—"), tuple(names.get(a, "—") for a, _ in reviews), tuple(items))


def disputed_keys(session: Session, questionnaire: Questionnaire, submission_id: int) -> set[str]:
    """The rating cells of a party its reviewers disagree on (for checking what a comment may be about)."""
    reviews = submitted_reviews_of(session, submission_id)
    figures = RoundFigures(questionnaire, [{}], [[answers for _, answers in reviews]])
    return {cell.key for index, cell in enumerate(figures.cells) if figures.disagreement[0, index]}


def _discussion(session: Session, assignment_ids: list[int], names: dict[int, str]) -> dict[str, list[tuple[str, str]]]:
    """The comments on disputed items by the party's reviewers, by item, in the order they were first written."""
    if not assignment_ids:
        return {}
    comments: dict[str, list[tuple[str, str]]] = {}
    for item_id, assignment_id, text in session.exec(
        select(DisputedItemComment.item_id, DisputedItemComment.assignment_id, DisputedItemComment.text)
        .where(col(DisputedItemComment.assignment_id).in_(assignment_ids))
        .order_by(col(DisputedItemComment.id))
    ).all():
        comments.setdefault(item_id, []).append((names.get(assignment_id, "—"), text))
    return comments
