"""The consensus stage in the store: the co-reviewers' view by pseudonym, revised reviews kept version by
version (consolidation reads the last), comments on the points to discuss, the lead reviewer, the joint
assessment and its endorsements."""

import pytest
from sqlmodel import Session, col, select

from review_model import clock
from review_model.co_reviewers import co_reviewers_view
from review_model.consensus import (
    AssessmentText,
    ConsensusClosed,
    ConsensusRefused,
    agreed_assessments,
    save_endorsement,
    save_item_comment,
    save_joint_assessment,
)
from review_model.lead_reviewer import LeadRefused, change_lead, lead_of
from review_model.personal_data import personal_data_of
from review_model.personal_data_files import personal_data_json
from review_model.questionnaire import Questionnaire
from review_model.reviews import ReviewClosed, find_review, save_review
from review_model.round_ratings import load_round_ratings
from review_model.rounds import get_round
from review_model.tables import Enrolment, Participant, ReviewAssignment, ReviewVersion, Round
from review_model.vocabulary import Stage
from tests.support.staged_rounds import bring_round_to, round_in_stage
from tests.support.stored_answers import stored_answers

NAMES = ("Anna Keller", "Ben Hansen", "Cara Wolf", "Dora Roth")


def _round(engine, **work):
    """Four parties, three reviewers each, rating 0 or 2 by turns: every party's reviewers disagree on every item."""
    return round_in_stage(engine, Stage.consensus, reviewers_per_party=3, peer_ratings=(0, 2), consensus_days=7,
                          **work)  # fmt: skip


def _assignments(session: Session, round_id: int, submission_id: int) -> list[ReviewAssignment]:
    return list(session.exec(
        select(ReviewAssignment).where(ReviewAssignment.round_id == round_id,
                                       ReviewAssignment.submission_id == submission_id)
        .order_by(col(ReviewAssignment.id))
    ).all())  # fmt: skip


def _reviewer_email(session: Session, assignment: ReviewAssignment) -> str:
    enrolment = session.get(Enrolment, assignment.reviewer_enrolment_id)
    assert enrolment is not None
    person = session.get(Participant, enrolment.participant_id)
    assert person is not None
    return person.email


def test_a_reviewer_sees_the_others_ratings_by_number_and_the_points_to_discuss(engine):
    staged = _round(engine)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        first, *_others = _assignments(session, staged.round_id, staged["anna"].submission_id)
        view = co_reviewers_view(session, round_, questionnaire, first, "de")
        english = co_reviewers_view(session, round_, questionnaire, first, "en")
    assert view.reviewer == "Gutachter:in 1" and english.reviewer == "Reviewer 1"
    assert view.reviewers == ("Gutachter:in 1", "Gutachter:in 2", "Gutachter:in 3")
    assert view.has_co_reviewers and len(view.disputed) == len(view.items) > 0
    item = view.items[0]
    assert item.spread == 2.0 and [rating.own for rating in item.ratings] == [True, False, False]
    assert {rating.rating.split(" – ")[0] for rating in item.ratings} == {"0", "2"}
    shown = repr(view) + repr(english)
    assert not any(name in shown for name in NAMES)  # a closed round names nobody


def test_an_open_review_names_the_co_reviewers(engine):
    staged = _round(engine)
    with Session(engine) as session:
        round_ = session.get(Round, staged.round_id)
        assert round_ is not None
        round_.open_review = True
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        first, *_ = _assignments(session, staged.round_id, staged["anna"].submission_id)
        view = co_reviewers_view(session, round_, questionnaire, first, "de")
    assert all(name in NAMES for name in view.reviewers)


def test_a_revised_review_keeps_every_version_and_consolidation_reads_the_last(engine):
    staged = _round(engine)
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        first, *_ = _assignments(session, staged.round_id, staged["anna"].submission_id)
        revised = stored_answers(questionnaire, 4, mode="review")
        review = save_review(session, round_, first, revised, now, submit=True)
        save_review(session, round_, first, stored_answers(questionnaire, 1, mode="review"), now, submit=False)
        session.commit()
        versions = session.exec(
            select(ReviewVersion.version, ReviewVersion.answers).where(ReviewVersion.review_id == review.id)
            .order_by(col(ReviewVersion.version))
        ).all()  # fmt: skip
        ratings = load_round_ratings(session, staged.round_id, questionnaire)
    assert [version for version, _ in versions] == [1, 2] and versions[1][1] == revised
    assert versions[0][1] != revised  # the first submission is kept as it was
    party = ratings.party(staged["anna"].submission_id)
    key = ratings.figures.cells[0].key
    assert 4.0 in ratings.figures.peers[party, :, 0].tolist()  # the revision, not the draft saved after it
    assert revised[key] == 4 or revised[key] == 4.0


