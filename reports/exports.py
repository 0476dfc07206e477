"""CSV and JSON exports of every per-item score, for those who analyse the round further."""

import io
import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from reports.contents import cell_labels
from reports.follow_up import follow_up_document
from review_model.consensus import agreed_assessments
from review_model.questionnaire import Questionnaire
from review_model.round_ratings import RoundRatings, load_round_ratings
from review_model.rounds import get_round
from review_model.spreadsheet_csv import GuardedWriter
from review_model.tables import Enrolment, Organisation, Participant, Submission

COLUMNS = ("organisation", "kind", "item", "label", "scale", "self", "peer_scores", "reviews", "peer_median",
           "peer_mean", "spread", "disagreement", "gap")  # fmt: skip


def item_scores(
    session: Session, round_id: int, language: str, ratings: RoundRatings | None = None
) -> Iterator[dict[str, Any]]:
    """Every rating cell of every reviewed party, in party (organisation name) and questionnaire order.

    `ratings` are the round's ratings if already read (they are the same for every language and format).
    """
    round_ = get_round(session, round_id)
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    labels = cell_labels(questionnaire, language)
    ratings = ratings or load_round_ratings(session, round_id, questionnaire)
    parties = dict(
        (submission_id, (name, kind))
        for submission_id, name, kind in session.exec(
            select(Submission.id, Organisation.name, col(Organisation.kind))
            .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(Submission.round_id == round_id)
        ).all()
    )
    order = sorted(range(len(ratings.submission_ids)), key=lambda p: parties[ratings.submission_ids[p]][0])
    for party in order:
        name, kind = parties[ratings.submission_ids[party]]
        for item in ratings.figures.items(party):
            yield {
                "organisation": name, "kind": kind.value, "item": item.key, "label": labels.get(item.key, item.key),
                "scale": item.scale, "self": item.self_score, "peer_scores": list(item.peer_scores),
                "reviews": item.n_reviews, "peer_median": item.peer_median, "peer_mean": item.peer_mean,
                "spread": item.spread, "disagreement": item.disagreement, "gap": item.gap,
            }  # fmt: skip


def scores_csv(session: Session, round_id: int, language: str, ratings: RoundRatings | None = None) -> str:
    """The per-item scores as CSV (comma-separated, UTF-8 with a byte order mark so spreadsheet programs read
    umlauts right, one row per party and item; peer scores joined by ;). Text that a spreadsheet would take
    for a formula (an organisation named "=HYPERLINK(...)") is prefixed with an apostrophe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = GuardedWriter(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in item_scores(session, round_id, language, ratings):
        row["peer_scores"] = ";".join(f"{score:g}" for score in row["peer_scores"])
        writer.writerow("" if row[column] is None else row[column] for column in COLUMNS)
    return out.getvalue()


def scores_json(session: Session, round_id: int, language: str, ratings: RoundRatings | None = None) -> str:
    """The per-item scores as one JSON document: the round, then a list of rows; in a round that follows up an
    earlier one, also what became of its recommendations (`follow_up`); in a round with a consensus stage, the
    reviewers' joint assessments (reviewers named as in the report)."""
    round_ = get_round(session, round_id)
    document: dict[str, Any] = {
        "round": round_.slug,
        "questionnaire": {"id": round_.questionnaire_id, "version": round_.questionnaire_version},
        "items": list(item_scores(session, round_id, language, ratings)),
    }
    if round_.previous_round_id is not None:
        document["follow_up"] = follow_up_document(session, round_, language)
    assessments = joint_assessment_rows(session, round_id, language)
    if assessments:
        document["joint_assessments"] = assessments
    return json.dumps(document, ensure_ascii=False, indent=1)


def joint_assessment_rows(session: Session, round_id: int, language: str) -> list[dict[str, Any]]:
    """Each party's submitted joint assessment (review_model.consensus), by organisation name."""
    found = agreed_assessments(session, get_round(session, round_id), language)
    if not found:
        return []
    names = dict(
        session.exec(
            select(Submission.id, Organisation.name)
            .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(col(Submission.id).in_(list(found)))
        ).all()
    )
    return sorted(
        (
            {
                "organisation": names.get(submission_id, ""),
                "strengths": agreed.strengths,
                "weaknesses": agreed.weaknesses,
                "recommendations": list(agreed.recommendations),
                "co_reviewers": agreed.co_reviewers,
                "endorsed_by": agreed.endorsed_by,
                "answers": [
                    {"reviewer": a.reviewer, "endorses": a.endorses, "comment": a.comment} for a in agreed.answers
                ],
            }
            for submission_id, agreed in found.items()
        ),
        key=lambda row: str(row["organisation"]),
    )
