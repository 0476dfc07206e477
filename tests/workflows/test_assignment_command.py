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


def round_in_assignment_stage(database_url):
    """The example round created through the CLI, every respondent submitted, in the assignment stage."""
    from sqlmodel import Session, select

    from review_model.store import make_engine
    from review_model.tables import Enrolment, Round, Submission
    from review_model.vocabulary import Stage, WorkStatus
    from tests.conftest import EXAMPLES

    assert runner.invoke(app, ["round", "create", str(EXAMPLES / "round.yaml")]).exit_code == 0
    engine = make_engine(database_url)
    with Session(engine) as session:
        round_ = session.exec(select(Round)).one()
        for enrolment in session.exec(select(Enrolment).where(Enrolment.is_respondent)).all():
            session.add(
                Submission(round_id=round_.id, enrolment_id=enrolment.id, status=WorkStatus.submitted, version=1)
            )
        round_.stage = Stage.assignment
        session.commit()
    return engine


def test_compute_show_export_and_confirm_a_round_assignment(configured, tmp_path):
    from sqlmodel import Session, select

    from review_model.tables import ReviewAssignment
    from tests.conftest import EXAMPLES

    assert runner.invoke(app, ["round", "create", str(EXAMPLES / "round.yaml"), "--no-import"]).exit_code == 0
    too_early = runner.invoke(app, ["assignment", "compute", "beispielrunde"])
    assert too_early.exit_code == 1 and "reviewers are assigned in the assignment stage" in too_early.output
    engine = round_in_assignment_stage(configured)
    computed = runner.invoke(app, ["assignment", "compute", "beispielrunde", "--reviewers", "Stadt Rheinau=4"])
    assert computed.exit_code == 0, computed.output
    assert "Proposed 61 review assignments" in computed.output
    shown = runner.invoke(app, ["assignment", "show", "beispielrunde"])
    assert shown.exit_code == 0 and "Stadt Rheinau" in shown.output and " no " in shown.output
    out = tmp_path / "assignment.csv"
    assert runner.invoke(app, ["assignment", "export", "beispielrunde", "--out", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) == 62
    confirmed = runner.invoke(app, ["assignment", "confirm", "beispielrunde"])
    assert confirmed.exit_code == 0 and "Confirmed 61 assignments" in confirmed.output
    assert "Round advanced here (no Prefect server runs): assignment → review" in confirmed.output
    assert confirmed.output.splitlines()[-1].startswith("Next: ")
    with Session(engine) as session:
        assert all(a.confirmed_at is not None for a in session.exec(select(ReviewAssignment)).all())
    again = runner.invoke(app, ["assignment", "compute", "beispielrunde"])
    assert again.exit_code == 1 and "in stage review" in again.output
    engine.dispose()


def test_the_exported_assignment_never_hands_a_spreadsheet_a_formula(configured, tmp_path):
    from sqlmodel import Session, select

    from review_model.tables import Organisation, Round

    engine = round_in_assignment_stage(configured)
    hostile = ["=HYPERLINK(1)", "+1+2", "-2+3", "@SUM(1)"]
    with Session(engine) as session:
        session.exec(select(Round)).one().forbid_mutual_review = False  # the quick flow solver is enough here
        organisations = session.exec(select(Organisation).order_by(Organisation.id)).all()[: len(hostile)]
        for organisation, name in zip(organisations, hostile, strict=True):
            organisation.name = name
        session.commit()
    engine.dispose()
    assert runner.invoke(app, ["assignment", "compute", "beispielrunde"]).exit_code == 0
    out = tmp_path / "assignment.csv"
    assert runner.invoke(app, ["assignment", "export", "beispielrunde", "--out", str(out)]).exit_code == 0
    cells = [cell for row in csv.reader(out.open(encoding="utf-8")) for cell in row]
    for name in hostile:
        assert f"'{name}" in cells and name not in cells


def test_solve_guards_labels_and_keeps_numbers(tmp_path):
    scores = write(tmp_path / "scores.csv", [["submission", "reviewer", "affinity"], ["=a", "-x", "-0.5"]])
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["assignment", "solve", "--scores", str(scores), "--k", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert list(csv.reader(out.open())) == [["submission", "reviewer", "affinity"], ["'=a", "'-x", "-0.5"]]


def test_swap_and_confirm_check_every_rule_of_the_solver_and_name_it(round_world, configured, monkeypatch):
    """Three Kommunen (Auenburg, Nordhaven, Elbstein) and one Region (Talbach) review each other; at most one
    reviewer of a kind per submission, no mutual reviews. Taking Talbach off Auenburg for Elbstein breaks both."""
    from sqlmodel import Session, select

    from review_model import clock
    from review_model.tables import Enrolment, Organisation, Participant, ReviewAssignment, Round, Submission
    from review_model.vocabulary import AssignmentOrigin, Stage, WorkStatus
    from tests.support.commands import configure

    world = round_world
    configure(monkeypatch, world)
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        round_.stage, round_.reviewers_per_submission = Stage.assignment, 2
        round_.max_reviewers_per_kind, round_.forbid_mutual_review = 1, True
        enrolment = {
            person.email.split("@")[0]: enrolment
            for enrolment, person in session.exec(
                select(Enrolment, Participant).join(Participant, Participant.id == Enrolment.participant_id)
            ).all()
        }
        submission = {}
        for who in ("anna", "ben", "cara"):
            submission[who] = Submission(round_id=round_.id, enrolment_id=enrolment[who].id,
                                         status=WorkStatus.submitted, version=1)  # fmt: skip
            session.add(submission[who])
        session.flush()
        for reviewed, reviewers in {"anna": ("dora", "ben"), "ben": ("dora", "cara"), "cara": ("dora", "anna")}.items():
            for reviewer in reviewers:
                session.add(ReviewAssignment(round_id=round_.id, submission_id=submission[reviewed].id,
                                             reviewer_enrolment_id=enrolment[reviewer].id, affinity=0.5,
                                             origin=AssignmentOrigin.solver, created_at=clock.now()))  # fmt: skip
        session.commit()
        anna_submission, cara_enrolment = submission["anna"].id, enrolment["cara"].id

    def swap(reviewed: str, remove: str, add: str):
        return runner.invoke(app, ["assignment", "swap", "fruehjahr-2027", "--reviewed", reviewed,
                                   "--remove", remove, "--add", add])  # fmt: skip

    refused = swap("Stadt Auenburg", "dora@talbach.example", "cara@elbstein.example")
    assert refused.exit_code == 1, refused.output
    output = " ".join(refused.output.split())
    assert ("max_per_organisation_kind: Stadt Auenburg would have 2 reviewers from organisations of kind kommune, "
            "at most 1") in output  # fmt: skip
    assert "forbid_mutual_review: Stadt Auenburg and Stadt Elbstein would review each other" in output
    misspelt = swap("Stadt Auenbrug", "dora@talbach.example", "cara@elbstein.exmple")
    assert misspelt.exit_code == 1 and "did you mean 'Stadt Auenburg'?" in misspelt.output
    wrong_address = swap("Stadt Auenburg", "dora@talbach.example", "cara@elbstein.exmple")
    assert "did you mean 'cara@elbstein.example'?" in wrong_address.output

    with Session(world.engine) as session:  # the same assignment written behind the command's back
        talbach = session.exec(select(Organisation.id).where(Organisation.name == "Landkreis Talbach")).one()
        for assignment in session.exec(select(ReviewAssignment)).all():
            reviewer = session.get(Participant, session.get(Enrolment, assignment.reviewer_enrolment_id).participant_id)
            if reviewer.organisation_id == talbach and assignment.submission_id == anna_submission:
                assignment.reviewer_enrolment_id = cara_enrolment
        session.commit()
    confirmed = runner.invoke(app, ["assignment", "confirm", "fruehjahr-2027"])
    assert confirmed.exit_code == 1, confirmed.output
    output = " ".join(confirmed.output.split())
    assert "max_per_organisation_kind: Stadt Auenburg" in output and "forbid_mutual_review:" in output
    with Session(world.engine) as session:
        assert all(a.confirmed_at is None for a in session.exec(select(ReviewAssignment)).all())


def test_compute_suggests_the_organisation_meant_by_a_misspelt_name(configured):
    round_in_assignment_stage(configured).dispose()
    misspelt = runner.invoke(app, ["assignment", "compute", "beispielrunde", "--reviewers", "Stadt Rheinu=4"])
    assert misspelt.exit_code == 1 and "did you mean 'Stadt Rheinau'?" in misspelt.output
