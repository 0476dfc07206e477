"""What a coordinator does to a running round, as plain functions: ids and an actor in, a result or a refusal
with every reason out. The command line checks and asks, the flows in workflows.flows run these (so each
action is a flow run in Prefect's history of the round), and the round driver then does what follows.

None of them sends email itself: what they queue goes out with the round's next advance, which the caller
starts at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.translations import gettext_for, ngettext_for
from notifications.addressing import recipient_for, round_context
from notifications.compose import compose_message
from notifications.group_messages import compose_group_messages, queued_before
from notifications.handover_messages import handover_messages
from notifications.message_kinds import (
    Invitation,
    MessageContent,
    ReplyReceipt,
    ReviewReceipt,
    ReviewRequest,
    ReviewTask,
    SubmissionReceipt,
)
from notifications.outbox import drop_unsent, enqueue_messages, requeue_failed
from review_model import clock
from review_model.adoption import record_adoption
from review_model.audit_trail import record_event
from review_model.follow_up import follow_up_announcement
from review_model.group_messages import GroupMessageText, group_of, refuse_unless_sendable
from review_model.handover import Colleague, HandoverRefused, hand_over
from review_model.lead_reviewer import change_lead
from review_model.people_filter import PeopleFilter
from review_model.questionnaire import Questionnaire
from review_model.refusals import Reason, Refused, reasons_in
from review_model.round_assignment import AssignmentRefused, confirm_assignment, swap_reviewer
from review_model.round_lock import lock_round
from review_model.round_people import person_in_round
from review_model.rounds import get_round, round_progress
from review_model.stage_links import links_to_resend
from review_model.stage_rules import CLOSES_EARLY, publication_waits_until, stage_after, transition_blockers
from review_model.store import reading_session, session_scope
from review_model.tables import (
    AccessToken,
    Enrolment,
    Organisation,
    OutboxMessage,
    Participant,
    Recommendation,
    Round,
    Submission,
)
from review_model.tokens import derive_token, revoke_link
from review_model.transitions import TransitionRefused
from review_model.vocabulary import OutboxState, RecommendationStatus, Stage, TokenPurpose
from review_model.withdrawal import Withdrawal, plan_withdrawal, revocation_reason_problems, withdraw
from workflows.command_language import coordinator_language, coordinator_messages, coordinator_plurals, stage_name
from workflows.round_driver import STAGE_STEPS
from workflows.stages.comment import reply_invitations
from workflows.stages.consensus import consensus_invitation_for
from workflows.stages.context import StageContext


class ActionRefused(Refused):
    """The action cannot be taken; `reasons` lists every reason found."""


@dataclass(frozen=True)
class StageClosed:
    before: Stage
    after: Stage  # the stage the round is in now
    queued: int  # messages queued by the closing
    publication_planned: bool = False  # the right of reply ended; the report is published on its planned date


@dataclass(frozen=True)
class EarlyClose:
    """Closing the round's current stage now: from which stage to which, and, in the comment stage, the
    planned publication date the report waits for (None: publication follows at once)."""

    stage: Stage
    target: Stage
    publication_planned: datetime | None


def early_close(session: Session, round_: Round, now: datetime) -> EarlyClose:
    """Whether the round's current stage may close now; ActionRefused with every reason if not."""
    stage, target = round_.stage, stage_after(round_)
    _, language = coordinator_messages(), coordinator_language()
    if stage not in CLOSES_EARLY or target is None:
        early = {f"stage{n}": stage_name(closing, language) for n, closing in enumerate(CLOSES_EARLY, 1)}
        raise ActionRefused(
            [_("round {slug} is in stage {stage}; only {stage1}, {stage2}, {stage3} and {stage4} close early").format(
                slug=round_.slug, stage=stage_name(stage, language), **early)]
        )  # fmt: skip
    assert round_.id is not None
    blockers = transition_blockers(round_, target, round_progress(session, round_.id), now, forced=True)
    if blockers:
        closes = _("the {stage} stage of {slug} cannot close: {reasons}").format(
            stage=stage_name(stage, language), slug=round_.slug, reasons="; ".join(reasons_in(language, blockers))
        )
        raise ActionRefused(blockers, closes)
    return EarlyClose(stage, target, publication_waits_until(round_, now))


