"""The coordinator's operations on people: a message to a filtered group, a person's link sent again, failed
messages queued again and a reviewer swapped, by ids and an actor, without Prefect; the messages read back with
the standard library's parser."""

import email
import email.policy
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, col, select

from notifications.group_messages import preview_group_message
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.group_messages import BODY_MAX_LENGTH, GroupMessageRefused
from review_model.people_filter import PeopleFilter, PersonState, Role
from review_model.round_assignment import AssignmentRefused
from review_model.stage_links import ResendRefused
from review_model.tables import (
    AuditEvent,
    Enrolment,
    OutboxMessage,
    Participant,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import FederalState, OutboxState, Stage
from tests.support.outgoing_mail import invitation_for
from tests.support.round_world import PUBLIC_BASE_URL
from tests.support.staged_rounds import bring_round_to, factory_context, round_in_stage, staged_round
from workflows.coordinator_actions import (
    ActionRefused,
    message_group,
    resend_link,
    retry_failed_messages,
    revoke_links,
    swap_reviewer_in_round,
    withdraw_participant,
)

ACTOR = "coordinator (console: ada)"
SUBJECT_DE, BODY_DE = "Hinweis zur Frist", "die Frist bleibt.\nBitte <b>jetzt</b> einreichen.\n\nDanke & bis bald"
SUBJECT_EN, BODY_EN = "A note on the deadline", "the deadline stays.\nPlease submit <b>now</b>."
EVERYONE = PeopleFilter()


def who(engine, local: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Participant.id).where(col(Participant.email).startswith(local + "@"))).one()


def outbox(engine, kind: str) -> dict[str, list]:
    """The messages of a kind in the outbox, parsed, by the local part of their recipient's address."""
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id)))
        found: dict[str, list] = {}
        for row in rows:
            parsed = email.message_from_bytes(row.payload, policy=email.policy.default)
            assert parsed.defects == []
            found.setdefault(row.recipient_email.split("@")[0], []).append(parsed)
    return found


def text_and_html(parsed) -> tuple[str, str]:
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


def send(engine, people: PeopleFilter = EVERYONE, **texts):
    texts = {"subject_de": SUBJECT_DE, "body_de": BODY_DE, "subject_en": SUBJECT_EN, "body_en": BODY_EN} | texts
    return message_group(factory_context(engine), staged_round_id(engine), people, texts["subject_de"],
                         texts["body_de"], texts["subject_en"], texts["body_en"], ACTOR)  # fmt: skip


def staged_round_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(Round.id)).one()


def test_each_person_gets_the_message_in_their_language_with_the_link_the_stage_sent_them(engine):
    staged = round_in_stage(engine, Stage.submission, parties=4, submitted=["anna"])
    sent = send(engine, PeopleFilter(roles={Role.respondent}))
    assert (sent.recipients, sent.queued, sent.already_queued, sent.left_out) == (4, 4, 0, 0)
    messages = outbox(engine, "coordinator_message")
    assert sorted(messages) == ["anna", "ben", "cara", "dora"]
    for local, (parsed,) in messages.items():
        text, html = text_and_html(parsed)
        link = f"{PUBLIC_BASE_URL}{staged[local].form}"  # the very link the invitation carried
        assert link in text and f'href="{link}"' in html
        if local == "ben":  # he reads English
            assert parsed["Subject"] == SUBJECT_EN and parsed["Content-Language"] == "en"
            assert BODY_EN in text and "Dear Ben Hansen," in text
            assert "<p>the deadline stays.<br>Please submit &lt;b&gt;now&lt;/b&gt;.</p>" in html
        else:
            assert parsed["Subject"] == SUBJECT_DE and parsed["Content-Language"] == "de"
            assert BODY_DE in text and "Guten Tag" in text
            assert "<p>Danke &amp; bis bald</p>" in html and "<b>" not in html
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "group message queued")).one()
    assert (
        event.actor == ACTOR
        and event.details["recipients"] == 4
        and event.details["filter"] == {"roles": ["respondent"]}
    )
    assert event.details["send"] == sent.send_id and event.details["languages"] == ["de", "en"]


