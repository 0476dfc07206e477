"""The follow-up of the previous round's recommendations: who is asked about which, what a draft and a submission
need, how the statements are kept with the self-assessment's versions, and what the round counts."""

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from review_model import clock
from review_model.follow_up import (
    FollowUpEntry,
    FollowUpRefused,
    follow_up_field,
    follow_up_problems,
    follow_up_questions,
    follow_up_summary,
    follow_ups_to_show,
    form_values,
    has_unsubmitted_follow_ups,
    read_follow_ups,
    recommendations_to_follow_up,
    reported_status_counts,
    save_follow_ups,
    stored_follow_ups,
)
from review_model.personal_data import personal_data_of
from review_model.rounds import get_round
from review_model.submissions import SubmissionClosed, save_draft, submit_answers
from review_model.tables import Enrolment, FollowUpReport, Round
from review_model.vocabulary import ACTION_LEVEL_OF_KIND, ActionLevel, FollowUpStatus, OrganisationKind
from tests.support.follow_up_rounds import FollowUpPair, follow_up_pair

NOT_STARTED, IN_PROGRESS = FollowUpStatus.not_started, FollowUpStatus.in_progress
IMPLEMENTED, NOT_PURSUED = FollowUpStatus.implemented, FollowUpStatus.not_pursued


def test_every_kind_of_organisation_has_its_action_level_or_none():
    assert set(ACTION_LEVEL_OF_KIND) == set(OrganisationKind)
    assert ACTION_LEVEL_OF_KIND[OrganisationKind.kommune] is ActionLevel.kommunen
    assert ACTION_LEVEL_OF_KIND[OrganisationKind.region] is ActionLevel.kommunen  # a Landkreis is municipal
    assert ACTION_LEVEL_OF_KIND[OrganisationKind.land] is ActionLevel.laender
    assert ACTION_LEVEL_OF_KIND[OrganisationKind.zivilgesellschaft] is None
    # each level is some kind's: no recommendation is followed up by nobody
    assert {level for level in ACTION_LEVEL_OF_KIND.values() if level} == set(ActionLevel)


def test_a_follow_up_field_is_told_from_a_questionnaires_by_its_name():
    assert follow_up_field("follow-up:12:status") == (12, "status")
    assert follow_up_field("follow-up:12:reason") == (12, "reason")
    assert follow_up_field("mobilitaet.ziele") is None and follow_up_field("follow-up.x/1/status") is None
    assert follow_up_field("follow-up:x:status") is None and follow_up_field("follow-up:12:other") is None


@pytest.fixture
def pair(engine) -> FollowUpPair:
    return follow_up_pair(engine)


def _submit(session: Session, pair: FollowUpPair, who: str, entries: dict[int, FollowUpEntry], *, kind=None):
    """`who` submits the self-assessment with these statements (about their kind's recommendations)."""
    round_ = get_round(session, pair.second_id)
    enrolment = session.get(Enrolment, pair.second[who].enrolment_id)
    questions = follow_up_questions(session, round_, kind or OrganisationKind.kommune)
    submission = submit_answers(session, round_, enrolment, {}, clock.now())
    save_follow_ups(session, round_, submission, questions.recommendations, entries, clock.now(), submit=True)
    return submission


def test_each_party_is_asked_about_the_published_recommendations_to_its_level(engine, pair):
    ids = pair.recommendations
    with Session(engine) as session:
        second = get_round(session, pair.second_id)
        municipal = recommendations_to_follow_up(session, second, OrganisationKind.kommune)
        assert [r.id for r in municipal] == [ids["kommunen-1"], ids["kommunen-2"]]  # by priority; never the rejected
        assert [r.id for r in recommendations_to_follow_up(session, second, OrganisationKind.region)] == [
            ids["kommunen-1"], ids["kommunen-2"],
        ]  # fmt: skip
        assert [r.id for r in recommendations_to_follow_up(session, second, OrganisationKind.land)] == [
            ids["laender-1"]
        ]
        assert recommendations_to_follow_up(session, second, OrganisationKind.bund) == []
        assert follow_up_questions(session, second, OrganisationKind.zivilgesellschaft) is None
        assert recommendations_to_follow_up(session, get_round(session, pair.first_id), OrganisationKind.kommune) == []
        questions = follow_up_questions(session, second, OrganisationKind.kommune)
        assert questions.previous_title_in("de") == "Runde eins" and questions.previous_title_in("en") == "Round one"
        assert [r.text("en") for r in questions.recommendations] == [
            "Build municipal data platforms.",
            "Bürgerbeteiligung digital ermöglichen.",  # no English text: the German one
        ]


