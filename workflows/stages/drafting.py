"""The drafting stage: the recommendation rules read the findings and draft recommendations for approval."""

from typing import Any

from sqlalchemy import Integer, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from review_model import clock
from review_model.audit_trail import record_event
from review_model.consolidation import gap
from review_model.cycle_collection import cycle_collection_paused
from review_model.questionnaire import Questionnaire
from review_model.recommendation_rules import Draft, GroupFinding, RuleSet, draft_recommendations, load_rules
from review_model.round_lock import read_then_write
from review_model.tables import (
    AuditEvent,
    Enrolment,
    Finding,
    Organisation,
    Participant,
    Recommendation,
    Round,
    Submission,
)
from review_model.vocabulary import RecommendationStatus, Stage
from review_model.wide_select import select_columns
from workflows.stages.context import StageContext

DRAFTED = "recommendations drafted"  # the audit entry of the drafting step


def draft_round(context: StageContext, round_id: int, actor: str, rules: RuleSet | None = None) -> int:
    """Draft the round's recommendations once (they then wait for the coordinator); returns how many.

    Findings are read and the rules applied without the store's write lock; the write locks the round and
    checks again.
    """
    now = clock.now()

    def due(session: Session, round_: Round) -> bool:
        return round_.stage is Stage.drafting and not _drafted(session, round_id)

    def read(session: Session, round_: Round) -> list[Draft]:
        # Core rows, not ORM ones, of only the scopes some rule reads, and without their evidence: a large
        # round has a hundred thousand group findings, and decoding their details was most of the work.
        chosen = rules or load_rules()
        rows = session.connection().execute(
            select_columns(Finding.id, Finding.scope, Finding.key, Finding.scale, Finding.peer_mean,
                           Finding.self_score, Organisation.name)
            .join(Submission, col(Submission.id) == Finding.submission_id)
            .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(Finding.round_id == round_id, col(Finding.scope).in_({rule.scope for rule in chosen.rules}))
            .order_by(col(Finding.id))  # the same evidence (first parties, first quotes) on every run
        ).all()  # fmt: skip
        findings = [
            GroupFinding(party, scope, key, {"peer_mean": peer, "self_score": own, "gap": gap(peer, own)}, scale,
                         finding_id=finding_id)
            for finding_id, scope, key, scale, peer, own, party in rows
        ]  # fmt: skip
        labels = Questionnaire.model_validate(round_.questionnaire_snapshot).tag_labels()
        return draft_recommendations(chosen, findings, labels, lambda ids: _details(session, ids))

    def write(session: Session, round_: Round, drafts: list[Draft]) -> int:
        session.add_all(
            Recommendation(
                round_id=round_id, rule_id=draft.rule.id, action_level=draft.rule.action_level,
                priority=draft.rule.priority, text_de=draft.text_de, text_en=draft.text_en,
                status=RecommendationStatus.draft, evidence=draft.evidence, created_at=now,
            )
            for draft in drafts
        )  # fmt: skip
        record_event(session, round_id, actor, DRAFTED, drafts=len(drafts))
        return len(drafts)

    with cycle_collection_paused():
        return read_then_write(context.engine, round_id, due=due, read=read, write=write) or 0


def _drafted(session: Session, round_id: int) -> bool:
    """Whether the round's recommendations were drafted: a round whose rules drafted none has no row to show
    it, only its audit entry (without which a second driver would draft, and record, again)."""
    if session.exec(select(Recommendation.id).where(Recommendation.round_id == round_id)).first() is not None:
        return True
    drafted = select(AuditEvent.id).where(AuditEvent.round_id == round_id, AuditEvent.action == DRAFTED)
    return session.exec(drafted).first() is not None


def _details(session: Session, finding_ids: set[int]) -> dict[int, dict[str, Any]]:
    """The details (evidence) of the given findings: on PostgreSQL in one query with the ids as one array
    parameter, elsewhere in chunks SQLite's parameter limit allows."""
    ordered = sorted(finding_ids)
    found: dict[int, dict[str, Any]] = {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = bindparam("ids", ordered, type_=postgresql.ARRAY(Integer))
        return dict(connection.execute(select(Finding.id, Finding.details).where(col(Finding.id) == any_(ids))).all())
    for start in range(0, len(ordered), 900):  # below SQLite's oldest limit of 999 parameters
        chunk = ordered[start : start + 900]
        found.update(connection.execute(select(Finding.id, Finding.details).where(col(Finding.id).in_(chunk))).all())
    return found
