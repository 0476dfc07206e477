"""Every kind of message, in both languages, through a real SMTP server."""

import email
import email.policy
import re
from datetime import UTC, timedelta

import pytest
from sqlmodel import Session

from config.catalogs import read_catalog
from notifications.compose import Recipient, compose_message
from notifications.delivery import run_delivery
from notifications.message_kinds import (
    MESSAGE_KINDS,
    CommentInvitation,
    ConsensusInvitation,
    ConsensusReminder,
    ConsensusTask,
    CoordinatorMessage,
    DeadlineExtended,
    HandoverConfirmation,
    HandoverInvitation,
    Invitation,
    JointAssessmentSubmitted,
    PersonalLink,
    QuestionAnswered,
    QuestionReminder,
    QuestionsAsked,
    Reminder,
    ReplyReceipt,
    ReplyReminder,
    ReportPublished,
    ReviewReceipt,
    ReviewReminder,
    ReviewRequest,
    ReviewTask,
    StageClosed,
    StatusDigest,
    SubmissionReceipt,
    SummaryAnswer,
    SummarySection,
)
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.questionnaire import Text
from review_model.reminder_opt_out import REMINDER_KINDS
from review_model.tables import Organisation, Participant
from review_model.vocabulary import Language, OrganisationKind
from tests.support.calendar_entries import CALENDAR_KINDS, attachments, event_in
from tests.support.outgoing_mail import DEADLINE, ENVELOPE_FROM, NOW, ROUND, SENDER, fast_options, smtp_for

HOSTILE = "<script>alert(1)</script>"
LINK = "http://127.0.0.1:8000/f/Zm9vYmFy"
STOP = "https://peer-review.example/reminders/c3RvcHBlZA"
LANGUAGES = ("de", "en")

SAMPLES = {
    "invitation": Invitation(LINK, DEADLINE, Text(de="Selbsteinschätzung", en="Self-assessment"), 27),
    "handover_invitation": HandoverInvitation(
        LINK, DEADLINE, Text(de="Selbsteinschätzung", en="Self-assessment"), 27, f"Anna {HOSTILE}", 2
    ),
    "handover_confirmation": HandoverConfirmation("Lena Keller", "lena@auenburg.example", NOW, DEADLINE, LINK),
    "reminder": Reminder(LINK, DEADLINE, 2, 3, 3, True, STOP),
    "submission_receipt": SubmissionReceipt(
        LINK, 2, NOW, DEADLINE, (SummarySection("Mobilität", (SummaryAnswer("Ziele", f"Stufe 3 {HOSTILE}"),)),)
    ),
    "stage_closed": StageClosed("submission", DEADLINE, True, "assignment"),
    "deadline_extended": DeadlineExtended(LINK, DEADLINE, NOW),
    "review_request": ReviewRequest(DEADLINE, (ReviewTask(f"Stadt {HOSTILE}", LINK),)),
    "review_reminder": ReviewReminder(DEADLINE, 1, 2, 1, (ReviewTask("Stadt Elbstein", LINK),), STOP),
    "review_receipt": ReviewReceipt("Stadt Elbstein", NOW, LINK, DEADLINE),
    "consensus_invitation": ConsensusInvitation(
        DEADLINE, (ConsensusTask(f"Stadt {HOSTILE}", LINK, True, 3), ConsensusTask("Stadt Elbstein", LINK, False, 1))
    ),
    "consensus_reminder": ConsensusReminder(
        DEADLINE, 1, 2, 1, (ConsensusTask("Stadt Elbstein", LINK, False, 1),), STOP
    ),
    "joint_assessment_submitted": JointAssessmentSubmitted("Stadt Elbstein", LINK, DEADLINE),
    "comment_invitation": CommentInvitation(LINK, DEADLINE, 24, 5),
    "reply_reminder": ReplyReminder(LINK, DEADLINE, 1, 2, 3, STOP),
    "reply_receipt": ReplyReceipt(LINK, NOW, DEADLINE, 2),
    "questions_asked": QuestionsAsked(LINK, DEADLINE, 2),
    "question_answered": QuestionAnswered("Stadt Elbstein", LINK, DEADLINE),
    "question_reminder": QuestionReminder(LINK, DEADLINE, 1, 3, 2, 1, STOP),
    "report_published": ReportPublished(LINK, NOW, 12),
    "status_digest": StatusDigest("submission", DEADLINE, 4, {"invited": 30, "submitted": 12, "bounced": 1}, 1),
    # What the coordinator wrote, in the language the reader gets it in.
    "coordinator_message": {
        "de": CoordinatorMessage(
            "Hinweis zur Frist",
            f"die Frist endet am 15. März.\nBitte {HOSTILE} beachten.\n\nZweiter Absatz & Schluss",
            (PersonalLink("self_assessment", LINK),),
        ),
        "en": CoordinatorMessage(
            "A note on the deadline",
            f"the deadline is 15 March.\nPlease mind {HOSTILE}.\n\nSecond paragraph & end",
            (PersonalLink("self_assessment", LINK),),
        ),
    },
}


