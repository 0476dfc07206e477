"""The one way a round changes its stage: `transition` locks the round, checks the stage rules, sets the new
stage and records the change in the round's history. No other code assigns `Round.stage`.

It is a context manager so that what goes with a stage change (the messages it sends, the drafts it opens)
happens in the same transaction, and the audit entry can say what that was:

    with transition(session, round_id, Stage.review, actor) as change:
        if change is None:
            return 0  # another driver took this transition already
        queued = ...
        change.details["requests"] = queued
    session.commit()
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from review_model import clock
from review_model.audit_trail import record_event
from review_model.refusals import Refused
from review_model.round_lock import lock_round
from review_model.rounds import round_progress
from review_model.stage_rules import stage_after, transition_blockers
from review_model.tables import Round
from review_model.vocabulary import Stage

# The entry in the round's history for each stage a round moves into.
STAGE_EVENTS = {
    Stage.invitation: "round launched",
    Stage.submission: "submission stage opened",
    Stage.assignment: "submission stage closed",
    Stage.review: "review stage opened",
    Stage.consensus: "consensus stage opened",
    Stage.consolidation: "review stage closed",
    Stage.drafting: "drafting stage opened",
    Stage.comment: "comment stage opened",
    Stage.published: "report published",
    Stage.archived: "round archived",
}
# Where the stage a round leaves is not the one STAGE_EVENTS assumes: consolidation after consensus.
_CLOSING_EVENTS = {Stage.consensus: "consensus stage closed"}
# The stage each entry of the history says the round entered.
ENTERED_BY: dict[str, Stage] = {event: stage for stage, event in STAGE_EVENTS.items()} | {
    event: Stage.consolidation for event in _CLOSING_EVENTS.values()
}


def stage_event(before: Stage, target: Stage) -> str:
    """The history's entry for a round moving from `before` into `target`."""
    return _CLOSING_EVENTS.get(before, STAGE_EVENTS[target]) if target is Stage.consolidation else STAGE_EVENTS[target]


def closing_events(stage: Stage) -> tuple[str, ...]:
    """The history's entries that may record the end of `stage` (review ends by opening consensus, or by
    closing itself when the round has none)."""
    if stage is Stage.review:
        return ("review stage closed", STAGE_EVENTS[Stage.consensus])
    return (_CLOSING_EVENTS.get(stage, f"{stage.value} stage closed"),)


class TransitionRefused(Refused):
    """The stage rules do not allow the change now; `reasons` lists every reason."""


@dataclass
class StageChange:
    """A stage change under way: the round (locked, already in its new stage), where it came from, and what
    the audit entry will say besides."""

    round: Round
    before: Stage
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def transition(
    session: Session,
    round_id: int,
    target: Stage,
    actor: str,
    *,
    forced: bool = False,
    now: datetime | None = None,
) -> Iterator[StageChange | None]:
    """Move the round into `target`, the stage after its current one; yields the change, or None when the
    round is not in the stage before `target` (another driver took this transition, or it is not due yet).

    The round is locked first and the rules checked under the lock (`forced`: the coordinator closes a stage
    early, see stage_rules.transition_blockers); TransitionRefused names every rule that stands in the way.
    The audit entry is recorded when the block ends without an error; the caller commits.
    """
    now = now or clock.now()
    round_ = lock_round(session, round_id)
    before = round_.stage
    if stage_after(round_) is not target:
        yield None
        return
    blockers = transition_blockers(round_, target, round_progress(session, round_id), now, forced=forced)
    if blockers:
        raise TransitionRefused(blockers)
    round_.stage, round_.stage_entered_at = target, now
    if target is Stage.invitation:
        round_.launched_at = now
    change = StageChange(round_, before, {"forced": True} if forced else {})
    yield change
    record_event(session, round_id, actor, stage_event(before, target), **change.details)
