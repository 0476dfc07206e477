"""The follow-up of the previous round's recommendations (the OECD method's last phase, checked in the next round).

A round whose file names a `previous_round` asks each reviewed party, in its self-assessment, what became of
the recommendations the previous round published to the party's action level (its organisation's kind decides
the level: vocabulary.ACTION_LEVEL_OF_KIND): not started, in progress, implemented, or not pursued, the last
with a reason. The statements are kept as answers are (tables.follow_ups.FollowUpReport): a working copy saved
with every draft, and a copy per submitted version, so the report reads what was submitted last. A draft may
leave anything open; submitting needs a status for every recommendation and a reason for each not pursued.

The form's fields are named `follow-up:<recommendation id>:status` and `…:reason`: a colon is not allowed in a
questionnaire's ids, so they never meet an answer's key.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from config.translations import N_
from review_model.questionnaire import Text
from review_model.refusals import Reason, Refused
from review_model.stage_rules import accepts_submissions
from review_model.submissions import SubmissionClosed
from review_model.tables import (
    Enrolment,
    FollowUpReport,
    Organisation,
    Participant,
    Recommendation,
    Round,
    Submission,
)
from review_model.vocabulary import (
    ACTION_LEVEL_OF_KIND,
    ActionLevel,
    FollowUpStatus,
    OrganisationKind,
    RecommendationStatus,
)
from review_model.wide_select import select_columns

REASON_MAX_LENGTH = 2000
FIELD_PREFIX = "follow-up:"


@dataclass(frozen=True)
class EarlierRecommendation:
    """A recommendation the previous round published, as the follow-up asks about it."""

    id: int
    action_level: ActionLevel
    priority: int
    text_de: str
    text_en: str | None

    def text(self, language: str) -> str:
        """The recommendation in `language`: its English text where it has one, else the German."""
        return self.text_en if language == "en" and self.text_en else self.text_de

    @property
    def status_key(self) -> str:
        return status_key(self.id)

    @property
    def reason_key(self) -> str:
        return reason_key(self.id)


def status_key(recommendation_id: int) -> str:
    """The form field of a recommendation's status."""
    return f"{FIELD_PREFIX}{recommendation_id}:status"


def reason_key(recommendation_id: int) -> str:
    """The form field of the reason (or note) given with a recommendation's status."""
    return f"{FIELD_PREFIX}{recommendation_id}:reason"


def follow_up_field(name: str) -> tuple[int, str] | None:
    """The recommendation id and the part ("status" or "reason") a form field's name stands for; None for any
    other field (a questionnaire's answer). For whoever fills the form in by its fields, as the demo's personas do."""
    if not name.startswith(FIELD_PREFIX):
        return None
    number, _, part = name.removeprefix(FIELD_PREFIX).partition(":")
    return (int(number), part) if number.isdigit() and part in ("status", "reason") else None


@dataclass(frozen=True)
class FollowUpEntry:
    """What a party says about one recommendation; a draft may leave either part open."""

    status: FollowUpStatus | None = None
    reason: str | None = None

    @property
    def empty(self) -> bool:
        return self.status is None and not self.reason


NOTHING_SAID = FollowUpEntry()


@dataclass
class FollowUpCheck:
    """What was read from a posted form: the entries, and a message by field key for each problem."""

    entries: dict[int, FollowUpEntry] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class FollowUpRefused(Refused):
    """The statements cannot be saved as they are; `reasons` lists every problem."""


def action_level_of(kind: OrganisationKind) -> ActionLevel | None:
    """The action level whose recommendations an organisation of `kind` reports on; None: it is asked about none."""
    return ACTION_LEVEL_OF_KIND[kind]


def published_recommendations(
    session: Session, round_id: int, level: ActionLevel | None = None
) -> list[EarlierRecommendation]:
    """The recommendations that went into the round's published report (to `level` alone, if given), by
    action level, priority and id, as the report lists them."""
    statement = select(Recommendation).where(
        Recommendation.round_id == round_id, Recommendation.status == RecommendationStatus.published
    )
    if level is not None:
        statement = statement.where(Recommendation.action_level == level)
    found = [
        EarlierRecommendation(r.id or 0, r.action_level, r.priority, r.text_de, r.text_en)
        for r in session.exec(statement.order_by(col(Recommendation.priority), col(Recommendation.id))).all()
    ]
    order = list(ActionLevel)
    return sorted(found, key=lambda r: order.index(r.action_level))  # stable: priority and id stay in order