def sample(kind: str, language: str):
    """The sample of a kind for a reader of `language` (the coordinator's message is written per language)."""
    content = SAMPLES[kind]
    return content[language] if isinstance(content, dict) else content


# A word each language's message must contain, to show it was written in that language.
SIGNS = {"de": ("Guten Tag", "März", "Mit freundlichen Grüßen"), "en": ("Dear", "March", "Kind regards")}
# Per kind, part of the subject and sentences of the body, in each language, as the samples above read.
KEY_SENTENCES = {
    "invitation": {
        "de": ("Einladung zur Selbsteinschätzung: Frühjahrsrunde 2027",
               "Bitte füllen Sie den Fragebogen „Selbsteinschätzung“ (27 Fragen) für Ihre Organisation aus.",
               "Einsendeschluss: Montag, 15. März 2027"),
        "en": ("Invitation to the self-assessment: Spring round 2027",
               'Please complete the questionnaire "Self-assessment" (27 questions) for your organisation.',
               "Deadline: Monday 15 March 2027"),
    },
    "handover_invitation": {
        "de": ("Die Selbsteinschätzung wurde Ihnen übergeben: Frühjahrsrunde 2027",
               "Ab jetzt beantworten Sie den Fragebogen „Selbsteinschätzung“ für Ihre Organisation.",
               "Die bisher eingereichten Antworten (Fassung 2) gehen mit dem Formular über",
               "Einsendeschluss: Montag, 15. März 2027"),
        "en": ("The self-assessment was handed over to you: Spring round 2027",
               'From now on you answer the questionnaire "Self-assessment" for your organisation.',
               "The answers submitted so far (version 2) come with the form", "Deadline: Monday 15 March 2027"),
    },
    "handover_confirmation": {
        "de": ("Sie haben die Selbsteinschätzung übergeben: Frühjahrsrunde 2027",
               "an Lena Keller (lena@auenburg.example) übergeben",
               "Ihr eigener Link öffnet das Formular weiterhin, wie es die Regeln dieser Runde vorsehen."),
        "en": ("You handed the self-assessment over: Spring round 2027",
               "over to Lena Keller (lena@auenburg.example)",
               "Your own link still opens the form, as the rules of this round provide."),
    },
    "reminder": {
        "de": ("Erinnerung (2/3): noch 3 Tage für Ihre Selbsteinschätzung",
               "dies ist Erinnerung 2 von 3: Ihre Selbsteinschätzung für „Frühjahrsrunde 2027“ liegt uns noch nicht "
               "vor. Ihr gespeicherter Entwurf wartet auf Sie.", "(noch 3 Tage)"),
        "en": ("Reminder (2/3): 3 days left for your self-assessment",
               'this is reminder 2 of 3: we have not yet received your self-assessment for "Spring round 2027". '
               "Your saved draft is waiting for you.", "(3 days left)"),
    },
    "submission_receipt": {
        "de": ("Eingangsbestätigung: Ihre Selbsteinschätzung (Fassung 2)", "Ihre Angaben im Überblick",
               "Sie können Ihre Angaben bis Montag, 15. März 2027, 18:00 Uhr (MEZ)"),
        "en": ("Receipt: your self-assessment (version 2)", "Your answers at a glance",
               "You can change your answers until Monday 15 March 2027, 18:00 (CET)"),
    },
    "stage_closed": {
        "de": ("Abgeschlossen: Phase „Selbsteinschätzung“ – Frühjahrsrunde 2027",
               "Vielen Dank für Ihren Beitrag; er ist vollständig bei uns eingegangen.",
               "Als Nächstes folgt die Phase „Zuordnung der Gutachter“."),
        "en": ("Closed: the self-assessment stage of Spring round 2027",
               "Thank you for your contribution; we received all of it.",
               "Next comes the reviewer assignment stage."),
    },
    "deadline_extended": {
        "de": ("Frist verlängert bis Montag, 15. März 2027: Frühjahrsrunde 2027",
               "die Frist für Ihre Selbsteinschätzung zu „Frühjahrsrunde 2027“ ist verlängert worden: statt"),
        "en": ("Deadline extended to Monday 15 March 2027: Spring round 2027",
               'the deadline for your self-assessment for "Spring round 2027" has been extended: instead of'),
    },
    "review_request": {
        "de": ("Bitte um Peer Review: 1 Selbsteinschätzung – Frühjahrsrunde 2027",
               "Ihre Begutachtung bleibt vertraulich: Die begutachtete Organisation erfährt nicht, wer sie "
               "begutachtet hat.", "Frist: Montag, 15. März 2027"),
        "en": ("Peer review request: 1 self-assessment – Spring round 2027",
               "Your review stays confidential: the reviewed organisation does not learn who reviewed it.",
               "Deadline: Monday 15 March 2027"),
    },
    "review_reminder": {
        "de": ("Erinnerung (1/2): noch 1 Tag für Ihr Peer Review",
               "dies ist Erinnerung 1 von 2: Folgende Begutachtungen für „Frühjahrsrunde 2027“ stehen noch aus:",
               "(noch 1 Tag)"),
        "en": ("Reminder (1/2): 1 day left for your peer review",
               'this is reminder 1 of 2: these reviews for "Spring round 2027" are still open:', "(1 day left)"),
    },
    "review_receipt": {
        "de": ("Eingangsbestätigung: Ihr Peer Review zu Stadt Elbstein",
               "vielen Dank: Ihre Begutachtung von Stadt Elbstein ist am Samstag, 20. Februar 2027"),
        "en": ("Receipt: your peer review of Stadt Elbstein",
               "thank you: we received your review of Stadt Elbstein on Saturday 20 February 2027"),
    },
    "consensus_invitation": {
        "de": ("Konsensfindung der Gutachter:innen – Frühjahrsrunde 2027",
               "Sie sind federführend und schreiben die gemeinsame Bewertung; 3 strittige Punkte",
               "Stadt Elbstein: 1 strittiger Punkt", "Frist: Montag, 15. März 2027"),
        "en": ("Consensus among the reviewers – Spring round 2027",
               "you are the lead reviewer and write the joint assessment; 3 points to discuss",
               "Stadt Elbstein: 1 point to discuss", "Deadline: Monday 15 March 2027"),
    },
    "consensus_reminder": {
        "de": ("Erinnerung (1/2): noch 1 Tag für die Konsensfindung",
               "Stadt Elbstein: der gemeinsamen Bewertung zustimmen oder sie kommentieren", "(noch 1 Tag)"),
        "en": ("Reminder (1/2): 1 day left for the",
               "Stadt Elbstein: endorse the joint assessment or comment on it", "(1 day left)"),
    },
    "joint_assessment_submitted": {
        "de": ("Gemeinsame Bewertung von Stadt Elbstein: bitte zustimmen oder kommentieren",
               "die federführende Gutachter:in hat die gemeinsame Bewertung von Stadt Elbstein abgesendet."),
        "en": ("Joint assessment of Stadt Elbstein: please endorse or comment",
               "the lead reviewer has submitted the joint assessment of Stadt Elbstein."),
    },
    "comment_invitation": {
        "de": ("Ihre Stellungnahme: Entwurf der Ergebnisse zu Stadt Auenburg",
               "für Ihre Organisation liegt vor: 24 Befunde und 5 Empfehlungsentwürfe.",
               "Sie haben das Recht zur Stellungnahme."),
        "en": ("Your right of reply: draft findings on Stadt Auenburg",
               "for your organisation are ready: 24 findings and 5 draft recommendations.",
               "You have the right of reply."),
    },
    "reply_reminder": {
        "de": ("Erinnerung (1/2): noch 3 Tage für Ihre Stellungnahme", "Eine Stellungnahme ist freiwillig."),
        "en": ("Reminder (1/2): 3 days left for your reply", "A reply is voluntary."),
    },
    "reply_receipt": {
        "de": ("Eingangsbestätigung: Ihre Stellungnahme zu „Frühjahrsrunde 2027“",
               "vielen Dank: Ihre Stellungnahme (2 Abschnitte) ist am"),
        "en": ('Received: your reply on "Spring round 2027"', "thank you: we received your reply (2 parts) on"),
    },
    "questions_asked": {
        "de": ("Fragen der Gutachter:innen: „Frühjahrsrunde 2027“",
               "haben Fragen an Ihre Organisation (2 Fragen warten auf eine Antwort).",
               "wer gefragt hat, erfahren Sie nicht.", "Antworten können bis Montag, 15. März 2027"),
        "en": ('Questions from the reviewers: "Spring round 2027"',
               "have questions for your organisation (2 questions waiting for an answer).",
               "you do not learn who asked.", "Answers can be given and changed until Monday 15 March 2027"),
    },
    "question_answered": {
        "de": ("Antworten von Stadt Elbstein auf Ihre Fragen",
               "hat Ihre Fragen zu ihrer Selbsteinschätzung beantwortet.", "Frist: Montag, 15. März 2027"),
        "en": ("Answers from Stadt Elbstein to your questions",
               "has answered your questions about its self-assessment.", "Deadline: Monday 15 March 2027"),
    },
    "question_reminder": {
        "de": ("Erinnerung (1/3): noch 2 Tage, um die Fragen der Gutachter:innen zu beantworten",
               "1 Frage der Gutachter:innen von „Frühjahrsrunde 2027“ an Ihre Organisation wartet noch auf eine "
               "Antwort.",
               "(noch 2 Tage)"),
        "en": ("Reminder (1/3): 2 days left to answer the reviewers' questions",
               '1 question of the peer reviewers of "Spring round 2027" to your organisation is still waiting',
               "(2 days left)"),
    },
    "report_published": {
        "de": ("Veröffentlicht: Bericht zu Frühjahrsrunde 2027", "Vielen Dank an alle, die mitgewirkt haben."),
        "en": ("Published: the report on Spring round 2027", "Thank you to everyone who took part."),
    },
    "status_digest": {
        "de": ("Statusbericht: Frühjahrsrunde 2027 – Phase „Selbsteinschätzung“",
               "hier der aktuelle Stand von „Frühjahrsrunde 2027“ (Phase „Selbsteinschätzung“, Frist",
               "noch 4 Tage):", "nicht zustellbar", "1 Nachricht konnte nicht zugestellt werden (siehe"),
        "en": ("Status: Spring round 2027 – self-assessment stage",
               'here is where "Spring round 2027" stands (self-assessment stage, deadline', "4 days left):",
               "undeliverable", "1 message could not be delivered (see"),
    },
    "coordinator_message": {
        "de": ("Hinweis zur Frist", "die Frist endet am 15. März.", "Zweiter Absatz"),
        "en": ("A note on the deadline", "the deadline is 15 March.", "Second paragraph"),
    },
}  # fmt: skip


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(MESSAGE_KINDS) == set(KEY_SENTENCES)


