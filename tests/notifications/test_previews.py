"""Every kind of message previewed for a round: read for a person of the round, with the round's own figures
where it has them (the reviewer's organisations to review, a party's findings and the approved
recommendations, the answers a respondent sent), in German and English, with personal links that open
nothing, and a sample person where the round has nobody in a role."""

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from notifications.message_kinds import MESSAGE_KINDS
from notifications.previews import SAMPLE_PERSON, preview_messages
from review_model import clock
from review_model.replies import reply_groups_per_submission
from review_model.rounds import get_round
from review_model.tables import Enrolment, Recommendation
from review_model.vocabulary import RecommendationStatus, Stage
from tests.support.follow_up_rounds import follow_up_pair
from tests.support.outgoing_mail import SENDER
from tests.support.staged_rounds import StagedRound, round_in_stage

BASE = "http://portal.example"
TOKEN = re.compile(r"/[arc]/[A-Za-z0-9_-]{43}")


def previews(engine: Engine, staged: StagedRound, **options):
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        found = preview_messages(session, round_, sender=SENDER, public_base_url=BASE, now=clock.now(), **options)
    return {preview.kind: preview for preview in found}


def test_every_kind_in_both_languages_for_a_person_of_the_round_with_links_that_open_nothing(engine: Engine):
    staged = round_in_stage(engine, Stage.submission)
    shown = previews(engine, staged)
    assert list(shown) == list(MESSAGE_KINDS)
    for kind, preview in shown.items():
        assert set(preview.emails) == {"de", "en"}, kind
        for language, email in preview.emails.items():
            assert email.subject and email.text and f'<html lang="{language}">' in email.html
            assert not TOKEN.search(email.text + email.html), kind
    assert shown["invitation"].recipient.name == "Anna Keller" and not shown["invitation"].sample_recipient
    assert f"{BASE}/a/…" in shown["invitation"].emails["de"].text
    assert "Guten Tag Anna Keller" in shown["invitation"].emails["de"].text
    assert "Dear Anna Keller" in shown["invitation"].emails["en"].text
    # The digest goes to the round's coordinator.
    assert shown["status_digest"].recipient.email == "gs@peer-review.example"
    # Only the kinds and languages asked for.
    one = previews(engine, staged, kinds=["reminder"], languages=["en"])
    assert list(one) == ["reminder"] and list(one["reminder"].emails) == ["en"]


def test_the_reviewers_organisations_and_the_respondents_answers_are_the_rounds_own(engine: Engine):
    staged = round_in_stage(engine, Stage.review)
    shown = previews(engine, staged, kinds=["review_request", "submission_receipt"])
    request = shown["review_request"]
    reviewer = next(person for person in staged.people.values() if person.email == request.recipient.email)
    assert reviewer.reviews
    for organisation in reviewer.reviews:
        assert f"- {organisation}:\n  {BASE}/r/…" in request.emails["en"].text
    receipt = shown["submission_receipt"].emails["en"].text
    assert "Your answers at a glance" in receipt and "version 1" in shown["submission_receipt"].emails["en"].subject


def test_the_reply_invitation_counts_the_partys_findings_and_the_approved_recommendations(engine: Engine):
    staged = round_in_stage(engine, Stage.comment, parties=3)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        groups = reply_groups_per_submission(session, round_)
        approved = session.exec(
            select(func.count()).select_from(Recommendation).where(
                Recommendation.round_id == staged.round_id,
                col(Recommendation.status) == RecommendationStatus.approved,
            )
        ).one()  # fmt: skip
    findings = groups[staged["anna"].submission_id]
    assert findings and approved
    text = previews(engine, staged, kinds=["comment_invitation"])["comment_invitation"].emails["en"].text
    assert f"for your organisation are ready: {findings} findings and {approved} draft recommendations." in text
    assert f"{BASE}/c/…" in text


def test_a_round_with_nobody_in_a_role_is_previewed_for_a_sample_person(engine: Engine):
    staged = round_in_stage(engine, Stage.draft, parties=2)
    with Session(engine) as session:
        for enrolment in session.exec(select(Enrolment).where(Enrolment.round_id == staged.round_id)).all():
            enrolment.is_reviewer = False
            session.add(enrolment)
        session.commit()
    shown = previews(engine, staged, kinds=["review_request", "invitation"])
    assert shown["review_request"].sample_recipient and shown["review_request"].recipient == SAMPLE_PERSON
    assert "Erika Mustermann" in shown["review_request"].emails["de"].text
    # A respondent of the round stands in as the organisation to review.
    assert "Stadt Auenburg" in shown["review_request"].emails["de"].text
    assert not shown["invitation"].sample_recipient


def test_the_invitation_of_a_follow_up_round_announces_the_earlier_recommendations_as_its_reader_gets_it(engine):
    pair = follow_up_pair(engine)
    invitation = previews(engine, pair.second, kinds=["invitation"])["invitation"]
    # The sample reader is the round's first respondent, a municipality: asked about the two to municipalities.
    assert "Runde eins" in invitation.emails["de"].text and "Round one" in invitation.emails["en"].text
    assert 'the 2 recommendations the round "Round one" made' in " ".join(invitation.emails["en"].text.split())
    plain = previews(engine, round_in_stage(engine, Stage.submission, slug="ohne"), kinds=["invitation"])
    assert "Runde eins" not in plain["invitation"].emails["de"].text
