"""A round with `normalise: leniency` from its reviews to its report: consolidation stores the corrected peer
means beside the raw ones, the report's benchmark ranks by them and says so, its calibration section names
nobody; without the option nothing changes. `spr reviews calibration` prints the coordinator's table."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from config.settings import get_settings
from reports.contents import assemble_report
from reports.rendering import render_html
from review_model.findings import CALIBRATION
from review_model.store import reading_session
from review_model.tables import Finding, Round
from review_model.vocabulary import FindingScope, Stage
from tests.support.staged_rounds import bring_round_to, round_in_stage
from workflows.cli import app

ONE_DATABASE = "the stages' queries are tested on both databases elsewhere; this is about the figures"
# Anna rates every item 3, Ben 1, the four others 2: the consensus is 2.
RATINGS = (3, 1, 2, 2, 2, 2)
EVERYONE = ["anna", "ben", "cara", "dora", "person5", "person6"]


def reviewed_round(engine: Engine, normalise: str | None) -> int:
    staged = round_in_stage(engine, Stage.review, parties=6, reviewers_per_party=3, peer_ratings=RATINGS)
    with Session(engine) as session:
        round_ = session.get(Round, staged.round_id)
        round_.normalise = normalise
        session.add(round_)
        session.commit()
    bring_round_to(engine, staged.round_id, Stage.drafting, peer_ratings=RATINGS)
    return staged.round_id


def party_findings(engine: Engine, round_id: int) -> list[Finding]:
    with Session(engine) as session:
        return list(session.exec(select(Finding).where(Finding.round_id == round_id,
                                                       Finding.scope == FindingScope.party)).all())  # fmt: skip


def test_corrected_means_are_stored_beside_the_raw_ones_and_come_closer(engine: Engine):
    round_id = reviewed_round(engine, "leniency")
    found = party_findings(engine, round_id)
    assert found and all(f.corrected_peer_mean is not None for f in found)
    # Closer to the consensus over the round (party by party the one-pass estimate may overshoot where the
    # harsh reviewer's leniency was measured beside the lenient one: tests/review_model/test_calibration.py).
    raw = [f.peer_mean for f in found]
    assert any(mean != 2 for mean in raw)
    assert sum(abs(f.corrected_peer_mean - 2) for f in found) < sum(abs(mean - 2) for mean in raw)
    with Session(engine) as session:
        summary = session.exec(select(Finding).where(Finding.round_id == round_id,
                                                     Finding.key == CALIBRATION)).one()  # fmt: skip
    [maturity] = summary.details["scales"]
    assert (maturity["lenient"], maturity["harsh"]) >= (1, 1)


def test_the_report_ranks_by_the_corrected_means_and_names_no_reviewer(engine: Engine):
    round_id = reviewed_round(engine, "leniency")
    with reading_session(engine) as session:
        report = assemble_report(session, round_id, "en")
        german = render_html(assemble_report(session, round_id, "de"))
    assert report.normalised and report.calibration
    html = render_html(report)
    assert "corrected for each reviewer's leniency" in html and "raw" in html
    assert "<h3>Reviewer calibration</h3>" in html and "leave-one-out" in html
    assert "Peers, corrected" in html  # each profile gives the corrected group means beside the raw ones
    assert "<h3>Kalibrierung der Gutachten</h3>" in german
    for name in ("Anna Keller", "Ben Hansen"):  # a closed round names no reviewer
        assert name not in html
    for party, ranks in report.ranking:
        for key, entry in ranks.items():
            assert entry.peer_mean != report.ranking_raw[(party, key)] or entry.peer_mean == 2


def test_without_the_option_nothing_changes(engine: Engine):
    round_id = reviewed_round(engine, None)
    assert all(f.corrected_peer_mean is None for f in party_findings(engine, round_id))
    with reading_session(engine) as session:
        report = assemble_report(session, round_id, "en")
        assert not session.exec(select(Finding).where(Finding.key == CALIBRATION)).first()
    html = render_html(report)
    assert not report.normalised and "Reviewer calibration" not in html and "leniency" not in html
    assert "Peers, corrected" not in html


@pytest.fixture
def command_store(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("SPR_DATABASE_URL", database_url)
    monkeypatch.setenv("SPR_LANGUAGE", "en")
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def test_the_command_prints_each_reviewer_flagged_first(command_store: Engine):
    round_in_stage(
        command_store, Stage.review, parties=6, reviewers_per_party=3, peer_ratings=RATINGS, reviewed=EVERYONE
    )
    result = CliRunner().invoke(app, ["reviews", "calibration", "staged-round"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = [line for line in lines if "Keller" in line or "Hansen" in line or "Wolf" in line]
    assert "rates more kindly" in next(line for line in table if "Keller" in line)
    assert "rates more harshly" in next(line for line in table if "Hansen" in line)
    assert "reviewers flagged." in result.output
    assert "`normalise: leniency` in the round file adds corrected ones" in result.output


def test_round_show_names_the_option(command_store: Engine):
    staged = round_in_stage(command_store, Stage.submission, parties=2)
    shown = CliRunner().invoke(app, ["round", "show", "staged-round"], catch_exceptions=False)
    assert shown.exit_code == 0 and "corrected for reviewer leniency" not in shown.output
    with Session(command_store) as session:
        round_ = session.get(Round, staged.round_id)
        round_.normalise = "leniency"
        session.add(round_)
        session.commit()
    shown = CliRunner().invoke(app, ["round", "show", "staged-round"], catch_exceptions=False)
    assert "peer means also corrected for reviewer leniency" in " ".join(shown.output.split())
