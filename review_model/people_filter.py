"""The people of a round as a coordinator looks them up: who they are, where they stand, and a filter to pick a
group (to read the list, or to write to them).

A filter's fields combine with AND; within a field, any of the values given will do ("respondents or
reviewers", "in Bayern or Sachsen"); a field left empty restricts nothing. Where a person stands in the round
(`PersonState`) is read from the tables the stages write (the enrolment's dates, the self-assessment, the
confirmed review assignments and their reviews), by one SQL condition per state, so the filter and the list
say the same. Listing a page is three queries however many people the round has: the count, the page, and
the last message to each person on the page.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, select
from sqlmodel import Session, col

from config.translations import N_, translate
from review_model import clock
from review_model.rounds import get_round
from review_model.stage_rules import STAGE_ORDER
from review_model.tables import (
    Enrolment,
    Organisation,
    OutboxMessage,
    Participant,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import FederalState, OrganisationKind, OutboxState, Stage, WorkStatus
from review_model.wide_select import select_columns

SEARCH_MAX_LENGTH = 200
DOMAIN = "review_model"


class Role(StrEnum):
    """What a person does in a round (an enrolment may hold several)."""

    respondent = "respondent"
    reviewer = "reviewer"
    decision_maker = "decision-maker"

    def label(self, language: str) -> str:
        """The role of one person: "respondent", „Befragte/r“."""
        return translate(language, DOMAIN, _ROLE_WORDS[self][0])

    def group(self, language: str) -> str:
        """People with the role, as a filter names them: "respondents", „Befragte“."""
        return translate(language, DOMAIN, _ROLE_WORDS[self][1])


_ROLE_WORDS = {
    Role.respondent: (N_("respondent"), N_("respondents")),
    Role.reviewer: (N_("reviewer"), N_("reviewers")),
    Role.decision_maker: (N_("decision-maker"), N_("decision-makers")),
}


class PersonState(StrEnum):
    """Where a person stands in the round; several may hold at once (invited, opened the link, submitted)."""

    not_invited = "not_invited"  # a respondent not yet sent an invitation
    invited = "invited"
    opened = "opened"  # opened their self-assessment link at least once
    draft_saved = "draft_saved"  # a self-assessment saved, not submitted
    submitted = "submitted"  # the self-assessment submitted
    not_submitted = "not_submitted"  # a respondent whose self-assessment is not submitted
    open_reviews = "open_reviews"  # a confirmed review not submitted, before the review deadline
    late_reviews = "late_reviews"  # a confirmed review not submitted, after the review deadline
    replied = "replied"  # the reviewed party sent its reply to the draft findings
    not_replied = "not_replied"  # from the comment stage on: a reviewed party that has not sent its reply
    bounced = "bounced"  # the mail server refused their address
    withdrawn = "withdrawn"
    opted_out = "opted_out"

    def label(self, language: str) -> str:
        """The state as the list of people shows it: "draft saved", „Entwurf gespeichert“."""
        return translate(language, DOMAIN, _STATE_WORDS[self][0])

    def clause(self, language: str) -> str:
        """The state as a filter says it of people: "who have saved a draft", „die einen Entwurf gespeichert haben“
        (without the relative pronoun: "have saved a draft", „einen Entwurf gespeichert haben“)."""
        return translate(language, DOMAIN, _STATE_WORDS[self][1])


_STATE_WORDS = {
    PersonState.not_invited: (N_("not yet invited"), N_("have not been invited yet")),
    PersonState.invited: (N_("invited"), N_("have been invited")),
    PersonState.opened: (N_("opened the link"), N_("have opened their link")),
    PersonState.draft_saved: (N_("draft saved"), N_("have saved a draft")),
    PersonState.submitted: (N_("submitted"), N_("have submitted")),
    PersonState.not_submitted: (N_("not submitted"), N_("have not submitted")),
    PersonState.open_reviews: (N_("reviews open"), N_("have reviews open")),
    PersonState.late_reviews: (N_("reviews late"), N_("have reviews past the deadline")),
    PersonState.replied: (N_("replied"), N_("have sent their reply")),
    PersonState.not_replied: (N_("no reply yet"), N_("have not sent their reply")),
    PersonState.bounced: (N_("email bounced"), N_("whose email bounced")),
    PersonState.withdrawn: (N_("withdrawn"), N_("have been withdrawn")),
    PersonState.opted_out: (N_("stopped reminders"), N_("have stopped their reminders")),
}
# Clauses that carry their own relative pronoun ("whose email bounced").
_OWN_PRONOUN = {PersonState.bounced}


class PeopleFilter(BaseModel):
    """Which people of a round: every field optional; fields combine with AND, a field's values with OR."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: frozenset[Role] = frozenset()
    kinds: frozenset[OrganisationKind] = frozenset()
    lands: frozenset[FederalState] = frozenset()
    states: frozenset[PersonState] = frozenset()
    # Part of the name, the address or the organisation's name, in any case.
    search: str | None = Field(default=None, max_length=SEARCH_MAX_LENGTH)

    @field_validator("search")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def as_record(self) -> dict[str, Any]:
        """The filter as plain JSON values, each field's values sorted (a set's order differs from one process to
        the next), without the fields left empty: for the audit trail and for ids that must not change."""
        record = self.model_dump(mode="json", exclude_defaults=True)
        return {name: sorted(value) if isinstance(value, list) else value for name, value in sorted(record.items())}

    @property
    def is_everyone(self) -> bool:
        """Whether the filter restricts nothing."""
        return not (self.roles or self.kinds or self.lands or self.states or self.search)


