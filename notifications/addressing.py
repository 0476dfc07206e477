"""From the store and the settings to what a message needs: the round, the recipient, the sender."""

from collections.abc import Mapping
from typing import Any

from config.settings import Settings
from notifications.compose import Recipient, RoundContext, Sender
from notifications.message_kinds import SummaryAnswer, SummarySection
from review_model.answers import FormField, shown_answer
from review_model.questionnaire import Questionnaire
from review_model.tables import Organisation, Participant, Round


def sender_from_settings(settings: Settings) -> Sender:
    return Sender(address=settings.mail_from, name=settings.mail_from_name, reply_to=settings.mail_reply_to)


def round_context(round_: Round) -> RoundContext:
    return RoundContext(
        round_id=round_.id,
        slug=round_.slug,
        title_de=round_.title,
        title_en=round_.title_en,
        time_zone=round_.time_zone,
        coordinator_name=round_.coordinator_name,
        coordinator_email=round_.coordinator_email,
    )


def recipient_for(participant: Participant, organisation: Organisation | None) -> Recipient:
    return Recipient(
        email=participant.email,
        name=participant.name,
        language=participant.language.value,
        participant_id=participant.id,
        organisation=organisation.name if organisation is not None else None,
    )


def coordinator_of(round_: Round) -> Recipient:
    """The round's coordinator as a recipient (of the status digest), in the round's language."""
    return Recipient(email=round_.coordinator_email, name=round_.coordinator_name, language=round_.language.value)


def answer_summary(
    questionnaire: Questionnaire, fields: list[FormField], answers: Mapping[str, Any], language: str
) -> tuple[SummarySection, ...]:
    """The answers, section by section, as a receipt lists them (comments and empty answers left out)."""
    by_section: dict[str, list[SummaryAnswer]] = {}
    for spec in fields:
        if spec.kind == "comment" or answers.get(spec.key) in (None, "", []):
            continue
        label = spec.item.label.in_language(language)
        if "/" in spec.key:  # a matrix cell: name the row and the column too
            _, row_id, column_id = spec.key.split("/")
            row = next(row for row in spec.item.rows if row.id == row_id)
            column = next(column for column in spec.item.columns if column.id == column_id)
            label = f"{label} · {row.label.in_language(language)} · {column.label.in_language(language)}"
        by_section.setdefault(spec.section_id, []).append(
            SummaryAnswer(label, shown_answer(spec, answers[spec.key], language))
        )
    return tuple(
        SummarySection(section.title.in_language(language), tuple(by_section[section.id]))
        for section in questionnaire.sections
        if section.id in by_section
    )
