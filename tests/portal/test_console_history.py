"""A round's history in the console: who did what when in words, newest first, the round driver's steps marked,
the filters combined and kept from page to page, the CSV export guarded against formulas, and who may see it."""

import csv
import io
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import Session

from review_model import clock
from review_model.audit_history import CSV_HEADER
from review_model.audit_trail import ROUND_DRIVER, record_event
from review_model.moments import format_moment
from review_model.spreadsheet_csv import FORMULA_STARTS
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import console_client
from tests.support.staff import COORDINATOR, OBSERVER, round_staff, staff_member
from tests.support.staged_rounds import ACTOR, StagedRound, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
SITE = "https://peer-review.example"
BY_HAND = f"{COORDINATOR} (console)"
PAGE = "/console/rounds/staged-round/history"
EXPORT = "/console/rounds/staged-round/history.csv"
BERLIN = ZoneInfo("Europe/Berlin")
HOSTILE_DETAIL = '=HYPERLINK("http://evil.example","Details")'
HOSTILE_ACTOR = "=cmd|' /C calc'!A0"


def a_round_with_history(engine: Engine) -> tuple[StagedRound, datetime]:
    """A round in its self-assessment (the factory recorded creating and opening it), then a coordinator's and
    the round driver's steps on three days from `start` on (09:00 UTC, the same day in Berlin)."""
    staged = round_in_stage(engine, Stage.submission)
    round_staff(engine, staged.slug)
    start = (clock.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    deadline = (start + timedelta(days=20)).isoformat()
    steps = [
        (timedelta(0), BY_HAND, "submission deadline extended", {"previous": start.isoformat(), "deadline": deadline}),
        (timedelta(hours=1), ROUND_DRIVER, "submission stage closed", {"messages": 4}),
        (timedelta(days=1), ROUND_DRIVER, "assignment proposed", {"pairs": 8}),
        (timedelta(days=1, hours=1), BY_HAND, "links revoked", {"participant": 3, "links": 1,
                                                                 "reason": HOSTILE_DETAIL}),
        (timedelta(days=2), HOSTILE_ACTOR, "something new happened", {"forced": True}),
    ]  # fmt: skip
    with Session(engine) as session:
        for after, actor, action, details in steps:
            with freeze_time(start + after):
                record_event(session, staged.round_id, actor, action, **details)
        session.commit()
    return staged, start


def main_of(page: str) -> str:
    return page.split('<main id="main">')[1]


def rows_of(page: str) -> list[str]:
    """The table's rows, in order, as their text without tags and with entities read."""
    body = main_of(page).split("<tbody>")[1].split("</tbody>")[0]
    texts = (" ".join(part.split(">")[-1] for part in row.split("<")) for row in body.split("<tr")[1:])
    return [" ".join(unescape(text).split()) for text in texts]


def raw_rows_of(page: str) -> list[str]:
    return main_of(page).split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]


def local_day(moment: datetime) -> str:
    return moment.astimezone(BERLIN).date().isoformat()


