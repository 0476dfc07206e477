"""`spr round questions`: the questions of the review and their answers, reviewers named by number."""

from typer.testing import CliRunner

from review_model.store import make_engine
from review_model.vocabulary import Stage
from tests.support.review_questions import ask_every_party
from tests.support.staged_rounds import ORGANISATIONS, round_in_stage
from workflows.cli import app

runner = CliRunner()


def test_the_questions_are_listed_with_their_answers_and_reviewers_by_number(configured):
    engine = make_engine(configured)
    staged = round_in_stage(engine, Stage.review, parties=3, reviewers_per_party=2)
    asked = ask_every_party(engine, staged.round_id)
    listed = runner.invoke(app, ["round", "questions", staged.slug], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert f"{asked} question(s) asked in {staged.slug}, {asked} answered." in listed.output
    assert "Reviewer 1" in listed.output and "Antwort." in listed.output
    assert not any(name in listed.output for _, name, *_ in ORGANISATIONS)
    waiting = runner.invoke(app, ["round", "questions", staged.slug, "--unanswered"], catch_exceptions=False)
    assert waiting.exit_code == 0 and "Antwort." not in waiting.output
