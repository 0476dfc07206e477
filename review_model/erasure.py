"""Erasing a person (GDPR Art. 17), and a round's personal data when its retention period has run out.

Where a participant's personal data lives (review_model.personal_data.PERSONAL_DATA, which the right of access
reads), and what erasure does with it (`WHAT_ERASURE_DOES`, one entry per place of that list):
- `participants`: name and address are blanked (the address becomes `erased-<id>@erased.invalid`, which
  reaches nobody and keeps the column unique), expertise is cleared, `erased_at` set. The row stays: what
  their organisation submitted, reviewed and replied hangs on it and stays, attributed to the organisation.
- `enrolments`: in a round still running they are withdrawn (no stage waits for them); a withdrawal reason
  that names them is rewritten without the name.
- `access_tokens`: their personal links are deleted (the nonce would make the link again).
- `outbox_messages`: messages to them lose address, body and headers (the payload is emptied); those not
  sent yet are deleted; a subject or a server's reply that names them is rewritten. Messages to others
  whose text names them (ERASED_FROM_OTHERS_MESSAGES) lose their body too.
- `conflict_declarations`, `review_preferences`: deleted (they served the assignment only).
- `audit_events`: an actor or a detail that is their address or name is replaced; the trail records that
  an erasure took place, never whom.
- `submissions`, `follow_up_reports`, `reviews`, `replies`, `review_questions`, `findings`, `recommendations`,
  and what reviewers wrote in the consensus stage (`review_versions`, `disputed_item_comments`,
  `joint_assessments`, `assessment_endorsements`): stay. They hold what organisations said; reviewers are
  named only in an open review's report, where an erased person becomes "Reviewer 3"
  (review_model.pseudonyms) when the report is rendered again (workflows re-render the published
  editions, `rounds_whose_report_named`).
Free text a person typed into an answer (their own name in a comment, say) is not searched: it is what the
organisation said and stays as written.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, literal, or_, update
from sqlmodel import Session, col, select

from config.translations import N_, translate
from review_model.audit_trail import record_event
from review_model.refusals import Reason, Refused
from review_model.tables import (
    AccessToken,
    AuditEvent,
    ConflictDeclaration,
    Enrolment,
    Organisation,
    OutboxMessage,
    Participant,
    Review,
    ReviewAssignment,
    ReviewPreference,
    Round,
)
from review_model.vocabulary import OutboxState, Stage
from review_model.withdrawal import plan_withdrawal, roles_of, withdraw

# Each place of review_model.personal_data.PERSONAL_DATA and what becomes of it; a test holds the two together,
# so a new place of personal data cannot be added to the one without a decision in the other.
WHAT_ERASURE_DOES = {
    "participants": "name and address blanked, expertise cleared, erased_at set; the row stays",
    "enrolments": "withdrawn from running rounds; a withdrawal reason naming them rewritten",
    "access_tokens": "deleted",
    "outbox_messages": "address and text removed, unsent ones deleted",
    "submissions": "kept: the organisation's self-assessment",
    "submission_versions": "kept: the organisation's self-assessment",
    "follow_up_reports": "kept: the organisation's statements on earlier recommendations",
    "review_assignments": "kept: which organisation reviewed which",
    "reviews": "kept: the reviewing organisation's ratings; named by number where a report named them",
    "review_versions": "kept: the reviewing organisation's ratings as submitted",
    "disputed_item_comments": "kept: the reviewing organisation's comments; named by number",
    "joint_assessments": "kept: the reviewers' joint assessment of the party",
    "assessment_endorsements": "kept: the reviewing organisation's answer; named by number",
    "replies": "kept: the organisation's reply",
    "review_questions": "kept: the organisations' question and answer; the asker is shown by number only",
    "conflict_declarations": "deleted",
    "review_preferences": "deleted",
    "audit_events": "entries naming them rewritten; the erasure itself recorded without whom",
}
ERASED = "erased person"  # what stands for them in the audit trail
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: a name that never resolves
# The reason a running round's history gives for withdrawing a person who was erased.
WITHDRAWN_FOR_ERASURE = "the person's data was erased"
# Messages to one person that name another participant, whose bodies go when that other person is erased.
ERASED_FROM_OTHERS_MESSAGES = frozenset({"handover_invitation", "handover_confirmation"})
# Stages in which the round still runs: an erased person is withdrawn from it.
_RUNNING = frozenset(Stage) - {Stage.draft, Stage.published, Stage.archived}


class ErasureRefused(Refused):
    """The person cannot be erased; `reasons` lists every reason found."""


@dataclass(frozen=True)
class RoundPart:
    """A round the person takes part in, as the coordinator is shown it before erasing."""

    round_id: int
    slug: str
    stage: Stage
    roles: tuple[str, ...]
    withdrawn: bool


@dataclass(frozen=True)
class PlannedErasure:
    """Whom erasing would erase and what it touches, before anything is done."""

    participant_id: int
    name: str
    email: str
    organisation: str
    rounds: tuple[RoundPart, ...]
    messages: int  # messages to them in the outbox
    links: int

    @property
    def round_ids(self) -> list[int]:
        """The rounds to lock, in the order every caller locks them (by id, so two erasures never deadlock)."""
        return sorted(part.round_id for part in self.rounds)

    @property
    def withdrawn_from(self) -> tuple[str, ...]:
        """The running rounds they are withdrawn from."""
        return tuple(part.slug for part in self.rounds if part.stage in _RUNNING and not part.withdrawn)

    def consequences(self, language: str) -> list[str]:
        """What erasing them does, a clause a line in `language`, as the command and the console say it first."""
        lines = [
            N_("their name and address are removed; what their organisation submitted, reviewed and replied stays, "
               "attributed to the organisation"),
            N_("their {links} personal links are deleted; the {messages} messages to them lose address and text, "
               "and those not yet sent are dropped"),
            N_("in an open review's report they become “Reviewer N” of the party; published reports that named "
               "them are rendered again"),
            N_("the history records that a person was erased, not whom"),
        ]  # fmt: skip
        said = [translate(language, "review_model", line, links=self.links, messages=self.messages) for line in lines]
        if self.withdrawn_from:
            slugs = ", ".join(self.withdrawn_from)
            withdrawn = N_("they are withdrawn from the running rounds {slugs}: no stage waits for them")
            said.insert(0, translate(language, "review_model", withdrawn, slugs=slugs))
        return said


@dataclass(frozen=True)
class Erased:
    """What erasing a person did."""

    rounds: tuple[int, ...]
    withdrawn_from: tuple[str, ...]
    messages_emptied: int
    messages_dropped: int
    links_deleted: int
    audit_entries_rewritten: int


def plan_erasure(session: Session, participant_id: int | None, who: str | None = None) -> PlannedErasure:
    """What erasing the person would do; ErasureRefused with every reason when it cannot be done (no such
    person, or erased already). `who` names the person in the reasons (their address, say)."""
    who = who or Reason(N_("participant {id}"), id=participant_id)
    person = session.get(Participant, participant_id) if participant_id is not None else None
    if person is None:
        raise ErasureRefused([Reason(N_("there is nobody with the address {who}"), who=who)])
    if person.erased_at is not None:
        raise ErasureRefused([Reason(N_("{who} was erased already, on {when} UTC"), who=who,
                                     when=f"{person.erased_at:%Y-%m-%d %H:%M}")])  # fmt: skip
    assert person.id is not None
    organisation = session.get(Organisation, person.organisation_id)
    parts = tuple(
        RoundPart(round_.id, round_.slug, round_.stage, roles_of(enrolment), enrolment.withdrawn_at is not None)
        for enrolment, round_ in session.exec(
            select(Enrolment, Round)
            .join(Round, col(Round.id) == Enrolment.round_id)
            .where(Enrolment.participant_id == person.id)
            .order_by(col(Round.id))
        ).all()
        if round_.id is not None
    )
    messages = session.exec(select(func.count()).select_from(OutboxMessage).where(_to_person(person))).one()
    links = session.exec(
        select(func.count()).select_from(AccessToken).where(col(AccessToken.enrolment_id).in_(_enrolments(person)))
    ).one()
    return PlannedErasure(person.id, person.name, person.email, organisation.name if organisation else "", parts,
                          messages, links)  # fmt: skip


def erase_person(session: Session, planned: PlannedErasure, actor: str, now: datetime) -> Erased:
    """Erase the person everywhere, in the caller's transaction (which holds every round of `planned` locked).

    Withdraws them from running rounds, deletes their links, conflict declarations and preferences, empties
    the messages to them, rewrites the audit entries that name them, and blanks their name and address.
    The history of each round they took part in records that a person was erased, not whom."""
    person = session.get(Participant, planned.participant_id)
    assert person is not None and person.id is not None
    withdrawn: list[str] = []
    for part in planned.rounds:
        if part.stage in _RUNNING and not part.withdrawn:
            round_ = session.get(Round, part.round_id)
            assert round_ is not None
            withdrawal = plan_withdrawal(session, round_, person.id, WITHDRAWN_FOR_ERASURE)
            withdraw(session, withdrawal, actor, WITHDRAWN_FOR_ERASURE, now)
            withdrawn.append(part.slug)
    names = _names_of(person)
    enrolments = _enrolments(person)
    links = session.exec(delete(AccessToken).where(col(AccessToken.enrolment_id).in_(enrolments))).rowcount
    for table in (ConflictDeclaration, ReviewPreference):
        session.exec(delete(table).where(col(table.participant_id) == person.id))
    for enrolment in session.exec(select(Enrolment).where(Enrolment.participant_id == person.id)).all():
        if enrolment.withdrawal_reason:
            enrolment.withdrawal_reason = names.without(enrolment.withdrawal_reason)
    dropped, emptied = _empty_messages(session, person, names, planned.round_ids)
    rewritten = _rewrite_audit(session, names, planned.round_ids)
    person.name, person.email, person.expertise = "", erased_address(person.id), []
    person.erased_at = person.updated_at = now
    for round_id in planned.round_ids:
        record_event(session, round_id, actor, "person erased")
    if not planned.round_ids:
        record_event(session, None, actor, "person erased")
    return Erased(tuple(planned.round_ids), tuple(withdrawn), emptied, dropped, int(links or 0), rewritten)


def erase_round_people(session: Session, round_id: int, actor: str, now: datetime) -> int:
    """Erase the personal data of a round whose retention period has run out, in the caller's transaction
    (which holds the round). Returns how many people were erased entirely.

    A person who takes part in no other round that keeps data (one not archived) is erased entirely. One who
    still takes part in another round keeps name and address, which that round needs, but loses everything
    of this round: its links, the messages it sent them, and what its history says of them. They are erased
    entirely when their last round is archived.

    The whole round at once, in a few statements: erasing its people one by one took 244 s for 1,000 people
    (benchmarks/erasure.py), each of them reading the round's history and outbox again, all under the store's
    write lock."""
    people = session.exec(
        select(Participant.id, Participant.email, Participant.name)
        .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
        .where(Enrolment.round_id == round_id, col(Participant.erased_at).is_(None))
    ).all()  # fmt: skip
    if not people:
        return 0
    names = _Names([text for _, email, name in people for text in (email, name.strip())])
    kept = select(Enrolment.id).join(Round, col(Round.id) == Enrolment.round_id).where(
        col(Enrolment.participant_id) == Participant.id, Enrolment.round_id != round_id, Round.stage != Stage.archived
    )  # fmt: skip
    in_round = select(Enrolment.participant_id).where(Enrolment.round_id == round_id)
    only_here = select(Participant.id).where(
        col(Participant.id).in_(in_round), col(Participant.erased_at).is_(None), ~kept.exists()
    )
    session.exec(delete(AccessToken).where(col(AccessToken.round_id) == round_id))
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.round_id) == round_id,
                                             col(OutboxMessage.state) == OutboxState.queued))  # fmt: skip
    # Every message of the round goes to a person of it, or to its coordinator with its figures.
    address = _erased_address_of(OutboxMessage.recipient_participant_id)
    in_scope = or_(
        col(OutboxMessage.round_id) == round_id,
        and_(col(OutboxMessage.round_id).is_(None), col(OutboxMessage.recipient_participant_id).in_(only_here)),
    )
    session.exec(update(OutboxMessage).where(in_scope, col(OutboxMessage.recipient_participant_id).is_not(None))
                 .values(recipient_email=address, payload=b""))  # fmt: skip
    session.exec(update(OutboxMessage).where(in_scope).values(payload=b""))
    session.exec(update(OutboxMessage).where(in_scope, col(OutboxMessage.last_error).is_not(None))
                 .values(last_error="(the recipient was erased)"))  # fmt: skip
    for table in (ConflictDeclaration, ReviewPreference):
        session.exec(delete(table).where(col(table.participant_id).in_(only_here)))
    for enrolment in session.exec(
        select(Enrolment).where(Enrolment.round_id == round_id, col(Enrolment.withdrawal_reason).is_not(None))
    ).all():
        enrolment.withdrawal_reason = names.without(enrolment.withdrawal_reason or "")
    _rewrite_audit(session, names, [round_id])
    new_address = _erased_address_of(Participant.id)
    erased = session.exec(
        update(Participant).where(col(Participant.id).in_(only_here))
        .values(name="", email=new_address, expertise=[], erased_at=now, updated_at=now)
    ).rowcount  # fmt: skip
    record_event(session, round_id, actor, "people of the round erased", people=int(erased or 0))
    return int(erased or 0)


def rounds_whose_report_named(session: Session, round_ids: Iterable[int], participant_id: int) -> list[int]:
    """The published rounds among `round_ids` whose report named the person: open reviews in which they
    submitted a review (review_model's only place that names a participant in a report)."""
    return sorted(
        {
            round_id
            for round_id in session.exec(
                select(Round.id)
                .join(ReviewAssignment, col(ReviewAssignment.round_id) == Round.id)
                .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
                .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
                .where(
                    col(Round.id).in_(list(round_ids)),
                    col(Round.open_review).is_(True),
                    col(Round.stage).in_([Stage.published, Stage.archived]),
                    Enrolment.participant_id == participant_id,
                    Review.is_submitted,
                )
            ).all()
            if round_id is not None
        }
    )


def _enrolments(person: Participant) -> Any:
    return select(Enrolment.id).where(Enrolment.participant_id == person.id)


def _to_person(person: Participant) -> Any:
    return or_(
        col(OutboxMessage.recipient_participant_id) == person.id, col(OutboxMessage.recipient_email) == person.email
    )


def erased_address(participant_id: int | None) -> str:
    """The address that stands for an erased person: unique, as the column must be, and reaching nobody."""
    return f"erased-{participant_id}@{ERASED_DOMAIN}"


def _erased_address_of(participant_id: Any) -> Any:
    """erased_address as an SQL expression over a column of participant ids, for an UPDATE of many rows."""
    return literal("erased-") + cast(participant_id, String) + literal(f"@{ERASED_DOMAIN}")


class _Names:
    """What identifies the people being erased in text: their addresses, and their names where long enough not
    to match inside other words by chance; found and replaced in one pass over a text however many there are
    (a round's thousands), case aside."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._by_start: dict[str, list[str]] = {}
        for text in sorted({t.strip().lower() for t in texts if len(t.strip()) >= 3}, key=len, reverse=True):
            self._by_start.setdefault(text[:3], []).append(text)

    def _matches(self, text: str) -> list[tuple[int, int]]:
        folded = text.lower()
        if len(folded) != len(text):  # a letter whose lower case is longer: compare as written
            folded = text
        found, i = [], 0
        while i <= len(folded) - 3:
            match = next((n for n in self._by_start.get(folded[i : i + 3], ()) if folded.startswith(n, i)), None)
            if match:
                found.append((i, i + len(match)))
                i += len(match)
            else:
                i += 1
        return found

    def found_in(self, text: str) -> bool:
        """Whether `text` names any of the people."""
        return bool(self._matches(text))

    def without(self, text: str) -> str:
        """`text` with each mention of the people replaced by ERASED."""
        parts, last = [], 0
        for start, end in self._matches(text):
            parts += [text[last:start], ERASED]
            last = end
        return "".join(parts) + text[last:] if parts else text


def _names_of(person: Participant) -> _Names:
    return _Names([person.email, person.name])


def _scrubbed(value: Any, names: _Names) -> Any:
    """A JSON value with every string that names the people rewritten."""
    if isinstance(value, str):
        return names.without(value)
    if isinstance(value, list):
        return [_scrubbed(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, names) for key, item in value.items()}
    return value


def _empty_messages(session: Session, person: Participant, names: _Names, round_ids: list[int]) -> tuple[int, int]:
    """Drop the unsent messages to the person and empty the others; returns (dropped, emptied)."""
    to_them = _to_person(person)
    dropped = session.exec(
        delete(OutboxMessage).where(to_them, col(OutboxMessage.state) == OutboxState.queued)
    ).rowcount
    emptied = 0
    for message in session.exec(select(OutboxMessage).where(to_them)).all():
        message.recipient_email = erased_address(person.id)
        message.payload = b""
        message.subject = names.without(message.subject)
        message.last_error = names.without(message.last_error) if message.last_error else message.last_error
        emptied += 1
    if ERASED_FROM_OTHERS_MESSAGES and round_ids:
        for message in session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.round_id).in_(round_ids), col(OutboxMessage.kind).in_(ERASED_FROM_OTHERS_MESSAGES)
            )
        ).all():
            if message.payload and _names_in_message(message.payload, names):
                message.payload = b""
                message.subject = names.without(message.subject)
                if message.state is OutboxState.queued:  # nothing left to send: the coordinator sees it failed
                    message.state, message.last_error = OutboxState.failed, "emptied: a person it named was erased"
                emptied += 1
    return int(dropped or 0), emptied


def _names_in_message(payload: bytes, names: _Names) -> bool:
    """Whether a stored message names the person anywhere, its encoded parts decoded."""
    parsed = message_from_bytes(payload, policy=policy.default)
    texts = [str(value) for value in parsed.values()]
    texts += [str(part.get_content()) for part in parsed.walk() if part.get_content_maintype() == "text"]
    return any(names.found_in(text) for text in texts)


def _rewrite_audit(session: Session, names: _Names, round_ids: list[int]) -> int:
    """Rewrite the audit entries of these rounds (and those of no round) that name the people."""
    where = or_(col(AuditEvent.round_id).in_(round_ids), col(AuditEvent.round_id).is_(None))
    rewritten = 0
    for event in session.exec(select(AuditEvent).where(where)).all():
        actor, details = names.without(event.actor), _scrubbed(event.details, names)
        if actor != event.actor or details != event.details:
            event.actor, event.details = actor, details
            rewritten += 1
    return rewritten