def test_only_a_submitted_review_is_revised_and_only_until_the_consensus_deadline(engine):
    staged = round_in_stage(engine, Stage.review, reviewers_per_party=3, consensus_days=7, reviewed=["anna"])
    staged = bring_round_to(engine, staged.round_id, Stage.consensus, reviewed=["anna"])
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        answers = stored_answers(questionnaire, 3, mode="review")
        never = session.exec(
            select(ReviewAssignment).where(ReviewAssignment.reviewer_enrolment_id == staged["ben"].enrolment_id)
        ).first()
        assert never is not None and find_review(session, never.id) is None
        with pytest.raises(ReviewClosed):
            save_review(session, round_, never, answers, clock.now(), submit=True)
        annas = session.exec(
            select(ReviewAssignment).where(ReviewAssignment.reviewer_enrolment_id == staged["anna"].enrolment_id)
        ).first()
        assert annas is not None and round_.consensus_deadline is not None
        with pytest.raises(ReviewClosed):
            save_review(session, round_, annas, answers, round_.consensus_deadline, submit=True)
        save_review(session, round_, annas, answers, clock.now(), submit=True)


def test_comments_go_on_points_to_discuss_only_and_an_empty_one_is_taken_back(engine):
    staged = _round(engine)
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        first, second, _third = _assignments(session, staged.round_id, staged["anna"].submission_id)
        key = next(iter(questionnaire.rating_cells())).key
        save_item_comment(session, round_, questionnaire, first, key, "  Ich sehe hier mehr Fortschritt.  ", now)
        save_item_comment(session, round_, questionnaire, second, key, "Der Bericht nennt keine Zahlen.", now)
        view = co_reviewers_view(session, round_, questionnaire, second, "de")
        discussed = next(item for item in view.items if item.key == key)
        assert discussed.discussion == (("Gutachter:in 1", "Ich sehe hier mehr Fortschritt."),
                                        ("Gutachter:in 2", "Der Bericht nennt keine Zahlen."))  # fmt: skip
        with pytest.raises(ConsensusRefused) as refused:
            save_item_comment(session, round_, questionnaire, first, "kein-punkt", "x" * 2001, now)
        assert refused.value.reasons == ["the reviewers do not disagree on that item",
                                         "a comment has at most 2000 characters"]  # fmt: skip
        assert save_item_comment(session, round_, questionnaire, first, key, "   ", now) is None
        view = co_reviewers_view(session, round_, questionnaire, second, "de")
        assert next(item for item in view.items if item.key == key).discussion == (
            ("Gutachter:in 2", "Der Bericht nennt keine Zahlen."),
        )
        assert round_.consensus_deadline is not None
        with pytest.raises(ConsensusClosed):
            save_item_comment(session, round_, questionnaire, first, key, "zu spät", round_.consensus_deadline)


def test_the_assignment_proposes_one_lead_per_party_of_highest_affinity_and_the_coordinator_changes_it(engine):
    staged = _round(engine)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        for person in staged.people.values():
            assignments = _assignments(session, staged.round_id, person.submission_id)
            leads = [a for a in assignments if a.is_lead]
            assert len(leads) == 1 and leads[0].affinity == max(a.affinity for a in assignments)
        party = staged["anna"].submission_id
        other = next(a for a in _assignments(session, staged.round_id, party) if not a.is_lead)
        before = lead_of(session, party)
        assert before is not None
        email = _reviewer_email(session, other)
        assert change_lead(session, round_, party, email.upper(), clock.now()) == _reviewer_email(session, before)
        lead = lead_of(session, party)
        assert lead is not None and lead.id == other.id
        with pytest.raises(LeadRefused) as refused:
            change_lead(session, round_, party, "anna@auenburg.example", clock.now())  # her own party
        assert refused.value.reasons == ["anna@auenburg.example does not review that party in staged-round"]
        round_.stage = Stage.consolidation
        with pytest.raises(LeadRefused) as refused:
            change_lead(session, round_, party, email, clock.now())
        assert refused.value.reasons == [
            "round staged-round is in stage consolidation; the lead reviewer changes only until consensus ends"
        ]


