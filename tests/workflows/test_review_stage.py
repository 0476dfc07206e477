"""From the submission deadline through assignment and review to consolidation, with time moved by freezegun."""

import email
import email.policy
from collections import Counter
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from review_model.questionnaire import Questionnaire
from review_model.round_ratings import load_round_ratings
from review_model.tables import Finding, Recommendation, Review, ReviewAssignment, Round
from review_model.vocabulary import FindingScope, RecommendationStatus, Stage, WorkStatus
from tests.support.answers import review_all, submit
from tests.support.messages import REVIEW_LINK, link_in, text_of
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage

NAMES = {"anna": "Anna Keller", "ben": "Ben Hansen", "cara": "Cara Wolf", "dora": "Dora Roth"}


def test_assignment_and_review_stage_end_to_end(round_world):
    world = round_world
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        deadline, review_deadline = round_.submission_deadline, round_.review_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        for message in world.received():
            submit(world, link_in(message))
        # Everyone has submitted: the stage closes early, and the driver proposes an assignment.
        closing = advance_round(world.context, world.round_id)
        assert closing.transitions == ["submission → assignment"] and closing.assignments == 12
        assert closing.stage_after is Stage.assignment
        assert not advance_round(world.context, world.round_id).did_anything  # waits for the coordinator

        with Session(world.engine) as session:
            for assignment in session.exec(select(ReviewAssignment)).all():
                assignment.confirmed_at = deadline - timedelta(days=9)
            session.commit()
        frozen.move_to(deadline - timedelta(days=9))
        opening = advance_round(world.context, world.round_id)
        assert opening.transitions == ["assignment → review"] and opening.stage_messages == 4

        requests = [m for m in world.received() if ("Peer Review" in m.summary() and "Bitte" in m.summary())
                    or "Peer review request" in m.summary()]  # fmt: skip
        assert len(requests) == 4
        for request in requests:
            body = text_of(request)
            links = REVIEW_LINK.findall(body)
            assert len(links) == 3
            me = request.recipients[0].split("@")[0]
            assert all(name not in body for who, name in NAMES.items() if who != me)  # no other reviewer named
        anna = next(m for m in requests if m.recipients[0].startswith("anna"))
        for path in REVIEW_LINK.findall(text_of(anna)):
            review_all(world, path)

        frozen.move_to(review_deadline - timedelta(days=7) + timedelta(minutes=1))
        reminded = advance_round(world.context, world.round_id)
        assert reminded.reminders == 3  # everyone but Anna, who has reviewed everything
        assert advance_round(world.context, world.round_id).reminders == 0

        frozen.move_to(review_deadline + timedelta(minutes=1))
        closed = advance_round(world.context, world.round_id)
        assert closed.transitions == ["review → consolidation", "consolidation → drafting"]
        assert closed.stage_messages == 4 and closed.findings > 0 and closed.stage_after is Stage.drafting
        # Anna rated the three parties she reviewed at 0 where they rated themselves 2: every field of action is
        # weak in the peers' eyes (6 drafts for the Länder) and overrated by the parties (6 for the Kommunen).
        assert closed.recommendations == 12
        sent = len(world.received())
        frozen.move_to(review_deadline + timedelta(days=3))
        assert not advance_round(world.context, world.round_id).did_anything
        assert len(world.received()) == sent

    with Session(world.engine) as session:
        reviews = session.exec(select(Review)).all()
        assert len(reviews) == 3 and {r.status for r in reviews} == {WorkStatus.submitted}
        questionnaire = Questionnaire.model_validate(session.get(Round, world.round_id).questionnaire_snapshot)
        ratings = load_round_ratings(session, world.round_id, questionnaire)
        findings = [item for party in range(4) for item in ratings.figures.items(party)]
        assert len(findings) == 4 * 24  # four parties, 24 ratings each
        reviewed_by_anna = [f for f in findings if f.n_reviews == 1]
        assert reviewed_by_anna and all(f.peer_mean == 0.0 and f.self_score == 2.0 for f in reviewed_by_anna)
        fields = session.exec(select(Finding).where(Finding.scope == FindingScope.field_of_action)).all()
        assert len(fields) == 4 * 6 and {f.details["disagreements"] for f in fields} == {0}
        drafts = session.exec(select(Recommendation)).all()
        assert Counter(d.action_level.value for d in drafts) == {"laender": 6, "kommunen": 6}
        assert all(d.status is RecommendationStatus.draft and d.evidence["count"] == 3 for d in drafts)
    reminders = Counter(m.recipients[0].split("@")[0] for m in world.received() if "Erinnerung" in m.summary()
                        or "Reminder" in m.summary())  # fmt: skip
    assert reminders == {"ben": 1, "cara": 1, "dora": 1}
    # No email names anyone but its recipient: reviewers stay unknown to the reviewed and to each other.
    for message in world.received():
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        whole = text_of(message) + parsed.get_body(("html",)).get_content()
        me = message.recipients[0].split("@")[0]
        for who, name in NAMES.items():
            if who != me:
                assert name not in whole and f"{who}@" not in whole, (message.summary(), who)


