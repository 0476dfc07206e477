"""`spr assignment solve` on CSV files."""

import csv

from typer.testing import CliRunner

from workflows.cli import app

runner = CliRunner()


def write(path, rows):
    with path.open("w", newline="") as file:
        csv.writer(file).writerows(rows)
    return path


def test_solve_writes_the_best_assignment_and_reports_it(tmp_path):
    header = ["submission", "reviewer", "affinity"]
    pairs = [["a", "x", "0.9"], ["a", "y", "0.5"], ["b", "x", "0.8"], ["b", "y", "0.7"], ["b", "z", "0.1"]]
    scores = write(tmp_path / "scores.csv", [header, *pairs])
    conflicts = write(tmp_path / "conflicts.csv", [["submission", "reviewer"], ["b", "y"]])
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["assignment", "solve", "--scores", str(scores), "--conflicts", str(conflicts),
                                 "--k", "1", "--max-load", "1", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "total affinity 1.3000" in result.output and "2 of 2 submissions covered" in result.output
    rows = list(csv.DictReader(out.open()))
    assert [(row["submission"], row["reviewer"]) for row in rows] == [("a", "y"), ("b", "x")]  # 0.5 + 0.8 > 0.9 + 0.1


def test_infeasible_and_malformed_instances_fail_with_the_reason(tmp_path):
    scores = write(tmp_path / "scores.csv", [["submission", "reviewer", "affinity"], ["a", "x", "0.9"]])
    result = runner.invoke(
        app, ["assignment", "solve", "--scores", str(scores), "--k", "2", "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "submission a: 1 eligible reviewer(s) after conflicts, 2 needed" in result.output
    assert not (tmp_path / "o.csv").exists()
    bad = write(tmp_path / "bad.csv", [["submission", "reviewer", "affinity"], ["a", "x", "viel"]])
    broken = runner.invoke(app, ["assignment", "solve", "--scores", str(bad), "--out", str(tmp_path / "o.csv")])
    assert broken.exit_code == 1 and "bad.csv:2: affinity 'viel' is not a number" in broken.output
