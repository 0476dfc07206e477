"""`spr round show` of a round that follows up an earlier one counts the statuses its parties reported."""

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from config.settings import get_settings
from review_model import clock
from review_model.follow_up import FollowUpEntry, follow_up_questions, save_follow_ups
from review_model.rounds import get_round
from review_model.submissions import submit_answers
from review_model.tables import Enrolment
from review_model.vocabulary import FollowUpStatus, OrganisationKind
from tests.support.follow_up_rounds import follow_up_pair
from workflows.cli import app

ONE_DATABASE = "what the command prints; the counting is tested on both databases (tests/review_model)"


@pytest.fixture
def store(database_url, monkeypatch, tmp_path):
    """The test store as `spr` finds it (`round show` runs no flow, so no Prefect API is needed)."""
    monkeypatch.setenv("SPR_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_round_show_counts_the_reported_statuses_of_the_previous_rounds_recommendations(engine, store):
    pair = follow_up_pair(engine)
    k1, k2 = pair.recommendations["kommunen-1"], pair.recommendations["kommunen-2"]
    with Session(engine) as session:
        round_ = get_round(session, pair.second_id)
        questions = follow_up_questions(session, round_, OrganisationKind.kommune)
        submission = submit_answers(session, round_, session.get(Enrolment, pair.second["anna"].enrolment_id), {},
                                    clock.now())  # fmt: skip
        entries = {k1: FollowUpEntry(FollowUpStatus.implemented), k2: FollowUpEntry(FollowUpStatus.not_pursued, "–")}
        save_follow_ups(session, round_, submission, questions.recommendations, entries, clock.now(), submit=True)
        session.commit()
    shown = CliRunner().invoke(app, ["round", "show", "runde-zwei"])
    assert shown.exit_code == 0, shown.output
    assert "Follow-up of runde-eins" in shown.output
    assert "0 not started, 0 in progress, 1 implemented, 1 not pursued" in " ".join(shown.output.split())
    first = CliRunner().invoke(app, ["round", "show", "runde-eins"])
    assert first.exit_code == 0 and "Follow-up" not in first.output