@dataclass(frozen=True)
class LastMessage:
    """The latest message queued for a person in the round."""

    kind: str
    at: datetime  # when it was queued
    state: OutboxState


@dataclass(frozen=True)
class PersonRow:
    """One person of the round, as the list shows them."""

    enrolment_id: int
    participant_id: int
    name: str
    email: str
    organisation: str
    kind: OrganisationKind
    land: FederalState | None
    roles: tuple[Role, ...]
    states: tuple[PersonState, ...]  # in PersonState's order
    reminders: int  # reminders of every kind they had in the round
    last_message: LastMessage | None


@dataclass(frozen=True)
class PeoplePage:
    rows: list[PersonRow]
    total: int  # everyone the filter matches, on every page
    offset: int
    limit: int | None


def state_conditions(round_: Round, now: datetime) -> dict[PersonState, ColumnElement[bool]]:
    """One SQL condition per state, on `Enrolment` and the outer-joined `Submission` of a query like
    `matching`: the one definition of each state, for the filter and for the list."""
    status = col(Submission.status)
    # Written as an anti-join (no submitted review), not as an outer join filtered on the review's status: the
    # planners then estimate how many match, and PostgreSQL picks hash joins over nested loops.
    review_open = exists(
        select(col(ReviewAssignment.id)).where(
            col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id,
            col(ReviewAssignment.confirmed_at).is_not(None),
            ~exists(
                select(col(Review.id)).where(
                    col(Review.assignment_id) == ReviewAssignment.id, col(Review.status) == WorkStatus.submitted
                )
            ),
        )
    )
    before_deadline = now < round_.review_deadline
    replies_asked = STAGE_ORDER.index(round_.stage) >= STAGE_ORDER.index(Stage.comment)
    return {
        PersonState.not_invited: and_(col(Enrolment.is_respondent), col(Enrolment.invited_at).is_(None)),
        PersonState.invited: col(Enrolment.invited_at).is_not(None),
        PersonState.opened: col(Enrolment.first_opened_at).is_not(None),
        PersonState.draft_saved: status == WorkStatus.draft,
        PersonState.submitted: status == WorkStatus.submitted,
        PersonState.not_submitted: and_(
            col(Enrolment.is_respondent), or_(status.is_(None), status != WorkStatus.submitted)
        ),
        PersonState.open_reviews: review_open if before_deadline else false(),
        PersonState.late_reviews: false() if before_deadline else review_open,
        PersonState.replied: col(Submission.reply_submitted_at).is_not(None),
        PersonState.not_replied: (
            and_(status == WorkStatus.submitted, col(Submission.reply_submitted_at).is_(None))
            if replies_asked
            else false()
        ),
        PersonState.bounced: col(Enrolment.bounced_at).is_not(None),
        PersonState.withdrawn: col(Enrolment.withdrawn_at).is_not(None),
        PersonState.opted_out: col(Enrolment.opted_out_at).is_not(None),
    }


