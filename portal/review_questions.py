"""Questions during the review, as the portal shows them beside the items of the review form, where reviewers
ask; and the views the reviewed party's own page (portal.question_pages) shares.

The rules (who asks and answers, until when, how long a text may be) are review_model.questions'. The asker
is never named to the party or to other reviewers, except in an open review (review_model.questions.askers).

The party learns of questions by email, "questions_asked". Reviewers often ask several questions in one
sitting; one message per question would flood the party's inbox with messages that say the same ("there are
questions, here is the link"). So the message names neither question nor asker, says how many wait for an
answer, and its idempotency key holds the hour it was asked in: the first question of an hour brings a
message, the others of that hour are already behind its link. A question asked in a later hour brings a new
one. Whatever is still unanswered is reminded on the round's reminder days (workflows.stages.questions).
Answers reach the reviewer who asked the same way ("question_answered", an hour's answers in one message,
with the link to their review form, where the answers stand beside the items).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from config.translations import gettext_for
from notifications.addressing import recipient_for, round_context, sender_from_settings
from notifications.compose import compose_message
from notifications.message_kinds import QuestionAnswered, QuestionsAsked
from notifications.outbox import enqueue_messages
from portal.form_view import shown_text
from review_model.moments import format_moment
from review_model.questionnaire import Questionnaire
from review_model.questions import (
    MAX_QUESTION_LENGTH,
    askers,
    clean_text,
    questions_close_at,
    questions_to,
    takes_questions,
    unanswered_count,
)
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    ReviewAssignment,
    ReviewQuestion,
    Round,
    Submission,
)
from review_model.tokens import issue_link, link_url
from review_model.vocabulary import TokenPurpose

if TYPE_CHECKING:
    from portal.app import Portal

QUESTION_FIELD = "question-"  # the review form's question boxes: question-general, question-<item id>
ANSWER_FIELD = "answer-"  # the party's answer boxes: answer-<question id>
GENERAL = "general"


@dataclass(frozen=True)
class QuestionView:
    """One question as a page shows it."""

    id: int
    asker: str
    about: str | None  # the item's label; None for a question about the self-assessment as a whole
    item_id: str | None
    text: str
    asked: str
    answer: str | None
    answered: str | None
    mine: bool = False  # asked by the reader (the review form)
    value: str = ""  # the answer box's text (the party's page)
    error: str | None = None

    @property
    def name(self) -> str:
        """The answer box's name."""
        return f"{ANSWER_FIELD}{self.id}"

    @property
    def target(self) -> str:
        """The id of the answer box, which an error summary links to."""
        return f"f-{self.name}"

    @property
    def label(self) -> str:
        """How the error summary names the question: its item, else its first words."""
        return self.about or (self.text if len(self.text) <= 60 else f"{self.text[:59]}…")


@dataclass
class AskBox:
    """The box a reviewer types a question in: about one item, or (key None) about the whole."""

    key: str | None
    label: str
    value: str = ""
    error: str | None = None

    @property
    def name(self) -> str:
        return f"{QUESTION_FIELD}{self.key or GENERAL}"

    @property
    def target(self) -> str:
        return f"f-{self.name}"


@dataclass
class ReviewFormQuestions:
    """What the review form shows of the questions to the reviewed party: every reviewer's questions and
    the party's answers by item (None: about the whole), and whether the reader may ask now."""

    by_item: dict[str | None, list[QuestionView]] = field(default_factory=dict)
    boxes: dict[str | None, AskBox] = field(default_factory=dict)
    may_ask: bool = False
    max_length: int = MAX_QUESTION_LENGTH
    open_review: bool = False  # the round names its reviewers, askers included

    def box(self, key: str | None) -> AskBox:
        return self.boxes.get(key) or AskBox(key, "")

    @property
    def errors(self) -> list[AskBox]:
        return [box for box in self.boxes.values() if box.error]


def item_labels(questionnaire: Questionnaire, language: str) -> dict[str, str]:
    """Every item's label by its id."""
    return {item.id: item.label.in_language(language) for _, item in questionnaire.items()}


def question_views(
    session: Session,
    round_: Round,
    questions: Sequence[ReviewQuestion],
    labels: Mapping[str, str],
    language: str,
    *,
    own_assignment: int | None = None,
    typed: Mapping[int, str] | None = None,
    errors: Mapping[int, str] | None = None,
) -> list[QuestionView]:
    """The questions as pages show them: the asker as the reader may know them, the moments in the round's
    time zone; `typed` and `errors` are the party's answer boxes as sent."""
    _ = gettext_for(language, "portal")
    shown = askers(session, round_, questions, language)
    views = []
    for question in questions:
        assert question.id is not None
        mine = question.assignment_id == own_assignment
        asker = _("{reviewer} (you)").format(reviewer=shown[question.id]) if mine else shown[question.id]
        answered = format_moment(question.answered_at, round_.time_zone, language) if question.answered_at else None
        typed_answer = (typed or {}).get(question.id)
        views.append(
            QuestionView(
                question.id, asker, labels.get(question.item_id, question.item_id) if question.item_id else None,
                question.item_id, question.text, format_moment(question.asked_at, round_.time_zone, language),
                question.answer, answered, mine,
                shown_text(typed_answer if typed_answer is not None else question.answer or ""),
                (errors or {}).get(question.id),
            )
        )  # fmt: skip
    return views


