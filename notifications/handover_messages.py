"""The two messages of a handover of the self-assessment: the colleague's invitation with their own link, and
the first person's confirmation. Queued by whoever hands over (the portal, a coordinator's command) in the
transaction of the handover."""

from collections.abc import Callable
from datetime import datetime

from notifications.addressing import recipient_for, round_context
from notifications.compose import OutgoingMessage, Sender, compose_message
from notifications.message_kinds import HandoverConfirmation, HandoverInvitation
from review_model.handover import HandedOver
from review_model.questionnaire import Questionnaire
from review_model.tables import Round
from review_model.vocabulary import TokenPurpose

STAGE = "handover"


def handover_messages(
    handed: HandedOver,
    round_: Round,
    *,
    sender: Sender,
    link: Callable[[TokenPurpose, str], str],
    first_link: str | None,
    now: datetime,
) -> list[OutgoingMessage]:
    """The colleague's invitation (their own link, `link(purpose, token)` makes its address) and the first
    person's confirmation (with `first_link` when the round keeps it working). One handover, one sequence: a
    retried transaction queues nothing twice."""
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    about = round_context(round_)
    sequence = f"e{handed.from_enrolment_id}-e{handed.to_enrolment_id}-{handed.at:%Y%m%d%H%M%S%f}"
    invitation = HandoverInvitation(
        link=link(TokenPurpose.self_assessment, handed.colleague_link.token),
        deadline=round_.submission_deadline,
        questionnaire_title=questionnaire.title,
        item_count=sum(1 for _ in questionnaire.items()),
        handed_over_by=handed.first_person.name,
        submitted_version=handed.submitted_version,
        has_draft=handed.has_draft,
    )
    confirmation = HandoverConfirmation(
        colleague=handed.colleague.name,
        colleague_email=handed.colleague.email,
        handed_over_at=handed.at,
        deadline=round_.submission_deadline,
        link=first_link if handed.first_link_kept else None,
    )
    return [
        compose_message(
            content, recipient_for(person, handed.organisation), about, sender, stage=STAGE, now=now, sequence=sequence
        )
        for content, person in ((invitation, handed.colleague), (confirmation, handed.first_person))
    ]
