"""Every kind of message as a round would send it, for the coordinator to read before anything goes out: each
rendered in German and in English for a person of the round who would receive it, with the round's own
deadlines, questionnaire and figures where it has them, and sample figures where it has none yet.

Personal links show as the portal's address with the token left out (…/a/…), as in the preview of a message
to a group: a preview is no way into anyone's form. Nothing is written to the store.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from notifications.addressing import answer_summary, coordinator_of, recipient_for, round_context
from notifications.compose import LANGUAGES, Recipient, RoundContext, Sender
from notifications.message_kinds import (
    MESSAGE_KINDS,
    CommentInvitation,
    ConsensusInvitation,
    ConsensusReminder,
    ConsensusTask,
    CoordinatorMessage,
    DeadlineExtended,
    HandoverConfirmation,
    HandoverInvitation,
    Invitation,
    JointAssessmentSubmitted,
    MessageContent,
    PersonalLink,
    QuestionAnswered,
    QuestionReminder,
    QuestionsAsked,
    Reminder,
    ReplyReceipt,
    ReplyReminder,
    ReportPublished,
    ReviewReceipt,
    ReviewReminder,
    ReviewRequest,
    ReviewTask,
    StageClosed,
    StatusDigest,
    SubmissionReceipt,
)
from notifications.templating import RenderedEmail, render_email
from review_model.answers import form_fields
from review_model.follow_up import follow_up_announcement
from review_model.questionnaire import Questionnaire
from review_model.reminders import days_left
from review_model.replies import reply_groups_per_submission
from review_model.status_digest import digest_figures
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    Recommendation,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.tokens import LINK_PATHS
from review_model.vocabulary import ActionLevel, RecommendationStatus, TokenPurpose

# Where the round has nobody yet to stand for a reader (and for a reviewed organisation): sample people.
SAMPLE_PERSON = Recipient(email="erika.mustermann@example.org", name="Erika Mustermann", language="de",
                          organisation="Stadt Musterstadt")  # fmt: skip
SAMPLE_ORGANISATION = "Landkreis Beispielhausen"
# The colleague a form is handed to or from, in the previews of a handover's two messages.
SAMPLE_COLLEAGUE = Recipient(email="max.mustermann@example.org", name="Max Mustermann", language="de")
# Sample figures for what the round has not counted yet (a party's findings, a reply's parts).
SAMPLE_FINDINGS = 12
SAMPLE_REPLIES = 2
SAMPLE_QUESTIONS = 2
# The coordinator's message stands in with a text of its own: the message-to-a-group page shows the real one.
SAMPLE_NOTE = {
    "de": ("Hinweis der Koordination", "hier steht Ihre Nachricht an eine Gruppe der Runde.\n\nZweiter Absatz."),
    "en": ("A note from the coordination team", "your message to a group of the round goes here.\n\nSecond paragraph."),
}


@dataclass(frozen=True)
class KindPreview:
    """One kind of message as one person would read it, in each language."""

    kind: str
    recipient: Recipient  # who it is rendered for (the language of each rendering is the one it is in)
    sample_recipient: bool  # True: nobody of the round stands for the reader, a sample person does
    emails: dict[str, RenderedEmail]  # by language, German first


@dataclass(frozen=True)
class _Reader:
    recipient: Recipient
    sample: bool
    enrolment_id: int | None = None
    organisation_id: int | None = None


def preview_messages(
    session: Session,
    round_: Round,
    *,
    sender: Sender,
    public_base_url: str,
    now: datetime,
    kinds: Iterable[str] | None = None,
    languages: Iterable[str] = LANGUAGES,
) -> list[KindPreview]:
    """Every kind of message (or the `kinds` named, each a key of MESSAGE_KINDS) rendered for a reader of the
    round in each of `languages`, in the order of MESSAGE_KINDS. Reads the round's people and figures once."""
    wanted = [kind for kind in MESSAGE_KINDS if kinds is None or kind in set(kinds)]
    samples = _Samples(session, round_, public_base_url.rstrip("/"), now)
    about = round_context(round_)
    previews = []
    for kind in wanted:
        reader, content_in = samples.for_kind(kind)
        emails = {
            language: _rendered(content_in(language), replace(reader.recipient, language=language), about, sender)
            for language in languages
        }
        previews.append(KindPreview(kind, reader.recipient, reader.sample, emails))
    return previews


def _rendered(content: MessageContent, recipient: Recipient, about: RoundContext, sender: Sender) -> RenderedEmail:
    values = {"recipient": recipient, "round": about, "sender": sender, "c": content}
    return render_email(content.kind, recipient.language, values)