def recommendations_to_follow_up(
    session: Session, round_: Round, kind: OrganisationKind
) -> list[EarlierRecommendation]:
    """The previous round's published recommendations an organisation of `kind` is asked about in `round_`:
    none in a round without a previous round, or for a kind no action level stands for."""
    level = action_level_of(kind)
    if round_.previous_round_id is None or level is None:
        return []
    return published_recommendations(session, round_.previous_round_id, level)


@dataclass(frozen=True)
class FollowUpQuestions:
    """What a party's self-assessment asks in the follow-up: the previous round, and its recommendations to the
    party's action level."""

    previous_title: str
    previous_title_en: str | None
    recommendations: list[EarlierRecommendation]

    def previous_title_in(self, language: str) -> str:
        """The previous round's title for a reader of `language`."""
        return self.previous_title_en if language == "en" and self.previous_title_en else self.previous_title


def follow_up_questions(session: Session, round_: Round, kind: OrganisationKind) -> FollowUpQuestions | None:
    """What the self-assessment of an organisation of `kind` asks about the previous round; None when it asks
    nothing (no previous round, no level for the kind, or no recommendation published to that level)."""
    recommendations = recommendations_to_follow_up(session, round_, kind)
    previous = session.get(Round, round_.previous_round_id) if recommendations else None
    if previous is None:
        return None
    return FollowUpQuestions(previous.title, previous.title_en, recommendations)


@dataclass(frozen=True)
class FollowUpAnnouncement:
    """What an invitation to the self-assessment says about the follow-up: the previous round (None when the
    form asks none of these people about it), and how many of its recommendations each is asked about."""

    previous_round: Text | None
    counts: dict[int, int]  # by enrolment id; those asked about none left out

    def for_enrolment(self, enrolment_id: int) -> tuple[Text | None, int]:
        """The previous round and the count, for the Invitation of one respondent."""
        count = self.counts.get(enrolment_id, 0)
        return (self.previous_round if count else None), count


def follow_up_announcement(session: Session, round_: Round, enrolment_ids: Sequence[int]) -> FollowUpAnnouncement:
    """What the invitations of these respondents announce about the previous round's recommendations."""
    counts = follow_up_counts(session, round_, enrolment_ids)
    previous = session.get(Round, round_.previous_round_id) if counts else None
    title = Text(de=previous.title, en=previous.title_en) if previous is not None else None
    return FollowUpAnnouncement(title, counts)


def follow_up_counts(session: Session, round_: Round, enrolment_ids: Sequence[int]) -> dict[int, int]:
    """How many recommendations of the previous round the self-assessment of each of these respondents asks
    about, by enrolment id (those asked about none left out)."""
    if round_.previous_round_id is None or not enrolment_ids:
        return {}
    per_level = Counter(r.action_level for r in published_recommendations(session, round_.previous_round_id))
    counts = {}
    for enrolment_id, kind in session.exec(
        select(Enrolment.id, Organisation.kind)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(col(Enrolment.id).in_(list(enrolment_ids)))
    ).all():
        level = action_level_of(OrganisationKind(kind))
        if enrolment_id is not None and level is not None and per_level[level]:
            counts[enrolment_id] = per_level[level]
    return counts


def follow_up_problems(
    recommendations: Sequence[EarlierRecommendation], entries: Mapping[int, FollowUpEntry], *, final: bool
) -> dict[str, Reason]:
    """Every problem with the statements, by form field. Submitting (`final`) needs a status for each
    recommendation and a reason for each one not pursued; a draft may leave both open. A reason must fit
    REASON_MAX_LENGTH and hold no NUL either way."""
    problems: dict[str, Reason] = {}
    asked = {recommendation.id for recommendation in recommendations}
    for unknown in sorted(set(entries) - asked):
        problems[status_key(unknown)] = Reason(
            N_("recommendation {id} is not one this organisation is asked about"), id=unknown
        )
    for recommendation in recommendations:
        entry = entries.get(recommendation.id, NOTHING_SAID)
        if final and entry.status is None:
            problems[recommendation.status_key] = Reason(N_("Please say what became of this recommendation."))
        if entry.reason and "\x00" in entry.reason:
            problems[recommendation.reason_key] = Reason(
                N_("The text contains a control character that is not allowed (shown as \ufffd). Please remove it.")
            )
        elif entry.reason and len(entry.reason) > REASON_MAX_LENGTH:
            problems[recommendation.reason_key] = Reason(
                N_("Please shorten the text to {limit} characters (now {length})."),
                limit=REASON_MAX_LENGTH,
                length=len(entry.reason),
            )
        elif final and entry.status is FollowUpStatus.not_pursued and not entry.reason:
            problems[recommendation.reason_key] = Reason(
                N_("Please give the reason why the recommendation is not pursued.")
            )
    return problems