def test_the_history_says_who_did_what_when_newest_first_in_words(engine: Engine):
    _staged, start = a_round_with_history(engine)
    with console_client(engine, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    assert "<h1>History</h1>" in page.text and f'href="{PAGE}" aria-current="page"' in page.text
    rows = rows_of(page.text)
    assert "Something new happened" in rows[0] and HOSTILE_ACTOR in rows[0]  # an action not translated: as stored
    assert "Personal links revoked" in rows[1] and BY_HAND in rows[1] and f"Reason: {HOSTILE_DETAIL}" in rows[1]
    assert "Reviewer assignment proposed" in rows[2] and "Pairs: 8" in rows[2]
    assert "Self-assessment closed" in rows[3] and "Round driver" in rows[3]
    assert "Submission deadline extended" in rows[4]
    assert format_moment(start, "Europe/Berlin", "en") in rows[4]  # the time, in the round's zone
    assert f"Deadline: {format_moment(start + timedelta(days=20), 'Europe/Berlin', 'en')}" in rows[4]
    assert "Round created" in rows[-1] and ACTOR in rows[-1] and "Questionnaire: smart-city" in rows[-1]
    assert any("Round launched, invitations sent" in row for row in rows)
    assert "Closed early by hand: yes" in rows[0]
    assert f"Entries 1 to {len(rows)} of {len(rows)}" in page.text and "Older entries" not in page.text
    assert '<th scope="col">When</th>' in page.text and '<td data-column="Details">' in page.text
    assert HOSTILE_DETAIL not in page.text  # escaped, never markup


def test_the_history_in_german(engine: Engine):
    _staged, start = a_round_with_history(engine)
    with console_client(engine, language="de", logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        page = client.get(PAGE)
    rows = rows_of(page.text)
    assert "<h1>Verlauf</h1>" in page.text and "Als CSV exportieren" in page.text
    assert "Persönliche Links gesperrt" in rows[1] and "Grund: " in rows[1]
    assert "Rundensteuerung" in rows[3] and "automatisch" in rows[3] and "Selbsteinschätzung geschlossen" in rows[3]
    assert format_moment(start, "Europe/Berlin", "de") in rows[4]
    assert "Runde angelegt" in rows[-1] and "Fragebogen: smart-city" in rows[-1]
    assert "Früh von Hand geschlossen: ja" in rows[0]


def test_the_round_drivers_steps_are_marked_automatic_and_no_others(engine: Engine):
    a_round_with_history(engine)
    with console_client(engine, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        page = client.get(PAGE)
    marked = ["automatic-mark" in row for row in raw_rows_of(page.text)]
    by_driver = [row.split('data-column="Who">')[1].startswith("Round driver") for row in raw_rows_of(page.text)]
    assert marked == by_driver and marked[:5] == [False, False, True, True, False]


def test_the_filters_combine(engine: Engine):
    _staged, start = a_round_with_history(engine)
    with console_client(engine, logged_in_as=COORDINATOR, public_base_url=SITE) as client:

        def shown(query: str) -> list[str]:
            page = client.get(f"{PAGE}?{query}")
            assert page.status_code == 200
            return rows_of(page.text) if "<tbody>" in page.text else []

        driver = quote_plus(ROUND_DRIVER)
        assert [len(shown(f"actor={driver}")), len(shown("automatic=yes"))] == [2, 2]
        assert len(shown(f"actor={driver}&from={local_day(start + timedelta(days=1))}")) == 1
        only = shown(f"automatic=no&action={quote_plus('links revoked')}")
        assert len(only) == 1 and "Personal links revoked" in only[0]
        one_day = shown(f"from={local_day(start)}&to={local_day(start)}")
        assert len(one_day) == 2 and "Self-assessment closed" in one_day[0]
        assert shown(f"from={local_day(start)}&to={local_day(start)}&automatic=no") == [one_day[1]]
        assert shown(f"actor={driver}&automatic=no") == []
        page = client.get(f"{PAGE}?actor={driver}&automatic=no&from={local_day(start)}").text
        assert "No entry matches these filters." in page
        assert f'<option value="{ROUND_DRIVER}" selected>' in page and '<option value="no" selected>' in page
        assert f'name="from" value="{local_day(start)}"' in page


def test_a_day_that_is_no_date_is_named_and_not_exported(engine: Engine):
    a_round_with_history(engine)
    with console_client(engine, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        page = client.get(f"{PAGE}?from=31.12.2026&automatic=yes")
        export = client.get(f"{EXPORT}?from=31.12.2026")
        backwards = client.get(f"{PAGE}?from=2026-03-02&to=2026-03-01")
    assert page.status_code == 200 and 'aria-invalid="true" aria-describedby="from-error"' in page.text
    assert "Give the day as a date, for example 2026-03-31." in page.text
    assert len(rows_of(page.text)) == 2  # the other filters still hold
    assert export.status_code == 400 and "Give the day as a date" in export.text
    assert "The last day is before the first day." in backwards.text


def test_paging_keeps_the_filters(engine: Engine):
    staged, start = a_round_with_history(engine)
    with Session(engine) as session:
        for number in range(60):
            with freeze_time(start + timedelta(days=3, minutes=number)):
                record_event(session, staged.round_id, BY_HAND, "link sent again", participant=number)
        session.commit()
    mine = f"actor={quote_plus(BY_HAND)}&automatic=no"
    with console_client(engine, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        first = client.get(f"{PAGE}?{mine}")
        assert "Entries 1 to 50 of 62" in first.text and "page 1 of 2" in first.text
        assert len(rows_of(first.text)) == 50 and "Newer entries" not in first.text
        assert "Participant (number): 59" in rows_of(first.text)[0]
        older = f'{PAGE}?{mine.replace("&", "&amp;")}&amp;page=2" rel="next"'
        assert older in first.text
        second = client.get(f"{PAGE}?{mine}&page=2")
        assert "Entries 51 to 62 of 62" in second.text and "Older entries" not in second.text
        rows = rows_of(second.text)
        assert len(rows) == 12 and all(BY_HAND in row and "Round driver" not in row for row in rows)
        assert "Personal links revoked" in rows[-2] and "Submission deadline extended" in rows[-1]
        assert f'{PAGE}?{mine.replace("&", "&amp;")}" rel="prev"' in second.text
        beyond = client.get(f"{PAGE}?{mine}&page=9")
        assert "Entries 51 to 62 of 62" in beyond.text  # past the last page: the last page


def test_the_csv_export_keeps_the_filters_and_guards_formulas(engine: Engine):
    staged, start = a_round_with_history(engine)
    with console_client(engine, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        page = client.get(f"{PAGE}?automatic=no&from={local_day(start)}")
        everything = client.get(EXPORT)
        filtered = client.get(f"{EXPORT}?automatic=no&from={local_day(start)}")
    assert f'href="{EXPORT}?automatic=no&amp;from={local_day(start)}" download' in page.text
    assert everything.status_code == 200 and everything.headers["content-type"].startswith("text/csv")
    assert everything.headers["content-disposition"] == f'attachment; filename="{staged.slug}-history.csv"'
    assert everything.content.startswith("\ufeff".encode())  # so spreadsheet programs read umlauts right
    rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_HEADER)
    assert rows[1][1:4] == ["'" + HOSTILE_ACTOR, "False", "something new happened"]
    assert rows[2][3] == "links revoked" and HOSTILE_DETAIL.replace('"', '\\"') in rows[2][4]
    assert rows[4][1:3] == [ROUND_DRIVER, "True"]
    assert rows[5][0] == start.astimezone(BERLIN).isoformat(timespec="seconds")
    assert [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)] == []
    narrowed = list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig"))))
    assert [row[3] for row in narrowed[1:]] == ["something new happened", "links revoked",
                                                "submission deadline extended"]  # fmt: skip


def test_observers_read_and_export_the_history(engine: Engine):
    a_round_with_history(engine)
    with console_client(engine, logged_in_as=OBSERVER, public_base_url=SITE) as client:
        page = client.get(PAGE)
        export = client.get(EXPORT)
    assert page.status_code == 200 and "Personal links revoked" in page.text
    assert export.status_code == 200 and b"links revoked" in export.content


def test_a_coordinator_of_another_round_finds_neither_page_nor_export(engine: Engine):
    a_round_with_history(engine)
    round_in_stage(engine, Stage.draft, slug="other-round")
    other = "andere@land.example"
    staff_member(engine, other, StaffRole.coordinator, rounds=["other-round"])
    with console_client(engine, logged_in_as=other, public_base_url=SITE) as client:
        own = client.get("/console/rounds/other-round/history")
        page = client.get(PAGE)
        export = client.get(EXPORT)
    assert own.status_code == 200 and "Round created" in own.text
    assert page.status_code == 404 and export.status_code == 404
    assert "links revoked" not in page.text and b"links revoked" not in export.content
