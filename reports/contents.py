"""What the report says, read from the store: every figure and label it shows, in one language.

The templates only lay this out. Reading uses plain column queries (no ORM objects), so a round of ten
thousand parties assembles in a second or two.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from config.translations import N_, translate
from reports.follow_up import FollowUpView, follow_up_view
from review_model import clock
from review_model.calibration import LENIENCY_LIMIT, MIN_COMPARED, Normalisation, ScaleSummary
from review_model.co_reviewers import cell_labels as cell_labels  # the report's names of items, read from here
from review_model.consensus import AgreedAssessment, agreed_assessments
from review_model.consolidation import DISAGREEMENT_SPREAD, gap, status_dimensions
from review_model.cycle_collection import cycle_collection_paused
from review_model.exact_figures import FigureValue, below, rounded
from review_model.findings import DISAGREEMENTS_KEPT, GROUP_SCOPES, RoundGroup, party_overalls, round_findings
from review_model.pseudonyms import reviewer_numbers, reviewer_pseudonym
from review_model.questionnaire import Questionnaire, Scale, level_shown
from review_model.questions import question_counts
from review_model.replies import sent_replies
from review_model.round_overview import (
    MatrixCell,
    PartyGroup,
    Progress,
    Ranked,
    StatusMatrix,
    benchmark_ranking,
    critical_counts,
    progress_since,
    status_matrices,
)
from review_model.rounds import enrolment_counts, get_round, round_progress
from review_model.tables import (
    Enrolment,
    Finding,
    Organisation,
    Participant,
    Recommendation,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import ActionLevel, FindingScope, OrganisationKind, RecommendationStatus, Stage
from review_model.wide_select import select_columns

ACTION_LEVEL_ORDER = list(ActionLevel)


@dataclass(frozen=True)
class LevelView:
    value: int
    label: str
    description: str | None
    tone: int


@dataclass(frozen=True)
class ScaleView:
    name: str
    levels: tuple[LevelView, ...]
    critical_below: float
    low: int
    high: int

    def tone(self, value: FigureValue | None) -> int | None:
        """0 (worst) to 4 (best): the colour a mean rating is drawn in, that of the level it is shown as, so a
        critical mean always shows a critical colour."""
        return None if value is None else self.level_of(value).tone

    def level_label(self, value: FigureValue | None) -> str:
        return "–" if value is None else self.level_of(value).label

    def level_of(self, value: FigureValue) -> LevelView:
        return level_shown(self.levels, self.critical_below, value)


class GroupRow(NamedTuple):
    """A group (a field of action, a strategy level) on one scale: own and peers' means, for a party or all."""

    tag: str
    key: str
    label: str
    scale: str
    self_mean: FigureValue | None
    peer_mean: FigureValue | None
    parties: int = 0
    critical_parties: int = 0
    # The peers' mean corrected for the reviewers' leniency (a round with `normalise: leniency`).
    corrected_peer_mean: float | None = None

    @property
    def gap(self) -> FigureValue | None:
        return gap(self.peer_mean, self.self_mean)


@dataclass(frozen=True)
class MatrixView:
    scale: str
    column_title: str
    row_title: str
    column_plural: str  # as counted: "in 4 of 6 fields of action"
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[tuple[str, str]]
    cells: dict[tuple[str, str], MatrixCell]
    counts: list[tuple[str, int, int]]  # (row label, critical, measured)
    column_word: str = ""  # the column's and row's title within a sentence: "field of action", "Handlungsfeld"
    row_word: str = ""


class Disagreement(NamedTuple):
    item: str
    scale: str
    self_score: float | None
    peer_scores: list[float]
    spread: float


@dataclass
class PartyProfile:
    submission_id: int
    name: str
    kind: str
    state: str | None
    groups: list[GroupRow] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    disagreement_count: int = 0
    progress: list[Progress] = field(default_factory=list)
    # Only in a round held as open review: who reviewed this party (organisations, with the reviewer's name).
    reviewers: list[str] = field(default_factory=list)
    # The reviewers' joint assessment from the consensus stage, where the round had one and the lead submitted it.
    joint_assessment: AgreedAssessment | None = None


@dataclass(frozen=True)
class ReplyView:
    party: str
    about: str | None  # the group's label; None for the reply to the findings as a whole
    figures: list[GroupRow]
    text: str