def test_a_draft_may_leave_everything_open_a_submission_needs_every_status_and_each_reason(engine, pair):
    with Session(engine) as session:
        questions = follow_up_questions(session, get_round(session, pair.second_id), OrganisationKind.kommune)
    first, second = questions.recommendations
    assert read_follow_ups(questions.recommendations, {}, language="de", final=False).ok
    form = {first.status_key: ["not_pursued"], first.reason_key: ["  "]}
    draft = read_follow_ups(questions.recommendations, form, language="de", final=False)
    assert draft.ok and draft.entries[first.id] == FollowUpEntry(NOT_PURSUED, None)
    final = read_follow_ups(questions.recommendations, form, language="en", final=True)
    assert final.errors == {
        first.reason_key: "Please give the reason why the recommendation is not pursued.",
        second.status_key: "Please say what became of this recommendation.",
    }
    german = read_follow_ups(questions.recommendations, form, language="de", final=True)
    assert german.errors[second.status_key] == "Bitte geben Sie an, was aus dieser Empfehlung geworden ist."
    wrong = {first.status_key: ["forgotten"], second.reason_key: ["x" * 2001], second.status_key: ["implemented"]}
    check = read_follow_ups(questions.recommendations, wrong, language="en", final=False)
    assert check.errors == {
        first.status_key: "Please choose one of the answers offered.",
        second.reason_key: "Please shorten the text to 2000 characters (now 2001).",
    }
    assert check.entries[second.id] == FollowUpEntry(IMPLEMENTED, None)  # the text too long is not kept
    nul = read_follow_ups(questions.recommendations, {first.reason_key: ["a\x00b"]}, language="en", final=False)
    assert "control character" in nul.errors[first.reason_key]
    good = {first.status_key: ["not_pursued"], first.reason_key: [" Kein Personal. "],
            second.status_key: ["in_progress"]}  # fmt: skip
    check = read_follow_ups(questions.recommendations, good, language="de", final=True)
    assert check.ok and check.entries[first.id] == FollowUpEntry(NOT_PURSUED, "Kein Personal.")
    assert form_values(check.entries) == {first.status_key: ["not_pursued"], first.reason_key: ["Kein Personal."],
                                          second.status_key: ["in_progress"]}  # fmt: skip
    # a recommendation the party is not asked about is refused by name
    assert list(follow_up_problems(questions.recommendations, {999: FollowUpEntry(IMPLEMENTED)}, final=False)) == [
        "follow-up:999:status"
    ]