class _Samples:
    """The facts each kind needs, read from the round once: who reads it, and its content in a language."""

    def __init__(self, session: Session, round_: Round, base: str, now: datetime):
        assert round_.id is not None
        self.session, self.round, self.base, self.now = session, round_, base, now
        self.questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        self.respondent = self._reader(col(Enrolment.is_respondent).is_(True))
        self.reviewer = self._reader(col(Enrolment.is_reviewer).is_(True))
        self.reviewed = self._reviewed()

    def link(self, purpose: TokenPurpose) -> str:
        return f"{self.base}/{LINK_PATHS[purpose]}/…"

    def _reader(self, role: ColumnElement[bool]) -> _Reader:
        """The first person of the round in the role who takes part (withdrawn people get nothing)."""
        found = self.session.exec(
            select(Enrolment, Participant, Organisation)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(Enrolment.round_id == self.round.id, role, col(Enrolment.withdrawn_at).is_(None))
            .order_by(col(Enrolment.id))
            .limit(1)
        ).first()
        if found is None:
            return _Reader(SAMPLE_PERSON, True)
        enrolment, participant, organisation = found
        return _Reader(recipient_for(participant, organisation), False, enrolment.id, organisation.id)

    def _reviewed(self) -> list[str]:
        """The organisations the sample reviewer reviews (their confirmed assignments, else the proposed ones),
        else another organisation of the round, else a sample one."""
        if self.reviewer.enrolment_id is not None:
            assigned = self.session.exec(
                select(Organisation.name, ReviewAssignment.confirmed_at)
                .select_from(ReviewAssignment)
                .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
                .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
                .join(Participant, col(Participant.id) == Enrolment.participant_id)
                .join(Organisation, col(Organisation.id) == Participant.organisation_id)
                .where(ReviewAssignment.reviewer_enrolment_id == self.reviewer.enrolment_id)
                .order_by(col(ReviewAssignment.id))
            ).all()
            confirmed = [name for name, at in assigned if at is not None]
            if confirmed or assigned:
                return confirmed or [name for name, _at in assigned]
        other = self.session.exec(
            select(Organisation.name)
            .join(Participant, col(Participant.organisation_id) == Organisation.id)
            .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
            .where(Enrolment.round_id == self.round.id, col(Enrolment.is_respondent),
                   col(Organisation.id) != (self.reviewer.organisation_id or -1))
            .order_by(col(Enrolment.id))
            .limit(1)
        ).first()  # fmt: skip
        return [other or SAMPLE_ORGANISATION]

    def _submission(self) -> Submission | None:
        if self.respondent.enrolment_id is None:
            return None
        return self.session.exec(
            select(Submission).where(Submission.enrolment_id == self.respondent.enrolment_id)
        ).first()

    def _published(self) -> list[Recommendation]:
        return list(
            self.session.exec(
                select(Recommendation).where(
                    Recommendation.round_id == self.round.id,
                    col(Recommendation.status).in_([RecommendationStatus.approved, RecommendationStatus.published]),
                )
            ).all()
        )

    def for_kind(self, kind: str) -> tuple[_Reader, Callable[[str], MessageContent]]:
        """Who reads `kind`, and its content in a language."""
        round_, now = self.round, self.now
        submit, review, comment = round_.submission_deadline, round_.review_deadline, round_.comment_deadline
        reminders = max(round_.max_reminders, 1)
        self_link = self.link(TokenPurpose.self_assessment)
        review_link, reply_link = self.link(TokenPurpose.review), self.link(TokenPurpose.reply)
        stop = self.link(TokenPurpose.reminders)
        tasks = tuple(ReviewTask(name, review_link) for name in self.reviewed)
        if kind == Invitation.kind:
            items = sum(1 for _ in self.questionnaire.items())
            # In a round that follows up an earlier one, the sentence on its recommendations, as this reader gets it.
            enrolment = self.respondent.enrolment_id
            announced = follow_up_announcement(self.session, round_, [enrolment] if enrolment is not None else [])
            follow_up = announced.for_enrolment(enrolment) if enrolment is not None else (None, 0)
            return self.respondent, lambda _l: Invitation(
                self_link, submit, self.questionnaire.title, items, *follow_up
            )
        if kind == HandoverInvitation.kind:
            items = sum(1 for _ in self.questionnaire.items())
            return self.respondent, lambda _l: HandoverInvitation(self_link, submit, self.questionnaire.title, items,
                                                                  SAMPLE_COLLEAGUE.name)  # fmt: skip
        if kind == HandoverConfirmation.kind:
            at = min(now, submit)
            return self.respondent, lambda _l: HandoverConfirmation(SAMPLE_COLLEAGUE.name, SAMPLE_COLLEAGUE.email, at,
                                                                    submit)  # fmt: skip
        if kind == Reminder.kind:
            return self.respondent, lambda _l: Reminder(self_link, submit, 1, reminders, days_left(submit, now),
                                                        stop_link=stop)  # fmt: skip
        if kind == DeadlineExtended.kind:
            # A week more, as an example: the real date is the one the coordinator picks.
            return self.respondent, lambda _l: DeadlineExtended(self_link, submit + timedelta(days=7), submit)
        if kind == SubmissionReceipt.kind:
            return self.respondent, self._receipt(self_link)
        if kind == StageClosed.kind:
            return self.respondent, lambda _l: StageClosed("submission", min(now, submit), True, "review")
        if kind == ReviewRequest.kind:
            return self.reviewer, lambda _l: ReviewRequest(review, tasks)
        if kind == ReviewReminder.kind:
            return self.reviewer, lambda _l: ReviewReminder(review, 1, reminders, days_left(review, now), tasks, stop)
        if kind == ReviewReceipt.kind:
            return self.reviewer, lambda _l: ReviewReceipt(self.reviewed[0], now, review_link, review)
        if kind in (ConsensusInvitation.kind, ConsensusReminder.kind, JointAssessmentSubmitted.kind):
            return self.reviewer, self._consensus(kind, review_link, stop, reminders)
        if kind == CommentInvitation.kind:
            submission = self._submission()
            groups = reply_groups_per_submission(self.session, round_)
            findings = groups.get(submission.id, 0) if submission is not None and groups else SAMPLE_FINDINGS
            approved = len(self._published())
            return self.respondent, lambda _l: CommentInvitation(reply_link, comment, findings, approved)
        if kind == ReplyReceipt.kind:
            return self.respondent, lambda _l: ReplyReceipt(reply_link, now, comment, SAMPLE_REPLIES)
        if kind == ReplyReminder.kind:
            return self.respondent, lambda _l: ReplyReminder(reply_link, comment, 1, reminders, days_left(comment, now),
                                                             stop)  # fmt: skip
        if kind == QuestionsAsked.kind:
            questions_link = self.link(TokenPurpose.questions)
            return self.respondent, lambda _l: QuestionsAsked(questions_link, review, SAMPLE_QUESTIONS)
        if kind == QuestionAnswered.kind:
            return self.reviewer, lambda _l: QuestionAnswered(self.reviewed[0], review_link, review)
        if kind == QuestionReminder.kind:
            questions_link = self.link(TokenPurpose.questions)
            left = days_left(review, now)
            return self.respondent, lambda _l: QuestionReminder(questions_link, review, 1, reminders, left,
                                                                SAMPLE_QUESTIONS, stop)  # fmt: skip
        if kind == ReportPublished.kind:
            published = self._published()
            levels = tuple(level.value for level in ActionLevel if any(r.action_level is level for r in published))
            report = f"{self.base}/reports/{round_.slug}"
            at = round_.publication_at or comment
            return self.respondent, lambda _l: ReportPublished(report, at, len(published), levels)
        if kind == StatusDigest.kind:
            return _Reader(coordinator_of(round_), False), self._digest()
        if kind == CoordinatorMessage.kind:
            links = (PersonalLink(TokenPurpose.self_assessment.value, self_link),)
            return self.respondent, lambda language: CoordinatorMessage(*SAMPLE_NOTE[language], links)
        raise KeyError(kind)

    def _consensus(self, kind: str, link: str, stop: str, reminders: int) -> Callable[[str], MessageContent]:
        """The consensus stage's messages, for a round without that stage a week after its review deadline (the
        length the example round file suggests)."""
        ends = self.round.consensus_deadline or self.round.review_deadline + timedelta(days=7)
        tasks = tuple(ConsensusTask(name, link, number == 0, 2) for number, name in enumerate(self.reviewed))
        if kind == ConsensusInvitation.kind:
            return lambda _l: ConsensusInvitation(ends, tasks)
        if kind == ConsensusReminder.kind:
            return lambda _l: ConsensusReminder(ends, 1, reminders, days_left(ends, self.now), tasks, stop)
        return lambda _l: JointAssessmentSubmitted(self.reviewed[0], f"{link}/consensus", ends)

    def _receipt(self, link: str) -> Callable[[str], MessageContent]:
        """The receipt of the sample respondent's submission as they sent it, if they did; else of version 1."""
        submission = self._submission()
        fields = form_fields(self.questionnaire)
        round_, now = self.round, self.now

        def receipt(language: str) -> MessageContent:
            if submission is None or not submission.version:
                return SubmissionReceipt(link, 1, now, round_.submission_deadline)
            summary = answer_summary(self.questionnaire, fields, submission.answers, language)
            return SubmissionReceipt(link, submission.version, submission.submitted_at or now,
                                     round_.submission_deadline, summary)  # fmt: skip

        return receipt

    def _digest(self) -> Callable[[str], MessageContent]:
        """Today's digest, counted now as the round driver counts it."""
        zone = ZoneInfo(self.round.time_zone)
        day = self.now.astimezone(zone).date()
        figures = digest_figures(self.session, self.round, day, self.now)
        left = (figures.deadline.astimezone(zone).date() - day).days if figures.deadline else None
        content = StatusDigest(
            stage=self.round.stage.value, deadline=figures.deadline, days_left=left, counts=figures.counts,
            failed_messages=figures.failed_messages, since=figures.since, changes=figures.changes,
            stages_entered=tuple(figures.stages_entered), to_do=tuple(figures.to_do),
        )  # fmt: skip
        return lambda _l: content
