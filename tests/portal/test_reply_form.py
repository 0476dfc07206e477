"""The right of reply at /c/<token>: the party's draft findings, replies saved, sent, kept exactly, closed."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from review_model.tables import AccessToken
from review_model.vocabulary import TokenPurpose
from tests.portal.conftest import ANNA, SECRET

TYPED = "<b>\"Quote\" & 'apostrophe'</b>\r\nsecond line"  # as a browser sends a textarea's line break
STORED = "<b>\"Quote\" & 'apostrophe'</b>\nsecond line"
SHOWN = "&lt;b&gt;&#34;Quote&#34; &amp; &#39;apostrophe&#39;&lt;/b&gt;\nsecond line"


def test_the_party_sees_its_findings_and_the_peers_comments_escaped(replies):
    page = replies.world.client.get(replies.link)
    assert page.status_code == 200
    html = page.text
    assert "Ihre Stellungnahme zu den Ergebnissen" in html and "für Stadt Auenburg" in html
    assert "Testrunde" in html and "unverändert im veröffentlichten Bericht" in html
    assert f'<h2 id="h-s-reply-{replies.findings["rechtlich"]}">Rechtlich</h2>' in html
    # 1.5 is the traffic light's critical threshold: not critical, so not named "kritisch" (as the report counts it)
    assert "3,0 – unkritisch" in html and "1,5 – weitere Maßnahmen erforderlich" in html
    assert "−1,5" in html and "1,0 – erst am Anfang" in html  # the gap; the second scale's level
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kommentar zur Plattform" in html and "<script" not in html
    assert html.count("Kommentar zur Plattform") == 1
    assert f'name="reply-{replies.findings["technisch"]}"' in html and 'name="reply-general"' in html
    assert 'maxlength="10000"' in html and "Nordhaven" not in html
    english = replies.world.client.get(f"{replies.link}?lang=en").text
    assert "Your reply to the findings" in english and "Legal" in english and "1.5 – further measures needed" in english


def test_a_saved_draft_is_kept_and_shown_but_does_not_count(replies):
    field = f"reply-{replies.findings['rechtlich']}"
    response = replies.post({field: "Entwurf zu den rechtlichen Grundlagen", "reply-general": ""})
    assert response.status_code == 303 and response.headers["location"] == "?lang=de&done=saved"
    submission, stored = replies.stored()
    assert submission.reply_submitted_at is None
    assert stored == {replies.findings["rechtlich"]: "Entwurf zu den rechtlichen Grundlagen"}
    page = replies.world.client.get(f"{replies.link}?lang=de&done=saved").text
    assert "Ihr Entwurf ist gespeichert" in page and "\nEntwurf zu den rechtlichen Grundlagen</textarea>" in page


def test_a_sent_reply_is_stored_exactly_as_typed_and_shown_escaped(replies):
    calls: list[int] = []
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    app = create_app(settings, replies.world.engine, on_submission=calls.append)
    field = f"reply-{replies.findings['technisch']}"
    with TestClient(app, base_url="http://testserver") as client:
        csrf = replies.csrf()
        data = {"csrf": csrf, "action": "send", "lang": "de", field: TYPED, "reply-general": "\nInsgesamt fair."}
        response = client.post(replies.link, data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "?lang=de&done=sent"
    assert calls == [replies.world.round_id]
    submission, stored = replies.stored()
    assert submission.reply_submitted_at is not None
    assert stored == {replies.findings["technisch"]: STORED, None: "\nInsgesamt fair."}
    page = replies.world.client.get(f"{replies.link}?lang=de&done=sent").text
    assert "Ihre Stellungnahme ist eingegangen" in page
    assert f">\n{SHOWN}</textarea>" in page and "<b>" not in page
    assert ">\n\nInsgesamt fair.</textarea>" in page  # a leading line break survives the HTML parser
    later = replies.world.client.get(replies.link).text
    assert "Ihre Stellungnahme wurde am" in later and 'value="save"' not in later


def test_an_empty_text_removes_a_reply(replies):
    field = f"reply-{replies.findings['rechtlich']}"
    assert replies.post({field: "Erst so", "reply-general": "Allgemein"}).status_code == 303
    assert replies.post({field: "  \r\n ", "reply-general": "Allgemein"}, action="send").status_code == 303
    submission, stored = replies.stored()
    assert stored == {None: "Allgemein"} and submission.reply_submitted_at is not None


def test_a_reply_to_another_partys_finding_is_refused(replies):
    for field in (f"reply-{replies.findings['ben']}", "reply-999999", "reply-x"):
        response = replies.post({field: "Fremd", "reply-general": "Allgemein"})
        assert response.status_code == 404 and "nicht gültig" in response.text
    assert replies.stored()[1] == {}


def test_unknown_fields_are_ignored_and_too_long_a_reply_keeps_what_was_typed(replies):
    assert replies.post({"reply-general": "Kurz", "something-else": "x"}).status_code == 303
    field = f"reply-{replies.findings['technisch']}"
    response = replies.post({"reply-general": "Geändert", field: "x" * 10_001})
    assert response.status_code == 422
    assert "höchstens 10000 Zeichen" in response.text and "\nGeändert</textarea>" in response.text
    assert "x" * 10_001 in response.text
    assert replies.stored()[1] == {None: "Kurz"}  # nothing of the refused form was kept


def test_a_nul_byte_in_a_reply_is_refused_with_the_typed_text_kept(replies):
    assert replies.post({"reply-general": "Kurz"}).status_code == 303
    field = f"reply-{replies.findings['technisch']}"
    response = replies.post({"reply-general": "Geändert", field: "vor\x00nach"}, action="send")
    assert response.status_code == 422 and "unzulässiges Steuerzeichen" in response.text
    assert f'id="e-{field}"' in response.text and f'<a href="#f-{field}">' in response.text  # the summary links it
    assert "\nvor\ufffdnach</textarea>" in response.text and "\nGeändert</textarea>" in response.text
    assert "\x00" not in response.text
    submission, stored = replies.stored()
    assert stored == {None: "Kurz"} and submission.reply_submitted_at is None


def test_a_post_without_csrf_or_from_elsewhere_is_forbidden(replies):
    client = replies.world.client
    response = client.post(replies.link, data={"action": "send", "reply-general": "x"}, follow_redirects=False)
    assert response.status_code == 403
    response = replies.post({"reply-general": "x"}, origin="https://evil.example")
    assert response.status_code == 403
    submission, stored = replies.stored()
    assert stored == {} and submission.reply_submitted_at is None


def test_after_the_deadline_the_page_is_read_only_and_a_late_post_is_refused(replies):
    assert replies.post({"reply-general": "Gesendet"}, action="send").status_code == 303
    csrf = replies.csrf()
    replies.move_deadline(datetime.now(UTC) - timedelta(minutes=1))
    page = replies.world.client.get(replies.link)
    assert page.status_code == 200 and "Stellungnahmen sind nicht mehr möglich" in page.text
    assert "<textarea" not in page.text and 'value="send"' not in page.text
    assert '<p class="reply-text" id="f-reply-general">Gesendet</p>' in page.text
    data = {"csrf": csrf, "action": "send", "reply-general": "Zu spät"}
    late = replies.world.client.post(replies.link, data=data, follow_redirects=False)
    assert late.status_code == 409 and "inzwischen abgelaufen" in late.text and "Zu spät" in late.text
    assert replies.stored()[1] == {None: "Gesendet"}


def test_an_unsent_draft_is_marked_as_not_counting_once_closed(replies):
    assert replies.post({"reply-general": "Nur Entwurf"}).status_code == 303
    replies.move_deadline(datetime.now(UTC) - timedelta(minutes=1))
    page = replies.world.client.get(replies.link).text
    assert "nicht abgesendet und erscheint nicht im Bericht" in page


def test_a_wrong_expired_or_other_purpose_link_is_refused(replies):
    client = replies.world.client
    assert client.get("/c/" + "A" * 43).status_code == 404
    assert client.get("/c/short").status_code == 404
    assert client.get(replies.link.replace("/c/", "/a/")).status_code == 404  # a reply token opens no form
    anna_form_token = replies.world.form(ANNA).removeprefix("/a/")
    assert client.get(f"/c/{anna_form_token}").status_code == 404  # nor a form token a reply
    with Session(replies.world.engine) as session:
        for access in session.exec(select(AccessToken).where(AccessToken.purpose == TokenPurpose.reply)):
            access.expires_at = datetime.now(UTC) - timedelta(days=1)
        session.commit()
    expired = client.get(replies.link)
    assert expired.status_code == 410 and "gs@peer-review.example" in expired.text