def test_statements_are_kept_with_the_drafts_and_each_submitted_version(engine, pair):
    with Session(engine) as session:
        round_ = get_round(session, pair.second_id)
        enrolment = session.get(Enrolment, pair.second["anna"].enrolment_id)
        questions = follow_up_questions(session, round_, OrganisationKind.kommune)
        first, second = questions.recommendations
        submission = save_draft(session, round_, enrolment, {}, clock.now())
        draft = {first.id: FollowUpEntry(NOT_PURSUED)}  # no reason yet: fine in a draft
        save_follow_ups(session, round_, submission, questions.recommendations, draft, clock.now(), submit=False)
        assert stored_follow_ups(session, submission.id) == draft
        assert has_unsubmitted_follow_ups(session, submission)
        with pytest.raises(FollowUpRefused) as refused:
            save_follow_ups(session, round_, submission, questions.recommendations, draft, clock.now(), submit=True)
        assert refused.value.in_language("de").startswith("Bitte geben Sie an, warum die Empfehlung")
        assert len(refused.value.reasons) == 2
        final = {first.id: FollowUpEntry(NOT_PURSUED, "Kein Personal."), second.id: FollowUpEntry(IN_PROGRESS)}
        submission = submit_answers(session, round_, enrolment, {}, clock.now())
        save_follow_ups(session, round_, submission, questions.recommendations, final, clock.now(), submit=True)
        assert stored_follow_ups(session, submission.id, 1) == final
        assert not has_unsubmitted_follow_ups(session, submission)
        changed = {**final, second.id: FollowUpEntry(IMPLEMENTED)}
        save_follow_ups(session, round_, submission, questions.recommendations, changed, clock.now(), submit=False)
        assert has_unsubmitted_follow_ups(session, submission)
        assert stored_follow_ups(session, submission.id, 1) == final  # the submitted version never changes
        assert follow_ups_to_show(session, submission, readonly=False) == changed
        assert follow_ups_to_show(session, submission, readonly=True) == final  # after the deadline: as submitted
        # a statement cleared in a draft leaves no empty row behind
        save_follow_ups(session, round_, submission, questions.recommendations, {}, clock.now(), submit=False)
        rows = session.exec(select(FollowUpReport).where(FollowUpReport.submission_id == submission.id)).all()
        assert sorted(row.version for row in rows) == [1, 1]
        session.commit()
        # the person who answered sees the statements among their data (right of access)
        [record] = personal_data_of(session, enrolment.participant_id).self_assessments
        said = [(f.recommendation_id, f.version, f.status, f.reason) for f in record.follow_ups]
        assert said == [(first.id, 1, "not_pursued", "Kein Personal."), (second.id, 1, "in_progress", None)]
        deadline = round_.submission_deadline
    with freeze_time(deadline + timedelta(minutes=1)), Session(engine) as session:
        round_ = session.get(Round, pair.second_id)
        with pytest.raises(SubmissionClosed):
            save_follow_ups(session, round_, submission, questions.recommendations, final, clock.now(), submit=False)


def test_the_round_counts_each_status_per_recommendation_from_the_last_submitted_versions(engine, pair):
    ids = pair.recommendations
    k1, k2, land = ids["kommunen-1"], ids["kommunen-2"], ids["laender-1"]
    with Session(engine) as session:
        _submit(session, pair, "anna", {k1: FollowUpEntry(IMPLEMENTED), k2: FollowUpEntry(IN_PROGRESS)})
        too_expensive = FollowUpEntry(NOT_PURSUED, "Too expensive.")
        _submit(session, pair, "ben", {k1: too_expensive, k2: FollowUpEntry(IN_PROGRESS)})
        # Dora (a district) first says "not started", then submits again with "implemented": the last counts
        not_needed = FollowUpEntry(NOT_PURSUED, "Kein Bedarf.")
        _submit(session, pair, "dora", {k1: FollowUpEntry(NOT_STARTED), k2: not_needed})
        _submit(session, pair, "dora", {k1: FollowUpEntry(IMPLEMENTED), k2: not_needed})
        _submit(session, pair, "eva", {land: FollowUpEntry(NOT_PURSUED, "Haushalt.")}, kind=OrganisationKind.land)
        # Cara submits without statements (as a script might); Finn (civil society) is asked about none
        submit_answers(session, get_round(session, pair.second_id),
                       session.get(Enrolment, pair.second["cara"].enrolment_id), {}, clock.now())  # fmt: skip
        session.commit()
        round_ = get_round(session, pair.second_id)
        summary = {entry.recommendation.id: entry for entry in follow_up_summary(session, round_)}
        assert list(summary) == [land, k1, k2]  # the order of the first round's report: by action level
        assert summary[k1].counts == {NOT_STARTED: 0, IN_PROGRESS: 0, IMPLEMENTED: 2, NOT_PURSUED: 1}
        assert summary[k1].without_statement == 1  # Cara
        reasons = [(s.organisation, s.reason) for s in summary[k1].not_pursued]
        assert reasons == [("Hansestadt Nordhaven", "Too expensive.")]
        assert summary[k2].counts == {NOT_STARTED: 0, IN_PROGRESS: 2, IMPLEMENTED: 0, NOT_PURSUED: 1}
        assert [s.organisation for s in summary[k2].not_pursued] == ["Landkreis Talbach"]
        assert summary[land].counts[NOT_PURSUED] == 1 and summary[land].without_statement == 0
        assert reported_status_counts(session, round_) == {NOT_STARTED: 0, IN_PROGRESS: 2, IMPLEMENTED: 2,
                                                            NOT_PURSUED: 3}  # fmt: skip
        assert follow_up_summary(session, get_round(session, pair.first_id)) == []
