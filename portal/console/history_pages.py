"""A round's history in the console: who did what when, newest first, fifty entries a page, the round driver's
own steps marked as automatic; filtered by who, what, automatic or not and a range of days (a GET form, so a
filtered view can be bookmarked and its pages keep the filters), and exported as CSV with the same filters.

Observers read and export it like coordinators: it changes nothing. The entries come from
review_model.audit_history; the days of the range are the round's, in its time zone.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse

from config.translations import gettext_for
from portal.console.access import current_staff, round_seen
from portal.console.history_words import action_in_words, actor_in_words, details_in_words
from portal.console.pages import console_message, console_page
from review_model.audit_history import AuditEntry, audit_filter_choices, audit_history, audit_history_csv_rows
from review_model.moments import format_moment
from review_model.store import reading_session
from review_model.tables import Round

if TYPE_CHECKING:
    from portal.app import Portal

PAGE_SIZE = 50
# CSV rows written into one chunk of the streamed export.
_CHUNK_ROWS = 500


@dataclass(frozen=True)
class HistoryFilters:
    """The filters as the query string gives them (kept as typed, for the form and the links), and what they
    mean for the store; `problems` name a filter that could not be read (field name → message)."""

    actor: str = ""
    action: str = ""
    automatic: str = ""  # "yes", "no" or "" for both
    first_day: str = ""
    last_day: str = ""
    page: int = 1
    since: datetime | None = None
    until: datetime | None = None
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def automatic_flag(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.automatic)

    def query(self, page: int | None = None) -> str:
        """The query string of this view (on `page`, if given): only the filters that are set."""
        values = {"actor": self.actor, "action": self.action, "automatic": self.automatic,
                  "from": self.first_day, "to": self.last_day}  # fmt: skip
        kept = {name: value for name, value in values.items() if value}
        if page is not None and page > 1:
            kept["page"] = str(page)
        return urlencode(kept)

    @property
    def any_set(self) -> bool:
        return bool(self.query())


@dataclass(frozen=True)
class HistoryRow:
    """One entry as the page shows it."""

    at: str
    actor: str
    automatic: bool
    action: str
    details: list[tuple[str, str]]


def read_filters(request: Request, round_: Round, language: str) -> HistoryFilters:
    """The filters of the request's query string; a day that is no date is named in `problems` and not used."""
    params = request.query_params
    _ = gettext_for(language, "portal")
    zone = ZoneInfo(round_.time_zone)
    problems: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = params.get(name, "").strip()
        try:
            day = date.fromisoformat(text) if text else None
            if day is not None and not date(1900, 1, 1) <= day <= date(9998, 12, 31):
                raise ValueError("a day no history has: computing with it overflows")
            days[name] = day
        except ValueError:
            days[name] = None
            problems[name] = _("Give the day as a date, for example 2026-03-31.")
    first, last = days["from"], days["to"]
    if first is not None and last is not None and last < first:
        problems["to"] = _("The last day is before the first day.")
    automatic = params.get("automatic", "")
    try:
        page = min(max(1, int(params.get("page", "1"))), 1_000_000)  # larger: a crafted number
    except ValueError:
        page = 1
    return HistoryFilters(
        actor=params.get("actor", ""),
        action=params.get("action", ""),
        automatic=automatic if automatic in ("yes", "no") else "",
        first_day=params.get("from", "").strip(),
        last_day=params.get("to", "").strip(),
        page=page,
        since=datetime.combine(first, time(), tzinfo=zone) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), tzinfo=zone) if last else None,
        problems=problems,
    )


def add_history_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/history and its CSV export, /console/rounds/<slug>/history.csv."""

    @app.get("/console/rounds/{slug}/history")
    def history_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        language = staff.language
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            filters = read_filters(request, round_, language)
            actors, actions = audit_filter_choices(session, round_.id)
            history = audit_history(session, round_.id, limit=PAGE_SIZE, offset=(filters.page - 1) * PAGE_SIZE,
                                    **_store_filters(filters))  # fmt: skip
            if not history.entries and history.total and filters.page > 1:  # past the last page: show the last
                last = (history.total - 1) // PAGE_SIZE + 1
                filters = replace(filters, page=last)
                history = audit_history(session, round_.id, limit=PAGE_SIZE, offset=(last - 1) * PAGE_SIZE,
                                        **_store_filters(filters))  # fmt: skip
        rows = [_row(entry, round_.time_zone, language) for entry in history.entries]
        pages = (history.total - 1) // PAGE_SIZE + 1 if history.total else 1
        return console_page(
            portal, request, "history.html", language, staff=staff, round=round_, filters=filters, rows=rows,
            total=history.total, first=history.offset + 1, last=history.offset + len(rows), pages=pages,
            newer=filters.query(filters.page - 1) if filters.page > 1 else None,
            older=filters.query(filters.page + 1) if history.has_more else None,
            actors=[(actor, actor_in_words(actor, language)) for actor in actors],
            actions=sorted(((action, action_in_words(action, language)) for action in actions),
                           key=lambda choice: choice[1].casefold()),
            export=f"/console/rounds/{round_.slug}/history.csv" + (f"?{filters.query()}" if filters.any_set else ""),
        )  # fmt: skip

    @app.get("/console/rounds/{slug}/history.csv")
    def history_csv(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
        assert round_.id is not None
        filters = read_filters(request, round_, staff.language)
        if filters.problems:  # an export of other entries than asked for would mislead: say why there is none
            _ = gettext_for(staff.language, "portal")
            return console_message(portal, request, staff.language, _("The history was not exported"),
                                   " ".join(filters.problems.values()), 400)  # fmt: skip
        headers = {"content-disposition": f'attachment; filename="{round_.slug}-history.csv"'}
        return StreamingResponse(_csv_chunks(portal, round_.id, filters), media_type="text/csv; charset=utf-8",
                                 headers=headers)  # fmt: skip


class _StoreFilters(TypedDict):
    actor: str | None
    kind: str | None
    automatic: bool | None
    since: datetime | None
    until: datetime | None


def _store_filters(filters: HistoryFilters) -> _StoreFilters:
    """The filters as review_model.audit_history takes them; a day that could not be read is left out."""
    return {"actor": filters.actor or None, "kind": filters.action or None, "automatic": filters.automatic_flag,
            "since": filters.since, "until": filters.until}  # fmt: skip


def _row(entry: AuditEntry, zone: str, language: str) -> HistoryRow:
    return HistoryRow(
        at=format_moment(entry.at, zone, language),
        actor=actor_in_words(entry.actor, language),
        automatic=entry.automatic,
        action=action_in_words(entry.action, language),
        details=details_in_words(entry.details, zone, language),
    )


def _csv_chunks(portal: "Portal", round_id: int, filters: HistoryFilters) -> Iterator[bytes]:
    """The export, written as it is read: UTF-8 with a byte order mark (so spreadsheet programs read umlauts
    right, as the scores export does), a few hundred rows a chunk. The rows come guarded against formulas."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    with reading_session(portal.engine) as session:
        rows = audit_history_csv_rows(session, round_id, **_store_filters(filters))
        for number, row in enumerate(rows, start=1):
            writer.writerow(row)
            if number % _CHUNK_ROWS == 0:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
    yield out.getvalue().encode("utf-8")
