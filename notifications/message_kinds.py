"""What each kind of message says: the facts a template needs, one dataclass per kind.

Each kind has one template, templates/emails/<kind>.html, with its subject, plain text and HTML.

A reminder (review_model.reminder_opt_out.REMINDER_KINDS) also carries `stop_link`, the person's link that
stops this round's reminders: the layouts show it at the foot, and the List-Unsubscribe headers name it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from review_model.questionnaire import Text
from review_model.round_timeline import Milestone


@dataclass(frozen=True)
class MessageContent:
    """The part of a message that differs between kinds."""

    kind: ClassVar[str]

    def calendar_deadline(self) -> tuple[Milestone, datetime] | None:
        """The deadline this message asks the reader to keep, which it carries as a calendar entry; None: none."""
        return None


@dataclass(frozen=True)
class ReviewTask:
    """One submission a reviewer is asked to review, with the link to its review form."""

    organisation: str
    link: str


@dataclass(frozen=True)
class SummaryAnswer:
    label: str
    answer: str


@dataclass(frozen=True)
class SummarySection:
    title: str
    answers: tuple[SummaryAnswer, ...]


@dataclass(frozen=True)
class Invitation(MessageContent):
    kind: ClassVar[str] = "invitation"
    link: str
    deadline: datetime
    questionnaire_title: Text
    item_count: int
    # In a round that follows up an earlier one: that round, and how many of its recommendations the form asks
    # the reader's organisation about (review_model.follow_up); 0 when it asks about none.
    follow_up_round: Text | None = None
    follow_up_count: int = 0

    def calendar_deadline(self) -> tuple[Milestone, datetime] | None:
        return Milestone.submission_deadline, self.deadline


@dataclass(frozen=True)
class HandoverInvitation(MessageContent):
    """A colleague handed the organisation's self-assessment to the reader: their own link, the deadline, and
    what the form holds already."""

    kind: ClassVar[str] = "handover_invitation"
    link: str
    deadline: datetime
    questionnaire_title: Text
    item_count: int
    handed_over_by: str  # the colleague's name
    submitted_version: int = 0  # the last version submitted; 0: never submitted
    has_draft: bool = False  # answers saved and not submitted


@dataclass(frozen=True)
class HandoverConfirmation(MessageContent):
    """The reader handed the organisation's self-assessment to a colleague; whether their own link still
    opens it."""

    kind: ClassVar[str] = "handover_confirmation"
    colleague: str  # the colleague's name
    colleague_email: str
    handed_over_at: datetime
    deadline: datetime
    link: str | None = None  # the reader's link, when the round keeps it working


@dataclass(frozen=True)
class Reminder(MessageContent):
    kind: ClassVar[str] = "reminder"
    link: str
    deadline: datetime
    number: int
    total: int
    days_left: int
    has_draft: bool = False
    stop_link: str = ""


@dataclass(frozen=True)
class SubmissionReceipt(MessageContent):
    kind: ClassVar[str] = "submission_receipt"
    link: str
    version: int
    submitted_at: datetime
    editable_until: datetime
    summary: tuple[SummarySection, ...] = ()


@dataclass(frozen=True)
class DeadlineExtended(MessageContent):
    """The coordinator moved a deadline; the same link works until then."""

    kind: ClassVar[str] = "deadline_extended"
    link: str
    deadline: datetime
    previous_deadline: datetime

    def calendar_deadline(self) -> tuple[Milestone, datetime] | None:
        return Milestone.submission_deadline, self.deadline


@dataclass(frozen=True)
class StageClosed(MessageContent):
    kind: ClassVar[str] = "stage_closed"
    stage: str
    closed_at: datetime
    took_part: bool
    next_stage: str | None = None


@dataclass(frozen=True)
class ReviewRequest(MessageContent):
    kind: ClassVar[str] = "review_request"
    deadline: datetime
    tasks: tuple[ReviewTask, ...]

    def calendar_deadline(self) -> tuple[Milestone, datetime] | None:
        return Milestone.review_deadline, self.deadline


@dataclass(frozen=True)
class ReviewReminder(MessageContent):
    kind: ClassVar[str] = "review_reminder"
    deadline: datetime
    number: int
    total: int
    days_left: int
    pending: tuple[ReviewTask, ...]
    stop_link: str = ""


@dataclass(frozen=True)
class ReviewReceipt(MessageContent):
    kind: ClassVar[str] = "review_receipt"
    organisation: str
    submitted_at: datetime
    link: str
    deadline: datetime


@dataclass(frozen=True)
class ConsensusTask:
    """One party whose reviewers seek consensus: the link to the reviewer's review form, whether the reader
    writes the joint assessment, and how many points the reviewers disagree on."""

    organisation: str
    link: str
    lead: bool
    disputed: int


@dataclass(frozen=True)
class ConsensusInvitation(MessageContent):
    """The consensus stage opened: see the co-reviewers' ratings, revise, discuss, write or answer the joint
    assessment (review_model.consensus)."""

    kind: ClassVar[str] = "consensus_invitation"
    deadline: datetime
    tasks: tuple[ConsensusTask, ...]

    def calendar_deadline(self) -> tuple[Milestone, datetime] | None:
        return Milestone.consensus_deadline, self.deadline


@dataclass(frozen=True)
class ConsensusReminder(MessageContent):
    """A lead's joint assessment, or a co-reviewer's answer to a submitted one, is still open."""

    kind: ClassVar[str] = "consensus_reminder"
    deadline: datetime
    number: int
    total: int
    days_left: int
    pending: tuple[ConsensusTask, ...]
    stop_link: str = ""


@dataclass(frozen=True)
class JointAssessmentSubmitted(MessageContent):
    """The lead submitted the joint assessment of a party: the co-reviewers may endorse it or comment."""

    kind: ClassVar[str] = "joint_assessment_submitted"
    organisation: str
    link: str
    deadline: datetime


@dataclass(frozen=True)
class CommentInvitation(MessageContent):
    """The draft findings are ready: the reviewed party may reply before the deadline (right of reply)."""

    kind: ClassVar[str] = "comment_invitation"
    link: str
    deadline: datetime
    finding_count: int
    recommendation_count: int

    def calendar_deadline(self) -> tuple[Milestone, datetime] | None:
        return Milestone.comment_deadline, self.deadline


@dataclass(frozen=True)
class ReplyReceipt(MessageContent):
    """The party's reply arrived (or its word that it has none); it may change it until the deadline."""

    kind: ClassVar[str] = "reply_receipt"
    link: str
    sent_at: datetime
    deadline: datetime
    replies: int  # non-empty replies; 0: the party has nothing to add