def _role_condition(role: Role) -> ColumnElement[bool]:
    column = {Role.respondent: Enrolment.is_respondent, Role.reviewer: Enrolment.is_reviewer,
              Role.decision_maker: Enrolment.is_decision_maker}[role]  # fmt: skip
    return col(column).is_(True)


def matching(columns: list[Any], round_: Round, people: PeopleFilter, now: datetime) -> Any:
    """SELECT `columns` of the round's enrolments the filter matches, joined to the person (Participant), their
    organisation (Organisation) and their self-assessment if any (Submission)."""
    conditions = state_conditions(round_, now)
    statement = (
        select_columns(*columns)
        .select_from(Enrolment)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .outerjoin(Submission, col(Submission.enrolment_id) == Enrolment.id)
        .where(col(Enrolment.round_id) == round_.id)
    )
    if people.roles:
        statement = statement.where(or_(*(_role_condition(role) for role in sorted(people.roles))))
    if people.kinds:
        statement = statement.where(col(Organisation.kind).in_(sorted(people.kinds)))
    if people.lands:
        statement = statement.where(col(Organisation.state).in_(sorted(people.lands)))
    if people.states:
        statement = statement.where(or_(*(conditions[state] for state in PersonState if state in people.states)))
    if people.search:
        wanted = people.search.lower()
        statement = statement.where(
            or_(*(func.lower(column).contains(wanted, autoescape=True)
                  for column in (col(Participant.name), col(Participant.email), col(Organisation.name))))
        )  # fmt: skip
    return statement


def count_people(session: Session, round_id: int, people: PeopleFilter, *, now: datetime | None = None) -> int:
    """How many people of the round the filter matches."""
    round_ = get_round(session, round_id)
    statement = matching([func.count()], round_, people, now or clock.now())
    return int(session.execute(statement).scalar_one())


def people_in_round(
    session: Session,
    round_id: int,
    people: PeopleFilter,
    *,
    offset: int = 0,
    limit: int | None = 50,
    now: datetime | None = None,
) -> PeoplePage:
    """One page of the people the filter matches, by organisation and name, with the total on every page.

    The page is chosen first, by the enrolments' ids alone, and only its rows are read in full: the states of
    the people skipped over are never worked out, so a page near the end costs what the first one does."""
    round_ = get_round(session, round_id)
    now = now or clock.now()
    conditions = state_conditions(round_, now)
    flags = [case((conditions[state], 1), else_=0) for state in PersonState]
    columns = [
        Enrolment.id, Participant.id, Participant.name, Participant.email, Organisation.name, Organisation.kind,
        Organisation.state, Enrolment.is_respondent, Enrolment.is_reviewer, Enrolment.is_decision_maker,
        col(Enrolment.reminders_sent) + col(Enrolment.review_reminders_sent) + col(Enrolment.reply_reminders_sent),
        *flags,
    ]  # fmt: skip
    order = (col(Organisation.name), col(Participant.name), col(Enrolment.id))
    if limit is None:  # everyone from `offset` on: one pass
        found = session.execute(matching(columns, round_, people, now).order_by(*order).offset(offset)).all()
    else:
        page = session.execute(
            matching([Enrolment.id], round_, people, now).order_by(*order).offset(offset).limit(limit)
        ).scalars().all()  # fmt: skip
        position = {enrolment_id: index for index, enrolment_id in enumerate(page)}
        read = session.execute(matching(columns, round_, PeopleFilter(), now).where(col(Enrolment.id).in_(page)))
        found = sorted(read.all(), key=lambda row: position[row[0]]) if page else []
    total = len(found) + offset if limit is None or (len(found) < limit and (found or offset == 0)) else None
    if total is None:
        total = count_people(session, round_id, people, now=now)
    latest = _last_messages(session, round_id, [row[1] for row in found])
    rows = [
        PersonRow(
            enrolment_id=row[0], participant_id=row[1], name=row[2], email=row[3], organisation=row[4],
            kind=OrganisationKind(row[5]), land=FederalState(row[6]) if row[6] is not None else None,
            roles=tuple(role for role, holds in zip(Role, row[7:10], strict=True) if holds),
            states=tuple(state for state, flag in zip(PersonState, row[11:], strict=True) if flag),
            reminders=int(row[10]), last_message=latest.get(row[1]),
        )
        for row in found
    ]  # fmt: skip
    return PeoplePage(rows, total, offset, limit)


