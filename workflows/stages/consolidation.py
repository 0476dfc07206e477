"""The consolidation stage: every reviewed party's figures, and the round's, stored as findings."""

from typing import Any

from sqlmodel import Session, select

from review_model import clock
from review_model.audit_trail import record_event
from review_model.calibration import Normalisation, calibrate, scale_ranges
from review_model.cycle_collection import cycle_collection_paused
from review_model.findings import finding_rows
from review_model.questionnaire import Questionnaire
from review_model.round_lock import read_then_write
from review_model.round_ratings import load_round_ratings
from review_model.store import insert_rows
from review_model.tables import Finding, Round, table_of
from review_model.vocabulary import Stage
from workflows.stages.context import StageContext


def consolidate_round(context: StageContext, round_id: int, actor: str) -> int:
    """Compute and store the findings of every reviewed party and of the round (once); returns how many.

    The answers are read and the figures computed without holding the store's write lock (a large round
    takes seconds); the write that follows locks the round and checks again, so a concurrent run changes nothing.
    """
    now = clock.now()

    def due(session: Session, round_: Round) -> bool:
        return round_.stage is Stage.consolidation and not _has_findings(session, round_id)

    def read(session: Session, round_: Round) -> list[dict[str, Any]]:
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        ratings = load_round_ratings(session, round_id, questionnaire)
        calibration = None
        if round_.normalise == Normalisation.leniency:
            calibration = calibrate(ratings.figures, ratings.reviewers, scale_ranges(questionnaire))
        return finding_rows(round_id, ratings.submission_ids, ratings.figures, now, calibration)

    def write(session: Session, round_: Round, rows: list[dict[str, Any]]) -> int:
        insert_rows(session, table_of(Finding), rows)
        record_event(session, round_id, actor, "findings consolidated", findings=len(rows))
        return len(rows)

    with cycle_collection_paused():
        return read_then_write(context.engine, round_id, due=due, read=read, write=write) or 0


def _has_findings(session: Session, round_id: int) -> bool:
    return session.exec(select(Finding.id).where(Finding.round_id == round_id).limit(1)).first() is not None
