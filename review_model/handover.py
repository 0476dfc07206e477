"""Handing the self-assessment to a colleague: the respondent of an organisation lets someone else of the same
organisation answer its form.

The form is the organisation's `Submission`, which hangs on the respondent's enrolment. Handing it over moves
that row to the colleague's enrolment, so the draft, every submitted version and the reviews of it stay as
they are; the colleague becomes a participant of the organisation (if they were not one), enrolled in the
round as respondent, and gets a personal link of their own. The first person is a respondent no longer (a
reviewer role stays, with its links); their enrolment notes when they handed the form over. Their link to
the form is revoked, unless the round's rule keeps it working (`Round.handover_keeps_first_link`): it then
opens the form as it is now, wherever it went (`form_holder`).

The audit trail records each handover by enrolment ids only, so that a later erasure of either person
leaves nothing of them in it; who handed to whom is read back from there (`handovers_of`).
"""

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.audit_trail import record_event
from review_model.plain_text import control_character
from review_model.refusals import Reason, Refused
from review_model.stage_rules import accepts_submissions
from review_model.tables import AccessToken, AuditEvent, Enrolment, Organisation, Participant, Round, Submission
from review_model.tokens import IssuedLink, issue_link, revoke_link
from review_model.vocabulary import Language, TokenPurpose

# The action the audit trail records a handover under.
HANDED_OVER = "form handed over"
NAME_MAX_LENGTH = 200  # as Participant.name
EMAIL_MAX_LENGTH = 254  # as Participant.email


class HandoverRefused(Refused):
    """The form cannot be handed over; `reasons` lists every reason found."""


def participant_actor(participant_id: int) -> str:
    """The actor a participant's own step is recorded under: their id, never their name or address."""
    return f"participant {participant_id}"


@dataclass(frozen=True)
class Colleague:
    """Whom the form is to go to, as typed: a name and an address; the language their messages are in."""

    name: str
    email: str
    language: Language = Language.de

    @property
    def address(self) -> str:
        """The address as the store keeps it (normalised, lower-case); as typed when it is no address."""
        try:
            return validate_email(self.email.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return self.email.strip().lower()


@dataclass(frozen=True)
class HandoverSituation:
    """What the rules look at, read from the store: the round, the first person (the form's holder now) and,
    when the address is known already, the colleague's record and enrolment."""

    round: Round
    enrolment: Enrolment
    person: Participant
    organisation: Organisation
    colleague: Participant | None
    colleague_enrolment: Enrolment | None
    colleague_has_form: bool  # the colleague's enrolment holds a self-assessment of its own


def colleague_problems(colleague: Colleague) -> dict[str, list[str]]:
    """What is wrong with the name and the address as typed, by field ("name", "email"); empty when nothing."""
    problems: dict[str, list[str]] = {}
    name = colleague.name.strip()
    if not name:
        problems.setdefault("name", []).append(Reason(N_("give the colleague's name")))
    elif len(name) > NAME_MAX_LENGTH:
        problems.setdefault("name", []).append(
            Reason(N_("the name is {length} characters long; at most {most} are kept"), length=len(name),
                   most=NAME_MAX_LENGTH)
        )  # fmt: skip
    if control_character(name):
        problems.setdefault("name", []).append(Reason(N_("the name holds a control character")))
    email = colleague.email.strip()
    if not email:
        problems.setdefault("email", []).append(Reason(N_("give the colleague's email address")))
    elif len(email) > EMAIL_MAX_LENGTH or control_character(email):
        problems.setdefault("email", []).append(Reason(N_("{email} is not an email address"), email=email[:80]))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.setdefault("email", []).append(Reason(N_("{email} is not an email address"), email=email))
    return problems


def holder_refusals(round_: Round, enrolment: Enrolment, person: Participant, now: datetime) -> list[str]:
    """Why this person cannot hand the form over now, whoever the colleague: a form that takes no answers
    (before the round opens, after the deadline, a stage closed early), or a person who does not hold it (no
    respondent, handed over already, withdrawn, erased); empty when they can."""
    reasons: list[str] = []
    if now >= round_.submission_deadline:
        reasons.append(Reason(N_("the deadline for the self-assessment has passed")))
    elif not accepts_submissions(round_, now):
        reasons.append(Reason(N_("the self-assessment takes no answers now")))
    # Said of the person, not to them: the coordinator's command reads these too. (The person's own link
    # opens nothing once they are withdrawn or erased.)
    if person.erased_at is not None:
        reasons.append(Reason(N_("the respondent's data was erased")))
    elif enrolment.withdrawn_at is not None:
        reasons.append(Reason(N_("{email} was withdrawn from the round"), email=person.email))
    if enrolment.withdrawn_at is None and enrolment.handed_over_at is not None:
        reasons.append(Reason(N_("the form was handed over already")))
    elif enrolment.withdrawn_at is None and not enrolment.is_respondent:
        reasons.append(Reason(N_("{email} answers no self-assessment in this round"), email=person.email))
    return reasons


def handover_refusals(situation: HandoverSituation, colleague: Colleague, now: datetime) -> list[str]:
    """Every reason the first person cannot hand the form to this colleague now; empty when they can.

    Refused: a form that no longer takes answers (before the round opens, after the deadline, a stage closed
    early), a person who does not hold the form (no respondent, handed over already, withdrawn, erased), a
    name or address that cannot be used, handing to oneself, an address of someone of another organisation,
    a colleague withdrawn from the round or erased, or one who answers a form of their own in it already.
    """
    enrolment, person = situation.enrolment, situation.person
    reasons = holder_refusals(situation.round, enrolment, person, now)
    typed = colleague_problems(colleague)
    reasons += [reason for problems in typed.values() for reason in problems]
    if "email" in typed:  # no address to compare or look up
        return reasons
    address = colleague.address
    if address == person.email.lower():
        reasons.append(Reason(N_("the form cannot be handed to the person who holds it")))
        return reasons
    other = situation.colleague
    if other is not None:
        if other.organisation_id != person.organisation_id:
            # Nothing more is said about someone of another organisation.
            reasons.append(
                Reason(N_("{email} belongs to another organisation; the form can only go to a colleague of "
                          "{organisation}"), email=address, organisation=situation.organisation.name)
            )  # fmt: skip
            return reasons
        if other.erased_at is not None:
            reasons.append(Reason(N_("{email} cannot take part any more"), email=address))
    taken = situation.colleague_enrolment
    if taken is not None:
        if taken.withdrawn_at is not None:
            reasons.append(Reason(N_("{email} was withdrawn from the round"), email=address))
        elif (taken.is_respondent and taken.handed_over_at is None) or situation.colleague_has_form:
            reasons.append(Reason(N_("{email} answers a self-assessment of their own in this round; please ask "
                                     "the coordination team"), email=address))  # fmt: skip
    return reasons


def handover_situation(session: Session, round_: Round, enrolment_id: int, colleague: Colleague) -> HandoverSituation:
    """Read what the rules of a handover look at; LookupError when the enrolment is not in the round."""
    found = session.exec(
        select(Enrolment, Participant, Organisation)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Enrolment.id == enrolment_id, Enrolment.round_id == round_.id)
    ).first()
    if found is None:
        raise LookupError(f"enrolment {enrolment_id} is not in round {round_.slug}")
    enrolment, person, organisation = found
    other = session.exec(select(Participant).where(Participant.email == colleague.address)).first()
    taken = None
    has_form = False
    if other is not None:
        taken = session.exec(
            select(Enrolment).where(Enrolment.round_id == round_.id, Enrolment.participant_id == other.id)
        ).first()
        if taken is not None:
            has_form = (
                session.exec(select(Submission.id).where(Submission.enrolment_id == taken.id)).first() is not None
            )
    return HandoverSituation(round_, enrolment, person, organisation, other, taken, has_form)


