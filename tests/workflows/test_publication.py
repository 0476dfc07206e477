"""From the close of the review stage to publication, with time moved by freezegun: the right of reply,
its reminders, the report kept in the store and read on the portal, and the emails that say so.

The first test goes the whole way as participants do, through the portal and the emails; the others start
from a round the factories put in its stage. What the report itself says is tested in tests/reports."""

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from reports.documents import render_report
from review_model.tables import (
    OutboxMessage,
    PublishedReport,
    Recommendation,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import ActionLevel, RecommendationStatus, Stage, WorkStatus, action_levels_in_a_sentence
from tests.support.answers import HOSTILE, approve_every_draft, bring_to_drafting, open_right_of_reply, reply
from tests.support.messages import reply_links, text_of
from tests.support.staged_rounds import bring_round_to
from workflows.round_driver import advance_round

REPLY = f"Wir widersprechen.\n{HOSTILE}\nZweite Zeile – „Zitat“"


def test_from_review_close_to_publication(round_world):
    world = round_world
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        deadline, review_deadline, comment_deadline = (
            round_.submission_deadline, round_.review_deadline, round_.comment_deadline)  # fmt: skip
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        bring_to_drafting(world)
        frozen.move_to(review_deadline + timedelta(minutes=1))
        closed = advance_round(world.context, world.round_id)
        assert closed.stage_after is Stage.drafting and closed.recommendations > 0
        # Nothing moves on while drafts wait for the coordinator.
        assert advance_round(world.context, world.round_id).stage_after is Stage.drafting
        with Session(world.engine) as session:
            drafts = session.exec(select(Recommendation)).all()
            for draft in drafts:
                draft.status = RecommendationStatus.approved if draft.id % 2 else RecommendationStatus.rejected
            approved = sum(1 for d in drafts if d.id % 2)
            session.commit()

        before = len(world.received())
        opened = advance_round(world.context, world.round_id)
        assert opened.transitions == ["drafting → comment"] and opened.stage_messages == 4
        invitations = world.received()[before:]
        links = reply_links(invitations)
        assert set(links) == {"anna", "ben", "cara", "dora"}
        reply(world, links["anna"], REPLY)
        reply(world, links["ben"], "")  # Ben has nothing to add: no reminders for him either
        reply(world, links["cara"], "Nur ein Entwurf", action="save")  # saved, not sent: not printed

        frozen.move_to(comment_deadline - timedelta(days=7) + timedelta(minutes=1))
        reminded = advance_round(world.context, world.round_id)
        assert reminded.reminders == 2  # Cara (a draft is not a reply) and Dora
        assert advance_round(world.context, world.round_id).reminders == 0

        frozen.move_to(comment_deadline + timedelta(minutes=1))
        before = len(world.received())
        published = advance_round(world.context, world.round_id)
        assert published.transitions == ["comment → published"] and published.stage_messages == 4
        announcements = world.received()[before:]
        assert len(announcements) == 4
        assert all("http://testserver/reports/fruehjahr-2027" in text_of(m) for m in announcements)
        assert not advance_round(world.context, world.round_id).did_anything

    with Session(world.engine) as session:
        statuses = [r.status for r in session.exec(select(Recommendation)).all()]
        assert statuses.count(RecommendationStatus.published) == approved
        assert RecommendationStatus.approved not in statuses
        stored = {(d.format, d.language) for d in session.exec(select(PublishedReport)).all()}
        assert {("html", "de"), ("html", "en"), ("csv", "de"), ("json", "en")} <= stored
        assert session.exec(select(Submission.reply_submitted_at)).all().count(None) == 2
        receipts = session.exec(
            select(OutboxMessage.recipient_email).where(OutboxMessage.kind == "reply_receipt")
        ).all()
        assert sorted(r.split("@")[0] for r in receipts) == ["anna", "ben"]  # a sent reply, and "nothing to add"

    page = world.portal.get("/reports/fruehjahr-2027/report.html?lang=de")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;fett" in html
    assert "Wir widersprechen." in html and "Nur ein Entwurf" not in html
    for section in ("Gesamtbild", "So lesen Sie die Bewertungen", "Priorisierte Handlungsfelder", "Benchmark",
                    "Profile der Organisationen", "Wo die Gutachter uneins waren", "Empfehlungen nach Handlungsebene",
                    "Stellungnahmen", "Methode und Beteiligung"):  # fmt: skip
        assert section in html
    # The figures are said as they are: Anna replied, Ben sent "nothing to add" (counted apart).
    assert '<th scope="row">Abgegebene Stellungnahmen</th><td class="num">1</td>' in html
    assert '„nichts hinzuzufügen“)</th><td class="num">1</td>' in html
    with Session(world.engine) as session:
        addressed = {r.action_level.value for r in session.exec(select(Recommendation)).all()
                     if r.status is RecommendationStatus.published}  # fmt: skip
    levels = action_levels_in_a_sentence([level.value for level in ActionLevel if level.value in addressed], "de")
    assert f"Empfehlungen an {levels}." in html or f"Empfehlung an {levels}." in html
    assert "das Mittel über die Organisationen (jede zählt gleich viel)" in html  # a mean of the parties' means
    cards = html.split('<div class="profile"')[1:]
    assert len(cards) == 4 and all(card.count(">Handlungsfeld</th>") == 1 for card in cards)
    english = world.portal.get("/reports/fruehjahr-2027/report.html?lang=en").text
    assert "Where reviewers disagreed" in english

    # A reviewer who submitted nothing is not among those the findings rest on.
    with Session(world.engine) as session:
        reviewer = session.exec(select(ReviewAssignment.reviewer_enrolment_id)).first()
        for review in session.exec(
            select(Review).join(ReviewAssignment).where(ReviewAssignment.reviewer_enrolment_id == reviewer)
        ).all():
            review.status = WorkStatus.draft
        session.flush()
        redone = render_report(session, world.round_id, "html", "de").content.decode()
    assert "Peer-Reviews von 3 Gutachterinnen und Gutachtern" in redone
    assert world.portal.get("/reports/fruehjahr-2027/scores.csv?lang=de").text.startswith(
        "\ufefforganisation,kind,item"
    )
    assert world.portal.get("/reports/nothing-here/report.html").status_code == 404


def test_a_late_comment_stage_still_gives_the_parties_time(round_world):
    world = round_world
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        deadline, comment_deadline = round_.submission_deadline, round_.comment_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        bring_round_to(world.engine, world.round_id, Stage.drafting)
        frozen.move_to(comment_deadline - timedelta(days=2))  # the coordinator approves very late
        advance_round(world.context, world.round_id)
        approve_every_draft(world)
        opened = advance_round(world.context, world.round_id)
        assert opened.transitions == ["drafting → comment"]
        with Session(world.engine) as session:
            moved = session.get(Round, world.round_id).comment_deadline
        assert moved == comment_deadline - timedelta(days=2) + world.context.min_reply
        frozen.move_to(comment_deadline + timedelta(hours=1))
        assert advance_round(world.context, world.round_id).stage_after is Stage.comment  # not yet


def test_the_coordinator_publishes_early_once_every_party_has_replied(round_world, configured, monkeypatch):
    from typer.testing import CliRunner

    from tests.support.commands import configure
    from workflows.cli import app

    world = round_world
    configure(monkeypatch, world)
    runner = CliRunner()
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True):
        bring_round_to(world.engine, world.round_id, Stage.review, reviewed=["anna", "ben", "cara", "dora"])
        closed = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"])  # the review stage, early
        assert closed.exit_code == 0 and "(review → consolidation)" in closed.output, closed.output
        advance_round(world.context, world.round_id)
        links = list(open_right_of_reply(world).values())
        for link in links[:-1]:
            reply(world, link, "")
        waiting = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"])
        assert waiting.exit_code == 1 and "right of reply runs until" in waiting.output
        reply(world, links[-1], "Einverstanden.")
        published = runner.invoke(app, ["round", "close-stage", "fruehjahr-2027"])
        assert published.exit_code == 0 and "(comment → published)" in published.output, published.output
    with Session(world.engine) as session:
        assert session.get(Round, world.round_id).stage is Stage.published