@dataclass(frozen=True)
class RecommendationView:
    id: int
    action_level: str
    priority: int
    text: str
    evidence_count: int
    evidence_total: int
    items: list[str]
    quotes: list[dict[str, str]]


@dataclass
class Report:
    """Everything the report shows, in one language."""

    language: str
    round_slug: str
    title: str
    questionnaire_title: str
    questionnaire_version: int
    coordinator: str
    time_zone: str
    generated_at: datetime
    published_at: datetime | None
    # Who adopted the results, on which day, with what changes noted (review_model.adoption); None before.
    adopted_by: str | None
    adopted_on: date | None
    adoption_changes: str | None
    deadlines: dict[str, datetime]
    scales: dict[str, ScaleView]
    primary_scale: str
    column_tag: str | None
    participation: dict[str, int]
    agreement: dict[str, float | None]
    matrices: list[MatrixView]
    priorities: list[GroupRow]
    ranking_columns: list[tuple[str, str]]
    ranking: list[tuple[str, dict[str, Ranked]]]
    round_progress: list[tuple[str, Progress]]
    previous_round: str | None
    profiles: list[PartyProfile]
    frequent_disagreements: list[tuple[str, str, int, int]]  # (item, scale, parties disagreeing, parties rated)
    # Further points with disagreement, each less frequent than those listed (a tie is listed whole).
    other_disagreements: int
    recommendations: dict[str, list[RecommendationView]]
    replies: list[ReplyView]
    kinds: dict[str, int] = field(default_factory=dict)
    tag_titles: dict[str, str] = field(default_factory=dict)
    # `normalise: leniency`: the ranking goes by the peer means corrected for the reviewers' leniency, with the
    # raw means beside them (`ranking_raw`, by party and group); `calibration` says how the reviewers rated.
    normalised: bool = False
    ranking_raw: dict[tuple[str, str], FigureValue | None] = field(default_factory=dict)
    calibration: list[ScaleSummary] = field(default_factory=list)
    calibration_min_compared: int = MIN_COMPARED
    calibration_limit: float = LENIENCY_LIMIT
    # What became of the previous round's recommendations (reports.follow_up); None without a previous round.
    follow_up: FollowUpView | None = None

    @property
    def recommendation_count(self) -> int:
        return sum(len(found) for found in self.recommendations.values())

    @property
    def action_levels(self) -> list[str]:
        """The action levels the recommendations address, in the report's order."""
        return list(self.recommendations)


def assemble_report(session: Session, round_id: int, language: str, *, published_at: datetime | None = None) -> Report:
    """Read a consolidated round from the store and put together its report in `language` ("de" or "en").

    `published_at` marks the published edition; a round already published keeps its publication date.
    """
    with cycle_collection_paused():  # a large round's report builds a million objects without a cycle
        return _assembled(session, round_id, language, published_at)