@dataclass(frozen=True)
class ReplyReminder(MessageContent):
    """The right of reply runs out soon and the party has not sent a reply (nor said it has none)."""

    kind: ClassVar[str] = "reply_reminder"
    link: str
    deadline: datetime
    number: int
    total: int
    days_left: int
    stop_link: str = ""


@dataclass(frozen=True)
class QuestionsAsked(MessageContent):
    """Reviewers asked the reader's organisation questions about its self-assessment. The message carries
    no question and no asker: they are behind the link, where the party answers (the message may be
    forwarded, and one message covers the questions of the hour; see portal.question_pages)."""

    kind: ClassVar[str] = "questions_asked"
    link: str
    deadline: datetime  # until when answers can be given
    waiting: int  # the party's questions not answered yet
    open_review: bool = False  # the round names its reviewers: the page shows who asked


@dataclass(frozen=True)
class QuestionAnswered(MessageContent):
    """The reviewed party answered the reader's question(s); the answers are beside the items of the review
    form. Like QuestionsAsked, one message covers an hour's answers and quotes none."""

    kind: ClassVar[str] = "question_answered"
    organisation: str  # the reviewed party
    link: str  # the reader's review form
    deadline: datetime


@dataclass(frozen=True)
class QuestionReminder(MessageContent):
    """The review closes soon and reviewers' questions to the reader's organisation are still unanswered."""

    kind: ClassVar[str] = "question_reminder"
    link: str
    deadline: datetime
    number: int
    total: int
    days_left: int
    waiting: int
    stop_link: str = ""


@dataclass(frozen=True)
class ReportPublished(MessageContent):
    kind: ClassVar[str] = "report_published"
    link: str
    published_at: datetime
    recommendation_count: int
    # The action levels the published recommendations address (ActionLevel values), in the report's order.
    action_levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusDigest(MessageContent):
    """The coordinator's overview of a round."""

    kind: ClassVar[str] = "status_digest"
    stage: str
    deadline: datetime | None
    days_left: int | None
    counts: dict[str, int] = field(default_factory=dict)
    failed_messages: int = 0
    # What changed since the previous digest (`since`): counts under the same keys, the stages entered, and
    # what waits for the coordinator ("confirm_assignment", "decide_recommendations").
    since: datetime | None = None
    changes: dict[str, int] = field(default_factory=dict)
    stages_entered: tuple[str, ...] = ()
    to_do: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonalLink:
    """A personal link a message carries; `reviewed` names the organisation a review link is for."""

    purpose: str  # a TokenPurpose value: what the link opens
    link: str
    reviewed: str | None = None


@dataclass(frozen=True)
class CoordinatorMessage(MessageContent):
    """What the coordinator wrote to a group of people, as written (plain text), with the reader's personal
    links of the current stage where they hold any."""

    kind: ClassVar[str] = "coordinator_message"
    subject: str
    body: str
    links: tuple[PersonalLink, ...] = ()

    @property
    def paragraphs(self) -> tuple[tuple[str, ...], ...]:
        """The body's paragraphs (split at blank lines), each as its lines, for the HTML part."""
        blocks = [block.strip("\n") for block in self.body.replace("\r\n", "\n").split("\n\n")]
        return tuple(tuple(block.split("\n")) for block in blocks if block.strip())


MESSAGE_KINDS: dict[str, type[MessageContent]] = {
    kind.kind: kind
    for kind in (
        Invitation,
        HandoverInvitation,
        HandoverConfirmation,
        Reminder,
        DeadlineExtended,
        SubmissionReceipt,
        StageClosed,
        ReviewRequest,
        ReviewReminder,
        ReviewReceipt,
        ConsensusInvitation,
        ConsensusReminder,
        JointAssessmentSubmitted,
        CommentInvitation,
        ReplyReceipt,
        ReplyReminder,
        QuestionsAsked,
        QuestionAnswered,
        QuestionReminder,
        ReportPublished,
        StatusDigest,
        CoordinatorMessage,
    )
}