def test_a_message_written_in_one_language_reaches_readers_of_the_other_in_it(engine):
    round_in_stage(engine, Stage.submission, parties=2)
    send(engine, subject_en="", body_en="")
    ben = outbox(engine, "coordinator_message")["ben"][0]
    text, _ = text_and_html(ben)
    # All of it in German, greeting and closing too, rather than English words around a German text.
    assert ben["Subject"] == SUBJECT_DE and "Guten Tag Ben Hansen," in text and "Mit freundlichen Grüßen" in text


def test_the_same_send_retried_queues_nothing_twice_and_another_send_id_sends_again(engine):
    round_in_stage(engine, Stage.submission, parties=3)
    first = send(engine)
    again = send(engine)
    assert (first.queued, again.queued, again.already_queued) == (3, 0, 3) and first.send_id == again.send_id
    other = send(engine, body_de=BODY_DE + "\nNachtrag")  # another text is another send
    assert other.queued == 3 and other.send_id != first.send_id
    named = message_group(factory_context(engine), staged_round_id(engine), EVERYONE, SUBJECT_DE, BODY_DE, None, None,
                          ACTOR, send_id="second-wave")  # fmt: skip
    assert named.queued == 3
    with Session(engine) as session:
        keys = session.exec(select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == "coordinator_message"))
        keys = sorted(keys)
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "group message queued")).all()
    assert len(keys) == 9 and len(set(keys)) == 9 and len(events) == 3  # the retry left no entry
    assert sum(key.endswith("/coordinator_message/second-wave") for key in keys) == 3


def test_withdrawn_people_get_nothing_and_are_counted_apart_and_those_who_stopped_reminders_get_it(engine):
    round_in_stage(engine, Stage.submission, parties=4)
    context = factory_context(engine)
    withdraw_participant(context, staged_round_id(engine), who(engine, "dora"), ACTOR, "left")
    with Session(engine) as session:
        session.exec(
            select(Enrolment).where(Enrolment.participant_id == who(engine, "cara"))
        ).one().opted_out_at = clock.now()
        session.commit()
    sent = send(engine)
    assert (sent.recipients, sent.left_out) == (3, 1) and sorted(outbox(engine, "coordinator_message")) == [
        "anna",
        "ben",
        "cara",  # a message from the coordinator is no reminder
    ]
    with pytest.raises(GroupMessageRefused) as nobody:
        send(engine, PeopleFilter(states={PersonState.withdrawn}))
    assert nobody.value.reasons == ["nobody to write to: everyone the filter matches (1) was withdrawn from the round"]


def test_a_message_that_cannot_go_out_is_refused_with_every_reason(engine):
    round_in_stage(engine, Stage.draft, parties=2)
    with pytest.raises(GroupMessageRefused) as refused:
        send(engine, PeopleFilter(lands={FederalState.HB}), subject_de=" ", body_de="Text", subject_en="Two\nlines",
             body_en="x" * (BODY_MAX_LENGTH + 1))  # fmt: skip
    assert refused.value.reasons == [
        "round staged-round is in stage draft: messages go to a round's people between its launch and its publication",
        "the German message has no subject",
        "the English subject is more than one line",
        f"the English text is {BODY_MAX_LENGTH + 1} characters long; at most {BODY_MAX_LENGTH} are sent",
        "nobody in round staged-round matches the filter",
    ]
    assert refused.value.in_language("de").startswith("Runde staged-round ist in der Phase „Vorbereitung“")
    with pytest.raises(GroupMessageRefused) as empty:
        send(engine, subject_de="", body_de="", subject_en="", body_en="")
    assert "write a subject and a text, in German, in English or in both" in empty.value.reasons
    with pytest.raises(GroupMessageRefused, match="subject is 201 characters long"):
        send(engine, subject_de="x" * 201)
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


