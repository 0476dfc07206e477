"""`spr demo` end to end on a smaller round, and the published report in a real browser."""

import json
import re
import subprocess
from urllib.parse import urlsplit

import pytest
from sqlmodel import col, select

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from review_model.store import make_engine, reading_session
from review_model.tables import Recommendation, Round
from review_model.vocabulary import RecommendationStatus
from tests.support.browser import ARTIFACTS, WIDTHS, check_widths, require_axe
from tests.support.commands import environment, spr
from workflows.demo.run import DemoSummary, count_outcomes


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict[str, DemoSummary], subprocess.CompletedProcess[str]]:
    """`spr demo` as a coordinator runs it: a process of its own, on Prefect's temporary local API, with
    none of the shell's SPR_ or PREFECT_ settings; what each round came to is read back from its store."""
    here = tmp_path_factory.mktemp("demo")
    env = {key: value for key, value in environment().items() if not key.startswith(("SPR_", "PREFECT_"))}
    result = spr("demo", "--participants", "12", "--seed", "7", "--folder", str(here / "demo"),
                 cwd=here, env=env, timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    invited = [int(n) for n in re.findall(r"Invited (\d+);", result.stdout)]
    assert len(invited) == 2, result.stdout
    engine = make_engine(f"sqlite:///{here / 'demo' / 'spr-demo.db'}")
    summaries = {}
    for slug, n in zip(("beispielrunde", "folgerunde"), invited, strict=True):
        folder = here / "demo" / "report" / slug
        summary = DemoSummary(here / "demo", slug=slug, report_files=sorted(folder.iterdir()), invited=n)
        with reading_session(engine) as session:
            round_id = session.exec(select(Round.id).where(Round.slug == slug)).one()
        count_outcomes(engine, round_id, summary)
        summaries[slug] = summary
    engine.dispose()
    return summaries, result


def test_the_demo_prints_its_story_and_no_error_or_traceback(demo):
    """An empty PREFECT_API_URL once made Prefect's events client fail on every event of the demo (130 ERROR
    lines and 51 tracebacks); Prefect's own log goes to a file in the demo's folder."""
    summaries, result = demo
    summary = summaries["beispielrunde"]
    assert result.stderr == ""
    assert "ERROR" not in result.stdout and "Traceback" not in result.stdout
    assert result.stdout.count("⑨ Publication: comment → published") == 2
    log = summary.folder / "prefect.log"
    assert f"Prefect's log {log}" in result.stdout
    assert "ERROR" not in log.read_text(encoding="utf-8")


def test_the_demo_runs_two_rounds_to_publication(demo):
    summaries, result = demo
    said = result.stdout
    for step in "①②③④⑤⑥⑦⑧⑨":
        assert said.count(step) == 2
    assert "taken automatically" in said  # the coordinator's steps are said to be automatic
    assert "Round 2 follows up the round before" in said
    for summary in summaries.values():
        assert summary.invited >= 8 and summary.submissions >= 6 and summary.reviews >= summary.submissions
        assert summary.emails["invitation"] == summary.invited and summary.emails["report_published"] == 12
        assert summary.recommendations_approved > 0 and summary.replies > 0
        names = {path.name for path in summary.report_files}
        assert {"report-de.html", "report-en.html", "scores-de.csv", "scores-en.json"} <= names
    # The questions, the consensus (in the follow-up round) and the follow-up of the first round's
    # recommendations happen through the emails and pages, as participants meet them.
    assert re.search(r"[1-9]\d* reviewers asked the organisation they review a question", said)
    assert re.search(r"[1-9]\d* organisations were told of questions; [1-9]\d* answer them", said)
    assert "review → consensus" in said and "consensus → drafting" in said
    assert re.search(r"[1-9]\d* lead reviewers submit the joint assessment", said)
    assert re.search(r"what became of the recommendations of the round before to its level: [1-9]", said)
    assert "adopts the results; the coordinator records it" in said
    follow_up = summaries["folgerunde"]
    for kind in ("questions_asked", "question_answered", "consensus_invitation", "joint_assessment_submitted"):
        assert follow_up.emails[kind] > 0, kind
    assert summaries["beispielrunde"].emails["consensus_invitation"] == 0  # the example round has no consensus
    headings = {
        "en": ("Questions and answers", "Joint assessment", "Reviewer calibration", "Adopted by",
               "What became of the recommendations of the round"),
        "de": ("Fragen und Antworten", "Gemeinsame Bewertung", "Kalibrierung der Gutachten", "Verabschiedet von",
               "Was aus den Empfehlungen der Runde"),
    }  # fmt: skip
    for language, expected in headings.items():
        html = (follow_up.folder / "report" / "folgerunde" / f"report-{language}.html").read_text(encoding="utf-8")
        assert [heading for heading in expected if heading not in html] == []
    summary = summaries["beispielrunde"]

    # The recommendations come from the answers: they are the rules' drafts from this round's findings.
    engine = make_engine(f"sqlite:///{summary.folder / 'spr-demo.db'}")
    with reading_session(engine) as session:
        published = session.exec(
            select(Recommendation)
            .join(Round, col(Round.id) == Recommendation.round_id)
            .where(Recommendation.status == RecommendationStatus.published, Round.slug == "beispielrunde")
        ).all()
    engine.dispose()
    html = (summary.folder / "report" / "beispielrunde" / "report-de.html").read_text(encoding="utf-8")
    assert len(published) == summary.recommendations_approved
    assert all(r.text_de in html and r.evidence["count"] >= 1 for r in published)
    scores = json.loads((summary.folder / "report" / "beispielrunde" / "scores-en.json").read_text(encoding="utf-8"))
    assert {row["organisation"] for row in scores["items"]} and scores["round"] == "beispielrunde"


def test_the_published_report_in_a_real_browser(demo, chromium):
    summary = demo[0]["beispielrunde"]
    database_url = f"sqlite:///{summary.folder / 'spr-demo.db'}"
    engine = make_engine(database_url)
    settings = Settings(database_url=database_url)  # the demo's secret key, kept beside its store
    ARTIFACTS.mkdir(exist_ok=True)
    with PortalThread(create_app(settings, engine)) as portal, chromium.connect() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        elsewhere: list[str] = []
        page.on("request", lambda r: None if urlsplit(r.url).hostname == "127.0.0.1" else elsewhere.append(r.url))
        page.goto(f"http://127.0.0.1:{portal.port}/reports/beispielrunde")
        assert page.title().endswith("Bericht")
        page.screenshot(path=str(ARTIFACTS / "report-overview.png"))
        # The styles apply under the report's Content-Security-Policy: a critical cell is red.
        colour = page.locator("table.matrix td.tone").first.evaluate("cell => getComputedStyle(cell).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
        assert page.locator("section#profiles svg").count() >= 6
        page.locator("#recommendations").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "report-recommendations.png"))
        page.goto(f"http://127.0.0.1:{portal.port}/reports/beispielrunde/report.html?lang=en")
        assert page.locator("h2", has_text="Where reviewers disagreed").count() == 1
    engine.dispose()
    assert elsewhere == []  # the report loads nothing from anywhere else


def test_the_published_report_passes_axe_and_fits_a_phone(demo, chromium):
    """The follow-up round's report: it has every section (questions, joint assessments, calibration, the
    follow-up of the first round, the adoption)."""
    script = require_axe()
    summary = demo[0]["folgerunde"]
    database_url = f"sqlite:///{summary.folder / 'spr-demo.db'}"
    engine = make_engine(database_url)
    settings = Settings(database_url=database_url)  # the demo's secret key, kept beside its store
    found, widths = {}, {}
    with PortalThread(create_app(settings, engine)) as portal, chromium.connect() as browser:
        for language in ("de", "en"):
            url = f"http://127.0.0.1:{portal.port}/reports/folgerunde/report.html?lang={language}"
            for width, (violations, document_width) in check_widths(browser, url, script, f"report-{language}").items():
                found[f"report ({language}) at {width}"] = violations
                widths[f"report ({language}) at {width}"] = document_width
    engine.dispose()
    assert {page: v for page, v in found.items() if v} == {}
    assert widths["report (de) at phone"] <= WIDTHS["phone"][0] and widths["report (en) at phone"] <= WIDTHS["phone"][0]