def _assembled(session: Session, round_id: int, language: str, published_at: datetime | None) -> Report:
    round_ = get_round(session, round_id)
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    cells = list(questionnaire.rating_cells())
    column_tag, row_tag = status_dimensions(cells)
    tags = questionnaire.tag_labels()

    names = {key: label.in_language(language) for key, label in tags.items()}

    def tag_label(tag: str, key: str) -> str:
        return names.get((tag, key), key)

    scales = {name: _scale_view(name, scale, language) for name, scale in questionnaire.scales.items()}
    primary_scale = cells[0].scale if cells else next(iter(scales), "")
    parties = _parties(session, round_id, language)
    groups = _party_groups(session, round_id, parties, names)
    profiles = {submission_id: profile for submission_id, (profile, _) in parties.items()}
    for party_id, row in groups:
        profiles[party_id].groups.append(row)
    labels = cell_labels(questionnaire, language)
    _add_disagreements(session, round_id, profiles, labels)
    if round_.open_review:
        _add_reviewers(session, round_id, profiles, language)
    for submission_id, assessment in agreed_assessments(session, round_, language).items():
        if submission_id in profiles:
            profiles[submission_id].joint_assessment = assessment
    round_wide = round_findings(session, round_id)
    # Consolidation keeps the most frequent disagreements, ties included, and counts the others.
    frequent = [
        (labels.get(entry.item, entry.item), entry.scale, entry.disagreeing, entry.rated)
        for entry in round_wide.frequent_disagreements
    ]
    # Ranking, priorities and progress read the groups of the matrix's columns (the fields of action).
    party_groups = [
        PartyGroup(profiles[pid].name, row.tag, row.key, row.scale, row.self_mean, row.peer_mean)
        for pid, row in groups
        if row.tag == column_tag
    ]
    # With `normalise: leniency` the benchmark ranks by the corrected means and shows the raw ones beside.
    normalised = round_.normalise == Normalisation.leniency
    ranked_groups = party_groups
    if normalised:
        ranked_groups = [
            PartyGroup(profiles[pid].name, row.tag, row.key, row.scale, row.self_mean, row.corrected_peer_mean)
            for pid, row in groups
            if row.tag == column_tag
        ]
    matrices = [
        _matrix_view(matrix, scales[matrix.scale], column_tag, row_tag, tag_label, language)
        for matrix in status_matrices(round_wide.matrix)
    ]
    priorities = _priorities(round_wide.groups, party_groups, column_tag, scales, tag_label)
    ranking_columns, ranking = _ranking(ranked_groups, column_tag, primary_scale, tag_label)
    previous_name, round_progress = None, []
    if round_.previous_round_id is not None and column_tag is not None:
        previous = session.get(Round, round_.previous_round_id)
        if previous is not None:
            previous_name = previous.title_in(language)
            before = [
                PartyGroup(profile.name, row.tag, row.key, row.scale, row.self_mean, row.peer_mean)
                for profile, row in _previous_groups(session, round_.previous_round_id)
            ]
            per_party, across_round = progress_since(before, party_groups, column_tag)
            by_name = {profile.name: profile for profile in profiles.values()}
            for change in per_party:
                by_name[change.party or ""].progress.append(replace(change, value=tag_label(column_tag, change.value)))
            round_progress = [(tag_label(column_tag, p.value), p) for p in across_round]
    replies = sent_replies(session, round_id)
    return Report(
        language=language,
        round_slug=round_.slug,
        title=round_.title_in(language),
        questionnaire_title=questionnaire.title.in_language(language),
        questionnaire_version=questionnaire.version,
        coordinator=f"{round_.coordinator_name} <{round_.coordinator_email}>",
        time_zone=round_.time_zone,
        generated_at=clock.now(),
        adopted_by=round_.adopted_by,
        adopted_on=round_.adopted_on,
        adoption_changes=round_.adoption_changes,
        published_at=published_at
        or (round_.stage_entered_at if round_.stage.value in ("published", "archived") else None),
        deadlines={
            "submission": round_.submission_deadline,
            "review": round_.review_deadline,
            "comment": round_.comment_deadline,
        },
        scales=scales,
        primary_scale=primary_scale,
        column_tag=column_tag,
        participation=_participation(session, round_id, len(replies)),
        agreement=round_wide.agreement,
        matrices=matrices,
        priorities=priorities,
        ranking_columns=ranking_columns,
        ranking=ranking,
        round_progress=round_progress,
        previous_round=previous_name,
        profiles=list(profiles.values()),
        frequent_disagreements=frequent,
        other_disagreements=round_wide.other_disagreements,
        recommendations=_recommendations(session, round_id, language, labels),
        replies=_replies(session, round_id, replies, profiles, groups, tag_label),
        kinds=dict(Counter(profile.kind for profile in profiles.values())),
        tag_titles={tag: translate(language, "reports", names[0]) for tag, names in TAG_TITLES.items()},
        normalised=normalised,
        ranking_raw={(g.party, g.value): g.peer_mean for g in party_groups if g.scale == primary_scale}
        if normalised
        else {},
        calibration=round_wide.calibration,
        follow_up=follow_up_view(session, round_, language, {pid: p.name for pid, p in profiles.items()}),
    )


def _add_disagreements(
    session: Session, round_id: int, profiles: dict[int, PartyProfile], labels: dict[str, str]
) -> None:
    """Each party's count of disagreements and its largest ones, as consolidation kept them."""
    for submission_id, overall in party_overalls(session, round_id):
        profile = profiles.get(submission_id)
        if profile is None:
            continue
        profile.disagreement_count += overall.disagreements
        profile.disagreements += [
            Disagreement(labels.get(d.item, d.item), "", d.own, list(d.peers), d.spread) for d in overall.largest
        ]
    for profile in profiles.values():
        if len(profile.disagreements) > 1:
            profile.disagreements.sort(key=lambda d: -d.spread)
            del profile.disagreements[DISAGREEMENTS_KEPT:]


