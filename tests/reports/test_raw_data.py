"""The coordinator's workbook of a round's raw data (`spr report --format xlsx`), read back as a spreadsheet program
reads it: its sheets and headers in the report's language, every value as the store holds it (numbers as
numbers, moments as dates in the round's time zone), hostile text as inert text, and no reviewer named in a
closed round."""

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reports.raw_data import write_raw_data
from review_model import clock
from review_model.consensus import AssessmentText, save_endorsement, save_joint_assessment
from review_model.erasure import erase_person, plan_erasure
from review_model.lead_reviewer import lead_of
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    Round,
    Submission,
    SubmissionVersion,
)
from review_model.vocabulary import Stage
from tests.support.review_questions import ask_every_party
from tests.support.staged_rounds import ORGANISATIONS, round_in_stage

EVERY_ITEM_TYPE = Path(__file__).parents[1] / "portal" / "every_item_type.yaml"
RATINGS = 24  # the smart-city self-assessment: 6 fields of action × 4 guidelines
GUIDELINES = ("ziele", "teilhabe", "infrastruktur", "ressourcen")
HYPERLINK = '=HYPERLINK("http://x","y")'
# Text a spreadsheet would run as a formula: a link, a function, a sum with a tab in it.
HOSTILE_COMMENTS = {
    "mobilitaet.teilhabe/comment": HYPERLINK,
    "verwaltung.ziele/comment": "@SUM(1)",
    "energie_umwelt.ziele/comment": "-2+3\tund mehr",
}
# Summer time in Berlin: the workbook shows 12:30 for 10:30 UTC.
MOMENT = datetime(2026, 6, 15, 10, 30, tzinfo=UTC)
PEOPLE = [value for email, name, *_ in ORGANISATIONS for value in (email, name)]


def workbook(engine: Engine, round_id: int, language: str = "de", **options: Any) -> Workbook:
    out = io.BytesIO()
    with Session(engine) as session:
        write_raw_data(session, round_id, language, out, **options)
    return load_workbook(io.BytesIO(out.getvalue()))


def rows(book: Workbook, sheet: str) -> list[tuple[Any, ...]]:
    return list(book[sheet].iter_rows(values_only=True))


def cells(book: Workbook) -> list[Any]:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def rating_of(key: str) -> int:
    """A self-rating that differs from item to item (0–3 by guideline), so that values cannot line up by chance."""
    return GUIDELINES.index(key.split(".")[1].split("/")[0]) if "." in key else 2


