"""A round's stages in order with their dates, as the coordinator's console draws them, and the next deadline.

Read from the round alone (its schedule and its stage), no query: the dates are the ones the round file set
(and an extension moved), the current stage's start is when the round entered it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from review_model import clock
from review_model.stage_rules import STAGE_ORDER, RoundSchedule
from review_model.vocabulary import Stage


class StageState(StrEnum):
    """Where a stage stands against the round's current stage."""

    past = "past"
    current = "current"
    future = "future"


class Milestone(StrEnum):
    """The moments of a round's schedule, in the order they come."""

    submission_opens = "submission_opens"
    submission_deadline = "submission_deadline"
    review_deadline = "review_deadline"
    consensus_deadline = "consensus_deadline"
    comment_deadline = "comment_deadline"
    publication = "publication"


class TimelineRound(RoundSchedule, Protocol):
    """What the timeline reads of a round besides the rules' schedule (the Round table has all of it)."""

    submission_opens_at: datetime | None
    stage_entered_at: datetime
    launched_at: datetime | None


@dataclass(frozen=True)
class TimelineEntry:
    """One stage of the round. `starts_at` is when it began (the current stage) or is planned to (submission's
    opening, publication's date), where known; `deadline` the deadline the participants were given, and
    `late_until` the end of the grace period after it, where the round takes late answers."""

    stage: Stage
    state: StageState
    starts_at: datetime | None = None
    deadline: datetime | None = None
    late_until: datetime | None = None
    deadline_passed: bool = False


@dataclass(frozen=True)
class NextDeadline:
    """The next moment of the schedule the round waits for: which, when, and whether it has passed already
    (a stage whose deadline passed closes on the round driver's next pass)."""

    milestone: Milestone
    at: datetime
    passed: bool


# Each milestone and the last stage it still matters in: the submission deadline until the submission stage
# closes, publication's date until the comment stage does.
_MILESTONE_UNTIL = {
    Milestone.submission_opens: Stage.invitation,
    Milestone.submission_deadline: Stage.submission,
    Milestone.review_deadline: Stage.review,
    Milestone.consensus_deadline: Stage.consensus,
    Milestone.comment_deadline: Stage.comment,
    Milestone.publication: Stage.comment,
}


def round_timeline(round_: TimelineRound, now: datetime | None = None) -> list[TimelineEntry]:
    """The round's stages in order, from preparation to publication (and the archive, once it is there), each
    marked past, current or future, with its start and deadline where the schedule has them."""
    now = now or clock.now()
    current = STAGE_ORDER.index(round_.stage)
    grace = timedelta(hours=round_.late_grace_hours)
    planned_start: dict[Stage, datetime | None] = {
        Stage.invitation: round_.launched_at,
        Stage.submission: round_.submission_opens_at,
        Stage.published: round_.publication_at,
    }
    deadlines = {
        Stage.submission: round_.submission_deadline,
        Stage.review: round_.review_deadline,
        Stage.consensus: round_.consensus_deadline,
        Stage.comment: round_.comment_deadline,
    }
    entries = []
    for index, stage in enumerate(STAGE_ORDER):
        if stage is Stage.archived and round_.stage is not Stage.archived:
            continue  # archiving is optional: shown once it happened
        if stage is Stage.consensus and round_.consensus_deadline is None:
            continue  # a round of consensus length 0 has no such stage
        state = StageState.past if index < current else StageState.current if index == current else StageState.future
        starts = round_.stage_entered_at if state is StageState.current else planned_start.get(stage)
        deadline = deadlines.get(stage)
        late_until = deadline + grace if deadline is not None and stage is Stage.submission and grace else None
        closes = late_until or deadline
        entries.append(TimelineEntry(stage, state, starts, deadline, late_until, closes is not None and now >= closes))
    return entries


def next_deadline(round_: TimelineRound, now: datetime | None = None) -> NextDeadline | None:
    """The next moment of the schedule the round waits for: the first still ahead among those that end the
    current stage, or, when all of those passed, the last of them (the stage is due to close); in a stage
    no date ends, the first still ahead of the later stages. None once nothing is ahead (published)."""
    now = now or clock.now()
    moments = {
        Milestone.submission_opens: round_.submission_opens_at,
        Milestone.submission_deadline: round_.submission_deadline,
        Milestone.review_deadline: round_.review_deadline,
        Milestone.consensus_deadline: round_.consensus_deadline,
        Milestone.comment_deadline: round_.comment_deadline,
        Milestone.publication: round_.publication_at,
    }
    current = STAGE_ORDER.index(round_.stage)
    ahead = [(milestone, at) for milestone, at in moments.items()
             if at is not None and STAGE_ORDER.index(_MILESTONE_UNTIL[milestone]) >= current]  # fmt: skip
    ending_this_stage = [(m, at) for m, at in ahead if _MILESTONE_UNTIL[m] is round_.stage]
    if ending_this_stage:
        waiting = [(m, at) for m, at in ending_this_stage if at > now]
        milestone, at = waiting[0] if waiting else ending_this_stage[-1]
        return NextDeadline(milestone, at, now >= at)
    for milestone, at in ahead:
        if at > now:
            return NextDeadline(milestone, at, False)
    return None