def _add_reviewers(session: Session, round_id: int, profiles: dict[int, PartyProfile], language: str) -> None:
    """In an open review, each party's reviewers: those whose review was submitted. A person who was erased,
    and everyone once the round is archived, is named by their number for the party ("Reviewer 2")."""
    archived = get_round(session, round_id).stage is Stage.archived
    numbers = reviewer_numbers(session, round_id)
    for assignment_id, submission_id, person, erased_at, organisation in session.exec(
        select_columns(ReviewAssignment.id, ReviewAssignment.submission_id, Participant.name, Participant.erased_at,
                       Organisation.name)
        .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewAssignment.round_id == round_id, Review.is_submitted)
        .order_by(col(Organisation.name))
    ).all():  # fmt: skip
        if submission_id in profiles:
            if archived or erased_at is not None:
                person = reviewer_pseudonym(language, numbers.get(assignment_id or 0, 0))
            profiles[submission_id].reviewers.append(f"{organisation} ({person})")


def _scale_view(name: str, scale: Scale, language: str) -> ScaleView:
    low, high = scale.levels[0].value, scale.levels[-1].value
    levels = tuple(
        LevelView(
            level.value,
            level.label.in_language(language),
            level.description.in_language(language) if level.description else None,
            int(rounded(Fraction(4 * (level.value - low), (high - low) or 1), 0)),
        )
        for level in scale.levels
    )
    return ScaleView(name, levels, scale.critical_threshold, low, high)


def _parties(session: Session, round_id: int, language: str) -> dict[int, tuple[PartyProfile, int]]:
    """Every reviewed party (a submitted self-assessment) by submission id, with its organisation's id.

    A party is named after its organisation; where two people of one organisation each answered, the
    person's name is added, so rankings and comparisons never merge them.
    """
    found = {}
    rows = (
        session.connection()
        .execute(
            select_columns(
                Submission.id,
                Organisation.name,
                Organisation.kind,
                Organisation.state,
                Organisation.id,
                Participant.name,
            )
            .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(Submission.round_id == round_id, Submission.is_submitted)
            .order_by(col(Organisation.name), col(Submission.id))
        )
        .all()
    )
    shared = {name for name, n in Counter(row[1] for row in rows).items() if n > 1}
    for submission_id, organisation, kind, state, organisation_id, person in rows:
        name = f"{organisation} ({person})" if organisation in shared else organisation
        kind_label = OrganisationKind(kind).label(language)
        found[submission_id] = (
            PartyProfile(submission_id, name, kind_label, state.value if state else None),
            organisation_id,
        )
    return found


def _party_groups(
    session: Session,
    round_id: int,
    parties: dict[int, tuple[PartyProfile, int]],
    names: dict[tuple[str, str], str] | None = None,
) -> list[tuple[int, GroupRow]]:
    """Every party's group findings, named from `names` (by tag and key; the key where there is none)."""
    names = names or {}
    tags = {scope: scope.value for scope in FindingScope}
    found = []
    for submission_id, scope, key, scale, self_score, peer_mean, corrected in session.connection().execute(
        select_columns(
            Finding.submission_id,
            Finding.scope,
            Finding.key,
            Finding.scale,
            Finding.self_score,
            Finding.peer_mean,
            Finding.corrected_peer_mean,
        )
        .where(Finding.round_id == round_id, col(Finding.scope).in_(GROUP_SCOPES))
        .order_by(col(Finding.id))
    ):
        if submission_id in parties:
            tag = tags[scope]
            found.append((submission_id, GroupRow(tag, key, names.get((tag, key), key), scale or "", self_score,
                                                  peer_mean, corrected_peer_mean=corrected)))  # fmt: skip
    return found


def _previous_groups(session: Session, round_id: int) -> list[tuple[PartyProfile, GroupRow]]:
    parties = _parties(session, round_id, "de")
    return [(parties[pid][0], row) for pid, row in _party_groups(session, round_id, parties)]


