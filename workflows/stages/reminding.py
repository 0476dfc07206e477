"""The coordinator's "remind now": whoever the round's current stage waits for."""

from dataclasses import dataclass

from sqlmodel import Session

from review_model import clock
from review_model.refusals import Refused
from review_model.reminders import REMINDED_IN, Numbering, on_demand_numbering, reminder_refusals
from review_model.round_lock import read_then_write
from review_model.rounds import get_round
from review_model.store import reading_session
from review_model.tables import Round
from review_model.vocabulary import Stage
from workflows.stages.comment import remind_parties
from workflows.stages.consensus import remind_consensus
from workflows.stages.context import StageContext
from workflows.stages.questions import remind_unanswered_now
from workflows.stages.review import remind_reviewers
from workflows.stages.submission import remind_now as remind_respondents_now


class RemindRefused(Refused):
    """Nobody can be reminded in the round's stage; `reasons` says why."""


@dataclass(frozen=True)
class Reminded:
    stage: Stage
    whom: str  # who the stage reminds, in words
    queued: int  # every reminder queued, those of `questions` included
    questions: int = 0  # in the review stage: reminders to reviewed parties of questions they have not answered


def remind_waiting(context: StageContext, round_id: int, email: str | None = None) -> Reminded:
    """Remind now everyone the current stage waits for (or the one person with `email`): respondents who
    have not submitted in submission, reviewers with reviews still open in review (one reminder listing
    their open reviews, and reviewed parties with reviewers' questions to answer), reviewers whose joint
    assessment is open in consensus, parties without a reply in comment. Raises RemindRefused in the other
    stages."""
    now = clock.now()
    with reading_session(context.engine) as session:
        stage = get_round(session, round_id).stage
    refusals = reminder_refusals(stage)
    if refusals:
        raise RemindRefused(refusals)
    if stage in (Stage.invitation, Stage.submission):
        return Reminded(stage, REMINDED_IN[stage], remind_respondents_now(context, round_id, email))
    remind = {Stage.review: remind_reviewers, Stage.consensus: remind_consensus}.get(stage, remind_parties)

    def write(session: Session, round_: Round, numbering: Numbering) -> tuple[int, int]:
        queued = remind(session, context, round_, numbering, now)
        questions = remind_unanswered_now(session, context, round_, email, now) if stage is Stage.review else 0
        return queued + questions, questions

    queued, questions = read_then_write(
        context.engine,
        round_id,
        due=lambda _session, round_: round_.stage is stage,  # not when the stage closed since it was read
        read=lambda _session, _round: on_demand_numbering(email, now),
        write=write,
    ) or (0, 0)
    return Reminded(stage, REMINDED_IN[stage], queued, questions)
