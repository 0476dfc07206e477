"""The report's follow-up: what became of the previous round's recommendations, per action level and
recommendation, as the organisations they addressed reported it in their self-assessments."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from review_model.follow_up import follow_up_summary
from review_model.tables import Round
from review_model.vocabulary import ActionLevel, FollowUpStatus


@dataclass(frozen=True)
class FollowUpRow:
    """One earlier recommendation: its number in its level's list (as the earlier report numbered it), its text
    in the report's language, the count of each status (in FollowUpStatus order), and the reasons given for
    not pursuing it, by party."""

    number: int
    priority: int
    text: str
    counts: tuple[int, ...]
    without_statement: int
    reasons: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FollowUpView:
    """The section "What became of the recommendations of the round …"."""

    previous_round: str
    status_labels: tuple[str, ...]
    levels: dict[str, list[FollowUpRow]] = field(default_factory=dict)
    level_labels: dict[str, str] = field(default_factory=dict)  # each level's heading: "Kommunen"


def follow_up_view(
    session: Session, round_: Round, language: str, party_names: Mapping[int, str]
) -> FollowUpView | None:
    """The section in `language`, the parties named by `party_names` (submission id → the report's name for
    it); None for a round that follows up no earlier round."""
    if round_.previous_round_id is None:
        return None
    previous = session.get(Round, round_.previous_round_id)
    if previous is None:
        return None
    levels: dict[str, list[FollowUpRow]] = {}
    for entry in follow_up_summary(session, round_):
        recommendation = entry.recommendation
        rows = levels.setdefault(recommendation.action_level.value, [])
        rows.append(
            FollowUpRow(
                number=len(rows) + 1,
                priority=recommendation.priority,
                text=recommendation.text(language),
                counts=tuple(entry.counts[status] for status in FollowUpStatus),
                without_statement=entry.without_statement,
                reasons=tuple(
                    (party_names.get(stated.submission_id, stated.organisation), stated.reason)
                    for stated in entry.not_pursued
                ),
            )
        )
    return FollowUpView(
        previous_round=previous.title_in(language),
        status_labels=tuple(status.label(language) for status in FollowUpStatus),
        levels=levels,
        level_labels={level: ActionLevel(level).label(language) for level in levels},
    )


def follow_up_document(session: Session, round_: Round, language: str) -> list[dict[str, Any]]:
    """The follow-up as plain data for the JSON export: one entry per earlier recommendation."""
    return [
        {
            "action_level": entry.recommendation.action_level.value,
            "recommendation": entry.recommendation.text(language),
            "priority": entry.recommendation.priority,
            "statuses": {status.value: entry.counts[status] for status in FollowUpStatus},
            "without_statement": entry.without_statement,
            "not_pursued": [{"organisation": s.organisation, "reason": s.reason} for s in entry.not_pursued],
        }
        for entry in follow_up_summary(session, round_)
    ]
