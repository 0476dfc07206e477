"""The findings as stored: built by consolidation, kept in the store, read back as the readers see them; and
findings stored by earlier versions, without the details added since, read as they always did."""

from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model.consolidation import GroupEvidence, ItemDisagreement, ReviewerComment, RoundFigures
from review_model.findings import (
    DISAGREEMENTS_KEPT,
    FrequentDisagreement,
    GroupDetails,
    OverallDetails,
    RoundGroup,
    finding_rows,
    group_key,
    group_of,
    matrix_key,
    party_overalls,
    read_group_details,
    round_findings,
)
from review_model.questionnaire import load_questionnaire
from review_model.recommendation_rules import Rule
from review_model.round_overview import MatrixCell
from review_model.store import insert_rows, reading_session
from review_model.tables import Enrolment, Finding, Organisation, Participant, Round, Submission
from review_model.vocabulary import FindingScope, Language, OrganisationKind, WorkStatus

QUESTIONNAIRE = load_questionnaire("smart-city-self-assessment")
NOW = datetime(2027, 3, 1, tzinfo=UTC)
MATURITY_ITEMS = sum(1 for cell in QUESTIONNAIRE.rating_cells() if cell.scale == "maturity")


def _round_with_parties(engine: Engine, parties: int) -> tuple[int, list[int]]:
    """A round and its reviewed parties' submissions (what findings refer to)."""
    with Session(engine) as session:
        round_ = Round(slug="r", title="R", coordinator_name="C", coordinator_email="c@x.example",
                       questionnaire_id="q", submission_deadline=NOW, review_deadline=NOW, comment_deadline=NOW,
                       spec_digest="d")  # fmt: skip
        session.add(round_)
        session.flush()
        submissions = []
        for n in range(parties):
            organisation = Organisation(name=f"Stadt {n}", kind=OrganisationKind.kommune)
            session.add(organisation)
            session.flush()
            person = Participant(email=f"p{n}@x.example", name=f"P{n}", organisation_id=organisation.id,
                                 language=Language.de)  # fmt: skip
            session.add(person)
            session.flush()
            enrolment = Enrolment(round_id=round_.id, participant_id=person.id)
            session.add(enrolment)
            session.flush()
            submission = Submission(round_id=round_.id, enrolment_id=enrolment.id, status=WorkStatus.submitted)
            session.add(submission)
            session.flush()
            submissions.append(submission.id)
        session.commit()
        return round_.id, submissions


def test_keys_name_the_group_or_the_matrix_cell():
    assert group_key("field_of_action", "mobilitaet") == "group:field_of_action=mobilitaet"
    assert group_of("group:field_of_action=mobilitaet") == ("field_of_action", "mobilitaet")
    assert matrix_key("mobilitaet", "ziele") == "matrix:mobilitaet|ziele"
    assert group_of("matrix:mobilitaet|ziele") is None and group_of("mobilitaet") is None


def test_findings_read_back_as_consolidation_computed_them(engine):
    own = [{"mobilitaet.ziele": 4, "mobilitaet.teilhabe": 2}, {"mobilitaet.ziele": 1}]
    peers = [
        [{"mobilitaet.ziele": 0, "mobilitaet.teilhabe": 2, "mobilitaet.ziele/comment": "Keine Strategie"},
         {"mobilitaet.ziele": 3, "mobilitaet.teilhabe": 2}],
        [{"mobilitaet.ziele": 1}, {"mobilitaet.ziele": 1}],
    ]  # fmt: skip
    round_id, (anna, ben) = _round_with_parties(engine, 2)
    figures = RoundFigures(QUESTIONNAIRE, own, peers)
    with Session(engine) as session:
        insert_rows(session, Finding.__table__, finding_rows(round_id, [anna, ben], figures, NOW))
        session.commit()

    with reading_session(engine) as session:
        [field] = session.exec(
            select(Finding).where(Finding.submission_id == anna, Finding.scope == FindingScope.field_of_action,
                                  Finding.key == "mobilitaet", Finding.scale == "maturity")
        ).all()  # fmt: skip
        # The evidence comes back exactly as consolidation computed it, ratings beside each comment.
        [columns] = [c for g, c in figures.groups(["field_of_action"]).items() if g.value == "mobilitaet"]
        assert read_group_details(field.details) == GroupDetails(
            len(columns), -1.25, 1, figures.group_evidence(columns)[0]
        )
        assert read_group_details(field.details).evidence.comments == (
            ReviewerComment("mobilitaet.ziele/comment", "Keine Strategie", (0.0,), (4.0,)),
        )
        overalls = dict(party_overalls(session, round_id))
        assert overalls[anna] == OverallDetails(MATURITY_ITEMS, 1, (
            ItemDisagreement("mobilitaet.ziele", 4.0, (0.0, 3.0), 3.0),
        ))  # fmt: skip
        assert overalls[ben].largest == ()
        found = round_findings(session, round_id)

    # Round-wide means come back exact: own means 3 and 1 give 2; the peers' 1.75 and 1.0 give 11/8.
    across = next(g for g in found.groups if (g.tag, g.value, g.scale) == ("field_of_action", "mobilitaet", "maturity"))
    assert across == RoundGroup("field_of_action", "mobilitaet", "maturity", Fraction(2), Fraction(11, 8))
    assert isinstance(across.peer_mean, Fraction)  # not the float nearest it
    assert MatrixCell("mobilitaet", "ziele", "maturity", Fraction(5, 4), 2) in found.matrix
    assert found.frequent_disagreements == [FrequentDisagreement("mobilitaet.ziele", "maturity", 1, 2)]
    assert found.other_disagreements == 0
    assert set(found.agreement) == {cell.scale for cell in QUESTIONNAIRE.rating_cells()}


