"""The report of a whole round, as published and as drafted: hostile names and texts stay text, spreadsheets
get no formula, reviewers are named only in an open review, and `spr report` writes each format.

The rounds come from the factories (tests/support/staged_rounds.py); the round's way there, through the
driver, the portal and the emails, is tested in tests/workflows/test_publication.py."""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.settings import Settings
from portal.app import create_app
from reports.documents import render_report
from review_model import clock
from review_model.consensus import AssessmentText, save_endorsement, save_joint_assessment
from review_model.tables import Organisation, PublishedReport, ReviewAssignment, Round
from review_model.vocabulary import Stage
from tests.support.answers import HOSTILE
from tests.support.review_questions import ask_every_party
from tests.support.round_world import PUBLIC_BASE_URL, SECRET
from tests.support.staged_rounds import StagedRound, bring_round_to, round_in_stage

REPLY = f"Wir widersprechen.\n{HOSTILE}\nZweite Zeile – „Zitat“"
# Every peer writes the same comment beside one rating, as in a round whose reviewers agree on a weakness.
REVIEW_COMMENTS = {"mobilitaet.teilhabe/comment": f"Kaum Beteiligung {HOSTILE}"}


def rename(engine: Engine, organisation: str, name: str) -> None:
    with Session(engine) as session:
        session.exec(select(Organisation).where(Organisation.name == organisation)).one().name = name
        session.commit()


def published(engine: Engine, staged: StagedRound, *, pdf: bool = False) -> None:
    """Anna replies, Ben has nothing to add, Cara and Dora say nothing; the report is published at the comment
    deadline (with its PDF if `pdf`)."""
    bring_round_to(engine, staged.round_id, Stage.comment, replies={"anna": REPLY, "ben": ""})
    with Session(engine) as session:
        deadline = session.get(Round, staged.round_id).comment_deadline
    with freeze_time(deadline + timedelta(minutes=1)):
        bring_round_to(engine, staged.round_id, Stage.published, pdf=pdf)


def test_hostile_names_and_replies_are_text_in_the_pdf(engine, tmp_path):
    pytest.importorskip("weasyprint")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    staged = round_in_stage(engine, Stage.drafting, review_comments=REVIEW_COMMENTS)
    rename(engine, "Stadt Auenburg", f"Stadt {HOSTILE}")
    published(engine, staged, pdf=True)
    with Session(engine) as session:
        pdf = session.exec(
            select(PublishedReport).where(PublishedReport.format == "pdf", PublishedReport.language == "de")
        ).one()
        html = render_report(session, staged.round_id, "html", "de").content.decode()
    assert "<script>" not in html and "Stadt &lt;script&gt;" in html
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for section in ("Gesamtbild", "So lesen Sie die Bewertungen", "Priorisierte Handlungsfelder",
                    "Status nach Leitlinie und Handlungsfeld", "Benchmark", "Profile der Organisationen",
                    "Wo die Gutachter uneins waren", "Empfehlungen nach Handlungsebene", "Stellungnahmen",
                    "Methode und Beteiligung"):  # fmt: skip
        assert section in text, section
    assert '<script>alert("x")</script>' in text  # printed as the text it is, never run
    assert "Wir widersprechen." in text


