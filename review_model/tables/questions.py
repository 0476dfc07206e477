"""Questions a reviewer asks the reviewed party during the review, and the party's answers."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel

from review_model.tables.base import created_at_field, timestamp_field


class ReviewQuestion(SQLModel, table=True):
    """A question one review assignment's reviewer asks the reviewed party, about one item or in general,
    and the party's answer once given.

    The asker is the assignment, never a name: pages show them as "Reviewer 2" of the party (or by name in an
    open review). Asked questions are kept as written; the answer may change until the review deadline, and
    `answered_by_enrolment_id` says which of the party's people gave its latest wording.
    """

    __tablename__ = "review_questions"
    __table_args__ = (Index(None, "submission_id", "asked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    submission_id: int = Field(foreign_key="submissions.id")
    assignment_id: int = Field(foreign_key="review_assignments.id", index=True)
    # The questionnaire item asked about; None for a question about the self-assessment as a whole.
    item_id: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=2000)
    asked_at: datetime = created_at_field()
    answer: str | None = Field(default=None, max_length=5000)
    answered_at: datetime | None = timestamp_field()
    answered_by_enrolment_id: int | None = Field(default=None, foreign_key="enrolments.id")