@pytest.fixture
def delivered(engine, mail_server):
    """Compose every kind in both languages, enqueue, deliver; return the parsed messages by (kind, language)."""
    locals_ = [f"{kind}.{language}" for kind in sorted(SAMPLES) for language in LANGUAGES]
    participant_ids = _participants(engine, locals_)
    outgoing = {}
    for kind in sorted(SAMPLES):
        for language in LANGUAGES:
            recipient = Recipient(
                email=f"{kind}.{language}@stadt.example",
                name=f"Anna {HOSTILE}",
                language=language,
                participant_id=participant_ids[f"{kind}.{language}"],
                organisation="Stadt Auenburg",
            )
            outgoing[kind, language] = compose_message(
                sample(kind, language), recipient, ROUND, SENDER, stage="submission", now=NOW
            )
    with Session(engine) as session:
        assert enqueue_messages(session, list(outgoing.values()), clock.now()) == len(outgoing)
        session.commit()
    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options())
    assert report.sent == len(outgoing)
    received = {m.recipients[0]: m for m in mail_server.catcher.received()}
    return {
        key: (message, email.message_from_bytes(received[message.recipient_email].data, policy=email.policy.default))
        for key, message in outgoing.items()
    }


def _participants(engine, local_parts: list[str]) -> dict[str, int]:
    """A participant of Stadt Auenburg for each local part, as every recipient of a round is (the calendar
    entry's UID is made of the participant's id); their ids by local part."""
    with Session(engine) as session:
        town = Organisation(name="Stadt Auenburg", kind=OrganisationKind.kommune)
        people = {
            local: Participant(email=f"{local}@stadt.example", name="Anna", organisation=town, language=Language.de)
            for local in local_parts
        }
        session.add_all(people.values())
        session.commit()
        return {local: person.id for local, person in people.items()}


