"""CSV and JSON exports of every per-item score, for those who analyse the round further."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from reports.contents import cell_labels
from review_model.questionnaire import Questionnaire
from review_model.tables import Enrolment, Finding, Organisation, Participant, Round, Submission
from review_model.vocabulary import FindingScope

COLUMNS = ("organisation", "kind", "item", "label", "scale", "self", "peer_scores", "reviews", "peer_median",
           "peer_mean", "spread", "disagreement", "gap")  # fmt: skip


def item_scores(session: Session, round_id: int, language: str) -> Iterator[dict[str, Any]]:
    """Every rating cell of every reviewed party, in party and questionnaire order."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"no round with id {round_id}")
    labels = cell_labels(Questionnaire.model_validate(round_.questionnaire_snapshot), language)
    rows = session.exec(
        select(Organisation.name, Organisation.kind, Finding.key, Finding.scale, Finding.self_score, Finding.details,
               Finding.n_reviews, Finding.peer_median, Finding.peer_mean, Finding.spread, Finding.disagreement)
        .join(Submission, col(Submission.id) == Finding.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Finding.round_id == round_id, Finding.scope == FindingScope.item)
        .order_by(col(Organisation.name), col(Finding.id))
    )  # fmt: skip
    for name, kind, key, scale, own, details, n, median, mean, spread, disagreement in rows:
        yield {
            "organisation": name, "kind": kind.value, "item": key, "label": labels.get(key, key), "scale": scale,
            "self": own, "peer_scores": details.get("peer_scores", []), "reviews": n, "peer_median": median,
            "peer_mean": mean, "spread": spread, "disagreement": disagreement, "gap": details.get("gap"),
        }  # fmt: skip


def scores_csv(session: Session, round_id: int, language: str) -> str:
    """The per-item scores as CSV (comma-separated, UTF-8, one row per party and item; peer scores joined by ;)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in item_scores(session, round_id, language):
        row["peer_scores"] = ";".join(f"{score:g}" for score in row["peer_scores"])
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue()


def scores_json(session: Session, round_id: int, language: str) -> str:
    """The per-item scores as one JSON document: the round, then a list of rows."""
    round_ = session.get(Round, round_id)
    assert round_ is not None
    document = {
        "round": round_.slug,
        "questionnaire": {"id": round_.questionnaire_id, "version": round_.questionnaire_version},
        "items": list(item_scores(session, round_id, language)),
    }
    return json.dumps(document, ensure_ascii=False, indent=1)
