"""A round's email pages in the console, without Prefect: every kind of message previewed in both languages
(before launch too) with personal links that open nothing, the HTML part on its own strict page, the outbox
with the failed messages and the server's reply, the pages that ask before sending again, the message to a
group from its filter to its preview to its send, with nothing typed lost on a refusal, and an observer who
reads but changes nothing.

The coordinator operations are recorded here, not run (tests/workflows/test_console_email.py runs them)."""

import re
from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import compose_message
from notifications.delivery import run_delivery
from notifications.dev_mail_server import DevMailServer
from notifications.message_kinds import MESSAGE_KINDS, Invitation
from notifications.outbox import enqueue_messages
from portal.console.email_pages import EMAIL_POLICY
from review_model import clock
from review_model.group_messages import GroupMessageRefused
from review_model.people_filter import PeopleFilter, PersonState, Role
from review_model.questionnaire import Text
from review_model.refusals import Reason
from review_model.tables import OutboxMessage, Participant, Round
from review_model.vocabulary import OutboxState, Stage
from tests.support.answers import HOSTILE
from tests.support.console import RecordedActions, console_client, console_in_browser, windows_at_every_width
from tests.support.outgoing_mail import ENVELOPE_FROM, SENDER, fast_options, smtp_for
from tests.support.staff import COORDINATOR, OBSERVER, console_post, form_csrf, round_staff
from tests.support.staged_rounds import StagedRound, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/staged-round"
EMAIL = f"{ROUND}/email"
OUTBOX = f"{EMAIL}/outbox"
MESSAGE = f"{EMAIL}/message"
TOKEN = re.compile(r"/[arc]/[A-Za-z0-9_-]{43}")
BEN = "ben@nordhaven.example"


def staged(engine: Engine, stage: Stage) -> StagedRound:
    round_ = round_in_stage(engine, stage)
    round_staff(engine, round_.slug)
    return round_


def main_of(page: str) -> str:
    return page.split('<main id="main">')[1]


def test_every_kind_is_previewed_in_both_languages_before_launch_with_links_that_open_nothing(
    engine: Engine, actions: RecordedActions
):
    staged(engine, Stage.draft)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        page = client.get(EMAIL)
        german = client.get(f"{EMAIL}?lang=de")
    assert page.status_code == 200
    main = main_of(page.text)
    sections = re.findall(r'<h2 id="kind-(\w+)">', main)
    assert sections == list(MESSAGE_KINDS)
    # Each kind in German and in English: subject, text and a link to its HTML part.
    for kind in MESSAGE_KINDS:
        section = main.split(f'id="kind-{kind}"')[1].split("</section>")[0]
        assert section.count('<pre class="email-text" lang="de">') == 1
        assert section.count('<pre class="email-text" lang="en">') == 1
        for language in ("de", "en"):
            assert f'href="{EMAIL}/preview/{kind}/{language}"' in section
    invitation = main.split('id="kind-invitation"')[1].split("</section>")[0]
    # A real person of the round, the round's own questionnaire, and the link without its token.
    assert "Anna Keller &lt;anna@auenburg.example&gt; (Stadt Auenburg)" in invitation
    assert "Einladung zur Selbsteinschätzung" in invitation and "Invitation to the self-assessment" in invitation
    assert "http://testserver/a/…" in invitation
    assert "Guten Tag Anna Keller" in invitation or "Anna Keller," in invitation
    review = main.split('id="kind-review_request"')[1].split("</section>")[0]
    assert "http://testserver/r/…" in review and "Bitte um Peer Review" in review
    digest = main.split('id="kind-status_digest"')[1].split("</section>")[0]
    assert "Statusbericht" in digest and "Status:" in digest
    assert not TOKEN.search(main)
    german_main = main_of(german.text)
    assert "<h1>E-Mail-Vorschau</h1>" in german_main and "Einladung zur Selbsteinschätzung</h2>" in german_main


def test_the_html_part_is_served_alone_under_a_policy_that_runs_nothing(engine: Engine, actions: RecordedActions):
    staged(engine, Stage.submission)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        english = client.get(f"{EMAIL}/preview/reminder/en")
        german = client.get(f"{EMAIL}/preview/reminder/de")
        unknown = client.get(f"{EMAIL}/preview/no_such_kind/en")
        french = client.get(f"{EMAIL}/preview/reminder/fr")
        client.cookies.clear()
        anonymous = client.get(f"{EMAIL}/preview/reminder/en", follow_redirects=False)
    assert english.status_code == 200 and english.headers["content-security-policy"] == EMAIL_POLICY
    assert "script-src" not in EMAIL_POLICY and "sandbox" in EMAIL_POLICY
    assert '<html lang="en">' in english.text and "Reminder (1/" in english.text and "/a/…" in english.text
    assert '<html lang="de">' in german.text and "Erinnerung (1/" in german.text
    assert not TOKEN.search(english.text + german.text)
    assert unknown.status_code == 404 and french.status_code == 404
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")