def _matrix_view(
    matrix: StatusMatrix,
    scale: ScaleView,
    column_tag: str | None,
    row_tag: str | None,
    tag_label: Callable[[str, str], str],
    language: str,
) -> MatrixView:
    counts = [
        (tag_label(row_tag or "", c.of), c.critical, c.total) for c in critical_counts(matrix, scale.critical_below)
    ]
    return MatrixView(
        scale=matrix.scale,
        column_title=_tag_title(column_tag, language, TITLE),
        row_title=_tag_title(row_tag, language, TITLE),
        column_plural=_tag_title(column_tag, language, COUNTED),
        column_word=_tag_title(column_tag, language, IN_A_SENTENCE),
        row_word=_tag_title(row_tag, language, IN_A_SENTENCE),
        columns=[(key, tag_label(column_tag or "", key)) for key in matrix.columns],
        rows=[(key, tag_label(row_tag or "", key)) for key in matrix.rows],
        cells=matrix.cells,
        counts=counts,
    )


# What a tag's groups are called: as a title, within a sentence, and counted ("in 4 of 6 fields of action").
TITLE, IN_A_SENTENCE, COUNTED = 0, 1, 2
TAG_TITLES = {
    "objective": (
        N_("Objective"),
        N_("objective"),
        # Translators: counted, as in "critical in 4 of 6 objectives"; German takes the dative plural here.
        N_("objectives"),
    ),
    "strategy_level": (
        N_("Strategy level"),
        N_("strategy level"),
        # Translators: counted, as in "critical in 4 of 6 strategy levels"; German takes the dative plural here.
        N_("strategy levels"),
    ),
    "field_of_action": (
        N_("Field of action"),
        N_("field of action"),
        # Translators: counted, as in "critical in 4 of 6 fields of action"; German takes the dative plural here.
        N_("fields of action"),
    ),
    "guideline": (
        N_("Guideline"),
        N_("guideline"),
        # Translators: counted, as in "critical in 4 of 6 guidelines"; German takes the dative plural here.
        N_("guidelines"),
    ),
}


def _tag_title(tag: str | None, language: str, form: int) -> str:
    """What a tag's groups are called: "Handlungsfeld", or in a count "in 4 von 6 Handlungsfeldern"."""
    names = TAG_TITLES.get(tag or "")
    return translate(language, "reports", names[form]) if names else (tag or "")


def _priorities(
    round_groups: list[RoundGroup],
    party_groups: list[PartyGroup],
    column_tag: str | None,
    scales: dict[str, ScaleView],
    tag_label: Callable[[str, str], str],
) -> list[GroupRow]:
    """The round's groups of the matrix's column dimension, weakest (by peers' mean) first."""
    critical: Counter[tuple[str, str | None]] = Counter()
    measured: Counter[tuple[str, str | None]] = Counter()
    for group in party_groups:
        if group.tag == column_tag and group.peer_mean is not None:
            measured[(group.value, group.scale)] += 1
            if group.scale in scales and below(group.peer_mean, scales[group.scale].critical_below):
                critical[(group.value, group.scale)] += 1
    rows = []
    for round_group in round_groups:
        if round_group.tag != column_tag or round_group.scale not in scales:
            continue  # (findings consolidated before scales were recorded have none)
        rows.append(
            GroupRow(
                round_group.tag,
                round_group.value,
                tag_label(round_group.tag, round_group.value),
                round_group.scale or "",
                round_group.self_mean,
                round_group.peer_mean,
                measured[(round_group.value, round_group.scale)],
                critical[(round_group.value, round_group.scale)],
            )
        )
    return sorted(
        rows,
        key=lambda r: (
            list(scales).index(r.scale) if r.scale in scales else 0,
            r.peer_mean if r.peer_mean is not None else float("inf"),
        ),
    )


def _ranking(
    party_groups: list[PartyGroup], column_tag: str | None, scale: str, tag_label: Callable[[str, str], str]
) -> tuple[list[tuple[str, str]], list[tuple[str, dict[str, Ranked]]]]:
    """Per party, its rank in each group; parties ordered by their mean rank."""
    if column_tag is None:
        return [], []
    ranked = benchmark_ranking(party_groups, column_tag, scale)
    columns = [(key, tag_label(column_tag, key)) for key in ranked]
    by_party: dict[str, dict[str, Ranked]] = {}
    for key, entries in ranked.items():
        for entry in entries:
            by_party.setdefault(entry.party, {})[key] = entry
    ordered = sorted(by_party.items(), key=lambda item: (sum(r.rank for r in item[1].values()) / len(item[1]), item[0]))
    return columns, ordered


