"""A round's reviewer assignment as the coordinator checks it before confirming: per reviewed party its
reviewers, each with what their affinity is made of (review_model.round_assignment documents the formula),
and per reviewer their load against the round's bounds; and who may be put on a party instead of one of
its reviewers.

A round may have 10,000 parties and 30,000 pairs, so the overview reads the parties, the reviewers' loads and
the totals as grouped Core rows (three queries), and a page asks `with_reviewers` for the reviewers of the
parties it shows (two queries more); the affinity's parts are worked out from those rows, as the solver's own
arithmetic does.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Integer, case, cast, func, select
from sqlmodel import Session

from review_model.tables import (
    ConflictDeclaration,
    Enrolment,
    Organisation,
    Participant,
    ReviewAssignment,
    ReviewPreference,
    Round,
    Submission,
    table_of,
)
from review_model.vocabulary import AssignmentOrigin, FederalState, OrganisationKind


@dataclass(frozen=True, slots=True)
class AffinityParts:
    """What a pair's affinity is made of: the fields of action both declared, out of those either declared;
    whether both organisations are of one kind; whether the reviewer asked to review that organisation."""

    shared_fields: tuple[str, ...]
    fields_either: int
    same_kind: bool
    preferred: bool


@dataclass(frozen=True, slots=True)
class AssignedReviewer:
    """One reviewer of a reviewed party, with their organisation and the affinity of the pair."""

    participant_id: int
    enrolment_id: int
    name: str
    email: str
    organisation: str
    kind: OrganisationKind
    state: FederalState | None
    affinity: float
    parts: AffinityParts
    origin: AssignmentOrigin  # the solver's proposal, or a coordinator's swap
    confirmed: bool
    withdrawn: bool


@dataclass(frozen=True, slots=True)
class AssignedParty:
    """A reviewed party (the organisation whose self-assessment is reviewed) and, once asked for with
    `with_reviewers`, its reviewers, best fit first."""

    submission_id: int
    organisation_id: int
    organisation: str
    kind: OrganisationKind
    state: FederalState | None
    reviewers: list[AssignedReviewer] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    """A reviewer of the round (taking part) and the reviews assigned to them, against their bounds (their own,
    or the round's)."""

    participant_id: int
    enrolment_id: int
    name: str
    email: str
    organisation_id: int
    organisation: str
    kind: OrganisationKind
    state: FederalState | None
    load: int
    min_load: int
    max_load: int

    @property
    def outside_bounds(self) -> bool:
        return not self.min_load <= self.load <= self.max_load


@dataclass(frozen=True)
class AssignmentOverview:
    """The round's assignment: parties by name, reviewers by name, the pairs, and how many wait for
    confirmation."""

    parties: list[AssignedParty]
    reviewers: list[ReviewerLoad]
    pairs: int
    unconfirmed: int

    @property
    def reviewers_with_reviews(self) -> int:
        """How many reviewers the assignment asks for at least one review."""
        return sum(1 for reviewer in self.reviewers if reviewer.load)


_assignments, _enrolments, _people = table_of(ReviewAssignment), table_of(Enrolment), table_of(Participant)
_organisations, _submissions = table_of(Organisation), table_of(Submission)


def assignment_overview(session: Session, round_: Round) -> AssignmentOverview:
    """The round's stored assignment (proposed or confirmed): its parties (without their reviewers: see
    `with_reviewers`), the loads of its reviewers, and its totals."""
    assert round_.id is not None
    connection = session.connection()
    mine = _assignments.c.round_id == round_.id
    pairs, unconfirmed = connection.execute(
        select(func.count(), func.coalesce(func.sum(cast(case((_assignments.c.confirmed_at.is_(None), 1), else_=0),
                                                          Integer)), 0)).where(mine)
    ).one()  # fmt: skip
    assigned = select(_assignments.c.submission_id).where(mine).group_by(_assignments.c.submission_id).subquery()
    parties = [
        AssignedParty(submission_id, organisation_id, name, kind, state)
        for submission_id, organisation_id, name, kind, state in connection.execute(
            select(_submissions.c.id, _organisations.c.id, _organisations.c.name, _organisations.c.kind,
                   _organisations.c.state)
            .select_from(assigned.join(_submissions, _submissions.c.id == assigned.c.submission_id)
                         .join(_enrolments, _enrolments.c.id == _submissions.c.enrolment_id)
                         .join(_people, _people.c.id == _enrolments.c.participant_id)
                         .join(_organisations, _organisations.c.id == _people.c.organisation_id))
        )
    ]  # fmt: skip
    parties.sort(key=lambda party: (party.organisation, party.submission_id))
    return AssignmentOverview(parties, _reviewer_loads(session, round_), int(pairs), int(unconfirmed))


def _reviewer_loads(session: Session, round_: Round) -> list[ReviewerLoad]:
    """Every reviewer taking part in the round, by name, with the reviews assigned to them."""
    loads = (
        select(_assignments.c.reviewer_enrolment_id, func.count().label("load"))
        .where(_assignments.c.round_id == round_.id)
        .group_by(_assignments.c.reviewer_enrolment_id)
        .subquery()
    )
    rows = session.connection().execute(
        select(_people.c.id, _enrolments.c.id, _people.c.name, _people.c.email, _organisations.c.id,
               _organisations.c.name, _organisations.c.kind, _organisations.c.state, func.coalesce(loads.c.load, 0),
               _enrolments.c.min_reviews, _enrolments.c.max_reviews)
        .select_from(_enrolments.join(_people, _people.c.id == _enrolments.c.participant_id)
                     .join(_organisations, _organisations.c.id == _people.c.organisation_id)
                     .outerjoin(loads, loads.c.reviewer_enrolment_id == _enrolments.c.id))
        .where(_enrolments.c.round_id == round_.id, _enrolments.c.is_reviewer, _enrolments.c.withdrawn_at.is_(None))
    )  # fmt: skip
    reviewers = []
    for person_id, enrolment_id, name, email, org_id, organisation, kind, state, load, least, most in rows:
        least = round_.min_reviews_per_reviewer if least is None else least  # the round's bounds unless their own
        most = round_.max_reviews_per_reviewer if most is None else most
        reviewers.append(ReviewerLoad(person_id, enrolment_id, name, email, org_id, organisation, kind, state,
                                      int(load), least, most))  # fmt: skip
    return sorted(reviewers, key=lambda reviewer: (reviewer.name, reviewer.enrolment_id))


def with_reviewers(session: Session, round_: Round, parties: Sequence[AssignedParty]) -> list[AssignedParty]:
    """`parties` (a page of them) with their reviewers, best fit first, each with the parts of their affinity."""
    if not parties:
        return []
    by_submission = {party.submission_id: party for party in parties}
    party_person, reviewer_person = _people.alias("party_person"), _people.alias("reviewer_person")
    party_enrolment = _enrolments.alias("party_enrolment")
    rows = session.connection().execute(
        select(_assignments.c.submission_id, party_person.c.expertise, _assignments.c.affinity,
               _assignments.c.origin, _assignments.c.confirmed_at.is_not(None), reviewer_person.c.id,
               _enrolments.c.id, reviewer_person.c.name, reviewer_person.c.email, _organisations.c.name,
               _organisations.c.kind, _organisations.c.state, reviewer_person.c.expertise,
               _enrolments.c.withdrawn_at.is_not(None))
        .select_from(_assignments.join(_submissions, _submissions.c.id == _assignments.c.submission_id)
                     .join(party_enrolment, party_enrolment.c.id == _submissions.c.enrolment_id)
                     .join(party_person, party_person.c.id == party_enrolment.c.participant_id)
                     .join(_enrolments, _enrolments.c.id == _assignments.c.reviewer_enrolment_id)
                     .join(reviewer_person, reviewer_person.c.id == _enrolments.c.participant_id)
                     .join(_organisations, _organisations.c.id == reviewer_person.c.organisation_id))
        .where(_assignments.c.round_id == round_.id, _assignments.c.submission_id.in_(list(by_submission)))
    ).all()  # fmt: skip
    preferences = table_of(ReviewPreference)
    wishes = set(
        session.connection()
        .execute(
            select(preferences.c.participant_id, preferences.c.organisation_id).where(
                preferences.c.participant_id.in_({row[5] for row in rows}),
                preferences.c.organisation_id.in_({party.organisation_id for party in parties}),
            )
        )
        .all()
    )
    reviewers: dict[int, list[AssignedReviewer]] = {submission_id: [] for submission_id in by_submission}
    for (submission_id, party_fields, affinity, origin, confirmed, person_id, enrolment_id, name, email,
         organisation, kind, state, fields, withdrawn) in rows:  # fmt: skip
        party = by_submission[submission_id]
        own, theirs = set(fields), set(party_fields)
        parts = AffinityParts(tuple(sorted(own & theirs)), len(own | theirs), kind == party.kind,
                              (person_id, party.organisation_id) in wishes)  # fmt: skip
        reviewers[submission_id].append(AssignedReviewer(person_id, enrolment_id, name, email, organisation, kind,
                                                         state, affinity, parts, AssignmentOrigin(origin), confirmed,
                                                         withdrawn))  # fmt: skip
    return [
        replace(party, reviewers=sorted(reviewers[party.submission_id], key=lambda r: (-r.affinity, r.name)))
        for party in parties
    ]


def swap_candidates(session: Session, round_: Round, overview: AssignmentOverview, party: AssignedParty) -> list[int]:
    """The enrolments of the reviewers who may review `party` (given with its reviewers) at all and do not review
    it yet, by name: of another organisation, without a conflict declared with it, and from another Land where
    the round excludes the same Land, the pairs review_model.round_assignment makes eligible. Whether the swap
    keeps the loads, the kinds and mutual review within the rules is for the swap to check: it names every
    rule it would break."""
    declarations = table_of(ConflictDeclaration)
    conflicted = set(
        session.connection()
        .execute(select(declarations.c.participant_id).where(declarations.c.organisation_id == party.organisation_id))
        .scalars()
    )
    already = {reviewer.enrolment_id for reviewer in party.reviewers}
    return [
        r.enrolment_id
        for r in overview.reviewers
        if r.organisation_id != party.organisation_id
        and r.participant_id not in conflicted
        and not (round_.exclude_same_state and party.state is not None and r.state == party.state)
        and r.enrolment_id not in already
    ]
