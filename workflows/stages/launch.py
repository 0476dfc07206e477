"""Launching a round: every check first, then the move from draft to invitation."""

from notifications.delivery import check_smtp
from notifications.event_loops import run as run_async
from review_model import clock
from review_model.questionnaire import Questionnaire
from review_model.rounds import get_round, round_progress
from review_model.stage_rules import transition_blockers
from review_model.store import reading_session, session_scope
from review_model.transitions import transition
from review_model.vocabulary import Stage
from workflows.stages.context import StageContext


def launch_blockers(context: StageContext, round_id: int) -> list[str]:
    """Every reason the round cannot be launched now: questionnaire, participants, deadlines, SMTP."""
    with reading_session(context.engine) as session:
        round_ = get_round(session, round_id)
        if round_.stage is not Stage.draft:
            return [f"round {round_.slug} was launched already (stage {round_.stage})"]
        reasons = transition_blockers(round_, Stage.invitation, round_progress(session, round_id), clock.now())
        try:
            Questionnaire.model_validate(round_.questionnaire_snapshot)
        except ValueError as error:
            reasons.append(f"the questionnaire snapshot is invalid: {error}")
    smtp_problem = run_async(check_smtp(context.smtp))
    if smtp_problem:
        reasons.append(smtp_problem)
    return reasons


def open_invitation_stage(context: StageContext, round_id: int, actor: str) -> None:
    """Move a checked round from draft to invitation; the round driver then sends the invitations. A round
    launched already (by a second launch at the same time) stays as it is."""
    with session_scope(context.engine) as session, transition(session, round_id, Stage.invitation, actor):
        pass