def test_the_lead_writes_the_joint_assessment_and_the_others_endorse_or_comment(engine):
    staged = _round(engine)
    now = clock.now()
    text = AssessmentText("Klare Strategie", "Wenig Personal", ("Personal aufstocken", "Daten öffnen"))
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        party = staged["anna"].submission_id
        lead = lead_of(session, party)
        assert lead is not None
        others = [a for a in _assignments(session, staged.round_id, party) if not a.is_lead]
        with pytest.raises(ConsensusRefused) as refused:
            save_joint_assessment(session, round_, others[0], text, now, submit=True)
        assert refused.value.reasons == ["only the party's lead reviewer writes the joint assessment"]
        with pytest.raises(ConsensusRefused) as refused:
            save_endorsement(session, round_, others[0], True, "", now)
        assert refused.value.reasons == ["the joint assessment has not been submitted yet"]
        draft = save_joint_assessment(session, round_, lead, AssessmentText("Nur Stärken"), now, submit=False)
        assert not draft.first_submission and draft.assessment.submitted_at is None
        with pytest.raises(ConsensusRefused):
            save_joint_assessment(session, round_, lead, AssessmentText("Nur Stärken"), now, submit=True)
        assert agreed_assessments(session, round_, "de") == {}  # a draft is nobody's view yet
        assert save_joint_assessment(session, round_, lead, text, now, submit=True).first_submission
        assert not save_joint_assessment(session, round_, lead, text, now, submit=True).first_submission
        save_endorsement(session, round_, others[0], True, "", now)
        save_endorsement(session, round_, others[1], True, "Zu milde.", now)
        save_endorsement(session, round_, others[1], False, "Zu milde formuliert.", now)  # changed, still one
        with pytest.raises(ConsensusRefused) as refused:
            save_endorsement(session, round_, lead, True, "", now)
        assert refused.value.reasons == ["the lead reviewer writes the joint assessment and does not endorse it"]
        session.commit()
        agreed = agreed_assessments(session, round_, "en")[party]
    assert agreed.recommendations == ("Personal aufstocken", "Daten öffnen")
    assert agreed.co_reviewers == 2 and agreed.endorsed_by == 1
    assert [(a.reviewer.startswith("Reviewer "), a.endorses, a.comment) for a in agreed.comments] == [
        (True, False, "Zu milde formuliert.")
    ]


def _reviewer_of(session: Session, assignment: ReviewAssignment) -> int:
    enrolment = session.get(Enrolment, assignment.reviewer_enrolment_id)
    assert enrolment is not None
    return enrolment.participant_id


def test_each_reviewers_data_holds_what_they_wrote_in_the_consensus_stage_and_nothing_the_others_wrote(engine):
    staged = _round(engine)
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        party = staged["anna"].submission_id
        lead = lead_of(session, party)
        assert lead is not None
        first, second = [a for a in _assignments(session, staged.round_id, party) if not a.is_lead]
        key = next(iter(questionnaire.rating_cells())).key
        save_review(session, round_, lead, stored_answers(questionnaire, 4, mode="review"), now, submit=True)
        save_item_comment(session, round_, questionnaire, lead, key, "Die Leitung sieht mehr Fortschritt.", now)
        save_item_comment(session, round_, questionnaire, first, key, "Der Bericht nennt keine Zahlen.", now)
        text = AssessmentText("Klare Strategie", "Wenig Personal", ("Personal aufstocken",))
        save_joint_assessment(session, round_, lead, text, now, submit=True)
        save_endorsement(session, round_, second, False, "Zu milde formuliert.", now)
        session.commit()
        data = {name: personal_data_of(session, _reviewer_of(session, assignment))
                for name, assignment in (("lead", lead), ("first", first), ("second", second))}  # fmt: skip
    exports = {name: personal_data_json(found) for name, found in data.items()}
    leads = [review for review in data["lead"].reviews if review.leads_reviewers]
    answered = [review.endorsement for review in data["second"].reviews if review.endorsement]
    (review,) = leads
    assert [v.version for v in review.versions] == [1, 2] and review.answers == review.versions[-1].answers
    assert [(c.item, c.text) for c in review.consensus_comments] == [(key, "Die Leitung sieht mehr Fortschritt.")]
    assert review.joint_assessment is not None and review.joint_assessment.recommendations == ["Personal aufstocken"]
    assert review.joint_assessment.submitted_at is not None and review.endorsement is None
    assert [(e.endorses, e.comment) for e in answered] == [(False, "Zu milde formuliert.")]
    written = {"lead": ["Die Leitung sieht", "Klare Strategie"], "first": ["Der Bericht nennt"],
               "second": ["Zu milde formuliert"]}  # fmt: skip
    for name, export in exports.items():
        for author, texts in written.items():
            assert all((text in export) == (author == name) for text in texts), (name, author)