def parts(parsed):
    """The text and the HTML of a message: its multipart/alternative, or the first part of its multipart/mixed
    when it carries an attachment."""
    if parsed.get_content_type() == "multipart/mixed":
        parsed = next(parsed.iter_parts())
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    return text.get_content(), html.get_content()


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_kind_arrives_as_valid_mime_with_both_parts_in_the_reader_language(delivered, language):
    for kind in SAMPLES:
        outgoing, parsed = delivered[kind, language]
        assert parsed.defects == [], kind
        text, html = parts(parsed)
        assert parsed["Message-ID"] == outgoing.message_id
        assert parsed["Subject"] and "\n" not in parsed["Subject"]
        assert parsed["From"].addresses[0].addr_spec == ENVELOPE_FROM
        assert parsed["To"].addresses[0].addr_spec == outgoing.recipient_email
        assert parsed["Reply-To"].addresses[0].addr_spec == ROUND.coordinator_email
        assert parsed["Content-Language"] == language
        assert parsed["Auto-Submitted"] == "auto-generated"
        assert parsed["Date"].datetime == NOW
        greeting, month, closing = SIGNS[language]
        assert greeting in text and greeting in html and closing in text
        if kind not in ("report_published",):
            assert month in text, kind
        assert ROUND.coordinator_email in text and ROUND.coordinator_email in html
        assert html.lstrip().startswith("<!DOCTYPE html>")
        assert f'lang="{language}"' in html


