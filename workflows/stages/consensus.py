"""The consensus stage: open it (each reviewer with a submitted review is asked, with the link to their review
form, which stays open until the consensus deadline), remind those whose joint assessment is still to write or to
answer, and tell the co-reviewers when a lead submits (review_model.consensus says what may be done)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import OutgoingMessage, Recipient, compose_message
from notifications.message_kinds import ConsensusInvitation, ConsensusReminder, ConsensusTask, StageClosed
from notifications.outbox import enqueue_messages, enqueue_reminders
from review_model.audit_trail import ROUND_DRIVER, record_event
from review_model.co_reviewers import disputed_keys
from review_model.lead_reviewer import hand_leads_to_submitted_reviewers
from review_model.questionnaire import Questionnaire
from review_model.reminder_opt_out import receives
from review_model.reminders import Numbering, ReminderCount, days_left
from review_model.reviews import REVIEWED_ORGANISATION, confirmed_assignments
from review_model.tables import (
    AssessmentEndorsement,
    Enrolment,
    JointAssessment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    Round,
)
from review_model.tokens import issue_link
from review_model.vocabulary import Stage, TokenPurpose
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part
from workflows.stages.context import StageContext, enter_stage_and_tell, remind_on_schedule
from workflows.stages.reminder_links import stop_links


@dataclass(frozen=True)
class _Party:
    """One party a reviewer reviewed, as the consensus stage sees it."""

    assignment_id: int
    submission_id: int
    reviewer: Enrolment
    reviewed: str
    submitted: bool  # the reviewer's review: only those who submitted take part
    lead: bool
    open: bool  # the lead's joint assessment not yet submitted, or a co-reviewer's answer to a submitted one missing


def open_consensus_stage(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Move from review into consensus: each reviewer with a submitted review gets one invitation listing their
    parties (lead or not, points to discuss) with their review links; a reviewer who submitted none is told the
    review stage has closed."""
    return enter_stage_and_tell(context, round_id, Stage.consensus, actor, _invite, forced=forced,
                                recorded_as="invitations")  # fmt: skip


def _invite(session: Session, context: StageContext, round_: Round, now: datetime) -> int:
    assert round_.id is not None and round_.consensus_deadline is not None
    handed = hand_leads_to_submitted_reviewers(session, round_.id)
    if handed:
        record_event(session, round_.id, ROUND_DRIVER, "lead reviewers handed on", parties=sorted(handed),
                     assignments=[handed[party] for party in sorted(handed)])  # fmt: skip
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    messages = []
    for recipient, parties in _parties_by_reviewer(session, round_.id).items():
        taking = [party for party in parties if party.submitted]
        if taking:
            tasks = _tasks(session, context, round_, questionnaire, taking)
            content = ConsensusInvitation(round_.consensus_deadline, tasks)
            messages.append(compose_message(content, recipient, round_context(round_), context.sender,
                                            stage="consensus", now=now))  # fmt: skip
        else:
            closed = StageClosed("review", min(now, round_.review_deadline), False, "consolidation")
            messages.append(compose_message(closed, recipient, round_context(round_), context.sender, stage="review",
                                            now=now))  # fmt: skip
    return enqueue_messages(session, messages, now)


def send_due_consensus_reminders(context: StageContext, round_id: int) -> int:
    """Remind, on the round's reminder days before the consensus deadline, the leads whose joint assessment is
    not submitted and the co-reviewers who have not answered a submitted one."""

    def deadline(round_: Round) -> datetime:
        assert round_.consensus_deadline is not None  # a round in consensus has its deadline
        return round_.consensus_deadline

    return remind_on_schedule(context, round_id, Stage.consensus, deadline, remind_consensus)