def _participation(session: Session, round_id: int, replied: int) -> dict[str, int]:
    """The round's participation figures: who was enrolled, and who actually submitted or replied
    (`replied`: the parties whose sent reply has some text), and the questions asked during the review."""
    progress = round_progress(session, round_id)
    _, _, reviewers = enrolment_counts(session, round_id)
    reviewing = session.exec(
        select(func.count(distinct(col(ReviewAssignment.reviewer_enrolment_id))))
        .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .where(ReviewAssignment.round_id == round_id, Review.is_submitted)
    ).one()
    sent = progress.replies_sent
    questions = question_counts(session, round_id)
    # A party that sent its reply form empty said it has nothing to add: that is not a reply in the report.
    return {
        "respondents": progress.respondents,
        "reviewers": reviewers,
        "reviewers_submitted": int(reviewing),
        "submitted": progress.submitted,
        "reviews_due": progress.reviews_due,
        "reviews_submitted": progress.reviews_submitted,
        "replies": replied,
        "nothing_to_add": sent - replied,
        "disagreement_spread": DISAGREEMENT_SPREAD,
        # Questions the reviewers asked the reviewed parties during the review (review_model.questions).
        "questions_asked": sum(counts.asked for counts in questions.values()),
        "questions_answered": sum(counts.answered for counts in questions.values()),
        "parties_asked": len(questions),
    }


def _recommendations(
    session: Session, round_id: int, language: str, labels: dict[str, str]
) -> dict[str, list[RecommendationView]]:
    """Approved (or published) recommendations only, per action level, highest priority first; the items
    in their evidence named as the questionnaire names them."""
    found: dict[str, list[RecommendationView]] = {}
    for r in session.exec(
        select(Recommendation)
        .where(
            Recommendation.round_id == round_id,
            col(Recommendation.status).in_([RecommendationStatus.approved, RecommendationStatus.published]),
        )
        .order_by(col(Recommendation.priority), col(Recommendation.id))
    ).all():
        text = r.text_en if language == "en" and r.text_en else r.text_de
        found.setdefault(r.action_level.value, []).append(
            RecommendationView(
                r.id or 0,
                r.action_level.value,
                r.priority,
                text,
                r.evidence.get("count", 0),
                r.evidence.get("total", 0),
                [labels.get(item, item) for item in r.evidence.get("items", [])],
                list(r.evidence.get("quotes", [])),
            )
        )
    return {level.value: found[level.value] for level in ACTION_LEVEL_ORDER if level.value in found}


def _replies(
    session: Session,
    round_id: int,
    sent: dict[int, dict[int | None, str]],
    profiles: dict[int, PartyProfile],
    groups: list[tuple[int, GroupRow]],
    tag_label: Callable[[str, str], str],
) -> list[ReplyView]:
    """Every sent reply (`sent`, as `sent_replies` reads them), exactly as written, with the figures of the
    findings it answers."""
    answered = {finding_id for texts in sent.values() for finding_id in texts if finding_id is not None}
    by_finding: dict[int | None, tuple[str, str]] = {}
    if answered:
        by_finding = {
            fid: (scope.value, key)
            for fid, scope, key in session.exec(
                select(Finding.id, col(Finding.scope), Finding.key).where(col(Finding.id).in_(answered))
            ).all()
        }
    wanted = {(submission_id, tag, key) for submission_id in sent for tag, key in by_finding.values()}
    rows_of: dict[tuple[int, str, str], list[GroupRow]] = {}
    for submission_id, row in groups:
        if (submission_id, row.tag, row.key) in wanted:
            rows_of.setdefault((submission_id, row.tag, row.key), []).append(row)
    views = []
    for submission_id, texts in sent.items():
        profile = profiles.get(submission_id)
        if profile is None:
            continue
        for finding_id, text in sorted(texts.items(), key=lambda item: (item[0] is not None, item[0] or 0)):
            if finding_id is None:
                views.append(ReplyView(profile.name, None, [], text))
            elif finding_id in by_finding:
                tag, key = by_finding[finding_id]
                views.append(
                    ReplyView(profile.name, tag_label(tag, key), rows_of.get((submission_id, tag, key), []), text)
                )
    return sorted(views, key=lambda view: view.party)