def test_the_preview_counts_exactly_who_gets_it_and_shows_it_as_each_language_reads_it_without_a_working_link(
    engine,
):
    staged = round_in_stage(engine, Stage.submission, parties=4)
    context = factory_context(engine)
    withdraw_participant(context, staged.round_id, who(engine, "cara"), ACTOR, "left")
    people = PeopleFilter(roles={Role.respondent}, states={PersonState.not_submitted})
    with Session(engine) as session:
        preview = preview_group_message(
            session, staged.round_id, people, SUBJECT_DE, BODY_DE, SUBJECT_EN, BODY_EN,
            sender=context.sender, public_base_url=PUBLIC_BASE_URL, language="de",
        )  # fmt: skip
    assert (preview.recipients, preview.matched, preview.left_out) == (3, 4, 1)
    assert preview.described == "Befragte, die nicht eingereicht haben"
    # the first of each language by organisation: Landkreis Talbach before Stadt Auenburg
    assert [(s.language, s.recipient) for s in preview.samples] == [("de", "Dora Roth"), ("en", "Ben Hansen")]
    german, english = (sample.email for sample in preview.samples)
    assert german.subject == SUBJECT_DE and BODY_DE in german.text and "Guten Tag Dora Roth," in german.text
    assert english.subject == SUBJECT_EN and "Dear Ben Hansen," in english.text
    assert f"{PUBLIC_BASE_URL}/a/…" in german.text and staged["dora"].form not in german.text + german.html
    sent = send(engine, people)
    assert sent.recipients == preview.recipients and sent.send_id == preview.send_id
    assert not outbox(engine, "coordinator_message").get("cara")


def test_reviewers_get_each_review_link_and_parties_their_reply_link(engine):
    staged = round_in_stage(engine, Stage.review, parties=4, reviewed=["anna"])
    send(engine, PeopleFilter(states={PersonState.open_reviews}))
    for local, (parsed,) in outbox(engine, "coordinator_message").items():
        text, html = text_and_html(parsed)
        for organisation, path in staged[local].reviews.items():
            assert f"- {organisation}:\n  {PUBLIC_BASE_URL}{path}\n" in text
            assert f'href="{PUBLIC_BASE_URL}{path}"' in html
    assert "anna" not in outbox(engine, "coordinator_message")

    commented = round_in_stage(engine, Stage.comment, parties=3, slug="comment-round")
    message_group(factory_context(engine), commented.round_id, PeopleFilter(search="anna"), "Frist", "Bis bald.", None,
                  None, ACTOR)  # fmt: skip
    with Session(engine) as session:
        payload = session.exec(
            select(OutboxMessage.payload).where(OutboxMessage.round_id == commented.round_id)
        ).one()  # fmt: skip
    text = email.message_from_bytes(payload, policy=email.policy.default).get_body(("plain",)).get_content()
    assert f"{PUBLIC_BASE_URL}{commented['anna'].reply}" in text


def test_a_link_sent_again_is_the_same_link_in_a_new_message_of_the_stages_kind(engine):
    staged = round_in_stage(engine, Stage.submission, parties=2)
    context, ben = factory_context(engine), who(engine, "ben")
    with freeze_time(clock.now()):
        resent = resend_link(context, staged.round_id, ben, ACTOR)
        assert resend_link(context, staged.round_id, ben, ACTOR).queued == 0  # a retry the same second
    with freeze_time(clock.now() + timedelta(seconds=5)):
        assert resend_link(context, staged.round_id, ben, ACTOR).queued == 1  # asked again later: sent again
    assert (resent.stage, resent.kind, resent.links, resent.queued) == (Stage.submission, "invitation", 1, 1)
    sent = outbox(engine, "invitation")["ben"]
    assert len(sent) == 2 and sent[0]["Message-ID"] != sent[1]["Message-ID"]
    text, _ = text_and_html(sent[0])
    assert (
        f"{PUBLIC_BASE_URL}{staged['ben'].form}" in text and "Invitation to the self-assessment" in sent[0]["Subject"]
    )
    assert staged_round(engine, staged.round_id)["ben"].form == staged["ben"].form  # no new link was made
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "link sent again")).first()
    assert event.actor == ACTOR and event.details == {"participant": ben, "kind": "invitation", "links": 1,
                                                      "queued": 1}  # fmt: skip


