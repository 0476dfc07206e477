"""`spr recommendations edit` in the coordinator's editor, and `list` with both languages."""

import sys

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from review_model.tables import Recommendation, Round
from review_model.vocabulary import ActionLevel, Stage
from workflows.cli import app

runner = CliRunner()


@pytest.fixture
def drafted(round_world, configured, monkeypatch) -> int:
    """The round in the drafting stage with one recommendation in German and English; its id."""
    from tests.support.commands import configure

    configure(monkeypatch, round_world)
    with Session(round_world.engine) as session:
        session.get(Round, round_world.round_id).stage = Stage.drafting
        recommendation = Recommendation(
            round_id=round_world.round_id, rule_id="r", action_level=ActionLevel.laender, text_de="Alte Fassung",
            text_en="Old wording", evidence={"count": 2, "total": 4, "parties": ["A", "B"]},
        )  # fmt: skip
        session.add(recommendation)
        session.commit()
        return recommendation.id


def test_list_shows_the_german_and_the_english_text(drafted):
    listed = runner.invoke(app, ["recommendations", "list", "fruehjahr-2027"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert "Alte Fassung" in listed.output and "Old wording" in listed.output


def test_edit_without_options_opens_the_editor_and_says_what_stayed(drafted, tmp_path, monkeypatch, round_world):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import pathlib, sys\npath = pathlib.Path(sys.argv[1])\n"
        "path.write_text(path.read_text().replace('Alte Fassung', 'Neue Fassung'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    edited = runner.invoke(app, ["recommendations", "edit", "fruehjahr-2027", str(drafted)])
    assert edited.exit_code == 0, edited.output
    assert "German text changed" in edited.output and "English text is unchanged" in edited.output
    with Session(round_world.engine) as session:
        recommendation = session.get(Recommendation, drafted)
        assert (recommendation.text_de, recommendation.text_en) == ("Neue Fassung", "Old wording")


def test_editing_one_language_by_option_names_the_other_as_unchanged(drafted):
    edited = runner.invoke(app, ["recommendations", "edit", "fruehjahr-2027", str(drafted), "--en", "New wording"])
    assert edited.exit_code == 0, edited.output
    assert "English text changed" in edited.output and "German text is unchanged" in edited.output