def records(book: Workbook, sheet: str, fixed: int) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Each row of a sheet with one column per answer: its first `fixed` cells, and its answers by answer key
    (the columns follow the questions sheet's order; a comment's header is its question's with "(Kommentar)")."""
    questions = {key: question for key, question, *_ in rows(book, "Fragen")[1:]}
    header, *body = rows(book, sheet)
    keys = []
    for title in header[fixed:]:
        found = [k for k, q in questions.items() if q == title and not k.endswith("/comment")]
        found = found or [k for k, q in questions.items() if f"{q} (Kommentar)" == title and k.endswith("/comment")]
        assert len(found) == 1, title
        keys.append(found[0])
    return [(row[:fixed], dict(zip(keys, row[fixed:], strict=True))) for row in body]


def test_the_workbook_holds_every_answer_and_review_as_the_store_does(engine):
    with freeze_time(MOMENT):
        staged = round_in_stage(engine, Stage.drafting, parties=3, reviewers_per_party=2, self_rating=rating_of,
                                review_comments={"mobilitaet.teilhabe/comment": "Kaum Beteiligung"})  # fmt: skip
    book = workbook(engine, staged.round_id)
    assert book.sheetnames == ["Selbsteinschätzungen", "Kommentare", "Gutachten", "Fragen", "Rückfragen"]
    assert rows(book, "Selbsteinschätzungen")[0][:4] == ("Organisation", "Art", "Eingereicht (Europe/Berlin)",
                                                         "Verwaltung · Ziele, Strategien und Strukturen")  # fmt: skip
    assert rows(book, "Gutachten")[0][:6] == ("Begutachtete Organisation", "Art", "Gutachter:in",
                                              "Eingereicht (Europe/Berlin)",
                                              "Verwaltung · Ziele, Strategien und Strukturen",
                                              "Verwaltung · Ziele, Strategien und Strukturen (Kommentar)")  # fmt: skip
    levels = "0 = Stufe 0 – nicht vorhanden; 1 = Stufe 1 – Einstieg; 2 = Stufe 2 – im Aufbau; 3 = Stufe 3 – etabliert; "
    assert rows(book, "Fragen")[1] == ("verwaltung.ziele", "Verwaltung · Ziele, Strategien und Strukturen",
                                       "Reifegrad", levels + "4 = Stufe 4 – führend")  # fmt: skip
    with Session(engine) as session:
        stored = dict(
            session.exec(
                select(Organisation.name, SubmissionVersion.answers)
                .join(Participant, col(Participant.organisation_id) == Organisation.id)
                .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
                .join(Submission, col(Submission.enrolment_id) == Enrolment.id)
                .join(SubmissionVersion, col(SubmissionVersion.submission_id) == Submission.id)
            ).all()
        )
        reviews = session.exec(
            select(Organisation.name, Review.answers)
            .join(Participant, col(Participant.organisation_id) == Organisation.id)
            .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
            .join(Submission, col(Submission.enrolment_id) == Enrolment.id)
            .join(ReviewAssignment, col(ReviewAssignment.submission_id) == Submission.id)
            .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
            .where(Review.is_submitted)
            .order_by(col(Organisation.name), col(Review.id))
        ).all()
    berlin = MOMENT.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    parties = records(book, "Selbsteinschätzungen", 3)
    assert [fixed for fixed, _ in parties] == [(name, "Kommune", berlin) for name in sorted(stored)]
    for (name, *_), answers in parties:
        assert answers == stored[name] and len(answers) == RATINGS + 3  # every question, none of the comments
    assert {value for _, answers in parties for value in answers.values()} >= {0, 1, 2, 3}
    assert rows(book, "Kommentare")[1:] == []  # the self-assessments have no comments
    written = records(book, "Gutachten", 4)
    assert [(party, answers) for (party, *_), answers in written] == [
        (party, {key: answers.get(key) for key in written[0][1]}) for party, answers in reviews
    ]
    assert [fixed[1:] for fixed, _ in written] == [("Kommune", f"Gutachter:in {n}", berlin) for _ in range(3)
                                                   for n in (1, 2)]  # fmt: skip
    assert {answers["mobilitaet.teilhabe/comment"] for _, answers in written} == {"Kaum Beteiligung"}


def test_numbers_are_numbers_dates_are_dates_and_the_header_stays_in_view(engine):
    with freeze_time(MOMENT):
        staged = round_in_stage(engine, Stage.drafting, parties=2, reviewers_per_party=1)
    book = workbook(engine, staged.round_id)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["A"].width >= 28  # names, ids and wordings are wider than the default
    reviews = book["Gutachten"]
    rating, moment = reviews["E2"], reviews["D2"]
    assert rating.data_type == "n" and rating.value in (0, 1)
    assert moment.is_date and moment.value == datetime(2026, 6, 15, 12, 30)
    assert moment.number_format == "dd.mm.yyyy hh:mm"
    assert reviews.row_dimensions[1].height >= 45  # questions head the columns, wrapped
    assert all(cell.data_type != "f" for cell in cells(book))


def test_english_sheets_and_headers(engine):
    staged = round_in_stage(engine, Stage.review, parties=2, reviewers_per_party=1)
    book = workbook(engine, staged.round_id, "en")
    assert book.sheetnames == ["Self-assessments", "Comments", "Reviews", "Questions", "Review questions"]
    header = rows(book, "Reviews")[0]
    assert header[:6] == ("Reviewed organisation", "Kind", "Reviewer", "Submitted (Europe/Berlin)",
                          "Administration · Goals, strategies and structures",
                          "Administration · Goals, strategies and structures (comment)")  # fmt: skip
    assert rows(book, "Reviews")[1:] == []
    assert rows(book, "Self-assessments")[1][1] == "Municipality"
    assert rows(book, "Questions")[0] == ("Item ID", "Question", "Scale", "Levels or options")
    assert rows(book, "Questions")[1][2] == "Maturity"
    assert book["Self-assessments"]["C2"].number_format == "yyyy-mm-dd hh:mm"


def test_every_kind_of_answer_and_the_comments_of_self_assessments(engine):
    staged = round_in_stage(engine, Stage.review, parties=2, reviewers_per_party=1, reviewed=["anna"],
                            questionnaire=str(EVERY_ITEM_TYPE),
                            review_comments={"ratings.matrix/technisch/comment": "Technik fehlt"})  # fmt: skip
    with Session(engine) as session:
        version = session.exec(
            select(SubmissionVersion).where(SubmissionVersion.submission_id == staged["ben"].submission_id)
        ).one()
        version.answers = {**version.answers, "ratings.ampel/comment": HYPERLINK,
                           "ratings.matrix/rechtlich/comment": "Rechtslage klar"}  # fmt: skip
        session.commit()
    book = workbook(engine, staged.round_id)
    ben = "Hansestadt Nordhaven"
    answers = dict((fixed[0], found) for fixed, found in records(book, "Selbsteinschätzungen", 3))[ben]
    assert answers["facts.art"] == "Kommune" and answers["facts.themen"] == "Mobilität; Energie"
    assert answers["facts.einwohner"] == 1 and answers["facts.budget"] == 1
    assert answers["ratings.matrix/technisch/fortschritt"] in (0, 1, 2)
    sheet = book["Selbsteinschätzungen"]
    assert all(cell.data_type == "n" for row in sheet.iter_rows(min_row=2) for cell in row
               if isinstance(cell.value, int | float))  # fmt: skip
    submitted = rows(book, "Kommentare")[1][2]
    assert rows(book, "Kommentare")[1:] == [
        (ben, "Kommune", submitted, "ratings.ampel/comment", "Gesamtstatus", "'" + HYPERLINK),
        (ben, "Kommune", submitted, "ratings.matrix/rechtlich/comment", "Baustein Datenplattform · Rechtlich",
         "Rechtslage klar"),
    ]  # fmt: skip
    ((_, review),) = records(book, "Gutachten", 4)
    assert review["ratings.matrix/technisch/comment"] == "Technik fehlt"
    assert [key for key in review if key.startswith("ratings.matrix/technisch")] == [
        "ratings.matrix/technisch/status",
        "ratings.matrix/technisch/fortschritt",
        "ratings.matrix/technisch/comment",
    ]  # a matrix row's comment follows the row's ratings
    questions = {key: row for key, *row in rows(book, "Fragen")[1:]}
    assert questions["facts.themen"] == ["Themen", None, "Mobilität; Energie; Bildung"]
    assert questions["ratings.matrix/rechtlich/fortschritt"][1] == "Umsetzungsfortschritt"


def test_hostile_text_comes_back_as_inert_text(engine):
    staged = round_in_stage(engine, Stage.review, parties=2, reviewers_per_party=1)
    with Session(engine) as session:
        session.exec(select(Organisation).where(Organisation.name == "Stadt Auenburg")).one().name = "@SUM(1)"
        session.commit()
    book = workbook(engine, staged.round_id)
    assert all(cell.data_type == "s" for cell in cells(book) if isinstance(cell.value, str))
    names = {row[0] for row in rows(book, "Selbsteinschätzungen")[1:]}
    assert names == {"'@SUM(1)", "Hansestadt Nordhaven"}


def test_hostile_comments_of_reviewers_come_back_as_inert_text(engine):
    staged = round_in_stage(engine, Stage.drafting, parties=2, reviewers_per_party=1, review_comments=HOSTILE_COMMENTS)
    book = workbook(engine, staged.round_id)
    comments = {value for _, answers in records(book, "Gutachten", 4) for key, value in answers.items()
                if key.endswith("/comment") and value is not None}  # fmt: skip
    # The CSV's guard: an apostrophe first, which a spreadsheet shows as text and a CSV copied from it keeps.
    assert comments == {"'" + text for text in HOSTILE_COMMENTS.values()}
    assert not any(cell.data_type == "f" or str(cell.value).startswith(("=", "@", "+", "-")) for cell in cells(book))


def test_a_closed_round_names_no_reviewer_anywhere_and_an_open_review_does(engine):
    staged = round_in_stage(engine, Stage.drafting, parties=4, reviewers_per_party=2)
    ask_every_party(engine, staged.round_id)  # the questions of the review name their askers the same way
    closed = [str(cell.value) for cell in cells(workbook(engine, staged.round_id))]
    leaks = [(person, text) for person in PEOPLE for text in closed if person.lower() in text.lower()]
    assert not leaks
    reviewers = {row[2] for row in rows(workbook(engine, staged.round_id), "Gutachten")[1:]}
    assert reviewers == {"Gutachter:in 1", "Gutachter:in 2"}
    askers = {row[1] for row in rows(workbook(engine, staged.round_id), "Rückfragen")[1:]}
    assert askers == {"Gutachter:in 1", "Gutachter:in 2"}
    with Session(engine) as session:
        session.get(Round, staged.round_id).open_review = True
        session.commit()
    named = {row[2] for row in rows(workbook(engine, staged.round_id), "Gutachten")[1:]}
    assert named and named <= {f"{organisation} ({name})" for _, name, organisation, *_ in ORGANISATIONS}
    named_askers = {row[1] for row in rows(workbook(engine, staged.round_id), "Rückfragen")[1:]}
    assert named_askers == named
    # An erased reviewer is named by their number for the party, as in the report; the others keep their names.
    anna = staged["anna"]
    with Session(engine) as session:
        person = session.exec(select(Participant).where(Participant.email == anna.email)).one()
        erase_person(session, plan_erasure(session, person.id), "test", datetime.now(UTC))
        session.commit()
    after = {row[0]: row[2] for row in rows(workbook(engine, staged.round_id), "Gutachten")[1:]
             if row[2].startswith("Stadt Auenburg")}  # fmt: skip
    assert after and all(re.fullmatch(r"Stadt Auenburg \(Gutachter:in [12]\)", who) for who in after.values())
    assert not any("Anna" in str(cell.value) for cell in cells(workbook(engine, staged.round_id)))


def test_withdrawn_peoples_submitted_work_stays_and_unsubmitted_work_never_appears(engine):
    staged = round_in_stage(engine, Stage.review, parties=4, reviewers_per_party=1, submitted=["anna", "ben", "cara"])
    with Session(engine) as session:
        for who in ("cara", "dora"):
            session.get(Enrolment, staged[who].enrolment_id).withdrawn_at = datetime.now(UTC)
        session.commit()
    book = workbook(engine, staged.round_id)
    parties = {row[0] for row in rows(book, "Selbsteinschätzungen")[1:]}
    assert parties == {"Stadt Auenburg", "Hansestadt Nordhaven", "Stadt Elbstein"}  # as the score CSV
    assert rows(book, "Gutachten")[1:] == []  # no review submitted yet


def test_a_sheet_too_long_for_a_spreadsheet_goes_on_in_the_next(engine):
    staged = round_in_stage(engine, Stage.drafting, parties=3, reviewers_per_party=1)
    whole = rows(workbook(engine, staged.round_id), "Gutachten")
    assert len(whole) == 1 + 3
    book = workbook(engine, staged.round_id, sheet_rows=2)
    parts = [name for name in book.sheetnames if name.startswith("Gutachten")]
    assert parts == ["Gutachten", *(f"Gutachten ({n})" for n in range(2, 2 + len(parts) - 1))] and len(parts) == 3
    assert all(rows(book, name)[0] == whole[0] and book[name].freeze_panes == "A2" for name in parts)
    assert [row for name in parts for row in rows(book, name)[1:]] == whole[1:]
    assert all(len(rows(book, name)) == 2 for name in parts)
    assert book.sheetnames.index("Gutachten") > book.sheetnames.index("Kommentare")


def test_the_report_command_writes_the_workbook_before_any_finding_and_to_standard_output(engine, configured, tmp_path):
    from typer.testing import CliRunner

    from workflows.cli import app

    runner = CliRunner()
    staged = round_in_stage(engine, Stage.review, parties=2, reviewers_per_party=1, reviewed=["anna"])
    written = runner.invoke(app, ["report", staged.slug, "--format", "xlsx", "--output", str(tmp_path)])
    assert written.exit_code == 0, written.output
    path = tmp_path / f"{staged.slug}-raw-data-de.xlsx"
    assert "Raw data (XLSX, de) written to" in written.output and path.name in written.output
    book = load_workbook(path)
    assert book.sheetnames == ["Selbsteinschätzungen", "Kommentare", "Gutachten", "Fragen", "Rückfragen"]
    assert len(rows(book, "Gutachten")) == 2  # anna's one review
    english = runner.invoke(app, ["report", staged.slug, "-f", "xlsx", "--lang", "en", "-o", "-"])
    assert english.exit_code == 0 and english.stdout_bytes.startswith(b"PK")  # a zip, as every .xlsx is
    assert load_workbook(io.BytesIO(english.stdout_bytes)).sheetnames[0] == "Self-assessments"
    nowhere = runner.invoke(app, ["report", staged.slug, "-f", "xlsx", "-o", str(tmp_path / "missing" / "x.xlsx")])
    assert nowhere.exit_code == 1 and "there is no folder" in nowhere.output and "Traceback" not in nowhere.output
    unknown = runner.invoke(app, ["report", "no-such-round", "-f", "xlsx"])
    assert unknown.exit_code == 1 and not list(tmp_path.glob("no-such-round*"))


def test_a_round_with_a_consensus_stage_has_the_joint_assessments_with_the_co_reviewers_answers_by_number(engine):
    staged = round_in_stage(engine, Stage.consensus, reviewers_per_party=3, peer_ratings=(0, 2), consensus_days=7)
    now = clock.now()
    with Session(engine) as session:
        round_ = session.get(Round, staged.round_id)
        party = staged["anna"].submission_id
        lead = lead_of(session, party)
        others = session.exec(select(ReviewAssignment).where(ReviewAssignment.submission_id == party,
                                                             ReviewAssignment.id != lead.id)).all()  # fmt: skip
        text = AssessmentText("Klare Strategie", "Wenig Personal", ("Personal aufstocken", "=HYPERLINK(1)"))
        save_joint_assessment(session, round_, lead, text, now, submit=True)
        save_endorsement(session, round_, others[0], True, "", now)
        save_endorsement(session, round_, others[1], False, "Zu milde.", now)
        session.commit()
    book = workbook(engine, staged.round_id)
    assert book.sheetnames[-2:] == ["Rückfragen", "Gemeinsame Bewertungen"]
    header, row = rows(book, "Gemeinsame Bewertungen")
    assert header[:2] == ("Begutachtete Organisation", "Stärken")
    assert row[:3] == ("Stadt Auenburg", "Klare Strategie", "Wenig Personal")
    assert row[3] == "Personal aufstocken\n=HYPERLINK(1)" and row[4:6] == (1, 2)
    assert re.fullmatch(r"Gutachter:in \d: stimmt zu\nGutachter:in \d: stimmt nicht zu – Zu milde\.", row[6])
    assert not [person for person in PEOPLE for cell in cells(book) if person.lower() in str(cell.value).lower()]
    assert rows(workbook(engine, staged.round_id, "en"), "Joint assessments")[0][4] == "Endorsed by"