def close_stage_now(context: StageContext, round_id: int, actor: str, publish_now: bool = False) -> StageClosed:
    """Close the round's current stage before its deadline: submission (on to reviewer assignment), review (on
    to consensus, or to consolidation where the round has none), consensus (on to consolidation) or comment
    (publication, once every reviewed party has replied). A comment stage closed before a planned publication
    date ends the right of reply and publishes on that date, unless `publish_now`.
    """
    from workflows.stages.comment import end_right_of_reply

    with reading_session(context.engine) as session:
        closing = early_close(session, get_round(session, round_id), clock.now())
    if closing.stage is Stage.comment and closing.publication_planned is not None and not publish_now:
        end_right_of_reply(context, round_id, actor)
        return StageClosed(closing.stage, closing.stage, 0, publication_planned=True)
    try:
        queued = STAGE_STEPS[closing.target][1](context, round_id, actor, forced=True)
    except TransitionRefused as refused:  # the round changed since the check above
        raise ActionRefused(refused.reasons) from None
    return StageClosed(closing.stage, closing.target, queued)


def confirm_round_assignment(context: StageContext, round_id: int, actor: str) -> int:
    """Check every rule of the round again and confirm its proposed assignment; returns the pairs confirmed.
    Raises ActionRefused with the rules broken."""
    with session_scope(context.engine) as session:
        round_ = get_round(session, round_id)
        try:
            confirmed = confirm_assignment(session, round_, clock.now())
        except AssignmentRefused as refused:
            raise ActionRefused(refused.reasons) from None  # each reason keeps its words for any language
        record_event(session, round_id, actor, "assignment confirmed", pairs=confirmed)
    return confirmed


def decide_recommendations(context: StageContext, round_id: int, ids: list[int], approve: bool, actor: str) -> int:
    """Approve (or reject) drafted recommendations by id; returns how many were decided.

    Recommendations are decided in the drafting stage only: once the right of reply has opened, the parties
    have been told what was approved, and the report must say the same.
    """
    status = RecommendationStatus.approved if approve else RecommendationStatus.rejected
    with session_scope(context.engine) as session:
        round_ = get_round(session, round_id)
        if round_.stage is not Stage.drafting:
            raise ActionRefused([_decided_in_drafting(round_)])
        chosen = session.exec(
            select(Recommendation).where(Recommendation.round_id == round_id, col(Recommendation.id).in_(ids))
        ).all()
        missing = sorted(set(ids) - {r.id for r in chosen})
        if missing:
            raise ActionRefused([_no_recommendation(round_, missing)])
        now = clock.now()
        for recommendation in chosen:
            recommendation.status, recommendation.decided_at, recommendation.decided_by = status, now, actor
        record_event(session, round_id, actor, f"recommendations {status.value}", ids=ids)
    return len(chosen)


@dataclass(frozen=True)
class RecommendationEdited:
    before: dict[str, Any]
    after: dict[str, Any]
    reopened: bool  # it was approved: it needs approving again

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def changes_in(self, language: str) -> list[str]:
        """What changed, in `language`: each text named whether or not it changed, so that an edit of one
        language never passes for an edit of both; then the priority and the quotes left out, if they were."""
        _, ngettext = gettext_for(language, "workflows"), ngettext_for(language, "workflows")
        before, after = self.before, self.after
        said = [
            _("German text changed") if before["text_de"] != after["text_de"] else _("German text is unchanged"),
            _("English text changed") if before["text_en"] != after["text_en"] else _("English text is unchanged"),
        ]
        if before["priority"] != after["priority"]:
            said.append(_("priority {before} → {after}").format(before=before["priority"], after=after["priority"]))
        if before["quotes"] != after["quotes"]:
            left_out = len(before["quotes"]) - len(after["quotes"])
            said.append(ngettext("{n} quote(s) left out", "{n} quote(s) left out", left_out).format(n=left_out))
        return said