def test_only_the_largest_disagreements_are_kept_per_party_and_scale():
    keys = [cell.key for cell in QUESTIONNAIRE.rating_cells() if cell.scale == "maturity"]
    assert len(keys) > DISAGREEMENTS_KEPT
    peers = [[{key: 0 for key in keys}, {key: 4 for key in keys}]]  # disagreeing on every item
    rows = finding_rows(9, [1], RoundFigures(QUESTIONNAIRE, [{}], peers), NOW)
    [overall] = [r for r in rows if r["scope"] is FindingScope.party and r["scale"] == "maturity"]
    assert overall["details"]["disagreements"] == len(keys)
    assert len(overall["details"]["largest"]) == DISAGREEMENTS_KEPT


def test_findings_stored_before_the_later_details_read_as_they_always_did(engine):
    """Rows as earlier versions stored them: round means without their exact fractions, the round's
    disagreements without the count of further ones, comments without the ratings beside them, a group
    without a scale, and per-item findings (no longer written, and read by nobody)."""
    round_id, (anna,) = _round_with_parties(engine, 1)
    old = [
        Finding(round_id=round_id, scope=FindingScope.round, key="group:field_of_action=mobilitaet",
                scale="maturity", self_score=2.5, peer_mean=1.375, n_reviews=2, details={}),
        Finding(round_id=round_id, scope=FindingScope.round, key="group:field_of_action=energie", scale=None,
                peer_mean=2.0, details={}),
        Finding(round_id=round_id, scope=FindingScope.round, key="matrix:mobilitaet|ziele", scale="maturity",
                peer_mean=1.25, n_reviews=2,
                details={"column_tag": "field_of_action", "column": "mobilitaet", "row_tag": "guideline",
                         "row": "ziele"}),
        Finding(round_id=round_id, scope=FindingScope.round, key="agreement", details={"alpha": {"maturity": 0.5}}),
        Finding(round_id=round_id, scope=FindingScope.round, key="disagreements",
                details={"items": [{"item": "mobilitaet.ziele", "scale": "maturity", "disagreeing": 1, "rated": 2}]}),
        Finding(round_id=round_id, submission_id=anna, scope=FindingScope.field_of_action, key="mobilitaet",
                scale="maturity", self_score=3.0, peer_mean=1.0,
                details={"items": 2, "gap": -2.0, "comments": [{"item": "mobilitaet.ziele/comment", "text": "Dünn"}]}),
        Finding(round_id=round_id, submission_id=anna, scope=FindingScope.item, key="mobilitaet.ziele",
                scale="maturity", self_score=4.0, peer_mean=1.5, details={"gap": -2.5}),
    ]  # fmt: skip
    with Session(engine) as session:
        session.add_all(old)
        session.commit()

    with reading_session(engine) as session:
        found = round_findings(session, round_id)
        [field] = session.exec(
            select(Finding).where(Finding.scope == FindingScope.field_of_action).order_by(col(Finding.id))
        ).all()
        assert dict(party_overalls(session, round_id)) == {}
    assert found.groups == [
        RoundGroup("field_of_action", "mobilitaet", "maturity", 2.5, 1.375),  # the floats, as stored
        RoundGroup("field_of_action", "energie", None, None, 2.0),
    ]
    assert isinstance(found.groups[0].peer_mean, float)
    assert found.matrix == [MatrixCell("mobilitaet", "ziele", "maturity", 1.25, 2)]
    assert (found.agreement, found.other_disagreements) == ({"maturity": 0.5}, 0)
    assert found.frequent_disagreements == [FrequentDisagreement("mobilitaet.ziele", "maturity", 1, 2)]
    details = read_group_details(field.details)
    assert details == GroupDetails(
        2, -2.0, 0, GroupEvidence((), (ReviewerComment("mobilitaet.ziele/comment", "Dünn"),))
    )
    # A comment stored without its ratings supports no rule: it is never quoted as evidence.
    rule = Rule(id="low", action_level="kommunen", scope="field_of_action", below=2.0, text={"de": "{key}"})
    assert not rule.supported_by(details.evidence.comments[0])


def test_details_that_are_missing_or_not_figures_read_as_none():
    assert read_group_details({}) == GroupDetails(0, None, 0, GroupEvidence())
    assert read_group_details({"gap": "n/a", "comments": None, "weakest": None}).gap is None
