"""A round's reviewer assignment as the coordinator checks it before confirming: per reviewed party its
reviewers, each with what their affinity is made of (review_model.round_assignment documents the formula),
and per reviewer their load against the round's bounds; and who may be put on a party instead of one of
its reviewers.

Three queries whatever the round's size (the assignments with both sides named, the reviewers with their
bounds, the reviewers' stated preferences), read as rows; the affinity's parts are worked out from them
in Python, as the solver's own arithmetic does.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from review_model.round_assignment import round_assignment_problem
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    ReviewAssignment,
    ReviewPreference,
    Round,
    Submission,
)
from review_model.vocabulary import AssignmentOrigin, FederalState, OrganisationKind
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part


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
    """A reviewed party (the organisation whose self-assessment is reviewed) and its reviewers, best fit first."""

    submission_id: int
    organisation: str
    kind: OrganisationKind
    state: FederalState | None
    reviewers: list[AssignedReviewer]


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    """A reviewer of the round (taking part) and the reviews assigned to them, against their bounds (their own,
    or the round's)."""

    participant_id: int
    enrolment_id: int
    name: str
    email: str
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
    """The round's assignment: parties by name, reviewers by name, and how many pairs wait for confirmation."""

    parties: list[AssignedParty]
    reviewers: list[ReviewerLoad]
    pairs: int
    unconfirmed: int

    @property
    def reviewers_with_reviews(self) -> int:
        """How many reviewers the assignment asks for at least one review."""
        return sum(1 for reviewer in self.reviewers if reviewer.load)


def assignment_overview(session: Session, round_: Round) -> AssignmentOverview:
    """The round's stored assignment (proposed or confirmed), its parties and the loads of its reviewers."""
    assert round_.id is not None
    reviewed_enrolment, reviewed_person, reviewed_org = aliased(Enrolment), aliased(Participant), aliased(Organisation)
    rows = session.exec(
        select_columns(
            ReviewAssignment.submission_id, reviewed_org.id, reviewed_org.name, reviewed_org.kind, reviewed_org.state,
            reviewed_person.expertise, ReviewAssignment.affinity, ReviewAssignment.origin,
            col(ReviewAssignment.confirmed_at).is_not(None), Participant.id, Enrolment.id, Participant.name,
            Participant.email, Organisation.name, Organisation.kind, Organisation.state, Participant.expertise,
            col(Enrolment.withdrawn_at).is_not(None),
        )
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(reviewed_enrolment, col(reviewed_enrolment.id) == Submission.enrolment_id)
        .join(reviewed_person, col(reviewed_person.id) == reviewed_enrolment.participant_id)
        .join(reviewed_org, col(reviewed_org.id) == reviewed_person.organisation_id)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewAssignment.round_id == round_.id)
    ).all()  # fmt: skip
    wishes = set(
        session.exec(
            select(ReviewPreference.participant_id, ReviewPreference.organisation_id)
            .join(Enrolment, col(Enrolment.participant_id) == ReviewPreference.participant_id)
            .where(Enrolment.round_id == round_.id, col(Enrolment.is_reviewer))
        ).all()
    )
    parties: dict[int, AssignedParty] = {}
    loads: dict[int, int] = {}
    unconfirmed = 0
    for (submission_id, org_id, org_name, org_kind, org_state, party_fields, affinity, origin, confirmed,
         person_id, enrolment_id, name, email, organisation, kind, state, fields, withdrawn) in rows:  # fmt: skip
        party = parties.setdefault(submission_id, AssignedParty(submission_id, org_name, org_kind, org_state, []))
        mine, theirs = set(fields), set(party_fields)
        parts = AffinityParts(tuple(sorted(mine & theirs)), len(mine | theirs), kind == org_kind,
                              (person_id, org_id) in wishes)  # fmt: skip
        party.reviewers.append(AssignedReviewer(person_id, enrolment_id, name, email, organisation, kind, state,
                                                affinity, parts, origin, confirmed, withdrawn))  # fmt: skip
        loads[enrolment_id] = loads.get(enrolment_id, 0) + 1
        unconfirmed += 0 if confirmed else 1
    for party in parties.values():
        party.reviewers.sort(key=lambda reviewer: (-reviewer.affinity, reviewer.name))
    return AssignmentOverview(
        parties=sorted(parties.values(), key=lambda party: (party.organisation, party.submission_id)),
        reviewers=_reviewers(session, round_, loads),
        pairs=len(rows),
        unconfirmed=unconfirmed,
    )


def _reviewers(session: Session, round_: Round, loads: dict[int, int]) -> list[ReviewerLoad]:
    """Every reviewer taking part in the round, by name, with the reviews `loads` gives them."""
    found = session.exec(
        select_columns(
            Participant.id, Enrolment.id, Participant.name, Participant.email, Organisation.name, Organisation.kind,
            Organisation.state, Enrolment.min_reviews, Enrolment.max_reviews,
        )
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Enrolment.round_id == round_.id, col(Enrolment.is_reviewer), taking_part())
    ).all()  # fmt: skip
    reviewers = []
    for person_id, enrolment_id, name, email, organisation, kind, state, least, most in found:
        least = round_.min_reviews_per_reviewer if least is None else least  # the round's bounds unless their own
        most = round_.max_reviews_per_reviewer if most is None else most
        reviewers.append(ReviewerLoad(person_id, enrolment_id, name, email, organisation, kind, state,
                                      loads.get(enrolment_id, 0), least, most))  # fmt: skip
    return sorted(reviewers, key=lambda reviewer: (reviewer.name, reviewer.enrolment_id))


def swap_candidates(session: Session, round_: Round, overview: AssignmentOverview, submission_id: int) -> list[int]:
    """The enrolments of the reviewers who may review this submission at all (not of its organisation, no
    conflict declared with it, not from its Land where the round excludes that) and do not review it yet, by
    name. Whether the swap keeps the loads, the kinds and mutual review within the rules is for the swap to
    check: it names every rule it would break."""
    instance = round_assignment_problem(session, round_)
    if submission_id not in instance.submission_ids:
        return []
    s = instance.submission_ids.index(submission_id)
    problem = instance.problem
    eligible = {instance.reviewer_enrolment_ids[int(r)] for r in problem.pair_reviewer[problem.pair_submission == s]}
    party = next((party for party in overview.parties if party.submission_id == submission_id), None)
    already = {reviewer.enrolment_id for reviewer in party.reviewers} if party else set()
    return [r.enrolment_id for r in overview.reviewers if r.enrolment_id in eligible - already]


def moment_confirmed(session: Session, round_id: int) -> datetime | None:
    """When the round's assignment was last confirmed, if it was."""
    return session.exec(
        select(ReviewAssignment.confirmed_at)
        .where(ReviewAssignment.round_id == round_id, col(ReviewAssignment.confirmed_at).is_not(None))
        .order_by(col(ReviewAssignment.confirmed_at).desc())
    ).first()