def edit_recommendation(
    context: StageContext,
    round_id: int,
    recommendation_id: int,
    actor: str,
    *,
    de: str | None = None,
    en: str | None = None,
    priority: int | None = None,
    remove_quotes: Sequence[int] = (),
) -> RecommendationEdited:
    """Change a drafted recommendation's texts, priority or quotes (numbered from 1). An approved one goes
    back to draft, so nothing reaches the report in a wording nobody approved; the audit trail keeps the
    previous wording. Raises ActionRefused with every reason."""
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)
        recommendation = session.get(Recommendation, recommendation_id)
        if recommendation is None or recommendation.round_id != round_id:
            raise ActionRefused([_no_recommendation(round_, [recommendation_id])])
        _, ngettext = coordinator_messages(), coordinator_plurals()
        reasons = []
        if round_.stage is not Stage.drafting:
            reasons.append(_decided_in_drafting(round_))
        quotes = list(recommendation.evidence.get("quotes", []))
        for number in sorted(set(remove_quotes)):
            if not 1 <= number <= len(quotes):
                no_quote = ngettext(
                    "recommendation {id} has {n} quote(s); there is no quote {number}",
                    "recommendation {id} has {n} quote(s); there is no quote {number}",
                    len(quotes),
                )
                reasons.append(no_quote.format(id=recommendation_id, n=len(quotes), number=number))
        if de is not None and not de.strip():
            reasons.append(_("the German text cannot be empty"))
        if reasons:
            raise ActionRefused(reasons)
        before = {"text_de": recommendation.text_de, "text_en": recommendation.text_en,
                  "priority": recommendation.priority, "quotes": list(quotes)}  # fmt: skip
        for number in sorted(set(remove_quotes), reverse=True):
            del quotes[number - 1]
        after: dict[str, Any] = {
            "text_de": de.strip() if de is not None else recommendation.text_de,
            "text_en": (en.strip() or None) if en is not None else recommendation.text_en,
            "priority": priority if priority is not None else recommendation.priority,
            "quotes": quotes,
        }
        edited = RecommendationEdited(before, after, reopened=False)
        if not edited.changed:
            return edited
        recommendation.text_de, recommendation.text_en, recommendation.priority = (
            after["text_de"], after["text_en"], after["priority"])  # fmt: skip
        if quotes != before["quotes"]:
            recommendation.evidence = {**recommendation.evidence, "quotes": quotes}
        reopened = recommendation.status is RecommendationStatus.approved
        if reopened:
            recommendation.status, recommendation.decided_at, recommendation.decided_by = (
                RecommendationStatus.draft, None, None)  # fmt: skip
        record_event(session, round_id, actor, "recommendation edited", id=recommendation_id, before=before,
                     after=after)  # fmt: skip
    return RecommendationEdited(before, after, reopened)


def _decided_in_drafting(round_: Round) -> str:
    """Why recommendations of a round past (or before) the drafting stage cannot be decided or edited."""
    _, language = coordinator_messages(), coordinator_language()
    said = _("round {slug} is in stage {stage}: recommendations are decided in the {drafting} stage")
    return said.format(
        slug=round_.slug, stage=stage_name(round_.stage, language), drafting=stage_name(Stage.drafting, language)
    )


def _no_recommendation(round_: Round, ids: Sequence[int]) -> str:
    """That the round has none of these recommendations."""
    ngettext = coordinator_plurals()
    said = ngettext("round {slug} has no recommendation {ids}", "round {slug} has no recommendation {ids}", len(ids))
    return said.format(slug=round_.slug, ids=", ".join(map(str, ids)))


def revoke_links(context: StageContext, round_id: int, participant_id: int, actor: str, reason: str) -> int:
    """Make every personal link of a person in the round open nothing from now on (a link that reached the
    wrong hands, say); returns how many. What they saved or submitted stays, and the next message they get
    carries a new link. The audit trail says who revoked, whose and why."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)
        enrolment = session.exec(
            select(Enrolment).where(Enrolment.round_id == round_id, Enrolment.participant_id == participant_id)
        ).first()
        if enrolment is None:
            _ = coordinator_messages()
            raise ActionRefused(
                [_("participant {id} takes no part in {slug}").format(id=participant_id, slug=round_.slug)]
            )
        problems = revocation_reason_problems(reason)
        if problems:
            raise ActionRefused(problems)
        links = session.exec(
            select(AccessToken).where(AccessToken.enrolment_id == enrolment.id, col(AccessToken.revoked_at).is_(None))
        ).all()
        for access in links:
            revoke_link(access, now)
        record_event(session, round_id, actor, "links revoked", participant=participant_id, links=len(links),
                     reason=reason)  # fmt: skip
    return len(links)


# What a withdrawn person still gets if it is queued: the receipt of what they sent, their record of it.
_RECEIPTS = (SubmissionReceipt.kind, ReviewReceipt.kind, ReplyReceipt.kind)


@dataclass(frozen=True)
class Withdrawn:
    withdrawal: Withdrawal  # what withdrawing them did (see review_model.withdrawal)
    links_revoked: int
    messages_dropped: int  # queued messages that would have asked them to act


def withdraw_participant(
    context: StageContext, round_id: int, participant_id: int, actor: str, reason: str
) -> Withdrawn:
    """Withdraw a person from the round: their organisation leaves, or they asked to be withdrawn.

    Their links open nothing from now on, messages to them not yet sent are dropped (but receipts), and
    nothing is asked of them again; what they submitted stays (review_model.withdrawal says what counts).
    The audit trail says who withdrew whom and why. Raises WithdrawalRefused (a Refused) with every reason:
    a published round, a person not in the round or withdrawn already, no reason given.
    """
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # not while the driver invites, reminds or closes a stage
        planned = plan_withdrawal(session, round_, participant_id, reason)
        dropped = drop_unsent(session, round_id, participant_id, keep_kinds=_RECEIPTS)
        revoked = withdraw(session, planned, actor, reason, now, messages_dropped=dropped)
    return Withdrawn(planned, revoked, dropped)


@dataclass(frozen=True)
class FormHandedOver:
    """A self-assessment handed to a colleague by the coordinator, on the respondent's word."""

    first_name: str
    colleague_name: str
    organisation: str
    colleague_created: bool  # a new participant of the organisation
    first_link_kept: bool
    queued: int  # the colleague's invitation and the first person's confirmation


