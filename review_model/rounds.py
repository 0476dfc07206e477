"""Creating rounds from round files, finding them, and reading how far they have come."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, func, or_
from sqlmodel import Session, col, select

from review_model.accessibility import stored_statement
from review_model.audit_trail import record_event
from review_model.questionnaire import (
    Questionnaire,
    QuestionnaireUnavailable,
    load_questionnaire,
    shipped_questionnaire,
)
from review_model.round_file import (
    RoundFile,
    RoundFileError,
    consensus_deadline,
    consensus_problems,
    horizon_problems,
    resolve_schedule,
    round_file_from_document,
    schedule_problems,
    spec_digest,
)
from review_model.stage_rules import RoundProgress
from review_model.tables import (
    Enrolment,
    Finding,
    JointAssessment,
    Recommendation,
    Review,
    ReviewAssignment,
    Round,
    RoundStaff,
    Submission,
)
from review_model.vocabulary import Language, RecommendationStatus, Stage
from review_model.wide_select import select_columns
from review_model.withdrawal import counts_for, review_submitted, self_assessment_submitted, taking_part
from review_model.yaml_documents import (
    DocumentError,
    Problem,
    YamlDocument,
    parse_yaml_bytes,
    read_yaml_document,
)


class RoundNotFound(LookupError):
    """No round has the given slug or id."""


class RoundExists(Exception):
    """A round with this slug exists and was created from a different file (`created_at`: when; None when
    the one asking may not know more than that the slug is taken)."""

    def __init__(self, slug: str, created_at: datetime | None):
        self.slug, self.created_at = slug, created_at
        when = f" on {created_at:%Y-%m-%d}" if created_at is not None else ""
        super().__init__(
            f"round {slug!r} exists already, created from a different file{when}; give the new round another slug"
        )


@dataclass(frozen=True)
class RoundCreation:
    round: Round
    created: bool  # False when the same file had created it before
    spec: RoundFile
    questionnaire: Questionnaire


def create_round_from_file(
    session: Session, path: Path, *, now: datetime, default_time_zone: str, default_language: str, actor: str
) -> RoundCreation:
    """Create the round a round file describes, in the caller's transaction.

    Refuses a file with invalid fields, deadlines in the past or out of order, or an invalid questionnaire,
    naming every reason. Creating a round again from an unchanged file returns the existing round. The
    questionnaire is a shipped one's id or a file, relative to the round file's folder.
    """
    return create_round_from_document(
        session,
        read_yaml_document(path),
        path.name,
        lambda reference: load_questionnaire(reference, base_dir=path.parent),
        now=now,
        default_time_zone=default_time_zone,
        default_language=default_language,
        actor=actor,
    )


def create_round_from_upload(
    session: Session,
    raw: bytes,
    file_name: str,
    *,
    now: datetime,
    default_time_zone: str,
    default_language: str,
    actor: str,
    visible: Callable[[int], bool] = lambda _round_id: True,
) -> RoundCreation:
    """Create the round a round file sent through the console describes (its bytes, and the name it had),
    as `create_round_from_file` does; its questionnaire can only be one that ships with spr. A round the
    sender may not see (`visible`) is as if it did not exist: it can be no previous round, and its slug is
    refused without a word about it."""
    return create_round_from_document(
        session,
        parse_yaml_bytes(raw, file_name),
        file_name,
        shipped_questionnaire,
        now=now,
        default_time_zone=default_time_zone,
        default_language=default_language,
        actor=actor,
        visible=visible,
    )


def create_round_from_document(
    session: Session,
    document: YamlDocument,
    file_name: str,
    questionnaire_for: Callable[[str], Questionnaire],
    *,
    now: datetime,
    default_time_zone: str,
    default_language: str,
    actor: str,
    visible: Callable[[int], bool] = lambda _round_id: True,
) -> RoundCreation:
    """Create the round a parsed round file describes, its questionnaire read by `questionnaire_for`; see
    `create_round_from_file` and, for `visible`, `create_round_from_upload`."""
    spec = round_file_from_document(document)
    digest = spec_digest(document)

    existing = session.exec(select(Round).where(Round.slug == spec.slug)).first()
    if existing is not None:
        if existing.id is None or not visible(existing.id):
            raise RoundExists(spec.slug, None)
        if existing.spec_digest != digest:
            raise RoundExists(spec.slug, existing.created_at)
        return RoundCreation(existing, False, spec, Questionnaire.model_validate(existing.questionnaire_snapshot))

    try:
        questionnaire = questionnaire_for(spec.questionnaire)
    except DocumentError as error:  # the questionnaire's own problems, or a file that cannot be read as one
        line = document.line_of(("questionnaire",))
        # A questionnaire the console cannot use is said in a sentence of its own (a Reason, translatable).
        message = error.problems[0].message if isinstance(error, QuestionnaireUnavailable) else str(error)
        raise RoundFileError(document.source, [Problem(("questionnaire",), message, line)]) from None

    zone_name = spec.time_zone or default_time_zone
    zone = ZoneInfo(zone_name)
    # Dates far away are refused before they are resolved: near year 9999 the moment cannot be computed.
    schedule: dict[str, datetime | None] = {}
    problems = horizon_problems(spec, now.astimezone(zone).date())
    if not problems:
        schedule = resolve_schedule(spec, now, zone)
        problems = schedule_problems(schedule, now, zone) or consensus_problems(spec, schedule, zone)
    problems = [Problem(p.path, p.message, document.line_of(p.path)) for p in problems]
    previous_id = None
    if spec.previous_round is not None:
        previous = session.exec(select(Round).where(Round.slug == spec.previous_round)).first()
        if previous is None or previous.id is None or not visible(previous.id):
            problems.append(
                Problem(
                    ("previous_round",),
                    f"no round {spec.previous_round!r}",
                    document.line_of(("previous_round",)),
                )
            )
        else:
            previous_id = previous.id
    if problems:
        raise RoundFileError(document.source, problems)

    rules = spec.assignment
    submission, review, comment = schedule["submission"], schedule["review"], schedule["comment"]
    assert submission is not None and review is not None and comment is not None  # a round file requires them
    round_ = Round(
        slug=spec.slug,
        title=spec.title.de,
        title_en=spec.title.en,
        stage=Stage.draft,
        stage_entered_at=now,
        time_zone=zone_name,
        language=Language(spec.language or default_language),
        coordinator_name=spec.coordinator.name,
        coordinator_email=spec.coordinator.email.lower(),
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_snapshot=questionnaire.model_dump(mode="json", exclude_none=True),
        submission_opens_at=schedule["submission_opens"],
        submission_deadline=submission,
        review_deadline=review,
        comment_deadline=comment,
        consensus_deadline=consensus_deadline(spec, review, zone),
        publication_at=schedule["publication"],
        reminder_days_before=list(spec.reminders.days_before),
        max_reminders=spec.reminders.max,
        late_grace_hours=spec.late_submissions.grace_hours,
        reviewers_per_submission=rules.reviewers_per_submission,
        min_reviews_per_reviewer=rules.min_load,
        max_reviews_per_reviewer=rules.max_load,
        exclude_same_state=rules.exclude_same_state,
        forbid_mutual_review=rules.forbid_mutual_review,
        max_reviewers_per_kind=rules.max_per_organisation_kind,
        open_review=rules.open_review,
        retention=spec.retention,
        normalise=spec.normalise.value if spec.normalise else None,
        accessibility=stored_statement(spec.accessibility),
        handover_keeps_first_link=spec.handover.keep_first_link,
        adoption_required=spec.adoption.required,
        previous_round_id=previous_id,
        spec_digest=digest,
        created_at=now,
    )
    session.add(round_)
    session.flush()
    assert round_.id is not None
    for email in dict.fromkeys([round_.coordinator_email, *(address.lower() for address in spec.staff)]):
        session.add(RoundStaff(round_id=round_.id, email=email))
    record_event(session, round_.id, actor, "round created", file=file_name, questionnaire=questionnaire.id)
    return RoundCreation(round_, True, spec, questionnaire)


def get_round(session: Session, round_id: int) -> Round:
    """The round with this id; RoundNotFound when there is none (a round deleted under a running flow)."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise RoundNotFound(f"no round with id {round_id}")
    return round_