def test_links_sent_again_in_review_and_comment_are_the_review_request_and_the_reply_invitation(engine):
    staged = round_in_stage(engine, Stage.review, parties=4)
    reviewer = next(local for local, person in staged.people.items() if len(person.reviews) >= 1)
    resent = resend_link(factory_context(engine), staged.round_id, who(engine, reviewer), ACTOR)
    assert resent.kind == "review_request" and resent.links == len(staged[reviewer].reviews)
    text, _ = text_and_html(outbox(engine, "review_request")[reviewer][0])
    for organisation, path in staged[reviewer].reviews.items():
        assert f"- {organisation}:\n  {PUBLIC_BASE_URL}{path}" in text

    commented = round_in_stage(engine, Stage.comment, parties=3, slug="comment-round")
    again = resend_link(factory_context(engine), commented.round_id, who(engine, "anna"), ACTOR)
    assert again.kind == "comment_invitation"
    text, _ = text_and_html(outbox(engine, "comment_invitation")["anna"][0])
    assert f"{PUBLIC_BASE_URL}{commented['anna'].reply}" in text


def test_a_link_is_not_sent_again_to_someone_withdrawn_without_one_or_whose_link_was_revoked(engine):
    staged = round_in_stage(engine, Stage.submission, parties=3)
    context, rid = factory_context(engine), staged.round_id
    anna, ben, cara = (who(engine, local) for local in ("anna", "ben", "cara"))
    withdraw_participant(context, rid, cara, ACTOR, "left")
    revoke_links(context, rid, ben, ACTOR, "forwarded")
    with Session(engine) as session:
        session.exec(select(Enrolment).where(Enrolment.participant_id == anna)).one().opted_out_at = clock.now()
        session.commit()
    reasons = {}
    for person in (ben, cara, 999_999):
        with pytest.raises(ResendRefused) as refused:
            resend_link(context, rid, person, ACTOR)
        reasons[person] = refused.value.reasons
    assert len(reasons[ben]) == 1 and reasons[ben][0].startswith(f"the link of participant {ben} was revoked on ")
    assert reasons[ben][0].endswith("UTC: a revoked link is not sent again (a reminder carries a new one)")
    assert len(reasons[cara]) == 1 and f"participant {cara} was withdrawn from staged-round on " in reasons[cara][0]
    assert reasons[999_999] == ["participant 999999 takes no part in staged-round"]

    drafted = round_in_stage(engine, Stage.draft, parties=1, slug="draft-round")
    with pytest.raises(ResendRefused) as early:
        resend_link(context, drafted.round_id, anna, ACTOR)
    assert early.value.reasons == [
        "round draft-round is in stage draft: personal links are sent in submission, review, consensus and comment"
    ]
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
    # Who stopped their reminders still gets their link again: the invitation is no reminder.
    assert resend_link(context, rid, anna, ACTOR).queued == 1


def test_a_link_past_its_expiry_or_never_issued_is_not_sent_again(engine):
    staged = round_in_stage(engine, Stage.review, parties=4, reviewers_per_party=1)
    context = factory_context(engine)
    idle = next(local for local, person in staged.people.items() if not person.reviews)
    with pytest.raises(ResendRefused) as nothing:
        resend_link(context, staged.round_id, who(engine, idle), ACTOR)
    assert nothing.value.reasons == [f"participant {who(engine, idle)} has no review to write in staged-round"]
    busy = next(local for local, person in staged.people.items() if person.reviews)
    with Session(engine) as session:
        late = session.get(Round, staged.round_id).review_deadline + timedelta(days=60)
    with freeze_time(late), pytest.raises(ResendRefused) as expired:
        resend_link(context, staged.round_id, who(engine, busy), ACTOR)
    assert all(" expired on " in reason for reason in expired.value.reasons) and expired.value.reasons