def record_round_adoption(
    context: StageContext, round_id: int, body: str, on: date, changes: str | None, actor: str
) -> None:
    """Record that `body` adopted the round's results on `on`, with the changes noted (review_model.adoption);
    a round that waits for it may then be published. Raises AdoptionRefused (a Refused) with every reason."""
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)
        record_adoption(session, round_, body, on, changes, actor, clock.now())


def hand_over_form(
    context: StageContext, round_id: int, participant_id: int, colleague: Colleague, actor: str
) -> FormHandedOver:
    """Hand the self-assessment the person answers for their organisation to a colleague of the same
    organisation, as the portal's handover page does (review_model.handover says what changes): the colleague
    gets an invitation with a link of their own, the person a confirmation; the history records it under the
    coordinator. Raises HandoverRefused (a Refused) with every reason."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)
        found = person_in_round(session, round_id, participant_id)
        enrolment = found[0] if found is not None else None
        if enrolment is None or enrolment.id is None:
            raise HandoverRefused([Reason("{who} takes no part in {slug}", who=Reason("participant {id}",
                                                                                      id=participant_id),
                                          slug=round_.slug)])  # fmt: skip
        first_link = session.exec(
            select(AccessToken).where(
                AccessToken.enrolment_id == enrolment.id,
                AccessToken.purpose == TokenPurpose.self_assessment,
                col(AccessToken.revoked_at).is_(None),
            )
        ).first()
        expires = context.link_expiry(round_, round_.submission_deadline)
        handed = hand_over(session, round_, enrolment.id, colleague, actor=actor, secret=context.secret,
                           link_expires_at=expires, now=now)  # fmt: skip
        kept = None
        if first_link is not None:
            kept = context.link(TokenPurpose.self_assessment, derive_token(context.secret, first_link.nonce))
        messages = handover_messages(handed, round_, sender=context.sender, link=context.link, first_link=kept, now=now)
        queued = enqueue_messages(session, messages, now)
        return FormHandedOver(handed.first_person.name, handed.colleague.name, handed.organisation.name,
                              handed.colleague_created, handed.first_link_kept, queued)  # fmt: skip


@dataclass(frozen=True)
class GroupMessageSent:
    send_id: str  # the send's id, in the idempotency key of each of its messages
    recipients: int  # people the message is for
    queued: int  # messages queued now
    already_queued: int  # of the recipients, those this send had queued before (a retry queues nothing twice)
    left_out: int  # matched by the filter, but withdrawn

    def repeats_in(self, language: str) -> str:
        """The sentence on those an earlier send of the same message reached already, or nothing."""
        if not self.already_queued:
            return ""
        ngettext = ngettext_for(language, "workflows")
        return ngettext(
            "{n} had it from an earlier send of the same message and gets it once.",
            "{n} had it from an earlier send of the same message and get it once.",
            self.already_queued,
        ).format(n=self.already_queued)


def message_group(
    context: StageContext,
    round_id: int,
    people: PeopleFilter,
    subject_de: str | None,
    body_de: str | None,
    subject_en: str | None,
    body_en: str | None,
    actor: str,
    *,
    send_id: str | None = None,
) -> GroupMessageSent:
    """Queue the coordinator's message to the people of the round the filter picks: each gets the text in their
    language (or the one written), with their personal links of the current stage where they hold any, through
    the one email layout. Withdrawn people get nothing (those who stopped their reminders get it: it is no reminder).

    The same send is queued once: its messages carry `send_id` in their idempotency keys (by default an id of
    the round, the filter and the text, so a retried send, or the same message sent to the same group again,
    queues nothing new; give another id to send it again). Raises GroupMessageRefused (a Refused) with every
    reason: no subject or text, too long, nobody matches, a round not under way. See
    notifications.group_messages.preview_group_message for what the coordinator confirms first.
    """
    now = clock.now()
    text = GroupMessageText.of(subject_de, body_de, subject_en, body_en)
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # not while the driver closes the stage the links belong to
        group = group_of(session, round_, people, now)
        refuse_unless_sendable(round_, text, group)
        send = send_id or text.send_id(round_id, people)
        had_it = queued_before(session, round_id, send)
        members = [member for member in group.members if member.participant.id not in had_it]
        messages = compose_group_messages(
            session, round_id, text, members, send, sender=context.sender, secret=context.secret,
            public_base_url=context.public_base_url, now=now,
        )  # fmt: skip
        queued = enqueue_messages(session, messages, now)
        if queued:
            # The group as the filter picked it, without the search text (it may be a person's name).
            picked = {name: value for name, value in people.as_record().items() if name != "search"}
            record_event(session, round_id, actor, "group message queued", send=send, filter=picked,
                         searched=people.search is not None, recipients=len(group.members), queued=queued,
                         languages=list(text.languages), subject_de=text.subject_de or None,
                         subject_en=text.subject_en or None)  # fmt: skip
    return GroupMessageSent(send, len(group.members), queued, len(group.members) - queued, group.left_out)


@dataclass(frozen=True)
class LinkResent:
    stage: Stage
    kind: str  # the message sent again: invitation, review_request, consensus_invitation or comment_invitation
    links: int  # the links it carries
    queued: int


def resend_link(context: StageContext, round_id: int, participant_id: int, actor: str) -> LinkResent:
    """Send a person their personal link of the current stage again, as a new message of the stage's kind: the
    invitation in submission, the review request in review, the invitation to the consensus (with the links of
    the reviews they submitted) in consensus, the invitation to reply in comment. It carries the
    very link they hold (made again from its stored nonce), never a new one. Raises ResendRefused (a Refused)
    with every reason: not in the round, withdrawn, a stage without links, no link held, a link
    revoked or expired."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)
        held = links_to_resend(session, round_, participant_id, now, Reason("participant {id}", id=participant_id))
        links, enrolment = held.links, held.enrolment
        recipient = recipient_for(held.participant, held.organisation)
        urls = [context.link(link.purpose, derive_token(context.secret, link.nonce)) for link in links]
        content: MessageContent
        if round_.stage is Stage.review:
            tasks = tuple(ReviewTask(link.reviewed or "", url) for link, url in zip(links, urls, strict=True))
            content = ReviewRequest(round_.review_deadline, tasks)
        elif round_.stage is Stage.consensus:
            assert enrolment.id is not None
            content = consensus_invitation_for(session, context, round_, enrolment.id)
        elif round_.stage is Stage.comment:
            submission = session.exec(select(Submission.id).where(Submission.enrolment_id == enrolment.id)).first()
            content = reply_invitations(session, round_)(submission, urls[0])
        else:
            questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
            assert enrolment.id is not None
            follow_up = follow_up_announcement(session, round_, [enrolment.id]).for_enrolment(enrolment.id)
            content = Invitation(urls[0], round_.submission_deadline, questionnaire.title,
                                 sum(1 for _ in questionnaire.items()), *follow_up)  # fmt: skip
        message = compose_message(content, recipient, round_context(round_), context.sender, stage=round_.stage.value,
                                  now=now, sequence=f"resent-{now:%Y%m%d%H%M%S}")  # fmt: skip
        queued = enqueue_messages(session, [message], now)
        record_event(session, round_id, actor, "link sent again", participant=participant_id, kind=content.kind,
                     links=len(links), queued=queued)  # fmt: skip
    return LinkResent(round_.stage, content.kind, len(links), queued)