def _failed_messages(engine: Engine, staged_round: StagedRound) -> tuple[int, int]:
    """An invitation to Ben that the server refused (550), and one that could not be built: their ids."""
    with Session(engine) as session:
        round_ = session.get(Round, staged_round.round_id)
        ben = session.exec(select(Participant).where(Participant.email == BEN)).one()
        assert round_ is not None
        content = Invitation("http://testserver/a/x", round_.submission_deadline, Text(de="Fragen", en="Q"), 3)
        refused = compose_message(content, recipient_for(ben, None), round_context(round_), SENDER,
                                  stage="invitation", now=clock.now())  # fmt: skip
        unbuildable = compose_message(content, recipient_for(ben, None), round_context(round_), SENDER,
                                      stage="invitation", now=clock.now(), sequence=1)  # fmt: skip
        unbuildable = replace(unbuildable, payload=b"", error=f"template failed {HOSTILE}")
        enqueue_messages(session, [refused, unbuildable], clock.now())
        session.commit()
    with DevMailServer() as server:
        server.catcher.fail(BEN, 550, f"5.1.1 No such mailbox {HOSTILE}")
        run_delivery(engine, smtp_for(server), ENVELOPE_FROM, fast_options())
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        assert [row.state for row in rows] == [OutboxState.failed, OutboxState.failed]
        return rows[0].id, rows[1].id  # type: ignore[return-value]


def test_the_outbox_counts_by_state_and_lists_the_failed_with_the_servers_reply(
    engine: Engine, actions: RecordedActions
):
    staged_round = staged(engine, Stage.submission)
    refused, unbuildable = _failed_messages(engine, staged_round)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        page = client.get(OUTBOX)
        german = client.get(f"{OUTBOX}?lang=de")
    main = main_of(page.text)
    assert page.status_code == 200
    assert re.search(r'<th scope="row">failed</th><td class="number" data-column="Messages">2</td>', main)
    assert re.search(r'<th scope="row">sent</th><td class="number" data-column="Messages">0</td>', main)
    row = main.split(f'id="message-{refused}"')[1].split("</tr>")[0]
    assert BEN in row and "Invitation to the self-assessment" in row and ">1</td>" in row
    assert "550" in row and "No such mailbox &lt;script&gt;" in row and "<script>" not in main
    assert "queued " in row and "last tried " in row
    assert f'href="{OUTBOX}/retry?message={refused}"' in row
    built_not = main.split(f'id="message-{unbuildable}"')[1].split("</tr>")[0]
    assert "Could not be built" in built_not and "retry?message" not in built_not
    assert f'href="{OUTBOX}/retry"' in main
    assert "Fehlgeschlagene Nachrichten" in german.text and "fehlgeschlagen" in german.text


def test_the_outbox_says_when_it_lists_only_the_newest_failed_messages(
    engine: Engine, actions: RecordedActions, monkeypatch: pytest.MonkeyPatch
):
    refused, unbuildable = _failed_messages(engine, staged(engine, Stage.submission))
    monkeypatch.setattr("portal.console.email_pages.FAILED_SHOWN", 1)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        main = main_of(client.get(OUTBOX).text)
    assert f'id="message-{unbuildable}"' in main and f'id="message-{refused}"' not in main
    assert "The newest 1 failed messages are listed; 1 older ones are not" in main


def test_sending_again_asks_first_then_runs_the_operation_for_one_or_all(engine: Engine, actions: RecordedActions):
    staged_round = staged(engine, Stage.submission)
    refused, unbuildable = _failed_messages(engine, staged_round)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        every = main_of(client.get(f"{OUTBOX}/retry").text)
        one = main_of(client.get(f"{OUTBOX}/retry?message={refused}").text)
        not_sendable = main_of(client.get(f"{OUTBOX}/retry?message={unbuildable}").text)
        assert actions.calls == []  # asking changes nothing
        all_sent = console_post(client, f"{OUTBOX}/retry")
        one_sent = console_post(client, f"{OUTBOX}/retry", page_path=f"{OUTBOX}/retry?message={refused}",
                                message=str(refused))  # fmt: skip
        after = client.get(OUTBOX).text
        garbled = console_post(client, f"{OUTBOX}/retry", message="1; all")  # never all for one asked for
        refusal = client.get(OUTBOX).text
    assert garbled.status_code == 303 and "Message 1; all is not a failed message of this round" in refusal
    assert "1 failed message is queued again" in every and "<button" in every
    assert BEN in one and f'name="message" value="{refused}"' in one and "Send it again</button>" in one
    assert "is not a failed message of this round that can be sent again" in not_sendable
    assert '<button type="submit">' not in not_sendable
    assert all_sent.status_code == 303 and all_sent.headers["location"] == OUTBOX
    assert one_sent.status_code == 303 and "Queued again." in after
    assert actions.calls == [
        ("retry_failed", (staged_round.round_id, "staged-round", None, f"{COORDINATOR} (console)", "en"), {}),
        ("retry_failed", (staged_round.round_id, "staged-round", refused, f"{COORDINATOR} (console)", "en"), {}),
    ]