def test_failed_messages_are_queued_again_by_the_operation_and_one_that_is_not_failed_is_refused(engine):
    staged = round_in_stage(engine, Stage.submission, parties=1)
    with Session(engine) as session:
        enqueue_messages(session, [invitation_for(n) for n in range(3)], clock.now())
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        rows[0].state, rows[1].state = OutboxState.failed, OutboxState.failed
        ids = [row.id for row in rows]
        session.commit()
    with pytest.raises(ActionRefused) as sent:
        retry_failed_messages(engine, None, ACTOR, message_id=ids[2])
    assert sent.value.reasons == [f"message {ids[2]} is queued, not failed"]
    with pytest.raises(ActionRefused, match="no failed message with id 424242"):
        retry_failed_messages(engine, None, ACTOR, message_id=424242)
    one = retry_failed_messages(engine, None, ACTOR, message_id=ids[0])
    rest = retry_failed_messages(engine, None, ACTOR)
    assert one.ids == (ids[0],) and rest.ids == (ids[1],)
    assert retry_failed_messages(engine, staged.round_id, ACTOR).ids == ()
    with Session(engine) as session:
        assert {row.state for row in session.exec(select(OutboxMessage)).all()} == {OutboxState.queued}
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "failed messages requeued")).all()) == 2


def test_a_reviewer_is_swapped_by_participant_ids_and_an_unknown_id_is_refused(engine):
    staged = round_in_stage(engine, Stage.assignment, parties=4, reviewers_per_party=1)
    with Session(engine) as session:
        assignment = session.exec(select(ReviewAssignment).order_by(col(ReviewAssignment.id))).first()
        submission = session.get(Submission, assignment.submission_id)
        reviewer = session.get(Enrolment, assignment.reviewer_enrolment_id).participant_id
        owner = session.get(Enrolment, submission.enrolment_id).participant_id
        reviewing = set(session.exec(select(ReviewAssignment.reviewer_enrolment_id).where(
            ReviewAssignment.submission_id == submission.id)).all())  # fmt: skip
        other = session.exec(
            select(Enrolment.participant_id).where(
                Enrolment.round_id == staged.round_id,
                col(Enrolment.participant_id).not_in([reviewer, owner]),
                col(Enrolment.id).not_in(reviewing),
            )
        ).first()
    with pytest.raises(AssignmentRefused) as unknown:
        swap_reviewer_in_round(engine, staged.round_id, submission.id, reviewer, 999_999, ACTOR)
    assert unknown.value.reasons == ["participant 999999 takes no part in staged-round"]
    with pytest.raises(AssignmentRefused) as own:  # the rules of the round hold as from the command line
        swap_reviewer_in_round(engine, staged.round_id, submission.id, reviewer, owner, ACTOR)
    assert own.value.reasons
    swapped = swap_reviewer_in_round(engine, staged.round_id, submission.id, reviewer, other, ACTOR)
    with Session(engine) as session:
        now_reviewing = session.exec(
            select(Enrolment.participant_id)
            .join(ReviewAssignment, col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id)
            .where(ReviewAssignment.submission_id == submission.id)
        ).all()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "reviewer swapped")).one()
        emails = {p.id: p.email for p in session.exec(select(Participant)).all()}
    assert now_reviewing == [other] and swapped.added == emails[other] and swapped.removed == emails[reviewer]
    assert event.actor == ACTOR and event.details["submission"] == submission.id


def test_a_link_sent_again_in_the_consensus_is_its_invitation_with_the_submitted_reviews_only(engine):
    staged = round_in_stage(engine, Stage.review, reviewers_per_party=3, consensus_days=7, reviewed=["anna"])
    staged = bring_round_to(engine, staged.round_id, Stage.consensus, reviewed=["anna"])
    context = factory_context(engine)
    resent = resend_link(context, staged.round_id, who(engine, "anna"), ACTOR)
    assert (resent.stage, resent.kind, resent.links) == (Stage.consensus, "consensus_invitation", 3)
    text, _ = text_and_html(outbox(engine, "consensus_invitation")["anna"][-1])
    for organisation, path in staged["anna"].reviews.items():
        assert organisation in text and f"{PUBLIC_BASE_URL}{path}" in text  # the very links she holds
    with pytest.raises(ResendRefused) as refused:
        resend_link(context, staged.round_id, who(engine, "ben"), ACTOR)  # Ben submitted no review
    assert refused.value.reasons == [
        "participant {id} takes no part in the consensus of staged-round: they submitted no review".format(
            id=who(engine, "ben"))
    ]  # fmt: skip