def read_follow_ups(
    recommendations: Sequence[EarlierRecommendation],
    form: Mapping[str, Sequence[str]],
    *,
    language: str,
    final: bool,
) -> FollowUpCheck:
    """Read and check the statements in a posted form, with every problem in `language` beside its field."""
    check = FollowUpCheck()
    choose = Reason(N_("Please choose one of the answers offered."))
    for recommendation in recommendations:
        chosen = [value.strip() for value in form.get(recommendation.status_key, ()) if value.strip()]
        typed = [value.strip() for value in form.get(recommendation.reason_key, ()) if value.strip()]
        status = None
        if chosen:
            try:
                status = FollowUpStatus(chosen[0])
            except ValueError:
                check.errors[recommendation.status_key] = choose.in_language(language)
        check.entries[recommendation.id] = FollowUpEntry(status, typed[0] if typed else None)
    problems = follow_up_problems(recommendations, check.entries, final=final)
    for key, problem in problems.items():
        check.errors.setdefault(key, problem.in_language(language))
    for recommendation in recommendations:  # a reason that cannot be stored is not kept as read
        entry = check.entries[recommendation.id]
        if (
            recommendation.reason_key in check.errors
            and entry.reason
            and ("\x00" in entry.reason or len(entry.reason) > REASON_MAX_LENGTH)
        ):
            check.entries[recommendation.id] = FollowUpEntry(entry.status, None)
    return check


def form_values(entries: Mapping[int, FollowUpEntry]) -> dict[str, list[str]]:
    """Stored statements as the form's fields hold them (what a posted form would carry)."""
    values: dict[str, list[str]] = {}
    for recommendation_id, entry in entries.items():
        if entry.status is not None:
            values[status_key(recommendation_id)] = [entry.status.value]
        if entry.reason:
            values[reason_key(recommendation_id)] = [entry.reason]
    return values


def save_follow_ups(
    session: Session,
    round_: Round,
    submission: Submission,
    recommendations: Sequence[EarlierRecommendation],
    entries: Mapping[int, FollowUpEntry],
    now: datetime,
    *,
    submit: bool,
) -> None:
    """Keep the statements as the working copy; when the self-assessment was just submitted (`submit`, after
    submissions.submit_answers in the same transaction), also as its new version.

    Refused with every problem (FollowUpRefused) as `follow_up_problems` finds them; SubmissionClosed once the
    round takes no more self-assessments, as answers are."""
    if not accepts_submissions(round_, now):
        raise SubmissionClosed
    problems = follow_up_problems(recommendations, entries, final=submit)
    if problems:
        raise FollowUpRefused(list(problems.values()))
    assert submission.id is not None
    working = {
        row.recommendation_id: row
        for row in session.exec(
            select(FollowUpReport)
            .where(FollowUpReport.submission_id == submission.id, FollowUpReport.version == 0)
            .with_for_update()
        ).all()
    }
    for recommendation in recommendations:
        entry = entries.get(recommendation.id, NOTHING_SAID)
        row = working.get(recommendation.id)
        if entry.empty:
            if row is not None:
                session.delete(row)
        else:
            if row is None:
                row = FollowUpReport(submission_id=submission.id, recommendation_id=recommendation.id, created_at=now)
                session.add(row)
            row.status, row.reason, row.updated_at = entry.status, entry.reason or None, now
        if submit:
            session.add(
                FollowUpReport(
                    submission_id=submission.id, recommendation_id=recommendation.id, version=submission.version,
                    status=entry.status, reason=entry.reason or None, created_at=now,
                )
            )  # fmt: skip
    session.flush()


def stored_follow_ups(session: Session, submission_id: int, version: int = 0) -> dict[int, FollowUpEntry]:
    """The statements of one self-assessment: the working copy (version 0) or a submitted version."""
    return {
        recommendation_id: FollowUpEntry(FollowUpStatus(status) if status else None, reason)
        for recommendation_id, status, reason in session.exec(
            select(FollowUpReport.recommendation_id, FollowUpReport.status, FollowUpReport.reason).where(
                FollowUpReport.submission_id == submission_id, FollowUpReport.version == version
            )
        ).all()
    }


def follow_ups_to_show(session: Session, submission: Submission | None, readonly: bool) -> dict[int, FollowUpEntry]:
    """What the form shows: the working copy, or once it is read-only what was last submitted (as for answers)."""
    if submission is None or submission.id is None:
        return {}
    if readonly and submission.is_submitted:
        return stored_follow_ups(session, submission.id, submission.version)
    return stored_follow_ups(session, submission.id)


