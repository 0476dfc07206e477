"""Which stage may follow which, and what must hold first. Plain functions over plain facts, no I/O.

The round driver asks `due_transition` what to do now; the coordinator's commands ask `transition_blockers`
for a forced step (closing a stage early), which skips the deadline but never the work a stage needs.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from config.translations import N_
from review_model.refusals import Reason
from review_model.retention import erasure_due_at
from review_model.vocabulary import Stage

STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
_NEXT: dict[Stage, Stage] = {stage: STAGE_ORDER[i + 1] for i, stage in enumerate(STAGE_ORDER[:-1])}

# Stages in which people can still be enrolled: late enrolments get their invitation when the driver next runs.
ENROLMENT_STAGES = frozenset({Stage.draft, Stage.invitation, Stage.submission})
# The stages the coordinator may close before their deadline (`transition_blockers` with `forced`).
CLOSES_EARLY = (Stage.submission, Stage.review, Stage.consensus, Stage.comment)


class RoundSchedule(Protocol):
    """What the rules need to know of a round (the Round table has all of it)."""

    stage: Stage
    submission_deadline: datetime
    review_deadline: datetime
    comment_deadline: datetime
    consensus_deadline: datetime | None
    publication_at: datetime | None
    late_grace_hours: int
    time_zone: str
    stage_entered_at: datetime
    retention: str | None
    adoption_required: bool
    adopted_on: date | None


@dataclass(frozen=True)
class RoundProgress:
    """Counts read from the store, the facts the stage guards decide on."""

    respondents: int = 0
    invited: int = 0
    submitted: int = 0
    assignments: int = 0
    unconfirmed_assignments: int = 0
    reviews_due: int = 0
    reviews_submitted: int = 0
    # Joint assessments asked of the lead reviewers (one per reviewed party) and those submitted.
    assessments_due: int = 0
    assessments_submitted: int = 0
    findings: int = 0
    recommendations_draft: int = 0
    recommendations_approved: int = 0
    # Reviewed parties that have not sent their reply (nor said they have none), and those that have.
    replies_pending: int = 0
    replies_sent: int = 0
    has_questionnaire: bool = True


def next_stage(stage: Stage) -> Stage | None:
    """The stage after `stage` in the order of every stage, or None at the end (`stage_after` says where a
    given round goes: a round without a consensus stage skips it)."""
    return _NEXT.get(stage)


def has_consensus(round_: RoundSchedule) -> bool:
    """Whether the round has a consensus stage between review and consolidation (a length of 0 skips it)."""
    return round_.consensus_deadline is not None


def stage_after(round_: RoundSchedule) -> Stage | None:
    """The stage the round moves into from its current one, or None at the end."""
    following = next_stage(round_.stage)
    if following is Stage.consensus and not has_consensus(round_):
        return next_stage(following)
    return following


def enrolment_open(stage: Stage) -> bool:
    """Whether participants can still be added to a round in this stage."""
    return stage in ENROLMENT_STAGES


def stage_deadline(round_: RoundSchedule, stage: Stage) -> datetime | None:
    """The deadline that closes `stage`, for the stages that have one."""
    if stage is Stage.submission:
        return round_.submission_deadline + timedelta(hours=round_.late_grace_hours)
    return {Stage.review: round_.review_deadline, Stage.consensus: round_.consensus_deadline,
            Stage.comment: round_.comment_deadline}.get(stage)  # fmt: skip


def accepts_submissions(round_: RoundSchedule, now: datetime) -> bool:
    """Whether a self-assessment may still be submitted (before the deadline, or within the grace period)."""
    closes = stage_deadline(round_, Stage.submission)
    return round_.stage in (Stage.invitation, Stage.submission) and closes is not None and now < closes


def publication_waits_until(round_: RoundSchedule, now: datetime) -> datetime | None:
    """The planned publication date, while it is still ahead."""
    return round_.publication_at if round_.publication_at is not None and now < round_.publication_at else None


def is_late(round_: RoundSchedule, moment: datetime) -> bool:
    """Whether a submission at `moment` came after the deadline proper (inside the grace period)."""
    return moment > round_.submission_deadline


def transition_blockers(
    round_: RoundSchedule, target: Stage, progress: RoundProgress, now: datetime, *, forced: bool = False
) -> list[str]:
    """Every reason why the round cannot move to `target` now; an empty list means it may.

    `forced` is the coordinator closing a stage early: deadlines are waived, the work a stage needs is not.
    """
    if target is not stage_after(round_):
        expected = stage_after(round_)
        if expected is None:
            return [Reason(N_("a round in stage {stage} can move nowhere: it is the last stage, not to {target}"),
                           stage=round_.stage, target=target)]  # fmt: skip
        return [Reason(N_("a round in stage {stage} can move only to {expected}, not to {target}"),
                       stage=round_.stage, expected=expected, target=target)]  # fmt: skip
    guard = _GUARDS.get(target)
    return guard(round_, progress, now, forced) if guard else []


def due_transition(round_: RoundSchedule, progress: RoundProgress, now: datetime) -> Stage | None:
    """The stage the round driver should move to now, if any (never out of draft: launching is a decision)."""
    if round_.stage in (Stage.draft, Stage.archived):
        return None
    target = stage_after(round_)
    if target is None or transition_blockers(round_, target, progress, now):
        return None
    return target


def _guard_invitation(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    reasons: list[str] = []
    if not progress.has_questionnaire:
        reasons.append(Reason(N_("the round has no questionnaire")))
    if progress.respondents == 0:
        reasons.append(Reason(N_("no respondents are enrolled (import participants first)")))
    for name, passed in _DEADLINE_PASSED.items():
        deadline = getattr(round_, name)
        if deadline is not None and deadline <= now:
            reasons.append(Reason(passed, when=_minute(deadline, round_.time_zone)))
    return reasons


def _guard_submission(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    if progress.invited < progress.respondents:
        return [Reason(N_("{missing} of {respondents} respondents are not invited yet"),
                       missing=progress.respondents - progress.invited, respondents=progress.respondents)]  # fmt: skip
    return []


def _guard_assignment(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    reasons: list[str] = []
    everyone_done = progress.respondents > 0 and progress.submitted >= progress.respondents
    closes = stage_deadline(round_, Stage.submission)
    if not (forced or everyone_done or (closes is not None and now >= closes)):
        assert closes is not None  # the submission stage has a deadline
        reasons.append(Reason(N_("submission is open until {when} and not everyone has submitted"),
                              when=_minute(closes, round_.time_zone)))  # fmt: skip
    if progress.submitted == 0:
        reasons.append(Reason(N_("no self-assessment was submitted (extend the deadline)")))
    return reasons


def _guard_review(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    if progress.assignments == 0:
        return [Reason(N_("no reviewers are assigned yet"))]
    if progress.unconfirmed_assignments:
        return [Reason(N_("{count} assignments wait for the coordinator's confirmation"),
                       count=progress.unconfirmed_assignments)]  # fmt: skip
    return []


def _guard_consolidation(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    """Out of review when the round has no consensus stage, else out of consensus."""
    if round_.stage is Stage.consensus:
        return _guard_end_of_consensus(round_, progress, now, forced)
    return _guard_end_of_review(round_, progress, now, forced)


def _guard_end_of_consensus(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    """Consensus runs until its deadline: reviewers who are done may still revise, comment and endorse, so
    only the coordinator closes it earlier."""
    assert round_.consensus_deadline is not None  # a round in consensus has its deadline
    if not (forced or now >= round_.consensus_deadline):
        return [Reason(N_("consensus is open until {when}"), when=_minute(round_.consensus_deadline, round_.time_zone))]
    return []


def _guard_end_of_review(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    reasons: list[str] = []
    everyone_done = progress.reviews_due > 0 and progress.reviews_submitted >= progress.reviews_due
    if not (forced or everyone_done or now >= round_.review_deadline):
        reasons.append(Reason(N_("review is open until {when} and reviews are missing"),
                              when=_minute(round_.review_deadline, round_.time_zone)))  # fmt: skip
    if progress.reviews_submitted == 0:
        reasons.append(Reason(N_("no review was submitted (extend the deadline)")))
    return reasons


def _guard_drafting(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    return [] if progress.findings else [Reason(N_("no findings are consolidated yet"))]


def _guard_comment(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    """The right of reply opens once every drafted recommendation is decided. A round whose findings gave
    no recommendation, or whose drafts were all rejected, goes on without: its report says so."""
    if progress.recommendations_draft:
        return [Reason(N_("{count} drafted recommendations wait for approval or rejection"),
                       count=progress.recommendations_draft)]  # fmt: skip
    return []


def _guard_published(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    """Publication waits for the end of the right of reply, and for the planned publication date if later.

    Closing early (`forced`) waives the planned date, and the comment deadline once every party has sent
    its reply: a party still thinking about it was promised time until the deadline.
    """
    reasons: list[str] = []
    if now < round_.comment_deadline and not (forced and progress.replies_pending == 0):
        reasons.append(
            Reason(N_("the right of reply runs until {when}"), when=_minute(round_.comment_deadline, round_.time_zone))
        )
    if not forced and round_.publication_at is not None and now < round_.publication_at:
        reasons.append(
            Reason(N_("publication is planned for {when}"), when=_minute(round_.publication_at, round_.time_zone))
        )
    if round_.adoption_required and round_.adopted_on is None:  # not even the coordinator publishes before it
        reasons.append(Reason(N_("publication waits for the adoption of the results (`spr round adopt`)")))
    return reasons


def _guard_archived(round_: RoundSchedule, progress: RoundProgress, now: datetime, forced: bool) -> list[str]:
    """A published round is archived when its retention period has run out, or when the coordinator says so."""
    if forced:
        return []
    due = erasure_due_at(round_)
    if due is None:
        return [Reason(N_("the round has no retention period: its people are erased one by one, on request"))]
    if now < due:
        return [Reason(N_("its people's data is kept until {when}"), when=_minute(due, round_.time_zone))]
    return []


# The deadlines a launch needs ahead, each with the sentence saying it has passed.
_DEADLINE_PASSED = {
    "submission_deadline": N_("submission deadline {when} has passed"),
    "review_deadline": N_("review deadline {when} has passed"),
    "consensus_deadline": N_("consensus deadline {when} has passed"),
    "comment_deadline": N_("comment deadline {when} has passed"),
}


def _minute(moment: datetime, zone: str) -> str:
    """A moment as the reasons write it, to the minute, in the round's time zone, as the coordinator reads
    every other time of the round: "2027-01-24 18:00 CET"."""
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}"


_GUARDS = {
    Stage.invitation: _guard_invitation,
    Stage.submission: _guard_submission,
    Stage.assignment: _guard_assignment,
    Stage.review: _guard_review,
    Stage.consensus: _guard_end_of_review,
    Stage.consolidation: _guard_consolidation,
    Stage.drafting: _guard_drafting,
    Stage.comment: _guard_comment,
    Stage.published: _guard_published,
    Stage.archived: _guard_archived,
}