TYPED = {
    "roles": "respondent",
    "states": "not_submitted",
    "subject_de": f"Hinweis zur Frist {HOSTILE}",
    "body_de": "die Frist endet bald.\r\n\r\nZweiter Absatz",
    "subject_en": "A note on the deadline",
    "body_en": "the deadline is near.",
}


def test_a_message_to_a_group_is_previewed_with_its_count_and_words_then_sent(engine: Engine, actions: RecordedActions):
    staged_round = staged(engine, Stage.submission)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        form = client.get(MESSAGE)
        assert form.status_code == 200
        for name, value in (("roles", "respondent"), ("kinds", "kommune"), ("lands", "BY"), ("states", "submitted")):
            assert f'id="{name}-{value}" name="{name}" value="{value}"' in form.text
        preview = client.post(f"{MESSAGE}/preview", data={"csrf": form_csrf(form.text), **TYPED})
        assert actions.calls == []  # a preview sends nothing
        main = main_of(preview.text)
        assert preview.status_code == 200
        assert "To: respondents who have not submitted" in main and "<strong>4 recipients</strong>" in main
        assert "The filter’s choices combine with AND, as the words above say." in main
        assert "As Dora Roth reads it (German)" in main and "As Ben Hansen reads it (English)" in main
        assert "Hinweis zur Frist &lt;script&gt;" in main and "<script>" not in main
        assert "http://testserver/a/…" in main and not TOKEN.search(main)
        assert "Send to 4 people</button>" in main
        hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', main))
        assert hidden["roles"] == "respondent" and hidden["states"] == "not_submitted"
        sent = client.post(f"{MESSAGE}/send", data={**TYPED, "csrf": hidden["csrf"]}, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == OUTBOX
        assert "Message queued." in client.get(OUTBOX).text
    ((name, args, kwargs),) = actions.calls
    assert name == "message_group" and kwargs == {}
    assert args == (
        staged_round.round_id, "staged-round",
        PeopleFilter(roles=frozenset({Role.respondent}), states=frozenset({PersonState.not_submitted})),
        TYPED["subject_de"], TYPED["body_de"], TYPED["subject_en"], TYPED["body_en"],
        f"{COORDINATOR} (console)", "en",
    )  # fmt: skip


def test_nothing_typed_is_lost_when_the_preview_or_the_send_is_refused(engine: Engine):
    staged(engine, Stage.submission)
    refusal = GroupMessageRefused([Reason("nobody in round {slug} matches the filter", slug="staged-round")])
    actions = RecordedActions(refusals={"message_group": refusal})
    typed = {"kinds": "unternehmen", "lands": "BY", "subject_de": "Nur ein Betreff", "body_en": "Text only"}
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        csrf = form_csrf(client.get(MESSAGE).text)
        refused = client.post(f"{MESSAGE}/preview", data={"csrf": csrf, **typed})
        send_refused = client.post(f"{MESSAGE}/send", data={"csrf": csrf, **TYPED, "kinds": "kommune"})
        again = client.post(f"{MESSAGE}/edit", data={"csrf": csrf, **TYPED})
    assert refused.status_code == 422
    main = main_of(refused.text)
    # Every reason, in the staff member's language, and the form as typed.
    assert "Nichts wurde gesendet:" in main
    assert "die Nachricht auf Deutsch hat keinen Text" in main
    assert "die Nachricht auf Englisch hat keinen Betreff" in main
    assert "in Runde staged-round passt niemand auf den Filter" in main
    assert 'value="Nur ein Betreff"' in main and ">Text only</textarea>" in main
    assert 'value="unternehmen" checked' in main and 'value="BY" checked' in main
    assert send_refused.status_code == 422
    sent_main = main_of(send_refused.text)
    assert "in Runde staged-round passt niemand auf den Filter" in sent_main
    assert "Hinweis zur Frist &lt;script&gt;" in sent_main and 'value="kommune" checked' in sent_main
    assert again.status_code == 200 and ">die Frist endet bald." in main_of(again.text)
    assert [name for name, _args, _kwargs in actions.calls] == ["message_group"]


def test_an_observer_reads_the_email_pages_and_every_post_is_refused(engine: Engine, actions: RecordedActions):
    staged_round = staged(engine, Stage.submission)
    refused, _unbuildable = _failed_messages(engine, staged_round)
    with console_client(engine, actions=actions, logged_in_as=OBSERVER) as client:
        previews = client.get(EMAIL)
        outbox = client.get(OUTBOX)
        message = client.get(MESSAGE)
        retry = client.get(f"{OUTBOX}/retry")
        csrf = form_csrf(previews.text)  # the logout form's: a valid token of this session
        posts = [
            client.post(f"{OUTBOX}/retry", data={"csrf": csrf}),
            client.post(f"{OUTBOX}/retry", data={"csrf": csrf, "message": str(refused)}),
            client.post(f"{MESSAGE}/preview", data={"csrf": csrf, **TYPED}),
            client.post(f"{MESSAGE}/send", data={"csrf": csrf, **TYPED}),
            client.post(f"{MESSAGE}/edit", data={"csrf": csrf, **TYPED}),
        ]
    assert previews.status_code == outbox.status_code == message.status_code == retry.status_code == 200
    assert "/retry" not in main_of(outbox.text) and "550" in outbox.text
    assert "<textarea" not in message.text and "not change anything" in message.text
    assert '<button type="submit">' not in main_of(retry.text)
    assert [post.status_code for post in posts] == [403] * 5
    assert actions.calls == []


def test_a_round_the_person_is_not_named_for_is_not_found(engine: Engine, actions: RecordedActions):
    staged(engine, Stage.submission)
    round_in_stage(engine, Stage.submission, slug="other-round")
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        answers = [client.get(f"/console/rounds/other-round/email{tail}").status_code
                   for tail in ("", "/outbox", "/message", "/preview/invitation/de", "/outbox/retry")]  # fmt: skip
    assert answers == [404] * 5


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_the_outbox_with_failures_and_the_message_form_and_preview_pass_axe(engine: Engine, chromium, database_url):
    """The pages the console sweep cannot reach by address alone: the outbox listing failed messages, and the
    message form (shown with operations to run) and its preview (a POST), at both widths in both languages."""
    from tests.support.browser import require_axe
    from tests.support.staff import page_problems

    script = require_axe()
    staged_round = staged(engine, Stage.submission)
    _failed_messages(engine, staged_round)
    found: dict[str, list[str]] = {}
    recorded = RecordedActions()
    with console_in_browser(engine, chromium, actions=recorded) as (base, browser):
        for language in ("de", "en"):
            for width_name, width, page in windows_at_every_width(browser, base, COORDINATOR, language):
                for name, path in (("outbox", OUTBOX), ("retry one", f"{OUTBOX}/retry?message=1"), ("form", MESSAGE)):
                    page.goto(base + path)
                    found[f"{name} ({language}) at {width_name}"] = page_problems(page, script, width)
                page.check("#roles-respondent")
                page.fill("#subject_de", "Hinweis zur Frist")
                page.fill("#body_de", "die Frist endet bald.\n\nZweiter Absatz")
                page.fill("#subject_en", "A note on the deadline")
                page.fill("#body_en", "the deadline is near.")
                page.click("form[action$='/email/message/preview'] button[type=submit]")
                page.wait_for_url(f"{base}{MESSAGE}/preview")
                assert page.locator(".recipients").count() == 1
                found[f"preview ({language}) at {width_name}"] = page_problems(page, script, width)
                page.click("button[formaction$='/email/message/edit']")
                page.wait_for_url(f"{base}{MESSAGE}/edit")
                assert page.input_value("#subject_de") == "Hinweis zur Frist"  # nothing typed is lost
                assert page.input_value("#body_de") == "die Frist endet bald.\n\nZweiter Absatz"
                found[f"form again ({language}) at {width_name}"] = page_problems(page, script, width)
                page.click("form[action$='/email/message/preview'] button[type=submit]")
                page.click("form[action$='/email/message/send'] button[type=submit]:not([formaction])")
                page.wait_for_url(f"{base}{OUTBOX}")
    assert {page: problems for page, problems in found.items() if problems} == {}
    # The text went from the form through the preview's hidden fields to the operation, paragraphs and all.
    sent = [args for name, args, _kwargs in recorded.calls if name == "message_group"]
    assert len(sent) == 4 and {args[4].replace("\r\n", "\n") for args in sent} == {
        "die Frist endet bald.\n\nZweiter Absatz"
    }