def review_form_questions(
    session: Session,
    round_: Round,
    submission_id: int,
    assignment_id: int,
    questionnaire: Questionnaire,
    language: str,
    now: datetime,
    typed: Mapping[str | None, str] | None = None,
    errors: Mapping[str | None, str] | None = None,
) -> ReviewFormQuestions:
    """The questions beside the review form's items, and the boxes to ask more (with what was typed)."""
    labels = item_labels(questionnaire, language)
    questions = questions_to(session, submission_id)
    views = question_views(session, round_, questions, labels, language, own_assignment=assignment_id)
    shown = ReviewFormQuestions(may_ask=takes_questions(round_, now), open_review=round_.open_review)
    for view, question in zip(views, questions, strict=True):
        shown.by_item.setdefault(question.item_id, []).append(view)
    _ = gettext_for(language, "portal")
    for key, text in (typed or {}).items():
        label = labels.get(key, "") if key else _("The self-assessment as a whole")
        shown.boxes[key] = AskBox(key, label, shown_text(text), (errors or {}).get(key))
    return shown


def typed_questions(values: Mapping[str, Sequence[str]], questionnaire: Questionnaire) -> dict[str | None, str]:
    """The question boxes of a review form as sent, by item id (None: about the whole); boxes naming no item
    of the questionnaire are left out."""
    items = {item.id for _, item in questionnaire.items()}
    typed: dict[str | None, str] = {}
    for name, sent in values.items():
        if not name.startswith(QUESTION_FIELD) or not sent:
            continue
        key = name[len(QUESTION_FIELD) :]
        if key == GENERAL:
            typed[None] = sent[0]
        elif key in items:
            typed[key] = sent[0]
    return typed


def question_problems(typed: Mapping[str | None, str], language: str) -> dict[str | None, str]:
    """What is wrong with the questions typed, by box; empty boxes are no question and no problem."""
    _ = gettext_for(language, "portal")
    problems: dict[str | None, str] = {}
    for key, raw in typed.items():
        text = clean_text(raw)
        if len(text) > MAX_QUESTION_LENGTH:
            problems[key] = _("Please shorten the text to at most {max} characters.").format(max=MAX_QUESTION_LENGTH)
        elif "\x00" in text:
            problems[key] = _(
                "The text contains a control character that is not allowed (shown as \ufffd). Please remove it."
            )
    return problems


def tell_party_of_questions(
    session: Session, portal: "Portal", round_: Round, submission_id: int, now: datetime
) -> int:
    """Queue the "questions_asked" message to the reviewed party's respondent, with its questions link (issued
    now, or the one it has), in the caller's transaction; at most one per party and hour (see the module's
    docstring). Returns how many were queued (0 or 1)."""
    assert round_.id is not None
    submission, enrolment, person, organisation = session.exec(
        select(Submission, Enrolment, Participant, Organisation)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Submission.id == submission_id)
    ).one()
    closes = questions_close_at(round_)
    if enrolment.withdrawn_at is not None or closes is None or enrolment.id is None:
        return 0
    link = questions_link(session, portal, round_, enrolment.id, closes)
    content = QuestionsAsked(link, closes, unanswered_count(session, submission_id), round_.open_review)
    message = compose_message(content, recipient_for(person, organisation), round_context(round_),
                              sender_from_settings(portal.settings), stage="questions", now=now,
                              sequence=f"{submission.id}-{now:%Y%m%d%H}")  # fmt: skip
    return enqueue_messages(session, [message], now)


def tell_askers_of_answers(
    session: Session, portal: "Portal", round_: Round, party: str, assignment_ids: Iterable[int], now: datetime
) -> int:
    """Queue the "question_answered" message to each reviewer whose question the party (named `party`)
    answered, with the link to their review form, in the caller's transaction; at most one per review and
    hour, as with the questions. Returns how many were queued."""
    closes = questions_close_at(round_)
    wanted = sorted(set(assignment_ids))
    if round_.id is None or closes is None or not wanted:
        return 0
    expires = closes + timedelta(hours=round_.late_grace_hours, days=portal.settings.link_grace_days)
    messages = []
    for assignment_id, enrolment, person, organisation in session.exec(
        select(ReviewAssignment.id, Enrolment, Participant, Organisation)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(col(ReviewAssignment.id).in_(wanted), col(Enrolment.withdrawn_at).is_(None))
        .order_by(col(ReviewAssignment.id))
    ).all():
        assert enrolment.id is not None
        issued = issue_link(session, portal.secret, round_id=round_.id, enrolment_id=enrolment.id,
                            purpose=TokenPurpose.review, expires_at=expires, assignment_id=assignment_id)  # fmt: skip
        link = link_url(str(portal.settings.public_base_url), TokenPurpose.review, issued.token)
        messages.append(compose_message(QuestionAnswered(party, link, closes), recipient_for(person, organisation),
                                        round_context(round_), sender_from_settings(portal.settings),
                                        stage="questions", now=now,
                                        sequence=f"{assignment_id}-{now:%Y%m%d%H}"))  # fmt: skip
    return enqueue_messages(session, messages, now)


def questions_link(session: Session, portal: "Portal", round_: Round, enrolment_id: int, closes: datetime) -> str:
    """The party's questions link: it opens until the questions close, plus the grace links get."""
    assert round_.id is not None
    expires = closes + timedelta(hours=round_.late_grace_hours, days=portal.settings.link_grace_days)
    issued = issue_link(session, portal.secret, round_id=round_.id, enrolment_id=enrolment_id,
                        purpose=TokenPurpose.questions, expires_at=expires)  # fmt: skip
    return link_url(str(portal.settings.public_base_url), TokenPurpose.questions, issued.token)
