"""The round driver: do whatever is due now for a round, and repeat until nothing is.

`advance_round` reads the round from the store and acts on it: invite whoever has no invitation yet, send
the reminders that are due, move to the next stage when the rules say so, deliver the outbox. Running it
twice in a row does nothing the second time; a crash at any point is healed by the next run, because
every step is idempotent (invitations skip the invited, the outbox skips known messages, transitions
check the stage first).

The steps run through `run_step`: plain calls by default, Prefect tasks in workflows.flows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from config.translations import gettext_for, ngettext_for
from notifications.delivery import DeliveryReport, deliver_outbox
from notifications.event_loops import run as run_async
from review_model import clock
from review_model.audit_trail import ROUND_DRIVER
from review_model.round_advances import record_advance
from review_model.round_lock import lock_round
from review_model.rounds import get_round, round_progress
from review_model.stage_rules import due_transition
from review_model.store import reading_session, session_scope
from review_model.tables import Round
from review_model.transitions import transition
from review_model.vocabulary import Stage
from workflows.command_language import stage_name
from workflows.stages.archive import archive_round
from workflows.stages.comment import open_comment_stage, send_due_reply_reminders
from workflows.stages.consensus import open_consensus_stage, send_due_consensus_reminders
from workflows.stages.consolidation import consolidate_round
from workflows.stages.context import StageContext
from workflows.stages.digest import send_status_digest
from workflows.stages.drafting import draft_round
from workflows.stages.invitation import BATCH_SIZE, invite, uninvited
from workflows.stages.people import batches
from workflows.stages.publication import publish_round
from workflows.stages.questions import send_due_question_reminders
from workflows.stages.review import (
    close_review_stage,
    open_review_stage,
    propose_if_missing,
    send_due_review_reminders,
)
from workflows.stages.submission import close_submission_stage, send_due_reminders

ACTOR = ROUND_DRIVER
RunStep = Callable[..., Any]  # run_step(label, function, *arguments) -> the function's result


class StageStep(Protocol):
    """Moves a round into its stage (review_model.transitions) and queues what goes with it; returns how many
    messages. `forced`: the coordinator closes the stage before it early."""

    def __call__(self, context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int: ...


# The step that moves a round into each stage that sends something with the change.
STAGE_STEPS: dict[Stage, tuple[str, StageStep]] = {
    Stage.assignment: ("closing the submission stage", close_submission_stage),
    Stage.review: ("review requests", open_review_stage),
    Stage.consensus: ("closing the review stage, opening consensus", open_consensus_stage),
    Stage.consolidation: ("closing the review or consensus stage", close_review_stage),
    Stage.comment: ("right of reply", open_comment_stage),
    Stage.published: ("publication", publish_round),
    Stage.archived: ("archiving: the retention period has run out", archive_round),
}


def run_directly(label: str, function: Callable[..., Any], *arguments: Any) -> Any:
    return function(*arguments)


@dataclass
class AdvanceReport:
    """What one run of the driver did to a round."""

    round_slug: str
    stage_before: Stage
    stage_after: Stage
    invitations: int = 0
    reminders: int = 0
    assignments: int = 0
    findings: int = 0
    recommendations: int = 0
    stage_messages: int = 0
    digests: int = 0
    transitions: list[str] = field(default_factory=list)
    delivery: DeliveryReport | None = None

    @property
    def did_anything(self) -> bool:
        sent = self.delivery.handled if self.delivery else 0
        return bool(
            self.invitations
            or self.reminders
            or self.assignments
            or self.findings
            or self.recommendations
            or self.stage_messages
            or self.digests
            or self.transitions
            or sent
        )

    def summary(self, language: str = "en") -> str:
        """What this advance did, in one line in `language` (the names of Prefect's runs keep English)."""
        _, ngettext = gettext_for(language, "workflows"), ngettext_for(language, "workflows")
        before = stage_name(self.stage_before, language)
        parts = [f"{before} → {stage_name(self.stage_after, language)}" if self.transitions else before]
        counted = (
            (self.invitations, ngettext("{n} invitation queued", "{n} invitations queued", self.invitations)),
            (self.reminders, ngettext("{n} reminder queued", "{n} reminders queued", self.reminders)),
            (
                self.assignments,
                ngettext("{n} review assignment proposed", "{n} review assignments proposed", self.assignments),
            ),
            (self.findings, ngettext("{n} finding consolidated", "{n} findings consolidated", self.findings)),
            (
                self.recommendations,
                ngettext("{n} recommendation drafted", "{n} recommendations drafted", self.recommendations),
            ),
            (
                self.stage_messages,
                ngettext("{n} stage message queued", "{n} stage messages queued", self.stage_messages),
            ),
            (self.digests, ngettext("{n} status digest queued", "{n} status digests queued", self.digests)),
        )
        parts.extend(text.format(n=count) for count, text in counted if count)
        if self.delivery is not None and self.delivery.handled:
            parts.append(
                _("{sent} sent, {retried} to retry, {failed} failed").format(
                    sent=self.delivery.sent, retried=self.delivery.retried, failed=self.delivery.failed
                )
            )
        if len(parts) > 1 or self.transitions:
            return " · ".join(parts)
        return _("{stage} · nothing due").format(stage=before)


def advance_round(
    context: StageContext, round_id: int, *, run_step: RunStep = run_directly, deliver: bool = True
) -> AdvanceReport:
    """Do everything that is due for the round now (see the module's description)."""
    round_ = _load(context, round_id)
    report = AdvanceReport(round_.slug, round_.stage, round_.stage)
    for _ in range(len(Stage)):  # each pass moves at most one stage forward
        round_ = _load(context, round_id)
        if round_.stage in (Stage.invitation, Stage.submission):
            with reading_session(context.engine) as session:
                pending = uninvited(session, round_id)
            chunks = batches(pending, BATCH_SIZE)
            for number, chunk in enumerate(chunks, 1):
                label = f"Round {round_.slug} · invitations · batch {number}/{len(chunks)} ({len(chunk)} people)"
                report.invitations += run_step(label, invite, context, round_id, chunk)
            label = f"Round {round_.slug} · reminders"
            report.reminders += run_step(label, send_due_reminders, context, round_id)
        elif round_.stage is Stage.assignment:
            label = f"Round {round_.slug} · assignment proposal"
            report.assignments += run_step(label, propose_if_missing, context, round_id, ACTOR)
        elif round_.stage is Stage.review:
            label = f"Round {round_.slug} · review reminders"
            report.reminders += run_step(label, send_due_review_reminders, context, round_id)
            label = f"Round {round_.slug} · question reminders"
            report.reminders += run_step(label, send_due_question_reminders, context, round_id)
        elif round_.stage is Stage.consensus:
            label = f"Round {round_.slug} · consensus reminders"
            report.reminders += run_step(label, send_due_consensus_reminders, context, round_id)
        elif round_.stage is Stage.consolidation:
            label = f"Round {round_.slug} · consolidation"
            report.findings += run_step(label, consolidate_round, context, round_id, ACTOR)
        elif round_.stage is Stage.drafting:
            label = f"Round {round_.slug} · drafting recommendations"
            report.recommendations += run_step(label, draft_round, context, round_id, ACTOR)
        elif round_.stage is Stage.comment:
            label = f"Round {round_.slug} · reply reminders"
            report.reminders += run_step(label, send_due_reply_reminders, context, round_id)
        if not _take_due_transition(context, round_id, round_.stage, report, run_step):
            break
    report.stage_after = _load(context, round_id).stage
    # After the stage's work, so that the digest counts what this pass did and names the stage it reached.
    report.digests += run_step(f"Round {round_.slug} · status digest", send_status_digest, context, round_id)
    if deliver:
        report.delivery = run_step(f"Round {round_.slug} · delivery", deliver_now, context)
    record_advance(context.engine, round_id, clock.now())  # a pass that raised nothing, for /health
    return report


def _take_due_transition(
    context: StageContext, round_id: int, worked_on: Stage, report: AdvanceReport, run_step: RunStep
) -> bool:
    """Take the transition due now out of `worked_on`, the stage whose work this pass has done; True when the
    round moved on (here or by another driver meanwhile) and another pass is due."""
    # The round stays locked while the due transition is decided and, for the one made here, taken; the
    # lock ends with this session, before the stage's own step, which locks the round again for its change.
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)
        if round_.stage is not worked_on:
            # Another driver moved the round on since this pass began: the new stage's work (drafting, say)
            # may not be done yet, so its way out is decided by a pass that has done it, not by this one.
            return True
        before, slug = round_.stage, round_.slug
        target = due_transition(round_, round_progress(session, round_id), clock.now())
        if target is not None and target not in STAGE_STEPS:  # a change with nothing to send: made here
            with transition(session, round_id, target, ACTOR):
                pass
    if target is None:
        return False
    if target in STAGE_STEPS:
        what, step = STAGE_STEPS[target]
        report.stage_messages += run_step(f"Round {slug} · {what}", step, context, round_id, ACTOR)
    report.transitions.append(f"{before} → {target}")
    return True


def deliver_now(context: StageContext) -> DeliveryReport:
    """Send what is due in the outbox."""
    return run_async(deliver_outbox(context.engine, context.smtp, context.sender.address, context.delivery))


def _load(context: StageContext, round_id: int) -> Round:
    with reading_session(context.engine) as session:
        return get_round(session, round_id)
