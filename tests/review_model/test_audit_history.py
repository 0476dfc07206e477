"""A round's history for the console: filtered, in pages, the round driver's steps marked, and as CSV rows."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from sqlmodel import Session

from review_model import clock
from review_model.audit_history import CSV_HEADER, audit_filter_choices, audit_history, audit_history_csv_rows
from review_model.audit_trail import ROUND_DRIVER, record_event
from review_model.spreadsheet_csv import GuardedWriter
from review_model.vocabulary import Stage
from tests.support.staged_rounds import ACTOR, round_in_stage

HOSTILE = '=HYPERLINK("http://evil.example")'


def a_round_with_history(engine):
    """A round in submission, then six entries an hour apart: the driver's reminders and a coordinator's steps."""
    staged = round_in_stage(engine, Stage.submission)
    start = clock.now() + timedelta(days=1)
    steps = [(ROUND_DRIVER, "reminders sent"), ("gs@peer-review.example", "deadline extended"),
             (ROUND_DRIVER, "reminders sent"), (HOSTILE, "links revoked"), (ROUND_DRIVER, "reminders sent"),
             ("gs@peer-review.example", "participant withdrawn")]  # fmt: skip
    with Session(engine) as session:
        for hour, (actor, action) in enumerate(steps):
            with freeze_time(start + timedelta(hours=hour)):
                record_event(session, staged.round_id, actor, action, hour=hour, note="-1" if hour else "+x")
        session.commit()
    return staged, start


def test_the_history_comes_newest_first_in_pages_with_the_drivers_steps_marked(engine):
    staged, start = a_round_with_history(engine)
    with Session(engine) as session:
        everything = audit_history(session, staged.round_id, limit=100)
        first = audit_history(session, staged.round_id, limit=4)
        second = audit_history(session, staged.round_id, limit=4, offset=4)
        actors, actions = audit_filter_choices(session, staged.round_id)
    factory_entries = everything.total - 6
    assert factory_entries > 0  # creating, importing and opening the round were recorded too
    assert [e.details.get("hour") for e in first.entries] == [5, 4, 3, 2]
    assert first.total == everything.total and first.has_more and second.offset == 4
    assert [e.id for e in first.entries + second.entries] == [e.id for e in everything.entries[:8]]
    assert [e.at for e in everything.entries] == sorted((e.at for e in everything.entries), reverse=True)
    assert everything.entries[0].at == start + timedelta(hours=5) and everything.entries[0].at.tzinfo is not None
    assert [e.automatic for e in everything.entries[:6]] == [False, True, False, True, False, True]
    assert actors == sorted({ROUND_DRIVER, "gs@peer-review.example", HOSTILE, ACTOR})
    assert "reminders sent" in actions and "round created" in actions


def test_the_filters_narrow_it_by_actor_kind_automatic_and_time(engine):
    staged, start = a_round_with_history(engine)
    with Session(engine) as session:

        def hours(**filters):
            page = audit_history(session, staged.round_id, limit=100, **filters)
            assert page.total == len(page.entries)
            return [entry.details.get("hour") for entry in page.entries]

        assert hours(automatic=True) == [4, 2, 0]
        assert hours(automatic=False)[:3] == [5, 3, 1]
        assert ROUND_DRIVER not in {e.actor for e in audit_history(session, staged.round_id, automatic=False).entries}
        assert hours(actor="gs@peer-review.example") == [5, 1]
        assert hours(kind="links revoked") == [3]
        assert hours(since=start + timedelta(hours=2), until=start + timedelta(hours=4)) == [3, 2]
        assert hours(automatic=True, since=start + timedelta(minutes=30)) == [4, 2]
        assert audit_history(session, staged.round_id, kind="no such thing").entries == []


def test_the_csv_rows_are_guarded_against_formulas_and_give_times_in_the_rounds_zone(engine):
    staged, start = a_round_with_history(engine)
    with Session(engine) as session:
        rows = list(audit_history_csv_rows(session, staged.round_id, since=start))
    assert rows[0] == list(CSV_HEADER)
    assert len(rows) == 7
    newest, _, revoked = rows[1], rows[2], rows[3]
    berlin = (start + timedelta(hours=5)).astimezone(ZoneInfo("Europe/Berlin"))
    assert newest[0] == berlin.isoformat(timespec="seconds")
    assert newest[0].endswith(("+01:00", "+02:00"))
    assert newest[1:4] == ["gs@peer-review.example", False, "participant withdrawn"]
    assert revoked[1] == "'" + HOSTILE and revoked[2] is False
    assert rows[2][2] is True and rows[2][4] == '{"hour": 4, "note": "-1"}'
    out = io.StringIO()
    GuardedWriter(out).writerows(rows)  # guarding twice changes nothing more
    assert list(csv.reader(io.StringIO(out.getvalue())))[3][1] == "'" + HOSTILE
    assert rows[-1][4] == '{"hour": 0, "note": "+x"}' and rows[-1][2] is True
