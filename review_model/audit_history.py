"""A round's history as the console shows it: who did what when, the round driver's own steps marked as
automatic, filtered and in pages, newest first; and the same entries as rows of a CSV export.

Entries are read with Core rows on the (round, time) index; the filters are plain conditions on it.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from review_model.audit_trail import ROUND_DRIVER
from review_model.rounds import get_round
from review_model.spreadsheet_csv import guarded_cell
from review_model.tables import AuditEvent
from review_model.wide_select import select_columns

# The actors whose entries are steps nobody took by hand.
AUTOMATIC_ACTORS = (ROUND_DRIVER,)
# The export's columns, named as the other exports name theirs (reports.exports).
CSV_HEADER = ("time", "actor", "automatic", "action", "details")
# Rows read from the store at a time while exporting (the export of a long history holds no list of it all).
_EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the round's history. `automatic`: the round driver took the step, not a person."""

    id: int
    at: datetime
    actor: str
    action: str
    details: dict[str, Any]
    automatic: bool


@dataclass(frozen=True)
class AuditPage:
    """One page of the history, newest first: `total` entries match the filters, of which these are the ones
    from `offset` on (at most `limit`)."""

    entries: list[AuditEntry]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        """Whether entries follow this page."""
        return self.offset + len(self.entries) < self.total


def _conditions(
    round_id: int,
    actor: str | None,
    kind: str | None,
    automatic: bool | None,
    since: datetime | None,
    until: datetime | None,
) -> list[ColumnElement[bool]]:
    conditions = [col(AuditEvent.round_id) == round_id]
    if actor is not None:
        conditions.append(col(AuditEvent.actor) == actor)
    if kind is not None:
        conditions.append(col(AuditEvent.action) == kind)
    if automatic is not None:
        by_driver = col(AuditEvent.actor).in_(AUTOMATIC_ACTORS)
        conditions.append(by_driver if automatic else ~by_driver)
    if since is not None:
        conditions.append(col(AuditEvent.at) >= since)
    if until is not None:
        conditions.append(col(AuditEvent.at) < until)
    return conditions


def audit_history(
    session: Session,
    round_id: int,
    *,
    actor: str | None = None,
    kind: str | None = None,
    automatic: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """The round's history, newest first, one page of it: entries by `actor`, of action `kind`, automatic
    (the round driver's) or not, from `since` (inclusive) to `until` (exclusive), as many as asked."""
    conditions = _conditions(round_id, actor, kind, automatic, since, until)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        select_columns(AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.details)
        .where(*conditions)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    entries = [AuditEntry(i, at, who, action, details, who in AUTOMATIC_ACTORS) for i, at, who, action, details in rows]
    return AuditPage(entries, total, limit, offset)


def audit_filter_choices(session: Session, round_id: int) -> tuple[list[str], list[str]]:
    """The actors and the kinds of action in the round's history, each sorted, for the filters' choices."""
    actors = session.exec(select(AuditEvent.actor).where(AuditEvent.round_id == round_id).distinct()).all()
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.round_id == round_id).distinct()).all()
    return sorted(actors), sorted(actions)


def audit_history_csv_rows(
    session: Session,
    round_id: int,
    *,
    actor: str | None = None,
    kind: str | None = None,
    automatic: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[list[Any]]:
    """The filtered history as CSV rows, the header first, then every matching entry newest first: the time
    in the round's time zone with its offset, the actor, whether the step was automatic (True, False, as the
    score exports write flags), the action and the details as JSON. Every cell passes the formula guard
    (review_model.spreadsheet_csv): an actor or a detail typed as `=...` stays text in a spreadsheet."""
    zone = ZoneInfo(get_round(session, round_id).time_zone)
    conditions = _conditions(round_id, actor, kind, automatic, since, until)
    yield [guarded_cell(name) for name in CSV_HEADER]
    statement = (
        select_columns(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.details)
        .where(*conditions)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )
    for partition in session.execute(statement.execution_options(yield_per=_EXPORT_BATCH)).partitions():
        for at, who, action, details in partition:
            row = [
                at.astimezone(zone).isoformat(timespec="seconds"),
                who,
                who in AUTOMATIC_ACTORS,
                action,
                json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
            ]
            yield [guarded_cell(value) for value in row]
