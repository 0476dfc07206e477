"""Rounds put straight into a stage: the store as a round leaves it when everyone did their part, written through
the domain's own functions (submitting, assigning, reviewing, consolidating, drafting, replying) and its one
stage change (`transition`), without the round driver, the portal or any email.

    staged = round_in_stage(engine, Stage.review, parties=4, reviewers_per_party=2)
    staged = bring_round_to(round_world.engine, round_world.round_id, Stage.comment, replies={"anna": "Danke."})

Every stage before the one asked for is done by everyone (unless `submitted` or `reviewed` name fewer); in the
stage asked for, only what is named is done. Everything happens at the clock's present (move it with freezegun),
before the submission deadline: the stages closed early because everyone was done, as they do in a round
whose participants are quick. The links people would get by email are issued and returned as portal paths.
Findings and drafts come from the consolidation and drafting stages themselves, so they are what a round
with these answers would show. Only publishing queues email (the announcement of the report); nothing is sent.
"""

import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.questionnaire import Questionnaire
from review_model.replies import save_replies
from review_model.reviews import save_review
from review_model.round_assignment import confirm_assignment, propose_assignment
from review_model.rounds import create_round_from_file, get_round
from review_model.stage_rules import stage_after
from review_model.submissions import submit_answers
from review_model.tables import (
    AccessToken,
    Enrolment,
    Organisation,
    Participant,
    Recommendation,
    ReviewAssignment,
    Submission,
)
from review_model.tokens import LINK_PATHS, derive_token, issue_link
from review_model.transitions import transition
from review_model.vocabulary import RecommendationStatus, Stage, TokenPurpose
from tests.support.round_world import SECRET, stage_context
from tests.support.stored_answers import Rating, stored_answers
from workflows.coordinator_actions import decide_recommendations
from workflows.stages import publication
from workflows.stages.consolidation import consolidate_round
from workflows.stages.context import StageContext
from workflows.stages.drafting import draft_round

ACTOR = "test factory"
# The stages a factory can put a round into, in the order a round goes through them.
STAGES = (Stage.draft, Stage.invitation, Stage.submission, Stage.assignment, Stage.review, Stage.consensus,
          Stage.consolidation, Stage.drafting, Stage.comment, Stage.published)  # fmt: skip
# The organisations of a generated round: the four of the workflow tests first, then numbered towns.
ORGANISATIONS = (
    ("anna@auenburg.example", "Anna Keller", "Stadt Auenburg", "Kommune", "BY", "de"),
    ("ben@nordhaven.example", "Ben Hansen", "Hansestadt Nordhaven", "Kommune", "SH", "en"),
    ("cara@elbstein.example", "Cara Wolf", "Stadt Elbstein", "Kommune", "SN", "de"),
    ("dora@talbach.example", "Dora Roth", "Landkreis Talbach", "Region", "BW", "de"),
)


@dataclass
class Person:
    """Someone enrolled in a staged round, with the links the stages so far would have sent them."""

    email: str
    name: str
    organisation: str
    enrolment_id: int
    is_respondent: bool
    is_reviewer: bool
    form: str | None = None  # the self-assessment's portal path (/a/…), once invited
    submission_id: int | None = None  # once the self-assessment was submitted
    reviews: dict[str, str] = field(default_factory=dict)  # reviewed organisation → review path (/r/…)
    reply: str | None = None  # the right of reply's path (/c/…), once the comment stage opened


@dataclass
class StagedRound:
    round_id: int
    slug: str
    people: dict[str, Person]  # by the local part of their address ("anna")

    def __getitem__(self, who: str) -> Person:
        return self.people[who]


