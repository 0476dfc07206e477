"""Handing the self-assessment to a colleague: every reason it is refused (a pure reading), and the handover
in the store: the form moves with its draft and versions, the roles and links change, the history keeps ids."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from review_model import clock
from review_model.handover import (
    HANDED_OVER,
    Colleague,
    HandoverRefused,
    HandoverSituation,
    form_holder,
    hand_over,
    handed_over_link,
    handover_refusals,
    handovers_of,
    participant_actor,
)
from review_model.participant_import import import_participants, parse_participants
from review_model.questionnaire import Questionnaire
from review_model.rounds import get_round
from review_model.submissions import save_draft
from review_model.tables import (
    AccessToken,
    AuditEvent,
    Enrolment,
    Organisation,
    Participant,
    Round,
    Submission,
    SubmissionVersion,
)
from review_model.vocabulary import Language, OrganisationKind, Stage, TokenPurpose
from tests.support.round_world import SECRET
from tests.support.staged_rounds import round_in_stage
from tests.support.stored_answers import stored_answers

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LENA = Colleague("Lena Keller", "Lena@Auenburg.example", Language.en)
COLLEAGUES = """email,name,organisation,organisation_kind,state,language,roles
max@auenburg.example,Max Vogel,Stadt Auenburg,Kommune,BY,de,reviewer
"""


def situation(**changes) -> HandoverSituation:
    """Anna of Stadt Auenburg holds the form of a round in its submission stage; nobody else is known."""
    round_ = Round(id=1, slug="r", title="Runde", stage=Stage.submission, coordinator_name="GS",
                   coordinator_email="gs@example.org", questionnaire_id="q", spec_digest="d",
                   submission_deadline=NOW + timedelta(days=7), review_deadline=NOW + timedelta(days=14),
                   comment_deadline=NOW + timedelta(days=21))  # fmt: skip
    organisation = Organisation(id=1, name="Stadt Auenburg", kind=OrganisationKind.kommune)
    anna = Participant(id=1, email="anna@auenburg.example", name="Anna Keller", organisation_id=1,
                       language=Language.de)  # fmt: skip
    enrolment = Enrolment(id=1, round_id=1, participant_id=1, is_respondent=True, is_reviewer=True)
    values = dict(round=round_, enrolment=enrolment, person=anna, organisation=organisation, colleague=None,
                  colleague_enrolment=None, colleague_has_form=False)  # fmt: skip
    values.update(changes)
    return HandoverSituation(**values)


def refused(found: HandoverSituation, colleague: Colleague = LENA, now: datetime = NOW) -> list[str]:
    return handover_refusals(found, colleague, now)


def test_a_respondent_may_hand_the_form_to_a_new_colleague_or_one_of_their_organisation():
    assert refused(situation()) == []
    max_ = Participant(id=2, email="lena@auenburg.example", name="Lena", organisation_id=1, language=Language.de)
    reviewer = Enrolment(id=2, round_id=1, participant_id=2, is_respondent=False, is_reviewer=True)
    assert refused(situation(colleague=max_, colleague_enrolment=reviewer)) == []


def test_every_reason_about_the_form_and_its_holder_is_given():
    found = situation()
    found.round.stage = Stage.assignment
    assert refused(found) == ["the self-assessment takes no answers now"]
    assert refused(situation(), now=NOW + timedelta(days=7)) == ["the deadline for the self-assessment has passed"]
    late = situation()
    late.round.late_grace_hours = 24  # the grace period takes late answers, not a new respondent
    assert refused(late, now=NOW + timedelta(days=7, hours=1)) == ["the deadline for the self-assessment has passed"]
    found = situation()
    found.enrolment.handed_over_at = NOW - timedelta(hours=1)
    found.enrolment.is_respondent = False
    assert refused(found) == ["the form was handed over already"]
    found = situation()
    found.enrolment.withdrawn_at = NOW
    found.person.erased_at = NOW
    assert refused(found) == ["the respondent's data was erased"]
    found.person.erased_at = None
    assert refused(found) == ["anna@auenburg.example was withdrawn from the round"]
    found = situation()
    found.enrolment.is_respondent = False
    assert refused(found) == ["anna@auenburg.example answers no self-assessment in this round"]


def test_every_reason_about_the_colleague_is_given():
    assert refused(situation(), Colleague(" ", "")) == [
        "give the colleague's name",
        "give the colleague's email address",
    ]
    assert refused(situation(), Colleague("Lena\x1b", "lena@")) == [
        "the name holds a control character", "lena@ is not an email address"]  # fmt: skip
    assert refused(situation(), Colleague("L" * 201, "lena@auenburg.example")) == [
        "the name is 201 characters long; at most 200 are kept"]  # fmt: skip
    to_herself = refused(situation(), Colleague("Anna", "ANNA@auenburg.example"))
    assert to_herself == ["the form cannot be handed to the person who holds it"]
    elsewhere = Participant(id=3, email="lena@auenburg.example", name="Lena", organisation_id=2, language=Language.de)
    assert refused(situation(colleague=elsewhere)) == [
        "lena@auenburg.example belongs to another organisation; the form can only go to a colleague of Stadt "
        "Auenburg"]  # fmt: skip
    erased = Participant(id=3, email="lena@auenburg.example", name="", organisation_id=1, language=Language.de,
                         erased_at=NOW)  # fmt: skip
    assert refused(situation(colleague=erased)) == ["lena@auenburg.example cannot take part any more"]
    lena = Participant(id=3, email="lena@auenburg.example", name="Lena", organisation_id=1, language=Language.de)
    withdrawn = Enrolment(id=3, round_id=1, participant_id=3, is_respondent=False, withdrawn_at=NOW)
    assert refused(situation(colleague=lena, colleague_enrolment=withdrawn)) == [
        "lena@auenburg.example was withdrawn from the round"]  # fmt: skip
    answering = Enrolment(id=3, round_id=1, participant_id=3, is_respondent=True)
    own_form = "lena@auenburg.example answers a self-assessment of their own in this round; please ask the " \
               "coordination team"  # fmt: skip
    assert refused(situation(colleague=lena, colleague_enrolment=answering)) == [own_form]
    holding = Enrolment(id=3, round_id=1, participant_id=3, is_respondent=False)
    assert refused(situation(colleague=lena, colleague_enrolment=holding, colleague_has_form=True)) == [own_form]


def _submitted_and_changed(engine):
    """Anna of four parties submitted version 1, then saved a change not yet submitted; Max of her town
    reviews only."""
    staged = round_in_stage(engine, Stage.submission, parties=4, submitted=["anna"])
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        import_participants(session, round_, parse_participants(COLLEAGUES.encode()), "more.csv")
        answers = stored_answers(Questionnaire.model_validate(round_.questionnaire_snapshot), 2)
        anna = session.get(Enrolment, staged["anna"].enrolment_id)
        save_draft(session, round_, anna, answers, clock.now())
        session.commit()
    return staged, answers


def _hand(engine, round_id: int, enrolment_id: int, colleague: Colleague, keep: bool = False):
    with Session(engine, expire_on_commit=False) as session:
        round_ = get_round(session, round_id)
        round_.handover_keeps_first_link = keep
        handed = hand_over(session, round_, enrolment_id, colleague, actor=participant_actor(1), secret=SECRET.encode(),
                           link_expires_at=round_.submission_deadline, now=clock.now())  # fmt: skip
        session.commit()
    return handed


def test_the_form_moves_to_the_colleague_with_its_draft_and_versions(engine):
    staged, draft = _submitted_and_changed(engine)
    anna = staged["anna"]
    with Session(engine) as session:
        before = session.exec(select(Submission).where(Submission.enrolment_id == anna.enrolment_id)).one()
        versions = session.exec(
            select(SubmissionVersion.answers).where(SubmissionVersion.submission_id == before.id)
        ).all()
    handed = _hand(engine, staged.round_id, anna.enrolment_id, LENA)
    assert handed.colleague_created and handed.submitted_version == 1 and not handed.has_draft
    with Session(engine) as session:
        lena = session.exec(select(Participant).where(Participant.email == "lena@auenburg.example")).one()
        organisation = session.exec(select(Organisation).where(Organisation.name == "Stadt Auenburg")).one()
        assert (lena.name, lena.organisation_id, lena.language) == ("Lena Keller", organisation.id, Language.en)
        taking = session.exec(select(Enrolment).where(Enrolment.participant_id == lena.id)).one()
        assert (taking.is_respondent, taking.is_reviewer, taking.handed_over_at) == (True, False, None)
        assert taking.invited_at is not None  # the handover's message is their invitation; reminders count from it
        moved = session.exec(select(Submission).where(Submission.enrolment_id == taking.id)).one()
        assert (moved.id, moved.answers, moved.version, moved.status) == (before.id, draft, 1, before.status)
        assert (
            session.exec(select(SubmissionVersion.answers).where(SubmissionVersion.submission_id == moved.id)).all()
            == versions
        )
        first = session.get(Enrolment, anna.enrolment_id)
        assert first.handed_over_at is not None and not first.is_respondent and first.is_reviewer
        links = session.exec(select(AccessToken).where(AccessToken.enrolment_id == anna.enrolment_id)).all()
        assert [link.revoked_at is not None for link in links] == [True]
        assert handed_over_link(session, links[0]) == first.handed_over_at
        new_link = session.exec(select(AccessToken).where(AccessToken.enrolment_id == taking.id)).one()
        assert new_link.purpose is TokenPurpose.self_assessment and new_link.revoked_at is None
        event = session.exec(select(AuditEvent).where(AuditEvent.action == HANDED_OVER)).one()
        assert event.actor == "participant 1"
        assert event.details == {"from_enrolment": anna.enrolment_id, "to_enrolment": taking.id,
                                 "submission": before.id, "first_link_kept": False, "colleague_new": True}  # fmt: skip
        assert "@" not in str(event.details) and "Lena" not in str(event.details)
        seen = handovers_of(session, staged.round_id, taking.id)
        assert [(h.from_name, h.to_name) for h in seen] == [("Anna Keller", "Lena Keller")]
        assert handovers_of(session, staged.round_id, anna.enrolment_id) == seen


def test_a_colleague_who_reviews_keeps_reviewing_and_a_second_handover_is_refused(engine):
    staged, _ = _submitted_and_changed(engine)
    anna = staged["anna"]
    handed = _hand(engine, staged.round_id, anna.enrolment_id, Colleague("Max", "max@auenburg.example"))
    assert not handed.colleague_created and handed.colleague.name == "Max Vogel"  # the stored name stays
    with Session(engine) as session:
        taking = session.get(Enrolment, handed.to_enrolment_id)
        assert taking.is_respondent and taking.is_reviewer
    with pytest.raises(HandoverRefused) as refusal:
        _hand(engine, staged.round_id, anna.enrolment_id, LENA)
    assert refusal.value.reasons == ["the form was handed over already"]
    with pytest.raises(HandoverRefused) as refusal:  # Ben's address is known, of another organisation
        _hand(engine, staged.round_id, handed.to_enrolment_id, Colleague("Ben", "ben@nordhaven.example"))
    assert refusal.value.reasons == ["ben@nordhaven.example belongs to another organisation; the form can only go "
                                     "to a colleague of Stadt Auenburg"]  # fmt: skip
    with Session(engine) as session:  # nothing of the refused tries was kept
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == HANDED_OVER)).all()) == 1


def test_with_the_rule_on_the_first_link_follows_the_form_wherever_it_went(engine):
    staged, _ = _submitted_and_changed(engine)
    anna = staged["anna"]
    first = _hand(engine, staged.round_id, anna.enrolment_id, Colleague("Max", "max@auenburg.example"), keep=True)
    second = _hand(engine, staged.round_id, first.to_enrolment_id, LENA, keep=True)
    with Session(engine) as session:
        links = session.exec(select(AccessToken).where(col(AccessToken.revoked_at).is_not(None))).all()
        assert links == []
        holder = form_holder(session, session.get(Enrolment, anna.enrolment_id))
        assert holder is not None and holder.id == second.to_enrolment_id
        # handed back: Anna holds it again, her enrolment answers once more
    back = _hand(engine, staged.round_id, second.to_enrolment_id, Colleague("Anna", "anna@auenburg.example"), keep=True)
    with Session(engine) as session:
        again = session.get(Enrolment, anna.enrolment_id)
        assert back.to_enrolment_id == anna.enrolment_id and again.is_respondent and again.handed_over_at is None
        assert form_holder(session, session.get(Enrolment, first.to_enrolment_id)).id == anna.enrolment_id
        assert (
            session.exec(select(Submission.enrolment_id).where(Submission.id == first.submission_id)).one()
            == anna.enrolment_id
        )
