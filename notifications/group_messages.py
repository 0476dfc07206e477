"""The coordinator's message to a group, as emails: one per person, in their language (or the one the coordinator
wrote), with their personal links of the current stage, through the one layout every email has; and the
preview the coordinator confirms before it goes out.

The rules and the group come from review_model.group_messages; what goes into the outbox, and when, is the
coordinator operation's (workflows.coordinator_actions.message_group).
"""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import OutgoingMessage, Recipient, RoundContext, Sender, compose_message
from notifications.message_kinds import CoordinatorMessage, PersonalLink
from notifications.templating import RenderedEmail, render_email
from review_model import clock
from review_model.group_messages import GroupMember, GroupMessageText, group_of, refuse_unless_sendable
from review_model.people_filter import PeopleFilter, describe_filter
from review_model.rounds import get_round
from review_model.stage_links import StageLink, stage_links
from review_model.tables import OutboxMessage
from review_model.tokens import LINK_PATHS, derive_token, link_url

# What the idempotency key says of the stage: a send is one however the round moves on while it is retried.
KEY_STAGE = "coordinator"


def group_message_for(
    text: GroupMessageText, recipient: Recipient, links: tuple[PersonalLink, ...]
) -> tuple[CoordinatorMessage, Recipient]:
    """The message for one person, and the person as the message addresses them: in the language they read it
    in (theirs, or the one the coordinator wrote), so greeting, dates and text agree."""
    language = text.language_for(recipient.language)
    subject, body = text.in_language(language)
    return CoordinatorMessage(subject, body, links), replace(recipient, language=language)


def personal_links(
    links: list[StageLink], secret: bytes, public_base_url: str, now: datetime
) -> tuple[PersonalLink, ...]:
    """The links that open their form now, as the reader follows them: the very links the stage sent."""
    return tuple(
        PersonalLink(
            link.purpose.value, link_url(public_base_url, link.purpose, derive_token(secret, link.nonce)), link.reviewed
        )
        for link in links
        if link.opens(now)
    )


def compose_group_messages(
    session: Session,
    round_id: int,
    text: GroupMessageText,
    members: list[GroupMember],
    send_id: str,
    *,
    sender: Sender,
    secret: bytes,
    public_base_url: str,
    now: datetime,
) -> list[OutgoingMessage]:
    """One message for each member, each with the send's id in its idempotency key."""
    round_ = get_round(session, round_id)
    about = round_context(round_)
    held = stage_links(session, round_, [member.enrolment_id for member in members])
    messages = []
    for member in members:
        links = personal_links(held.get(member.enrolment_id, []), secret, public_base_url, now)
        content, recipient = group_message_for(text, recipient_for(member.participant, member.organisation), links)
        messages.append(compose_message(content, recipient, about, sender, stage=KEY_STAGE, now=now,
                                        sequence=send_id))  # fmt: skip
    return messages


def queued_before(session: Session, round_id: int, send_id: str) -> set[int]:
    """The people a send with this id has queued its message for already: a retry composes nothing for them (the
    outbox would drop what it composed, by its idempotency key, but composing 10,000 messages takes seconds)."""
    ending = f"/{CoordinatorMessage.kind}/{send_id}"
    return {
        participant_id
        for participant_id in session.exec(
            select(OutboxMessage.recipient_participant_id).where(
                col(OutboxMessage.round_id) == round_id,
                col(OutboxMessage.kind) == CoordinatorMessage.kind,
                col(OutboxMessage.idempotency_key).endswith(ending, autoescape=True),
            )
        ).all()
        if participant_id is not None
    }


@dataclass(frozen=True)
class SampleMessage:
    """The message as one person of the group would read it."""

    language: str
    recipient: str  # their name
    email: RenderedEmail


@dataclass(frozen=True)
class GroupMessagePreview:
    """What the coordinator confirms: how many get it, the group in words, and the message as two of them read it."""

    recipients: int  # exactly the messages the send queues
    matched: int  # everyone the filter matches
    left_out: int  # matched, but withdrawn: they get nothing
    described: str  # the filter in words, in the coordinator's language
    samples: tuple[SampleMessage, ...]  # one per language the group reads it in
    send_id: str  # the id the send of exactly this text to exactly this group has


def preview_group_message(
    session: Session,
    round_id: int,
    people: PeopleFilter,
    subject_de: str | None,
    body_de: str | None,
    subject_en: str | None,
    body_en: str | None,
    *,
    sender: Sender,
    public_base_url: str,
    language: str = "en",
    now: datetime | None = None,
) -> GroupMessagePreview:
    """The message to the filtered group as it would go out now, for the coordinator to confirm: the exact count
    of recipients, the filter in words (in `language`) and the message rendered for one person in each language
    the group reads it in. Personal links show as the portal's address with the token left out: the preview is
    no way into anyone's form. GroupMessageRefused with every reason it could not be sent."""
    now = now or clock.now()
    round_ = get_round(session, round_id)
    text = GroupMessageText.of(subject_de, body_de, subject_en, body_en)
    group = group_of(session, round_, people, now)
    refuse_unless_sendable(round_, text, group)
    held = stage_links(session, round_, [member.enrolment_id for member in group.members])
    about = round_context(round_)
    samples: dict[str, SampleMessage] = {}
    for member in group.members:
        content, recipient = group_message_for(
            text, recipient_for(member.participant, member.organisation),
            _masked(held.get(member.enrolment_id, []), public_base_url, now),
        )  # fmt: skip
        if recipient.language not in samples:
            samples[recipient.language] = SampleMessage(
                recipient.language, recipient.name, _rendered(content, recipient, about, sender)
            )
        if len(samples) == len(text.languages):
            break
    assert round_.id is not None
    return GroupMessagePreview(
        recipients=len(group.members), matched=group.matched, left_out=group.left_out,
        described=describe_filter(people, language), samples=tuple(samples[lang] for lang in sorted(samples)),
        send_id=text.send_id(round_.id, people),
    )  # fmt: skip


def _masked(links: list[StageLink], public_base_url: str, now: datetime) -> tuple[PersonalLink, ...]:
    return tuple(
        PersonalLink(link.purpose.value, f"{public_base_url.rstrip('/')}/{LINK_PATHS[link.purpose]}/…", link.reviewed)
        for link in links
        if link.opens(now)
    )


def _rendered(content: CoordinatorMessage, recipient: Recipient, about: RoundContext, sender: Sender) -> RenderedEmail:
    return render_email(content.kind, recipient.language, {"recipient": recipient, "round": about, "sender": sender,
                                                           "c": content})  # fmt: skip