def test_the_report_command_writes_each_format(engine, configured, tmp_path):
    from typer.testing import CliRunner

    from workflows.cli import app

    runner = CliRunner()
    staged = round_in_stage(engine, Stage.review, reviewed=["anna", "ben", "cara", "dora"])
    too_early = runner.invoke(app, ["report", staged.slug])
    assert too_early.exit_code == 1 and "no findings yet" in too_early.output
    published(engine, staged)
    written = runner.invoke(app, ["report", staged.slug, "--format", "csv", "--output", str(tmp_path)])
    assert written.exit_code == 0 and "published edition" in written.output, written.output
    scores = (tmp_path / f"{staged.slug}-scores-de.csv").read_text(encoding="utf-8").splitlines()
    assert scores[0].startswith("\ufefforganisation,kind,item,label,scale,self,peer_scores")
    assert len(scores) == 1 + 4 * 24  # every rating of every party
    english = runner.invoke(app, ["report", staged.slug, "--lang", "en", "--format", "json", "-o", "-"])
    assert english.exit_code == 0 and f'"round": "{staged.slug}"' in english.output
    status = runner.invoke(app, ["status", staged.slug])
    assert status.exit_code == 0 and "Replies sent" in status.output and "2 of 4 reviewed parties" in status.output
    assert f"/reports/{staged.slug}" in status.output and "published" in status.output


def test_the_scores_csv_never_hands_a_spreadsheet_a_formula(engine):
    staged = round_in_stage(engine, Stage.drafting)
    rename(engine, "Stadt Elbstein", '=HYPERLINK("http://elsewhere.example","Elbstein")')
    published(engine, staged)
    settings = Settings(secret_key=SECRET, public_base_url=PUBLIC_BASE_URL, database_url="sqlite://")
    with TestClient(create_app(settings, engine)) as portal:
        scores = portal.get(f"/reports/{staged.slug}/scores.csv?lang=de").content.decode("utf-8")
    assert scores.startswith("\ufefforganisation,")  # a byte order mark, so spreadsheets read umlauts right
    rows = [line for line in scores.splitlines() if "HYPERLINK" in line]
    assert rows and all(row.startswith("\"'=HYPERLINK(") for row in rows)


def test_reviewers_are_named_only_in_an_open_review(engine):
    # Through a consensus stage: the joint assessment's answers name their reviewers as the rest of the report does.
    staged = round_in_stage(engine, Stage.consensus, consensus_days=7, reviewers_per_party=3)
    _joint_assessment_with_an_answer(engine, staged.round_id, staged["anna"].submission_id, "Zu milde.")
    bring_round_to(engine, staged.round_id, Stage.drafting)
    asked = ask_every_party(engine, staged.round_id)  # counted in the method section, askers named nowhere
    with Session(engine) as session:
        anonymous = render_report(session, staged.round_id, "html", "de").content.decode()
        assert "Begutachtet von" not in anonymous
        assert "<h3>Fragen und Antworten</h3>" in anonymous
        assert f'Von Gutachter:innen gestellte Fragen</th><td class="num">{asked}</td>' in anonymous
        assert not any(name in anonymous for name in ("Anna Keller", "Ben Hansen", "Cara Wolf", "Dora Roth"))
        assert "<h4>Gemeinsame Bewertung</h4>" in anonymous
        assert re.search(r"Gutachter:in \d \(stimmt nicht zu\): Zu milde\.", anonymous)
        session.get(Round, staged.round_id).open_review = True
        session.commit()
        named = render_report(session, staged.round_id, "html", "de").content.decode()
    assert "Begutachtet von (offenes Verfahren)" in named and "Anna Keller" in named
    assert re.search(r"(Ben Hansen|Cara Wolf|Dora Roth) \(stimmt nicht zu\): Zu milde\.", named)


def _joint_assessment_with_an_answer(engine, round_id: int, submission_id: int, comment: str) -> None:
    """The party's lead submits a joint assessment and one co-reviewer does not endorse it, with `comment`."""
    with Session(engine) as session:
        round_ = session.get(Round, round_id)
        assignments = session.exec(
            select(ReviewAssignment).where(ReviewAssignment.submission_id == submission_id)
            .order_by(col(ReviewAssignment.is_lead).desc())
        ).all()  # fmt: skip
        text = AssessmentText("Klare Ziele", "Wenig Personal", ("Personal aufstocken",))
        save_joint_assessment(session, round_, assignments[0], text, clock.now(), submit=True)
        save_endorsement(session, round_, assignments[1], False, comment, clock.now())
        session.commit()
