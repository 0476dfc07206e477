"""Reviewer assignment inside a round: who may review whom, how well they fit, and the stored result.

Eligible pairs: a submitted self-assessment and an enrolled reviewer of another organisation, without a
declared conflict, and from another federal state when the round excludes the same state. A withdrawn
reviewer is in no new proposal; a self-assessment submitted before its respondent was withdrawn is still
reviewed (review_model.withdrawal).

Affinity (0 to 1), documented for coordinators:
    affinity = 0.6 × expertise overlap + 0.25 × same kind of organisation + 0.15 × stated preference
where the expertise overlap is the Jaccard index of the fields of action the reviewer declared and those the
reviewed party's respondent declared (people in the same fields review each other best), "same kind" is 1
when both organisations are of one kind (peers of the same kind, the round's default preference), and the
stated preference is 1 when the reviewer asked to review that organisation (the `preferences` column of
the participants file).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import Session, col, delete, select

from config.translations import N_
from review_model.assignment_rules import assignment_rule_breaches, closest, did_you_mean
from review_model.assignment_solver import Assignment, AssignmentProblem, solve_assignment
from review_model.lead_reviewer import propose_leads
from review_model.refusals import Reason, Refused, reasons_in
from review_model.tables import (
    ConflictDeclaration,
    Enrolment,
    Organisation,
    Participant,
    ReviewAssignment,
    ReviewPreference,
    Round,
    Submission,
)
from review_model.vocabulary import AssignmentOrigin, Stage
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part

EXPERTISE_WEIGHT, SAME_KIND_WEIGHT, PREFERENCE_WEIGHT = 0.6, 0.25, 0.15


@dataclass(frozen=True)
class RoundAssignmentProblem:
    problem: AssignmentProblem
    submission_ids: list[int]
    reviewer_enrolment_ids: list[int]
    # What the rules need to name the people and organisations concerned when they are broken.
    organisation_names: dict[int, str] = field(default_factory=dict)  # organisation id -> name
    kind_names: list[str] = field(default_factory=list)  # kind index -> kind
    submission_states: list[str] = field(default_factory=list)
    reviewer_states: list[str] = field(default_factory=list)
    declared_conflicts: frozenset[tuple[int, int]] = frozenset()  # (submission index, reviewer index)
    exclude_same_state: bool = False


def round_assignment_problem(
    session: Session, round_: Round, reviewers_for: dict[str, int] | None = None
) -> RoundAssignmentProblem:
    """The assignment problem of a round, from its submitted self-assessments and its reviewers.

    `reviewers_for` overrides the round's reviewers per submission for named reviewed organisations; a name
    that is not one of them raises ValueError (with the name meant, where one is close).
    """
    subs = session.exec(
        select_columns(
            Submission.id,
            Participant.expertise,
            Organisation.id,
            Organisation.kind,
            Organisation.state,
            Organisation.name,
        )
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Submission.round_id == round_.id, Submission.is_submitted)
        .order_by(col(Submission.id))
    ).all()
    revs = session.exec(
        select_columns(
            Enrolment.id,
            Participant.id,
            Participant.expertise,
            Participant.email,
            Organisation.id,
            Organisation.kind,
            Organisation.state,
            Enrolment.min_reviews,
            Enrolment.max_reviews,
        )
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Enrolment.round_id == round_.id, col(Enrolment.is_reviewer), taking_part())
        .order_by(col(Enrolment.id))
    ).all()
    names = [r[5] for r in subs]
    unknown = sorted(set(reviewers_for or {}) - set(names))
    if unknown:
        raise ValueError(
            "; ".join(f"no submitted self-assessment of an organisation named {name!r}{did_you_mean(name, names)}"
                      for name in unknown)
        )  # fmt: skip
    fields = sorted({field for row in subs for field in row[1]} | {field for row in revs for field in row[2]})
    bit = {field: 1 << index for index, field in enumerate(fields)}

    def mask(expertise: list[str]) -> int:
        return sum(bit[field] for field in set(expertise))

    kinds = {kind: index for index, kind in enumerate(sorted({r[3] for r in subs} | {r[5] for r in revs}))}
    sub_org = np.array([r[2] for r in subs], dtype=np.int64)
    sub_kind = np.array([kinds[r[3]] for r in subs], dtype=np.int64)
    sub_state = np.array([r[4].value if r[4] else "" for r in subs], dtype=object)
    sub_skill = np.array([mask(r[1]) for r in subs], dtype=np.uint64)
    rev_org = np.array([r[4] for r in revs], dtype=np.int64)
    rev_kind = np.array([kinds[r[5]] for r in revs], dtype=np.int64)
    rev_state = np.array([r[6].value if r[6] else "" for r in revs], dtype=object)
    rev_skill = np.array([mask(r[2]) for r in revs], dtype=np.uint64)

    eligible = sub_org[:, None] != rev_org[None, :]
    if round_.exclude_same_state:
        eligible &= ~((sub_state[:, None] == rev_state[None, :]) & (sub_state[:, None] != ""))
    participant_column = {participant_id: j for j, (_, participant_id, *_rest) in enumerate(revs)}
    org_rows: dict[int, list[int]] = {}
    for i, org in enumerate(sub_org.tolist()):
        org_rows.setdefault(org, []).append(i)
    declared = session.exec(
        select(ConflictDeclaration.participant_id, ConflictDeclaration.organisation_id).where(
            col(ConflictDeclaration.participant_id).in_(list(participant_column))
        )
    ).all()
    conflicts: set[tuple[int, int]] = set()
    for participant_id, organisation_id in declared:
        eligible[org_rows.get(organisation_id, []), participant_column[participant_id]] = False
        conflicts.update((row, participant_column[participant_id]) for row in org_rows.get(organisation_id, []))

    shared = np.bitwise_count(sub_skill[:, None] & rev_skill[None, :]).astype(np.float64)
    either = np.bitwise_count(sub_skill[:, None] | rev_skill[None, :]).astype(np.float64)
    overlap = np.divide(shared, either, out=np.zeros_like(shared), where=either > 0)
    preferred = np.zeros_like(overlap)
    wishes = session.exec(
        select(ReviewPreference.participant_id, ReviewPreference.organisation_id).where(
            col(ReviewPreference.participant_id).in_(list(participant_column))
        )
    ).all()
    for participant_id, organisation_id in wishes:
        preferred[org_rows.get(organisation_id, []), participant_column[participant_id]] = 1.0
    same_kind = sub_kind[:, None] == rev_kind[None, :]
    affinity = EXPERTISE_WEIGHT * overlap + SAME_KIND_WEIGHT * same_kind + PREFERENCE_WEIGHT * preferred
    pair_sub, pair_rev = np.nonzero(eligible)

    n_rev = len(revs)
    min_load = np.array([r[7] if r[7] is not None else round_.min_reviews_per_reviewer for r in revs], dtype=np.int64)
    max_load = np.array([r[8] if r[8] is not None else round_.max_reviews_per_reviewer for r in revs], dtype=np.int64)
    diverse = round_.max_reviewers_per_kind is not None
    problem = AssignmentProblem(
        submissions=[r[5] for r in subs],
        reviewers=[r[3] for r in revs],
        pair_submission=pair_sub.astype(np.int64),
        pair_reviewer=pair_rev.astype(np.int64),
        pair_affinity=np.round(affinity[pair_sub, pair_rev], 4),
        reviewers_per_submission=np.array(
            [(reviewers_for or {}).get(r[5], round_.reviewers_per_submission) for r in subs], dtype=np.int64
        ),
        min_load=min_load if n_rev else np.zeros(0, dtype=np.int64),
        max_load=max_load if n_rev else np.zeros(0, dtype=np.int64),
        reviewer_kind=rev_kind if diverse else None,
        submission_kind=sub_kind if diverse else None,
        max_per_kind=round_.max_reviewers_per_kind,
        reviewer_organisation=rev_org,
        submission_organisation=sub_org,
        forbid_mutual=round_.forbid_mutual_review,
    )
    organisation_names = {
        organisation_id: name
        for organisation_id, name in session.exec(
            select(Organisation.id, Organisation.name).where(
                col(Organisation.id).in_(set(sub_org.tolist()) | set(rev_org.tolist()))
            )
        )
        if organisation_id is not None  # a stored row's key never is
    }
    return RoundAssignmentProblem(
        problem, [r[0] for r in subs], [r[0] for r in revs], organisation_names=organisation_names,
        kind_names=[getattr(kind, "value", str(kind)) for kind in sorted(kinds, key=kinds.__getitem__)],
        submission_states=list(sub_state), reviewer_states=list(rev_state), declared_conflicts=frozenset(conflicts),
        exclude_same_state=round_.exclude_same_state,
    )  # fmt: skip


def propose_assignment(
    session: Session, round_: Round, now: datetime, reviewers_for: dict[str, int] | None = None
) -> Assignment:
    """Solve the round's assignment and store it as a proposal for the coordinator, replacing any earlier one.

    Raises AssignmentInfeasible (nothing stored) when no complete assignment exists. Confirmed assignments are
    never replaced.
    """
    if session.exec(
        select(ReviewAssignment.id).where(
            ReviewAssignment.round_id == round_.id, col(ReviewAssignment.confirmed_at).is_not(None)
        )
    ).first():
        raise ValueError(f"the assignment of round {round_.slug} is confirmed already")
    instance = round_assignment_problem(session, round_, reviewers_for)
    assignment = solve_assignment(instance.problem)
    assert round_.id is not None
    session.exec(delete(ReviewAssignment).where(col(ReviewAssignment.round_id) == round_.id))
    problem = instance.problem
    session.add_all(
        ReviewAssignment(
            round_id=round_.id,
            submission_id=instance.submission_ids[int(problem.pair_submission[pair])],
            reviewer_enrolment_id=instance.reviewer_enrolment_ids[int(problem.pair_reviewer[pair])],
            affinity=float(problem.pair_affinity[pair]),
            origin=AssignmentOrigin.solver,
            created_at=now,
        )
        for pair in assignment.pairs.tolist()
    )
    session.flush()
    propose_leads(session, round_.id)
    return assignment


class AssignmentRefused(Refused):
    """A change or confirmation would break rules of the round; `reasons` names each rule and who breaks it."""

    def __init__(self, reasons: list[str]):
        super().__init__(reasons, _listed(reasons))

    def in_language(self, language: str) -> str:
        return _listed(reasons_in(language, self.reasons))


def _listed(reasons: list[str]) -> str:
    return "\n".join(f"  - {reason}" for reason in reasons)


SwapRefused = AssignmentRefused  # the name callers knew


def _not_a_reviewer(email: str, slug: str, meant: str | None) -> Reason:
    if meant is None:
        return Reason(N_("{email} is not a reviewer enrolled in {slug}"), email=email, slug=slug)
    return Reason(N_("{email} is not a reviewer enrolled in {slug} (did you mean {meant}?)"),
                  email=email, slug=slug, meant=repr(meant))  # fmt: skip


def find_reviewed_submission(session: Session, round_: Round, organisation: str) -> int:
    """The submitted self-assessment of the organisation with this name; AssignmentRefused (with the names
    it may have meant) when there is none."""
    instance = round_assignment_problem(session, round_)
    names = instance.problem.submissions
    if names.count(organisation) == 1:
        return instance.submission_ids[names.index(organisation)]
    if organisation in names:
        raise AssignmentRefused([Reason(N_("{organisation} names {count} submissions in {slug}"),
                                        organisation=repr(organisation), count=names.count(organisation),
                                        slug=round_.slug)])  # fmt: skip
    meant = closest(organisation, names)
    if meant is None:
        raise AssignmentRefused([Reason(N_("no submitted self-assessment of an organisation named {organisation} in "
                                           "{slug}"), organisation=repr(organisation), slug=round_.slug)])  # fmt: skip
    raise AssignmentRefused([Reason(N_("no submitted self-assessment of an organisation named {organisation} in "
                                       "{slug} (did you mean {meant}?)"),
                                    organisation=repr(organisation), slug=round_.slug, meant=repr(meant))])  # fmt: skip


def swap_reviewer(
    session: Session, round_: Round, submission_id: int, remove_email: str, add_email: str, now: datetime
) -> None:
    """Replace one reviewer of a submission by another; AssignmentRefused lists every rule the result would
    break (each hard rule of the solver, see assignment_rules). The changed assignment needs confirming again."""
    if round_.stage is not Stage.assignment:
        raise AssignmentRefused([Reason(N_("round {slug} is in stage {stage}; assignments change only before {review}"),
                                        slug=round_.slug, stage=round_.stage, review=Stage.review)])  # fmt: skip
    instance = round_assignment_problem(session, round_)
    problem = instance.problem
    if submission_id not in instance.submission_ids:
        raise AssignmentRefused([Reason(N_("that submission is not part of the round's assignment"))])
    reviewers = {email.lower(): index for index, email in enumerate(problem.reviewers)}
    unknown: list[str] = [
        _not_a_reviewer(email, round_.slug, closest(email.lower(), list(reviewers)))
        for email in (remove_email, add_email)
        if email.lower() not in reviewers
    ]
    if unknown:
        raise AssignmentRefused(unknown)
    assert round_.id is not None
    removed, added = reviewers[remove_email.lower()], reviewers[add_email.lower()]
    s = instance.submission_ids.index(submission_id)
    assignments = session.exec(select(ReviewAssignment).where(ReviewAssignment.round_id == round_.id)).all()
    by_pair = {(a.submission_id, a.reviewer_enrolment_id): a for a in assignments}
    old = by_pair.get((submission_id, instance.reviewer_enrolment_ids[removed]))
    reasons: list[str] = []
    if old is None:
        reasons.append(Reason(N_("{reviewer} does not review {submission}"),
                              reviewer=remove_email, submission=problem.submissions[s]))  # fmt: skip
    if (submission_id, instance.reviewer_enrolment_ids[added]) in by_pair:
        reasons.append(Reason(N_("{reviewer} reviews {submission} already"),
                              reviewer=add_email, submission=problem.submissions[s]))  # fmt: skip
    if reasons:
        raise AssignmentRefused(reasons)
    pairs = [pair for pair in _stored_pairs(instance, assignments, reasons) if pair != (s, removed)] + [(s, added)]
    reasons += assignment_rule_breaches(instance, pairs)
    if reasons:
        raise AssignmentRefused(reasons)
    allowed = (problem.pair_submission == s) & (problem.pair_reviewer == added)
    session.delete(old)
    session.flush()
    session.add(
        ReviewAssignment(
            round_id=round_.id,
            submission_id=submission_id,
            reviewer_enrolment_id=instance.reviewer_enrolment_ids[added],
            affinity=float(problem.pair_affinity[allowed][0]),
            origin=AssignmentOrigin.manual,
            created_at=now,
        )
    )  # fmt: skip
    for assignment in assignments:  # a changed assignment is confirmed again as a whole
        if assignment is not old:
            assignment.confirmed_at = None
    session.flush()
    propose_leads(session, round_.id)  # the party whose lead was taken off has a new one


def confirm_assignment(session: Session, round_: Round, now: datetime) -> int:
    """Confirm the proposed assignment after checking every rule again; returns the assignments confirmed.

    AssignmentRefused lists every rule the stored assignment breaks (a swap, a conflict declared since).
    """
    pending = session.exec(
        select(ReviewAssignment).where(
            ReviewAssignment.round_id == round_.id, col(ReviewAssignment.confirmed_at).is_(None)
        )
    ).all()
    if not pending:
        raise AssignmentRefused([Reason(N_("round {slug} has no proposed assignment to confirm"), slug=round_.slug)])
    instance = round_assignment_problem(session, round_)
    assignments = session.exec(select(ReviewAssignment).where(ReviewAssignment.round_id == round_.id)).all()
    reasons: list[str] = []
    pairs = _stored_pairs(instance, assignments, reasons)
    reasons += assignment_rule_breaches(instance, pairs)
    if reasons:
        raise AssignmentRefused(reasons)
    for assignment in pending:
        assignment.confirmed_at = now
    session.flush()
    return len(pending)


def _stored_pairs(
    instance: RoundAssignmentProblem, assignments: Sequence[ReviewAssignment], reasons: list[str]
) -> list[tuple[int, int]]:
    """The stored assignments as (submission index, reviewer index); those that no longer fit the round (a
    withdrawn reviewer or submission) are added to `reasons`."""
    submission = {sid: i for i, sid in enumerate(instance.submission_ids)}
    reviewer = {eid: j for j, eid in enumerate(instance.reviewer_enrolment_ids)}
    pairs = []
    for a in assignments:
        if a.submission_id not in submission or a.reviewer_enrolment_id not in reviewer:
            reasons.append(Reason(N_("assignment {id} names a submission or reviewer no longer in the round"), id=a.id))
            continue
        pairs.append((submission[a.submission_id], reviewer[a.reviewer_enrolment_id]))
    return pairs
