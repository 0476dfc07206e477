"""`spr people export`: a person's data for a request that comes by letter, as JSON or CSV, to a file or
standard output."""

import csv
import io
import json

from typer.testing import CliRunner

from review_model.store import make_engine
from tests.support.personal_data import ANNAS_REPLY, TOKEN, annas_round
from workflows.cli import app

runner = CliRunner()


def spr(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_the_export_goes_to_standard_output_or_a_file_as_json_or_csv(configured, tmp_path):
    engine = make_engine(configured)
    world = annas_round(engine)
    printed = spr("people", "export", "Anna@Auenburg.example")
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.stdout)
    assert document["person"]["name"] == "Anna Keller" and len(document["messages"]) == 6
    assert [v["version"] for v in document["self_assessments"][0]["versions"]] == [1, 2, 3]
    assert document["replies"][0]["text"] == ANNAS_REPLY and len(document["reviews"]) == len(
        world.staged["anna"].reviews
    )

    written = spr("people", "export", "anna@auenburg.example", "--format", "csv", "-o", str(tmp_path / "anna.csv"))
    assert written.exit_code == 0, written.output
    assert "anna.csv" in written.output
    text = (tmp_path / "anna.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "round", "field", "value", "at"]
    assert ["person", "", "email", "anna@auenburg.example"] in [row[:4] for row in rows]
    for output in (printed.stdout, text):
        assert not TOKEN.search(output)
        assert [value for value in world.secrets(engine) + world.others(engine) if value in output] == []
    engine.dispose()


def test_an_unknown_address_or_format_is_refused(configured):
    unknown = spr("people", "export", "nobody@example.org")
    assert unknown.exit_code == 1 and "No participant has the address nobody@example.org." in unknown.output
    bad = spr("people", "export", "nobody@example.org", "--format", "xml")
    assert bad.exit_code == 1 and "--format must be json or csv" in bad.output