@dataclass(frozen=True)
class MessagesRequeued:
    ids: tuple[int, ...]  # the messages queued again, each to its recipient's current address


def retry_failed_messages(
    engine: Engine, round_id: int | None, actor: str, message_id: int | None = None
) -> MessagesRequeued:
    """Queue failed messages again (after an address was corrected, say): every failed message of the round (of
    every round with None), or the one with `message_id`. Each keeps its Message-ID and goes to the recipient's
    current address. Raises ActionRefused when the one message asked for is not a failed one that can be sent.
    It takes the store alone (a StageContext's `engine`): nothing is composed, no link made."""
    with session_scope(engine) as session:
        requeued = requeue_failed(session, clock.now(), round_id=round_id, message_id=message_id)
        if message_id is not None and not requeued:
            raise ActionRefused(_not_requeued(session, round_id, message_id))
        if requeued:
            record_event(session, round_id, actor, "failed messages requeued", count=len(requeued))
        return MessagesRequeued(tuple(m.id for m in requeued if m.id is not None))


def _not_requeued(session: Session, round_id: int | None, message_id: int) -> list[str]:
    """Why the message asked for cannot be sent again, in the coordinator's language."""
    _ = coordinator_messages()
    message = session.get(OutboxMessage, message_id)
    if message is None or (round_id is not None and message.round_id != round_id):
        return [_("no failed message with id {id}").format(id=message_id)]
    if message.state is not OutboxState.failed:
        return [_("message {id} is {state}, not failed").format(id=message_id, state=message.state.value)]
    return [_("message {id} could not be built, so there is nothing to send again: {error}").format(
        id=message_id, error=message.last_error or "")]  # fmt: skip