@dataclass(frozen=True)
class HandedOver:
    """A handover done: who handed to whom, the colleague's new link, and what happened to the first link."""

    round_id: int
    from_enrolment_id: int
    to_enrolment_id: int
    first_person: Participant
    colleague: Participant
    organisation: Organisation
    colleague_link: IssuedLink
    first_link_kept: bool
    submission_id: int | None  # None: nothing was saved yet, the colleague starts the form
    submitted_version: int  # the last version submitted; 0: never submitted
    has_draft: bool  # answers saved that are not submitted
    colleague_created: bool  # a new participant of the organisation
    at: datetime


def hand_over(
    session: Session,
    round_: Round,
    enrolment_id: int,
    colleague: Colleague,
    *,
    actor: str,
    secret: bytes,
    link_expires_at: datetime,
    now: datetime,
) -> HandedOver:
    """Hand the organisation's form from the person enrolled as `enrolment_id` to `colleague`, in the
    caller's transaction (which holds the round's lock: review_model.round_lock). HandoverRefused with every
    reason when it cannot be done (see `handover_refusals`).

    The colleague becomes a participant of the organisation if they are none, a respondent of the round (a
    reviewer only if they were one), and gets their own link, valid until `link_expires_at`; the submission
    moves to them untouched. The first person's enrolment is marked, loses the respondent role, and its
    self-assessment link is revoked unless the round keeps it. The audit trail records it by enrolment ids.
    """
    assert round_.id is not None
    situation = handover_situation(session, round_, enrolment_id, colleague)
    reasons = handover_refusals(situation, colleague, now)
    if reasons:
        raise HandoverRefused(reasons)
    first, person, organisation = situation.enrolment, situation.person, situation.organisation
    assert organisation.id is not None
    other, created = situation.colleague, False
    if other is None:
        other = Participant(email=colleague.address, name=colleague.name.strip(), language=colleague.language,
                            organisation_id=organisation.id, expertise=[], created_at=now)  # fmt: skip
        session.add(other)
        session.flush()
        created = True
    assert other.id is not None
    taking = situation.colleague_enrolment
    if taking is None:
        taking = Enrolment(round_id=round_.id, participant_id=other.id, is_respondent=True, is_reviewer=False,
                           created_at=now)  # fmt: skip
        session.add(taking)
    taking.is_respondent, taking.handed_over_at = True, None  # handed back to someone who had it before
    # Their own invitation is the message below: the invitation stage must not send another, and reminders
    # count from here (review_model.reminders: only reminder times after the invitation count).
    taking.invited_at = now
    session.flush()
    assert taking.id is not None and first.id is not None

    submission = session.exec(select(Submission).where(Submission.enrolment_id == first.id).with_for_update()).first()
    if submission is not None:
        submission.enrolment_id = taking.id
    first.is_respondent, first.handed_over_at = False, now
    kept = round_.handover_keeps_first_link
    if not kept:
        first_links = session.exec(
            select(AccessToken).where(
                AccessToken.enrolment_id == first.id,
                AccessToken.purpose == TokenPurpose.self_assessment,
                col(AccessToken.revoked_at).is_(None),
            )
        ).all()
        for access in first_links:
            revoke_link(access, now)
    session.flush()
    link = issue_link(session, secret, round_id=round_.id, enrolment_id=taking.id,
                      purpose=TokenPurpose.self_assessment, expires_at=link_expires_at)  # fmt: skip
    record_event(session, round_.id, actor, HANDED_OVER, from_enrolment=first.id, to_enrolment=taking.id,
                 submission=submission.id if submission is not None else None, first_link_kept=kept,
                 colleague_new=created)  # fmt: skip
    return HandedOver(
        round_id=round_.id,
        from_enrolment_id=first.id,
        to_enrolment_id=taking.id,
        first_person=person,
        colleague=other,
        organisation=organisation,
        colleague_link=link,
        first_link_kept=kept,
        submission_id=submission.id if submission is not None else None,
        submitted_version=submission.version if submission is not None else 0,
        has_draft=submission is not None and bool(submission.answers) and not submission.is_submitted,
        colleague_created=created,
        at=now,
    )