def find_round(session: Session, reference: str) -> Round:
    """The round with this slug, or with this numeric id."""
    round_ = session.exec(select(Round).where(Round.slug == reference)).first()
    if round_ is None and reference.isdigit():
        round_ = session.get(Round, int(reference))
    if round_ is None:
        raise RoundNotFound(f"no round {reference!r} (see `spr round list`)")
    return round_


def list_rounds(session: Session) -> list[Round]:
    """All rounds, newest first."""
    return list(session.exec(select(Round).order_by(col(Round.created_at).desc(), col(Round.id).desc())).all())


def round_progress(session: Session, round_id: int) -> RoundProgress:
    """The counts the stage rules decide on, read in a handful of aggregate queries (see `rounds_progress`)."""
    return rounds_progress(session, [round_id]).get(round_id, RoundProgress())


def rounds_progress(session: Session, round_ids: Collection[int] | None = None) -> dict[int, RoundProgress]:
    """The counts the stage rules decide on, for each of the given rounds (or every round), by round id; the
    same handful of aggregate queries however many rounds, each grouped by round.

    A withdrawn person counts for what they did, never for what they still owe (review_model.withdrawal):
    a respondent withdrawn after submitting is a respondent who submitted, one withdrawn before is not
    counted at all; a withdrawn reviewer's open reviews are not due, their submitted ones are.
    """
    counts: dict[int, dict[str, int]] = {}

    def per_round(name: str, table: Any, statement: Select[Any]) -> None:
        """Keep the count `name` of each round, from `statement` (a count over `table`, grouped here)."""
        if round_ids is not None:
            statement = statement.where(col(table.round_id).in_(list(round_ids)))
        for round_id, *values in session.execute(statement.group_by(table.round_id)).all():
            figures = counts.setdefault(round_id, {})
            if len(values) == 1:
                figures[name] = int(values[0])
            else:  # several counts in one query, named "a,b"
                figures.update(zip(name.split(","), (int(v) for v in values), strict=True))

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)

    per_round(
        "respondents,invited",
        Enrolment,
        select_columns(Enrolment.round_id, func.count(), flag(col(Enrolment.invited_at).is_not(None))).where(
            col(Enrolment.is_respondent), counts_for(self_assessment_submitted())
        ),
    )
    per_round("submitted", Submission, select_columns(Submission.round_id, func.count()).where(Submission.is_submitted))
    per_round(
        "assignments,unconfirmed_assignments",
        ReviewAssignment,
        select_columns(ReviewAssignment.round_id, func.count(), flag(col(ReviewAssignment.confirmed_at).is_(None))),
    )
    # Reviews due are the assignments less the open reviews of withdrawn reviewers: counted from the few
    # withdrawn, not by reading every review's status.
    per_round(
        "reviews_not_due",
        Enrolment,
        select_columns(Enrolment.round_id, func.count())
        .select_from(Enrolment)
        .join(ReviewAssignment, col(ReviewAssignment.reviewer_enrolment_id) == Enrolment.id)
        .outerjoin(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .where(~taking_part(), or_(col(Review.status).is_(None), ~Review.is_submitted)),
    )
    per_round("reviews_submitted", Review, select_columns(Review.round_id, func.count()).where(Review.is_submitted))
    per_round("findings", Finding, select_columns(Finding.round_id, func.count()))
    per_round(
        "assessments_due",
        ReviewAssignment,
        select_columns(ReviewAssignment.round_id, func.count()).where(
            col(ReviewAssignment.is_lead), col(ReviewAssignment.confirmed_at).is_not(None)
        ),
    )
    per_round(
        "assessments_submitted",
        JointAssessment,
        select_columns(JointAssessment.round_id, func.count()).where(col(JointAssessment.submitted_at).is_not(None)),
    )
    replied = col(Submission.reply_submitted_at).is_not(None)
    per_round(
        "replies_sent,replies_pending",
        Submission,
        select_columns(Submission.round_id, flag(replied), flag(and_(~replied, taking_part())))
        .select_from(Submission)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .where(Submission.is_submitted),
    )
    per_round(
        "recommendations_draft,recommendations_approved",
        Recommendation,
        select_columns(
            Recommendation.round_id,
            flag(col(Recommendation.status) == RecommendationStatus.draft),
            flag(col(Recommendation.status) == RecommendationStatus.approved),
        ),
    )
    return {round_id: _progress(figures) for round_id, figures in counts.items()}


def _progress(figures: dict[str, int]) -> RoundProgress:
    """The counts of one round as the stage rules take them (a count no row gave is 0)."""
    return RoundProgress(
        respondents=figures.get("respondents", 0),
        invited=figures.get("invited", 0),
        submitted=figures.get("submitted", 0),
        assignments=figures.get("assignments", 0),
        unconfirmed_assignments=figures.get("unconfirmed_assignments", 0),
        reviews_due=figures.get("assignments", 0) - figures.get("reviews_not_due", 0),
        reviews_submitted=figures.get("reviews_submitted", 0),
        findings=figures.get("findings", 0),
        assessments_due=figures.get("assessments_due", 0),
        assessments_submitted=figures.get("assessments_submitted", 0),
        recommendations_draft=figures.get("recommendations_draft", 0),
        recommendations_approved=figures.get("recommendations_approved", 0),
        replies_pending=figures.get("replies_pending", 0),
        replies_sent=figures.get("replies_sent", 0),
    )


def enrolment_counts(session: Session, round_id: int) -> tuple[int, int, int]:
    """(enrolled, respondents, reviewers) in a round; a withdrawn person counts where they submitted."""
    respondent = and_(col(Enrolment.is_respondent), counts_for(self_assessment_submitted()))
    reviewer = and_(col(Enrolment.is_reviewer), counts_for(review_submitted()))
    enrolled, respondents, reviewers = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(respondent, Integer)), 0),
            func.coalesce(func.sum(cast(reviewer, Integer)), 0),
        ).where(Enrolment.round_id == round_id, counts_for(or_(self_assessment_submitted(), review_submitted())))
    ).one()
    return int(enrolled), int(respondents), int(reviewers)
