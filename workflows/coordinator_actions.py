"""What a coordinator does to a running round, as plain functions: ids and an actor in, a result or a refusal
with every reason out. The command line checks and asks, the flows in workflows.flows run these (so each
action is a flow run in Prefect's history of the round), and the round driver then does what follows.

None of them sends email itself: what they queue goes out with the round's next advance, which the caller
starts at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from config.translations import gettext_for, ngettext_for
from notifications.message_kinds import ReplyReceipt, ReviewReceipt, SubmissionReceipt
from notifications.outbox import drop_unsent
from review_model import clock
from review_model.audit_trail import record_event
from review_model.refusals import Refused, reasons_in
from review_model.round_assignment import AssignmentRefused, confirm_assignment
from review_model.round_lock import lock_round
from review_model.rounds import get_round, round_progress
from review_model.stage_rules import CLOSES_EARLY, next_stage, publication_waits_until, transition_blockers
from review_model.store import reading_session, session_scope
from review_model.tables import AccessToken, Enrolment, Recommendation, Round
from review_model.tokens import revoke_link
from review_model.transitions import TransitionRefused
from review_model.vocabulary import RecommendationStatus, Stage
from review_model.withdrawal import Withdrawal, plan_withdrawal, withdraw
from workflows.command_language import coordinator_language, coordinator_messages, coordinator_plurals, stage_name
from workflows.round_driver import STAGE_STEPS
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
    stage, target = round_.stage, next_stage(round_.stage)
    _, language = coordinator_messages(), coordinator_language()
    if stage not in CLOSES_EARLY or target is None:
        early = {f"stage{n}": stage_name(closing, language) for n, closing in enumerate(CLOSES_EARLY, 1)}
        raise ActionRefused(
            [_("round {slug} is in stage {stage}; only {stage1}, {stage2} and {stage3} close early").format(
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
    to consolidation) or comment (publication, once every reviewed party has replied). A comment stage closed
    before a planned publication date ends the right of reply and publishes on that date, unless `publish_now`.
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
            raise ActionRefused(str(refused).splitlines()) from None
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