def test_the_messages_about_a_deadline_carry_it_as_a_calendar_entry_and_the_others_carry_nothing(delivered):
    for (kind, language), (_, parsed) in delivered.items():
        assert parsed.defects == [], kind
        if kind not in CALENDAR_KINDS:
            assert parsed.get_content_type() == "multipart/alternative", kind
            assert attachments(parsed) == [], kind
            continue
        event = event_in(parsed)
        assert event.start == DEADLINE and event.start.astimezone(UTC) == DEADLINE
        assert str(event.start.tzinfo) == ROUND.time_zone and event.start.hour == 18  # 17:00 UTC is 18:00 in Berlin
        assert [alarm.TRIGGER for alarm in event.walk("VALARM")] == [-timedelta(days=3)], kind
        assert ROUND.title(language) in event["SUMMARY"] and ROUND.title(language) in event["DESCRIPTION"]
        assert LINK not in event.to_ical().decode(), kind


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_kind_says_its_own_sentences_in_the_reader_language(delivered, language):
    other = "en" if language == "de" else "de"
    for kind, sentences in KEY_SENTENCES.items():
        _, parsed = delivered[kind, language]
        text, html = parts(parsed)
        subject, *body = sentences[language]
        assert subject in parsed["Subject"], kind
        for sentence in body:
            assert sentence in text and sentence in html, (kind, sentence)
        for sentence in sentences[other]:
            assert sentence not in parsed["Subject"] + text + html, (kind, sentence)


PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def _words_by_language() -> dict[str, set[str]]:
    """The stretches between the placeholders of every email message, long enough to tell the language."""
    words: dict[str, set[str]] = {"de": set(), "en": set()}
    for message in read_catalog("de", "notifications"):
        if not message.id:
            continue
        for language, forms in (("en", message.id), ("de", message.string)):
            for form in (forms,) if isinstance(forms, str) else forms:
                words[language].update(part.strip() for part in PLACEHOLDER.split(form) if len(part.strip()) >= 10)
    return words


def test_no_words_of_the_other_language_slip_into_an_email(delivered):
    """Whatever the kind: a German email holds no English sentence of the catalog, an English one no German."""
    words = _words_by_language()
    for (kind, language), (_, parsed) in delivered.items():
        text, html = parts(parsed)
        other = "en" if language == "de" else "de"
        foreign = words[other] - words[language]
        assert [w for w in foreign if w in parsed["Subject"] + text + html] == [], (kind, language)


@pytest.mark.parametrize(
    ("content", "de", "en"),
    [(Invitation(LINK, DEADLINE, Text(de="Kurzfragebogen", en="Short questionnaire"), 1), "(1 Frage)", "(1 question)"),
     (Reminder(LINK, DEADLINE, 1, 3, 1), "(noch 1 Tag)", "(1 day left)"),
     (CommentInvitation(LINK, DEADLINE, 1, 1), "1 Befund und 1 Empfehlungsentwurf.",
      "1 finding and 1 draft recommendation."),
     (ReplyReceipt(LINK, NOW, DEADLINE, 1), "(1 Abschnitt)", "(1 part)"),
     (ReportPublished(LINK, NOW, 1, ("bund",)), "eine Handlungsempfehlung an den Bund sowie",
      "one recommendation to the federal government, and"),
     (StatusDigest("review", DEADLINE, 1, {}, 2), "Frist Montag, 15. März 2027, 18:00 Uhr (MEZ), noch 1 Tag):",
      "deadline Monday 15 March 2027, 18:00 (CET), 1 day left):"),
     (StatusDigest("review", None, None, {}, 2), "2 Nachrichten konnten nicht zugestellt werden",
      "2 messages could not be delivered")],
)  # fmt: skip
def test_counts_choose_the_singular_or_plural_of_the_reader_language(content, de, en):
    for language, wanted in (("de", de), ("en", en)):
        recipient = Recipient("anna@stadt.example", "Anna", language, 1, "Stadt Auenburg")
        message = compose_message(content, recipient, ROUND, SENDER, stage="review", now=NOW)
        text, html = parts(email.message_from_bytes(message.payload, policy=email.policy.default))
        assert wanted in text and wanted in html, (content.kind, language)


def test_links_work_in_both_parts_and_dates_are_in_the_round_time_zone(delivered):
    for kind in SAMPLES:
        content = sample(kind, "de")
        if not any(hasattr(content, name) for name in ("link", "links", "tasks", "pending")):
            continue
        _, parsed = delivered[kind, "de"]
        text, html = parts(parsed)
        assert LINK in text, kind
        assert f'href="{LINK}"' in html, kind
    text, _ = parts(delivered["invitation", "de"][1])
    assert "Montag, 15. März 2027, 18:00 Uhr (MEZ)" in text
    text, _ = parts(delivered["invitation", "en"][1])
    assert "Monday 15 March 2027, 18:00 (CET)" in text


def test_the_reminder_kinds_are_the_kinds_that_carry_the_link_to_stop_them():
    carrying = {kind for kind, content in MESSAGE_KINDS.items() if "stop_link" in content.__dataclass_fields__}
    assert carrying == REMINDER_KINDS


STOP_SENTENCES = {
    "de": ("Keine Erinnerungen mehr in dieser Runde? Hier abbestellen (alle anderen Nachrichten erhalten Sie "
           "weiterhin):", "die Erinnerungen dieser Runde abbestellen</a>"),
    "en": ("No more reminders in this round? Stop them here (nothing else you receive stops):",
           "stop the reminders of this round</a>"),
}  # fmt: skip