def _last_messages(session: Session, round_id: int, participant_ids: list[int]) -> dict[int, LastMessage]:
    """The latest message queued for each of these people in the round, in one query."""
    if not participant_ids:
        return {}
    latest = (
        select(func.max(OutboxMessage.id))
        .where(col(OutboxMessage.round_id) == round_id)
        .where(col(OutboxMessage.recipient_participant_id).in_(participant_ids))
        .group_by(col(OutboxMessage.recipient_participant_id))
    )
    rows = session.execute(
        select_columns(OutboxMessage.recipient_participant_id, OutboxMessage.kind, OutboxMessage.created_at,
               OutboxMessage.state).where(col(OutboxMessage.id).in_(latest))
    ).all()  # fmt: skip
    return {pid: LastMessage(kind, at, OutboxState(state)) for pid, kind, at, state in rows if pid is not None}


def describe_filter(people: PeopleFilter, language: str) -> str:
    """The filter in words, in `language`: "respondents from municipalities in Bayern who have not submitted",
    „Befragte aus Kommunen in Bayern, die nicht eingereicht haben“."""

    def _(message: str, **values: object) -> str:
        return translate(language, DOMAIN, message, **values)

    def either(words: list[str]) -> str:
        if len(words) < 2:
            return "".join(words)
        # Translators: joins the last two of a list of alternatives, as in "respondents, reviewers or decision-makers".
        return _("{items} or {last}", items=", ".join(words[:-1]), last=words[-1])

    roles = [role.group(language) for role in Role if role in people.roles]
    if people.is_everyone:
        return _("everyone")
    parts = [either(roles) if roles else _("people")]
    if people.kinds:
        parts.append(either([_(_KIND_GROUPS[kind]) for kind in OrganisationKind if kind in people.kinds]))
    if people.lands:
        parts.append(_("in {lands}", lands=either([land.label for land in FederalState if land in people.lands])))
    if people.search:
        parts.append(_("matching “{text}” in name, email or organisation", text=people.search))
    described = " ".join(parts)
    if people.states:
        clauses = [
            state.clause(language) if state in _OWN_PRONOUN else _("who {clause}", clause=state.clause(language))
            for state in PersonState
            if state in people.states
        ]
        # Translators: the people a filter describes, then what holds of them: "respondents in Bayern who have
        # not submitted" (German puts a comma before the relative clause).
        described = _("{people} {clauses}", people=described, clauses=either(clauses))
    return described


# People from organisations of each kind, as a filter says it: "from municipalities", „aus Kommunen“.
_KIND_GROUPS = {
    OrganisationKind.bund: N_("from the federal government"),
    OrganisationKind.land: N_("from federal states"),
    OrganisationKind.kommune: N_("from municipalities"),
    OrganisationKind.region: N_("from regions and districts"),
    OrganisationKind.unternehmen: N_("from companies"),
    OrganisationKind.wissenschaft: N_("from research"),
    OrganisationKind.zivilgesellschaft: N_("from civil society"),
}