@dataclass(frozen=True)
class Handover:
    """One handover of a round's form, as the round's history keeps it."""

    at: datetime
    from_enrolment_id: int
    to_enrolment_id: int


def handovers_in(session: Session, round_id: int) -> list[Handover]:
    """Every handover of the round's forms, earliest first (a round has few; read from the audit trail)."""
    rows = session.exec(
        select(AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.round_id == round_id, AuditEvent.action == HANDED_OVER)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    return [
        Handover(at, int(details["from_enrolment"]), int(details["to_enrolment"]))
        for at, details in rows
        if isinstance(details, dict) and "from_enrolment" in details and "to_enrolment" in details
    ]


def form_holder(session: Session, enrolment: Enrolment) -> Enrolment | None:
    """The enrolment that holds the form an enrolment handed over: followed through every later handover
    (A to B, then B to C: C). The enrolment itself when it handed nothing over; None when the trail ends
    at someone withdrawn, or nowhere."""
    if enrolment.handed_over_at is None:
        return enrolment
    handovers = handovers_in(session, enrolment.round_id)
    successor = {handover.from_enrolment_id: handover.to_enrolment_id for handover in handovers}
    current, seen = enrolment, set()
    while current.handed_over_at is not None:
        if current.id in seen or current.id not in successor:
            return None
        seen.add(current.id)
        found = session.get(Enrolment, successor[current.id])
        if found is None:
            return None
        current = found
    return current if current.withdrawn_at is None and current.is_respondent else None


def handed_over_link(session: Session, access: AccessToken) -> datetime | None:
    """When the form a revoked self-assessment link opened was handed over to a colleague, if that is why it
    was revoked; None for any other link."""
    if access.purpose is not TokenPurpose.self_assessment or access.revoked_at is None:
        return None
    enrolment = session.get(Enrolment, access.enrolment_id)
    if enrolment is None or enrolment.handed_over_at is None or enrolment.withdrawn_at is not None:
        return None
    return enrolment.handed_over_at if access.revoked_at == enrolment.handed_over_at else None


@dataclass(frozen=True)
class HandoverSeen:
    """A handover as a person's page in the console shows it: who handed the form to whom, and when."""

    at: datetime
    from_participant_id: int
    from_name: str
    to_participant_id: int
    to_name: str


def handovers_of(session: Session, round_id: int, enrolment_id: int) -> list[HandoverSeen]:
    """The handovers a person of the round took part in, either way, earliest first."""
    mine = [h for h in handovers_in(session, round_id) if enrolment_id in (h.from_enrolment_id, h.to_enrolment_id)]
    if not mine:
        return []
    ids = {h.from_enrolment_id for h in mine} | {h.to_enrolment_id for h in mine}
    people: dict[int | None, tuple[int | None, str]] = {
        enrolment_id: (participant_id, name)
        for enrolment_id, participant_id, name in session.exec(
            select(Enrolment.id, Participant.id, Participant.name)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .where(col(Enrolment.id).in_(ids))
        ).all()
    }
    seen = []
    for handover in mine:
        giver, taker = people.get(handover.from_enrolment_id), people.get(handover.to_enrolment_id)
        if giver is not None and taker is not None and giver[0] is not None and taker[0] is not None:
            seen.append(HandoverSeen(handover.at, giver[0], giver[1], taker[0], taker[1]))
    return seen