def test_reminders_name_the_link_that_stops_them_in_both_parts_and_in_the_unsubscribe_headers(delivered):
    """RFC 2369's List-Unsubscribe with the https link, and RFC 8058's List-Unsubscribe-Post, on reminders
    only: a mail client offers to unsubscribe from what can be stopped, and from nothing else."""
    for (kind, language), (_, parsed) in delivered.items():
        text, html = parts(parsed)
        in_text, in_html = STOP_SENTENCES[language]
        if kind in REMINDER_KINDS:
            assert parsed["List-Unsubscribe"] == f"<{STOP}>", kind
            assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", kind
            assert f"{in_text}\n{STOP}" in text, (kind, language)
            assert f'<a href="{STOP}"' in html and in_html in html, (kind, language)
        else:
            assert "List-Unsubscribe" not in parsed and "List-Unsubscribe-Post" not in parsed, kind
            assert STOP not in text + html and in_text not in text, kind


def test_html_escapes_hostile_names_and_answers_and_loads_nothing_remote(delivered):
    for (kind, _language), (_, parsed) in delivered.items():
        text, html = parts(parsed)
        assert "<script>" not in html, kind
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, kind
        assert HOSTILE in text  # plain text shows what was typed
        for remote in ("<img", "<link", "<script", "url(", "@import", 'src="http'):
            assert remote not in html, (kind, remote)


def test_messages_about_one_person_in_one_round_form_a_thread(delivered):
    first, parsed_first = delivered["invitation", "de"]
    again = compose_message(SAMPLES["reminder"], _recipient_of(first), ROUND, SENDER, stage="submission", now=NOW)
    parsed_again = email.message_from_bytes(again.payload, policy=email.policy.default)
    assert parsed_again["References"] == parsed_first["References"] == parsed_first["In-Reply-To"]
    assert parsed_again["Message-ID"] != parsed_first["Message-ID"]
    other = delivered["reminder", "de"][1]
    assert other["References"] != parsed_first["References"]


def _recipient_of(message):
    return Recipient(message.recipient_email, "Anna", "de", message.recipient_participant_id, "Stadt Auenburg")


