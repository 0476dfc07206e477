"""The `spr` command line, run as an operator would, against each test store."""

import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLES
from tests.support.hostile_files import HOSTILE_ROUND_FILES
from workflows.cli import app

runner = CliRunner()


def spr(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_every_command_and_imports_nothing_heavy():
    code = textwrap.dedent(
        """
        import sys
        from typer.testing import CliRunner
        from workflows.cli import app
        result = CliRunner().invoke(app, ["--help"])
        assert result.exit_code == 0, result.output
        print(result.output)
        heavy = [m for m in ("sqlalchemy", "sqlmodel", "prefect", "fastapi", "alembic", "pydantic") if m in sys.modules]
        print("HEAVY:", heavy)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for command in ("db", "round", "participants", "people", "questionnaire"):
        assert command in result.stdout
    assert "HEAVY: []" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["db", "upgrade"], ["round", "create"], ["round", "list"], ["round", "show"], ["participants", "import"],
     ["people", "export"], ["questionnaire", "check"]],
)  # fmt: skip
def test_every_command_explains_itself(command):
    result = spr(*command, "--help")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) > 4


def test_the_example_round_is_created_with_its_participants_and_shown(configured):
    upgraded = spr("db", "upgrade")
    assert upgraded.exit_code == 0
    assert upgraded.output.splitlines()[-1] == "Next: create a round with `spr round create ROUND.yaml`."
    created = spr("round", "create", str(EXAMPLES / "round.yaml"))
    assert created.exit_code == 0, created.output
    assert "Created round beispielrunde" in created.output
    assert "30 new" in created.output and "30 enrolled" in created.output

    again = spr("round", "create", str(EXAMPLES / "round.yaml"))
    assert again.exit_code == 0 and "nothing changed" in again.output

    listed = spr("round", "list")
    assert listed.exit_code == 0 and "beispielrunde" in listed.output and "draft" in listed.output

    shown = spr("round", "show", "beispielrunde")
    assert shown.exit_code == 0, shown.output
    assert "smart-city-self-assessment v1" in shown.output
    assert "30 (20 respondents, 30 reviewers)" in shown.output
    assert "Ready for invitation." in shown.output
    assert shown.output.splitlines()[-1] == (
        "Next: launch it with `spr round launch beispielrunde` (it checks everything first)."
    )

    imported = spr("participants", "import", "beispielrunde", str(EXAMPLES / "participants.csv"))
    assert imported.exit_code == 0 and "nothing changed" in imported.output


def test_an_empty_store_is_created_on_first_use(configured):
    result = spr("round", "list")
    assert result.exit_code == 0
    assert "No rounds yet" in result.output


def test_a_bad_participants_file_fails_and_imports_nothing(configured, tmp_path):
    spr("round", "create", str(EXAMPLES / "round.yaml"), "--no-import")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,name,organisation,organisation_kind\nok@x.example,Ok,Org,Bund\nbroken,Bad,Org,Bund\n"
        "x@x.example,X,Org2,Sportverein\n",
        encoding="utf-8",
    )
    result = spr("participants", "import", "beispielrunde", str(bad))
    assert result.exit_code == 1
    assert "nothing imported, 2 problem(s)" in result.output
    assert "line 3: bad email 'broken'" in result.output
    assert "line 4: unknown organisation kind 'Sportverein'" in result.output
    shown = spr("round", "show", "beispielrunde")
    assert "Enrolled" in shown.output and "0 (0 respondents, 0 reviewers)" in shown.output


def test_dry_run_checks_against_the_store_and_changes_nothing(configured):
    spr("round", "create", str(EXAMPLES / "round.yaml"), "--no-import")
    result = spr("participants", "import", "beispielrunde", str(EXAMPLES / "participants.csv"), "--dry-run")
    assert result.exit_code == 0 and "dry run: nothing changed" in result.output
    assert "0 (0 respondents" in spr("round", "show", "beispielrunde").output


def test_unknown_rounds_and_bad_round_files_fail_with_the_reason(configured, tmp_path):
    missing = spr("round", "show", "no-such-round")
    assert missing.exit_code == 1 and "no round 'no-such-round'" in missing.output
    bad = tmp_path / "round.yaml"
    bad.write_text("slug: x\ntitle: {de: X}\n", encoding="utf-8")
    result = spr("round", "create", str(bad))
    assert result.exit_code == 1
    assert "round.yaml:1: questionnaire: Field required" in result.output.replace("\n", "")


def test_questionnaire_check_reports_each_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\ntitle: {en: Broken}\nsections: []\n", encoding="utf-8")
    result = spr("questionnaire", "check", str(EXAMPLES.parent / "questionnaires" / "spr-status.yaml"), str(broken))
    assert result.exit_code == 1
    assert "spr-status v1, 8 sections, 17 items, 150 ratings" in result.output
    assert "broken.yaml:2: title.de: Field required" in result.output
    assert spr("questionnaire", "check").exit_code == 0


def test_an_outdated_store_asks_for_an_upgrade(configured):
    from sqlalchemy import text

    from review_model.store import make_engine

    spr("db", "upgrade")
    engine = make_engine(configured)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    result = spr("round", "list")
    assert result.exit_code == 1
    assert "run `spr db upgrade`" in result.output
    status = spr("db", "status")
    assert status.exit_code == 1 and "schema:  0000" in status.output


@pytest.mark.parametrize("hostile", HOSTILE_ROUND_FILES, ids=lambda hostile: hostile.name)
def test_hostile_round_files_fail_with_the_reason_and_create_nothing(configured, tmp_path, hostile):
    result = spr("round", "create", str(hostile.write(tmp_path)))
    assert result.exit_code == 1
    assert hostile.refused(" ".join(result.output.split())), result.output
    assert "Traceback" not in result.output
    assert "No rounds yet" in spr("round", "list").output


def test_a_nul_in_a_participants_file_names_the_row_and_creates_nothing(configured, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(
        "email,name,organisation,organisation_kind\nok@x.example,Ok,Org,Bund\nnul@x.example,Anna\x00Keller,Org,Bund\n",
        encoding="utf-8",
    )
    round_file = tmp_path / "round.yaml"
    round_file.write_text(
        (EXAMPLES / "round.yaml").read_text(encoding="utf-8").replace("participants.csv", "people.csv"),
        encoding="utf-8",
    )

    def refuses_the_row(result) -> bool:
        row = "line 3: name 'Anna\\x00Keller' contains the control character U+0000 (at character 5)"
        return (
            result.exit_code == 1
            and "people.csv: nothing imported, 1 problem(s):" in result.output
            and (row in result.output)
        )

    assert refuses_the_row(spr("round", "create", str(round_file)))
    assert "No rounds yet" in spr("round", "list").output
    assert spr("round", "create", str(round_file), "--no-import").exit_code == 0
    assert refuses_the_row(spr("participants", "import", "beispielrunde", str(people)))
    assert "0 (0 respondents, 0 reviewers)" in spr("round", "show", "beispielrunde").output


def test_square_brackets_in_titles_names_and_messages_are_printed_as_they_are(configured, tmp_path):
    """Rich reads `[...]` as markup: data holding brackets must neither crash a command nor lose its text."""
    round_file = tmp_path / "brackets.yaml"
    round_file.write_text(
        "slug: klammern\ntitle: {de: 'Runde [/] eins', en: 'Round [red]one'}\n"
        "questionnaire: smart-city-self-assessment\n"
        "coordinator: {name: '[bold]x[/bold]', email: 'gs@peer-review.example'}\n"
        "deadlines: {submission: P21D, review: P42D, comment: P56D}\n"
        "participants: people.csv\n",
        encoding="utf-8",
    )
    (tmp_path / "people.csv").write_text(
        "email,name,organisation,organisation_kind\nx@org.example,[bold]x[/bold],Stadt [:smile:],Kommune\n",
        encoding="utf-8",
    )
    created = spr("round", "create", str(round_file))
    assert created.exit_code == 0, created.output
    assert "Runde [/] eins" in created.output

    listed = spr("round", "list")
    assert listed.exit_code == 0, listed.output
    assert "Runde [/] eins" in listed.output

    shown = spr("round", "show", "klammern")
    assert shown.exit_code == 0, shown.output
    assert "Runde [/] eins  (Round [red]one)" in shown.output
    assert "[bold]x[/bold] <gs@peer-review.example>" in shown.output

    status = spr("status", "klammern")
    assert status.exit_code == 0, status.output
    assert "Runde [/] eins (klammern) · stage draft" in status.output

    missing = spr("round", "show", "[nope] :smile:")
    assert missing.exit_code == 1
    assert "Error: no round '[nope] :smile:'" in missing.output
