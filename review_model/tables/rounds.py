"""A review round, and who is enrolled in it with which roles."""

from datetime import date, datetime
from typing import Any

from sqlmodel import Field, Relationship, SQLModel, UniqueConstraint

from review_model.column_types import UTCDateTime
from review_model.tables.base import created_at_field, enum_column, json_field, timestamp_field
from review_model.tables.people import Participant
from review_model.vocabulary import Language, Stage


class Round(SQLModel, table=True):
    """One peer review round: its questionnaire, schedule, rules, and the stage it has reached."""

    __tablename__ = "rounds"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=300)
    title_en: str | None = Field(default=None, max_length=300)
    stage: Stage = Field(default=Stage.draft, sa_column=enum_column(Stage, index=True))
    stage_entered_at: datetime = created_at_field()
    time_zone: str = Field(default="Europe/Berlin", max_length=64)
    language: Language = Field(default=Language.de, sa_column=enum_column(Language))
    coordinator_name: str = Field(max_length=200)
    coordinator_email: str = Field(max_length=254)

    # The questionnaire as it was when the round was created; later edits of the file do not touch it.
    questionnaire_id: str = Field(max_length=100)
    questionnaire_version: int = 1
    questionnaire_snapshot: dict[str, Any] = json_field()

    submission_opens_at: datetime | None = timestamp_field()
    submission_deadline: datetime = Field(sa_type=UTCDateTime)
    review_deadline: datetime = Field(sa_type=UTCDateTime)
    comment_deadline: datetime = Field(sa_type=UTCDateTime)
    # The end of the consensus stage after review; None: the round has none (review goes on to consolidation).
    consensus_deadline: datetime | None = timestamp_field()
    publication_at: datetime | None = timestamp_field()

    # Reminders go out this many days before a deadline, at most max_reminders per person and stage.
    reminder_days_before: list[int] = json_field(list)
    max_reminders: int = 3
    # Hours after the submission deadline in which late work is still taken; 0 refuses it.
    late_grace_hours: int = 0

    reviewers_per_submission: int = 3
    min_reviews_per_reviewer: int = 0
    max_reviews_per_reviewer: int = 4
    exclude_same_state: bool = False
    forbid_mutual_review: bool = True
    max_reviewers_per_kind: int | None = None
    open_review: bool = False
    # When a respondent hands the form to a colleague, whether the first person's link keeps working.
    handover_keeps_first_link: bool = False

    # Whether publication waits for a body (the plenary, a steering group) to adopt the results, and the
    # adoption as the coordinator recorded it (review_model.adoption).
    adoption_required: bool = False
    adopted_by: str | None = Field(default=None, max_length=200)
    adopted_on: date | None = None
    adoption_changes: str | None = Field(default=None, max_length=4000)
    adoption_recorded_at: datetime | None = timestamp_field()
    adoption_recorded_by: str | None = Field(default=None, max_length=200)

    # What the report gives beside the raw peer means: "leniency" adds means corrected for each reviewer's
    # leniency (review_model.calibration); None gives the raw means alone.
    normalise: str | None = Field(default=None, max_length=20)
    # How long personal data is kept after publication (ISO 8601, e.g. P2Y); None keeps it until erased by hand.
    retention: str | None = Field(default=None, max_length=32)
    # The accessibility statement's contact and text for this round, as the round file gives them (see
    # review_model.accessibility); empty means the installation's settings file speaks for it.
    accessibility: dict[str, Any] = json_field()

    previous_round_id: int | None = Field(default=None, foreign_key="rounds.id")
    # Digest of the round file it was created from, so that creating it again is recognised as a repeat.
    spec_digest: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    launched_at: datetime | None = timestamp_field()
    # When the round driver last finished a pass over the round without an error (the portal's /health).
    last_advanced_at: datetime | None = timestamp_field()

    enrolments: list["Enrolment"] = Relationship(back_populates="round")

    def title_in(self, language: str) -> str:
        """The round's title for a reader of `language`: the English title where there is one, else the German."""
        return self.title_en if language == "en" and self.title_en else self.title


class Enrolment(SQLModel, table=True):
    """A participant taking part in one round, as respondent (reviewed party), reviewer, or both."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    is_respondent: bool = True
    is_reviewer: bool = True
    # Decision-makers receive the published report; they answer no form.
    is_decision_maker: bool = False
    # Per-person bounds on the number of reviews; None means the round's default.
    min_reviews: int | None = None
    max_reviews: int | None = None

    invited_at: datetime | None = timestamp_field()
    first_opened_at: datetime | None = timestamp_field()
    bounced_at: datetime | None = timestamp_field()
    opted_out_at: datetime | None = timestamp_field()
    # The number of the latest reminder of each kind this person had: the reminder rules count from it (see
    # review_model.reminders), and it is set in the transaction that queues the reminder in the outbox. The
    # outbox alone cannot say it: after a pause of the driver one reminder goes out for several reminder
    # days, numbered as the latest of them. One counter per kind, as one person may answer, review and reply.
    reminders_sent: int = 0  # reminders to submit the self-assessment
    review_reminders_sent: int = 0
    consensus_reminders_sent: int = 0
    reply_reminders_sent: int = 0
    last_reminded_at: datetime | None = timestamp_field()
    # Withdrawn from the round by the coordinator (see review_model.withdrawal): who did it and why.
    withdrawn_at: datetime | None = timestamp_field()
    withdrawn_by: str | None = Field(default=None, max_length=200)
    withdrawal_reason: str | None = Field(default=None, max_length=500)
    # When this respondent handed the organisation's form to a colleague; the colleague's enrolment now holds
    # the organisation's submission.
    handed_over_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()

    round: Round = Relationship(back_populates="enrolments")
    participant: Participant = Relationship()