def round_in_stage(
    engine: Engine,
    stage: Stage,
    *,
    parties: int = 4,
    reviewers_per_party: int = 2,
    questionnaire: str = "smart-city-self-assessment",
    slug: str = "staged-round",
    consensus_days: int = 0,
    **work: Any,
) -> StagedRound:
    """A new round of `parties` organisations (one person each, respondent and reviewer), created from a round
    file and a participants file as a coordinator would, then brought to `stage` (see `bring_round_to`, whose
    keywords `work` are). Its deadlines are 14, 28 and 42 days from now; `consensus_days` after the review
    deadline, a consensus stage (none by default)."""
    now = clock.now()
    with tempfile.TemporaryDirectory() as folder, Session(engine, expire_on_commit=False) as session:
        path = Path(folder) / "round.yaml"
        deadlines = [(now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M") for days in (14, 28, 42)]
        path.write_text(
            f"slug: {slug}\ntitle: {{de: Testrunde {slug}, en: Test round {slug}}}\nquestionnaire: {questionnaire}\n"
            "coordinator: {name: Geschäftsstelle, email: gs@peer-review.example}\n"
            f"deadlines: {{submission: '{deadlines[0]}', review: '{deadlines[1]}', comment: '{deadlines[2]}'}}\n"
            "reminders: {days_before: [7, 3, 1], max: 3}\n"
            f"assignment: {{reviewers_per_submission: {reviewers_per_party}, forbid_mutual_review: false}}\n"
            f"consensus: {{days: {consensus_days}}}\n",
            encoding="utf-8",
        )  # fmt: skip
        round_ = create_round_from_file(
            session, path, now=now, default_time_zone="Europe/Berlin", default_language="de", actor=ACTOR
        ).round
        import_participants(session, round_, parse_participants(people_csv(parties).encode()), "people.csv")
        session.commit()
    return bring_round_to(engine, round_.id, stage, **work)


def people_csv(parties: int) -> str:
    """A participants file of `parties` organisations, one person each."""
    rows = list(ORGANISATIONS[:parties])
    rows += [(f"person{n}@gemeinde{n}.example", f"Person {n}", f"Gemeinde {n}", "Kommune", "NW", "de")
             for n in range(len(rows) + 1, parties + 1)]  # fmt: skip
    return "email,name,organisation,organisation_kind,state,language\n" + "".join(",".join(row) + "\n" for row in rows)


def bring_round_to(
    engine: Engine,
    round_id: int,
    stage: Stage,
    *,
    reviewers_per_party: int | None = None,
    self_rating: Rating = 2,
    peer_ratings: Sequence[Rating] = (0, 1),
    review_comments: Mapping[str, str] | None = None,
    submitted: Collection[str] | None = None,
    reviewed: Collection[str] | None = None,
    approve: bool = True,
    replies: Mapping[str, str] | None = None,
    pdf: bool = False,
) -> StagedRound:
    """Bring a round from where it is to `stage`, doing each stage's work on the way.

    - submission: each respondent in `submitted` (local parts; default everyone) submits every rating at
      `self_rating`; the solver proposes reviewers (`reviewers_per_party`: the round's own number by default)
      and the coordinator confirms them.
    - review: each reviewer in `reviewed` (default everyone) submits their reviews, rating every item at
      `peer_ratings[i % len(peer_ratings)]` for the i-th reviewer, with `review_comments` by answer key.
    - drafting: every draft is approved (`approve`), or rejected.
    - comment: each party in `replies` sends that general reply ("" says it has nothing to add).
    - published: the report is kept without its PDF, as a round too large for one is, unless `pdf` (WeasyPrint
      takes seconds per language). Publication waits for the comment deadline unless every party replied.
    """
    now = clock.now()
    context = factory_context(engine)
    with Session(engine, expire_on_commit=False) as session:
        round_ = get_round(session, round_id)
        if reviewers_per_party is not None:
            round_.reviewers_per_submission = reviewers_per_party
        session.commit()
    assert STAGES.index(stage) >= STAGES.index(_stage_of(engine, round_id)), "a round only goes forward"
    while (current := _stage_of(engine, round_id)) is not stage:
        _do_the_work_of(engine, round_id, current, True, self_rating, peer_ratings, review_comments or {},
                        submitted, reviewed, replies or {}, now)  # fmt: skip
        _move_on(context, round_id, current, approve, pdf, now)
    _do_the_work_of(engine, round_id, stage, False, self_rating, peer_ratings, review_comments or {},
                    submitted, reviewed, replies or {}, now)  # fmt: skip
    return staged_round(engine, round_id)


def factory_context(engine: Engine) -> StageContext:
    """The stage context the factories hand the stages they run: port 1 is never reached, as the factories
    deliver nothing."""
    return stage_context(engine, smtp_port=1)


def _stage_of(engine: Engine, round_id: int) -> Stage:
    with Session(engine) as session:
        return get_round(session, round_id).stage


def _named(who: Collection[str] | None, people: list[Person], everyone: bool) -> list[Person]:
    """The people named by local part; without names, everyone when the stage is passed, else nobody."""
    if who is None:
        return people if everyone else []
    unknown = set(who) - {person.email.split("@")[0] for person in people}
    assert not unknown, f"nobody of that role is called {sorted(unknown)}"
    return [person for person in people if person.email.split("@")[0] in who]


def _do_the_work_of(
    engine: Engine, round_id: int, stage: Stage, passing: bool, self_rating: Rating, peer_ratings: Sequence[Rating],
    review_comments: Mapping[str, str], submitted: Collection[str] | None, reviewed: Collection[str] | None,
    replies: Mapping[str, str], now: datetime,
) -> None:  # fmt: skip
    """What the people of the round do while it is in `stage` (everyone by default when `passing` through)."""
    people = staged_round(engine, round_id).people.values()
    with Session(engine, expire_on_commit=False) as session:
        round_ = get_round(session, round_id)
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        if stage is Stage.submission:
            for person in _named(submitted, [p for p in people if p.is_respondent], passing):
                answers = stored_answers(questionnaire, self_rating)
                submit_answers(session, round_, session.get(Enrolment, person.enrolment_id), answers, now)
        elif stage is Stage.review:
            reviewers = [p for p in people if p.is_reviewer]
            for person in _named(reviewed, reviewers, passing):
                rating = peer_ratings[reviewers.index(person) % len(peer_ratings)]
                answers = stored_answers(questionnaire, rating, mode="review", comments=review_comments)
                for assignment in session.exec(
                    select(ReviewAssignment).where(ReviewAssignment.reviewer_enrolment_id == person.enrolment_id)
                ).all():
                    save_review(session, round_, assignment, answers, now, submit=True)
        elif stage is Stage.comment:
            parties = {p.email.split("@")[0]: p for p in people if p.submission_id is not None}
            assert set(replies) <= set(parties), f"no reviewed party is called {sorted(set(replies) - set(parties))}"
            for who, text in replies.items():
                party = parties[who]
                submission = session.get(Submission, party.submission_id)
                save_replies(session, round_, submission, party.enrolment_id, {None: text}, now, send=True)
        session.commit()


def _move_on(context: StageContext, round_id: int, stage: Stage, approve: bool, pdf: bool, now: datetime) -> None:
    """Close `stage` and open the next, with what the next stage starts with (links, reviewers, findings, drafts)."""
    with Session(context.engine) as session:
        target = stage_after(get_round(session, round_id))
    assert target is not None
    if target is Stage.published:
        kept, publication.PDF_MAX_PARTIES = publication.PDF_MAX_PARTIES, publication.PDF_MAX_PARTIES if pdf else 0
        try:
            assert publication.publish_round(context, round_id, ACTOR, forced=True) > 0
        finally:
            publication.PDF_MAX_PARTIES = kept
        return
    if target is Stage.comment:
        with Session(context.engine) as session:
            drafts = session.exec(
                select(Recommendation.id).where(
                    Recommendation.round_id == round_id, Recommendation.status == RecommendationStatus.draft
                )
            ).all()
        if drafts:
            decide_recommendations(context, round_id, list(drafts), approve, ACTOR)
    with Session(context.engine, expire_on_commit=False) as session:
        round_ = get_round(session, round_id)
        if target is Stage.submission:
            _invite(session, context, round_, now)
        elif target is Stage.review:
            confirm_assignment(session, round_, now)
        # Closing a stage before everyone is done is the coordinator's early close.
        with transition(session, round_id, target, ACTOR, forced=True, now=now) as change:
            assert change is not None
            round_ = change.round
            if target is Stage.assignment:
                propose_assignment(session, round_, now)
            elif target is Stage.review:
                for assignment in session.exec(
                    select(ReviewAssignment).where(ReviewAssignment.round_id == round_id)
                ).all():
                    _link(session, context, round_, assignment.reviewer_enrolment_id, TokenPurpose.review,
                          round_.review_deadline, assignment.id)  # fmt: skip
            elif target is Stage.consensus:  # the review links stay open until the consensus deadline
                for assignment in session.exec(
                    select(ReviewAssignment).where(ReviewAssignment.round_id == round_id)
                ).all():
                    _link(session, context, round_, assignment.reviewer_enrolment_id, TokenPurpose.review,
                          round_.consensus_deadline, assignment.id)  # fmt: skip
            elif target is Stage.comment:
                for submission in session.exec(
                    select(Submission).where(Submission.round_id == round_id, col(Submission.submitted_at).is_not(None))
                ).all():
                    _link(
                        session, context, round_, submission.enrolment_id, TokenPurpose.reply, round_.comment_deadline
                    )
        session.commit()
    if target is Stage.consolidation:
        assert consolidate_round(context, round_id, ACTOR) > 0
        _move_on(context, round_id, Stage.consolidation, approve, pdf, now)  # consolidation never waits
    elif target is Stage.drafting:
        draft_round(context, round_id, ACTOR)


def _invite(session: Session, context: StageContext, round_, now: datetime) -> None:
    """What the invitations leave behind: each respondent invited, with a link to the self-assessment."""
    for enrolment in session.exec(
        select(Enrolment).where(Enrolment.round_id == round_.id, col(Enrolment.is_respondent))
    ).all():
        enrolment.invited_at = now
        _link(session, context, round_, enrolment.id, TokenPurpose.self_assessment, round_.submission_deadline)


def _link(session: Session, context: StageContext, round_, enrolment_id: int, purpose: TokenPurpose,
          deadline: datetime, assignment_id: int | None = None) -> None:  # fmt: skip
    issue_link(session, context.secret, round_id=round_.id, enrolment_id=enrolment_id, purpose=purpose,
               expires_at=context.link_expiry(round_, deadline), assignment_id=assignment_id)  # fmt: skip


def staged_round(engine: Engine, round_id: int) -> StagedRound:
    """The round's people as they stand, with the links the stages so far gave them (made again from the store)."""
    secret = SECRET.encode()
    with Session(engine) as session:
        round_ = get_round(session, round_id)
        people: dict[int, Person] = {}
        for enrolment, person, organisation in session.exec(
            select(Enrolment, Participant, Organisation)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(Enrolment.round_id == round_id)
            .order_by(col(Enrolment.id))
        ).all():
            people[enrolment.id] = Person(person.email, person.name, organisation.name, enrolment.id,
                                          enrolment.is_respondent, enrolment.is_reviewer)  # fmt: skip
        for submission in session.exec(
            select(Submission).where(Submission.round_id == round_id, col(Submission.submitted_at).is_not(None))
        ).all():
            people[submission.enrolment_id].submission_id = submission.id
        reviewed = {p.submission_id: p.organisation for p in people.values() if p.submission_id is not None}
        for access, assignment in session.exec(
            select(AccessToken, ReviewAssignment)
            .outerjoin(ReviewAssignment, col(ReviewAssignment.id) == AccessToken.assignment_id)
            .where(AccessToken.round_id == round_id, col(AccessToken.revoked_at).is_(None))
        ).all():
            path = f"/{LINK_PATHS[access.purpose]}/{derive_token(secret, access.nonce)}"
            person = people[access.enrolment_id]
            if access.purpose is TokenPurpose.self_assessment:
                person.form = path
            elif access.purpose is TokenPurpose.reply:
                person.reply = path
            elif assignment is not None:
                person.reviews[reviewed[assignment.submission_id]] = path
        return StagedRound(round_id, round_.slug, {p.email.split("@")[0]: p for p in people.values()})