def test_line_breaks_in_names_and_subjects_cannot_inject_headers():
    from dataclasses import replace

    sneaky_round = replace(ROUND, title_de="Runde\r\nBcc: everyone@example.org", coordinator_name="Stelle\nX-Evil: 1")
    recipient = Recipient("anna@stadt.example", "Anna\r\nBcc: victim@example.org", "de", 1, "Org\r\nCc: x@y.example")
    message = compose_message(SAMPLES["invitation"], recipient, sneaky_round, SENDER, stage="invitation", now=NOW)
    parsed = email.message_from_bytes(message.payload, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["Cc"] is None and parsed["X-Evil"] is None
    assert [address.addr_spec for address in parsed["To"].addresses] == ["anna@stadt.example"]
    assert "Bcc: everyone@example.org" in parsed["Subject"]  # kept as text, on the subject line
    head = message.payload.split(b"\r\n\r\n", 1)[0]
    assert all(b"\n" not in line and b"\r" not in line for line in head.split(b"\r\n"))


def test_long_non_ascii_subjects_are_encoded_and_read_back_whole():
    from dataclasses import replace

    long_title = "Überörtliche Zusammenarbeit smarter Kommunen in Nordrhein-Westfalen und Thüringen – Runde 2027"
    message = compose_message(
        SAMPLES["invitation"],
        Recipient("a@b.example", "Jürgen Ößwald", "de"),
        replace(ROUND, title_de=long_title),
        SENDER,
        stage="invitation",
        now=NOW,
    )
    head = message.payload.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    parsed = email.message_from_bytes(message.payload, policy=email.policy.default)
    assert parsed["Subject"] == f"Einladung zur Selbsteinschätzung: {long_title}"
    assert parsed["To"].addresses[0].display_name == "Jürgen Ößwald"


def test_a_repeated_enqueue_adds_nothing(engine):
    message = compose_message(
        SAMPLES["invitation"], Recipient("a@b.example", "A", "de"), ROUND, SENDER, stage="invitation", now=NOW
    )
    retried = compose_message(
        SAMPLES["invitation"], Recipient("a@b.example", "A", "de"), ROUND, SENDER, stage="invitation", now=NOW
    )
    assert message.idempotency_key == retried.idempotency_key and message.message_id != retried.message_id
    with Session(engine) as session:
        assert enqueue_messages(session, [message], NOW) == 1
        assert enqueue_messages(session, [retried], NOW + timedelta(minutes=1)) == 0
        session.commit()


@pytest.mark.parametrize(
    ("language", "named", "not_named"),
    [("de", "4 Handlungsempfehlungen an die Länder sowie", "Bund"),
     ("en", "4 recommendations to the federal states, and", "federal government")],
)  # fmt: skip
def test_the_published_email_names_only_the_action_levels_addressed(language, named, not_named):
    recipient = Recipient(email="anna@stadt.example", name="Anna", language=language, organisation="Stadt Auenburg")
    message = compose_message(
        ReportPublished(LINK, NOW, 4, ("laender",)), recipient, ROUND, SENDER, stage="published", now=NOW
    )
    text, html = parts(email.message_from_bytes(message.payload, policy=email.policy.default))
    for part in (text, html):
        assert named in part and not_named not in part


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_coordinators_text_keeps_its_lines_and_paragraphs_escaped_in_html_and_as_written_in_plain_text(
    delivered, language
):
    _, parsed = delivered["coordinator_message", language]
    text, html = parts(parsed)
    written = sample("coordinator_message", language)
    assert parsed["Subject"] == written.subject
    assert written.body in text  # the plain text is what the coordinator wrote, byte for byte
    first, second = written.body.split("\n\n")
    line_one, line_two = first.split("\n")
    escaped = line_two.replace("<", "&lt;").replace(">", "&gt;")
    assert f"<p>{line_one}<br>{escaped}</p>" in html
    assert f"<p>{second.replace('&', '&amp;')}</p>" in html and HOSTILE not in html
    assert html.count(f'href="{LINK}"') == 2  # the personal link's button, and its address written out
    heading, button = {"de": ("Ihr persönlicher Link:", "Zum Fragebogen"),
                       "en": ("Your personal link:", "Open the questionnaire")}[language]  # fmt: skip
    assert f"{heading}\n{LINK}\n" in text and f">{button}</a>" in html


def test_a_reviewers_message_lists_each_review_link_with_the_organisation_it_is_for():
    links = (PersonalLink("review", LINK + "1", "Stadt Elbstein"), PersonalLink("review", LINK + "2", f"Ort {HOSTILE}"))
    content = CoordinatorMessage("Bitte um Geduld", "Die Frist bleibt.", links)
    for language, label in (("de", "Stadt Elbstein begutachten"), ("en", "Review Stadt Elbstein")):
        recipient = Recipient("cara@stadt.example", "Cara", language, 3, "Stadt Auenburg")
        message = compose_message(content, recipient, ROUND, SENDER, stage="coordinator", now=NOW, sequence="s1")
        parsed = email.message_from_bytes(message.payload, policy=email.policy.default)
        assert parsed.defects == []
        text, html = parts(parsed)
        assert f"- Stadt Elbstein:\n  {LINK}1\n" in text and f"- Ort {HOSTILE}:\n  {LINK}2\n" in text
        assert f'<a href="{LINK}1" style="color:#0b5394;">{label}</a>' in html
        assert f'href="{LINK}2"' in html and "Ort &lt;script&gt;" in html
        assert message.idempotency_key == "rNone/coordinator/p3/coordinator_message/s1"
    bare = compose_message(CoordinatorMessage("Hinweis", "Kein Link.", ()), recipient, ROUND, SENDER,
                           stage="coordinator", now=NOW)  # fmt: skip
    text, html = parts(email.message_from_bytes(bare.payload, policy=email.policy.default))
    assert "http://127.0.0.1:8000" not in text + html and "Your personal link" not in text