def remind_consensus(
    session: Session, context: StageContext, round_: Round, number_of: Numbering, now: datetime
) -> int:  # fmt: skip
    """Queue a consensus reminder, listing what is open, to each reviewer `number_of` gives a number (it is
    given the reviewer and the consensus reminders they had); never to someone who stopped their reminders."""
    assert round_.id is not None and round_.consensus_deadline is not None
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    reminders: list[tuple[OutgoingMessage, Enrolment, ReminderCount, int]] = []
    for recipient, parties in _parties_by_reviewer(session, round_.id).items():
        pending = [party for party in parties if party.submitted and party.open]
        if not pending:
            continue
        reviewer = pending[0].reviewer
        if reviewer.bounced_at is not None or not receives(reviewer, ConsensusReminder.kind):
            continue
        numbered = number_of(recipient.email, reviewer.consensus_reminders_sent)
        if numbered is None:
            continue
        number, sequence = numbered
        assert reviewer.id is not None
        stop = stop_links(session, context, round_, [reviewer.id])[reviewer.id]
        content = ConsensusReminder(round_.consensus_deadline, number, max(round_.max_reminders, number),
                                    days_left(round_.consensus_deadline, now),
                                    _tasks(session, context, round_, questionnaire, pending), stop)  # fmt: skip
        message = compose_message(content, recipient, round_context(round_), context.sender, stage="consensus",
                                  now=now, sequence=sequence)  # fmt: skip
        reminders.append((message, reviewer, "consensus_reminders_sent", number))
    return enqueue_reminders(session, reminders, now)


def consensus_invitation_for(
    session: Session, context: StageContext, round_: Round, enrolment_id: int
) -> ConsensusInvitation:
    """The invitation to the consensus one reviewer got, as it stands now (a link sent again): the parties
    whose review they submitted, with the link to each review form."""
    assert round_.id is not None and round_.consensus_deadline is not None
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    mine = [party for parties in _parties_by_reviewer(session, round_.id, enrolment_id).values() for party in parties]
    tasks = _tasks(session, context, round_, questionnaire, [party for party in mine if party.submitted])
    return ConsensusInvitation(round_.consensus_deadline, tasks)


def _parties_by_reviewer(
    session: Session, round_id: int, enrolment_id: int | None = None
) -> dict[Recipient, list[_Party]]:
    """Each reviewer's confirmed assignments (or only those of the reviewer `enrolment_id`), in assignment order,
    with what is open in consensus; withdrawn reviewers have none."""
    assessed = select(JointAssessment.submission_id).where(
        JointAssessment.round_id == round_id, col(JointAssessment.submitted_at).is_not(None)
    )
    answered = select(AssessmentEndorsement.assignment_id)
    statement = (
        confirmed_assignments(
            select_columns(
                ReviewAssignment.id, ReviewAssignment.submission_id, ReviewAssignment.is_lead, Enrolment, Participant,
                Organisation, REVIEWED_ORGANISATION.name, Review.is_submitted,
                col(ReviewAssignment.submission_id).in_(assessed), col(ReviewAssignment.id).in_(answered),
            ),
            round_id,
        )
        .where(taking_part())
        .order_by(col(ReviewAssignment.id))
    )  # fmt: skip
    if enrolment_id is not None:
        statement = statement.where(ReviewAssignment.reviewer_enrolment_id == enrolment_id)
    parties: dict[Recipient, list[_Party]] = defaultdict(list)
    for (assignment_id, submission_id, lead, enrolment, person, organisation, reviewed, submitted, has_assessment,
         has_answer) in session.exec(statement).all():  # fmt: skip
        still_open = not has_assessment if lead else bool(has_assessment) and not has_answer
        parties[recipient_for(person, organisation)].append(
            _Party(assignment_id, submission_id, enrolment, reviewed, bool(submitted), bool(lead), still_open)
        )
    return parties


def _tasks(
    session: Session, context: StageContext, round_: Round, questionnaire: Questionnaire, parties: list[_Party]
) -> tuple[ConsensusTask, ...]:
    """The parties with the link to each review form, its expiry moved out to the consensus deadline."""
    assert round_.id is not None and round_.consensus_deadline is not None
    expires = context.link_expiry(round_, round_.consensus_deadline)
    tasks = []
    for party in parties:
        assert party.reviewer.id is not None
        issued = issue_link(session, context.secret, round_id=round_.id, enrolment_id=party.reviewer.id,
                            purpose=TokenPurpose.review, expires_at=expires,
                            assignment_id=party.assignment_id)  # fmt: skip
        disputed = len(disputed_keys(session, questionnaire, party.submission_id))
        tasks.append(ConsensusTask(party.reviewed, context.link(TokenPurpose.review, issued.token), party.lead,
                                   disputed))  # fmt: skip
    return tuple(tasks)