@dataclass(frozen=True)
class ReviewerSwapped:
    submission_id: int
    removed: str  # the reviewer taken off (their address)
    added: str  # the reviewer put on


def swap_reviewer_in_round(
    engine: Engine, round_id: int, submission_id: int, remove: int | str, add: int | str, actor: str
) -> ReviewerSwapped:
    """Replace one reviewer of a submission by another in the proposed assignment; each reviewer is given as a
    participant id or an email address. Every rule of the round is checked; AssignmentRefused (a Refused) names
    each one broken. The changed assignment is confirmed again as a whole. It takes the store alone (a
    StageContext's `engine`): nobody is told until the assignment is confirmed."""
    with session_scope(engine) as session:
        round_ = lock_round(session, round_id)
        unknown = [person for person in (remove, add) if isinstance(person, int) and session.get(Participant, person)
                   is None]  # fmt: skip
        if unknown:
            # the reasons of review_model.withdrawal, in its catalog
            raise AssignmentRefused([Reason("{who} takes no part in {slug}", who=Reason("participant {id}", id=person),
                                            slug=round_.slug) for person in unknown])  # fmt: skip
        removed, added = (_address(session, person) for person in (remove, add))
        swap_reviewer(session, round_, submission_id, removed, added, clock.now())
        record_event(session, round_id, actor, "reviewer swapped", submission=submission_id,
                     reviewed=_organisation_of(session, submission_id), removed=removed, added=added)  # fmt: skip
    return ReviewerSwapped(submission_id, removed, added)


@dataclass(frozen=True)
class LeadChanged:
    submission_id: int
    lead: str  # the new lead reviewer's address
    before: str | None  # the lead before, if there was one


def change_lead_reviewer(
    engine: Engine, round_id: int, submission_id: int, reviewer_email: str, actor: str
) -> LeadChanged:
    """Make another of a party's reviewers its lead, who writes the joint assessment in the consensus stage
    (review_model.lead_reviewer). LeadRefused (a Refused) names every reason it cannot. It takes the store
    alone (a StageContext's `engine`): the reviewers learn who leads from their consensus page."""
    with session_scope(engine) as session:
        round_ = lock_round(session, round_id)
        before = change_lead(session, round_, submission_id, reviewer_email, clock.now())
        record_event(session, round_id, actor, "lead reviewer changed", submission=submission_id,
                     reviewed=_organisation_of(session, submission_id), lead=reviewer_email.lower(),
                     before=before)  # fmt: skip
    return LeadChanged(submission_id, reviewer_email.lower(), before)


def _address(session: Session, person: int | str) -> str:
    if isinstance(person, str):
        return person
    participant = session.get(Participant, person)
    assert participant is not None  # checked by the caller
    return participant.email


def _organisation_of(session: Session, submission_id: int) -> str | None:
    return session.exec(
        select(Organisation.name)
        .join(Participant, col(Participant.organisation_id) == Organisation.id)
        .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
        .join(Submission, col(Submission.enrolment_id) == Enrolment.id)
        .where(Submission.id == submission_id)
    ).first()