def has_unsubmitted_follow_ups(session: Session, submission: Submission) -> bool:
    """Whether the working copy of the statements differs from what was last submitted."""
    assert submission.id is not None
    working = {key: entry for key, entry in stored_follow_ups(session, submission.id).items() if not entry.empty}
    if not submission.is_submitted:
        return bool(working)
    submitted = stored_follow_ups(session, submission.id, submission.version)
    return working != {key: entry for key, entry in submitted.items() if not entry.empty}


@dataclass(frozen=True)
class StatedReason:
    """A reason a party gave for not pursuing a recommendation."""

    submission_id: int
    organisation: str
    reason: str


@dataclass
class RecommendationFollowUp:
    """What the parties a recommendation addressed said became of it, in the round that followed it up."""

    recommendation: EarlierRecommendation
    counts: dict[FollowUpStatus, int]
    # The parties of its level that submitted their self-assessment without a statement on it (submitted
    # before the round asked, or by a way that does not ask).
    without_statement: int
    not_pursued: list[StatedReason]


@dataclass(frozen=True)
class SubmittedStatement:
    """A party's statement on one earlier recommendation, as its self-assessment was last submitted."""

    submission_id: int
    organisation: str
    kind: OrganisationKind
    submitted_at: datetime | None
    recommendation_id: int
    status: FollowUpStatus
    reason: str | None


def submitted_statements(session: Session, round_id: int) -> list[SubmittedStatement]:
    """Every statement of the round's submitted self-assessments at their last version (a draft never), by
    organisation and recommendation."""
    return [
        SubmittedStatement(
            submission_id,
            organisation,
            OrganisationKind(kind),
            submitted_at,
            recommendation_id,
            FollowUpStatus(status),
            reason,
        )
        for submission_id, organisation, kind, submitted_at, recommendation_id, status, reason in session.exec(
            select_columns(
                Submission.id,
                Organisation.name,
                Organisation.kind,
                Submission.submitted_at,
                FollowUpReport.recommendation_id,
                FollowUpReport.status,
                FollowUpReport.reason,
            )
            .select_from(FollowUpReport)
            .join(Submission, col(Submission.id) == FollowUpReport.submission_id)
            .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(
                Submission.round_id == round_id,
                Submission.is_submitted,
                FollowUpReport.version == Submission.version,
                col(FollowUpReport.status).is_not(None),
            )
            .order_by(col(Organisation.name), col(Submission.id), col(FollowUpReport.recommendation_id))
        ).all()
    ]


def follow_up_summary(session: Session, round_: Round) -> list[RecommendationFollowUp]:
    """Per recommendation the previous round published: how many parties of its level report each status in
    their last submitted self-assessment, and the reasons of those that do not pursue it (in party order). A
    round without a previous round has none."""
    if round_.previous_round_id is None or round_.id is None:
        return []
    recommendations = published_recommendations(session, round_.previous_round_id)
    if not recommendations:
        return []
    parties = session.exec(
        select(Submission.id, Organisation.name, Organisation.kind)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Submission.round_id == round_.id, Submission.is_submitted)
        .order_by(col(Organisation.name), col(Submission.id))
    ).all()
    stated = {
        (statement.submission_id, statement.recommendation_id): FollowUpEntry(statement.status, statement.reason)
        for statement in submitted_statements(session, round_.id)
    }
    summary = []
    for recommendation in recommendations:
        counts: Counter[FollowUpStatus] = Counter()
        reasons, missing = [], 0
        for submission_id, organisation, kind in parties:
            if action_level_of(OrganisationKind(kind)) is not recommendation.action_level:
                continue
            entry = stated.get((submission_id or 0, recommendation.id))
            if entry is None or entry.status is None:
                missing += 1
                continue
            counts[entry.status] += 1
            if entry.status is FollowUpStatus.not_pursued:
                reasons.append(StatedReason(submission_id or 0, organisation, entry.reason or ""))
        summary.append(RecommendationFollowUp(recommendation, {s: counts[s] for s in FollowUpStatus}, missing, reasons))
    return summary


def reported_status_counts(session: Session, round_: Round) -> dict[FollowUpStatus, int]:
    """Over every recommendation followed up in `round_`: how many statements of each status were submitted."""
    totals: Counter[FollowUpStatus] = Counter()
    for entry in follow_up_summary(session, round_):
        totals.update(entry.counts)
    return {status: totals[status] for status in FollowUpStatus}