def test_the_coordinator_approves_and_rejects_drafts(round_world, configured, monkeypatch):
    from typer.testing import CliRunner

    from review_model.tables import Recommendation
    from review_model.vocabulary import ActionLevel
    from tests.support.commands import configure
    from workflows.cli import app

    configure(monkeypatch, round_world)
    runner = CliRunner()
    too_early = runner.invoke(app, ["recommendations", "approve", "fruehjahr-2027", "1"])
    assert too_early.exit_code == 1 and "decided in the drafting stage" in too_early.output
    with Session(round_world.engine) as session:
        session.get(Round, round_world.round_id).stage = Stage.drafting
        quotes = [{"party": "A", "item": "x", "text": "Erstes Zitat"}, {"party": "B", "item": "y", "text": "Zweites"}]
        for text in ("Erste Empfehlung", "Zweite Empfehlung"):
            evidence = {"count": 2, "total": 4, "parties": ["A", "B"], "quotes": quotes}
            session.add(
                Recommendation(
                    round_id=round_world.round_id,
                    rule_id="r",
                    action_level=ActionLevel.bund,
                    text_de=text,
                    evidence=evidence,
                )
            )
        session.commit()
        first, second = (r.id for r in session.exec(select(Recommendation).order_by(Recommendation.id)).all())
    listed = runner.invoke(app, ["recommendations", "list", "fruehjahr-2027"])
    assert listed.exit_code == 0 and "Erste Empfehlung" in listed.output and "2 of 4: A, B" in listed.output
    assert "quote 2 (a reviewer on B): „Zweites“" in listed.output
    approved = runner.invoke(app, ["recommendations", "approve", "fruehjahr-2027", str(first)])
    assert approved.exit_code == 0 and approved.output.splitlines()[-1].startswith("Next: once every draft")
    unknown = runner.invoke(app, ["recommendations", "approve", "fruehjahr-2027", "999"])
    assert unknown.exit_code == 1 and "no recommendation 999" in unknown.output
    # Editing an approved recommendation sends it back to draft: nobody approved the new wording yet.
    edited = runner.invoke(
        app, ["recommendations", "edit", "fruehjahr-2027", str(first), "--de", "Neue Fassung", "--priority", "1"]
    )
    assert edited.exit_code == 0 and "approve it again" in edited.output
    with Session(round_world.engine) as session:
        recommendation = session.get(Recommendation, first)
        assert (recommendation.text_de, recommendation.priority) == ("Neue Fassung", 1)
        assert recommendation.status is RecommendationStatus.draft
    assert (
        "Nothing changed"
        in runner.invoke(app, ["recommendations", "edit", "fruehjahr-2027", str(first), "--de", "Neue Fassung"]).output
    )
    assert runner.invoke(app, ["recommendations", "approve", "fruehjahr-2027", str(first)]).exit_code == 0
    rejected = runner.invoke(app, ["recommendations", "reject", "fruehjahr-2027", str(second)])
    assert rejected.exit_code == 0 and "drafting → comment" in rejected.output  # every draft decided: on at once
    with Session(round_world.engine) as session:
        statuses = [r.status for r in session.exec(select(Recommendation).order_by(Recommendation.id)).all()]
    assert statuses == [RecommendationStatus.approved, RecommendationStatus.rejected]


def test_an_edited_document_gives_both_texts():
    from workflows.cli.recommendations import parse_edited_texts

    document = "# help\n[de]\nZeile eins\nZeile zwei\n\n[en]\n# a note\nLine one\n"
    assert parse_edited_texts(document) == ("Zeile eins\nZeile zwei", "Line one")
