"""The round file a coordinator writes: what a round asks, of whom, by when, under which rules.

Deadlines are written as a date (the deadline is then at `deadline_time` that day), a local date and time,
a date and time with an offset, or an ISO 8601 duration such as P21D (counted from the round's creation, at
`deadline_time`). Local times are in the round's time zone; the store keeps UTC.
"""

import hashlib
import itertools
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from review_model.accessibility import StatementSettings
from review_model.calibration import Normalisation
from review_model.questionnaire import Text
from review_model.retention import normal_retention, retention_problem
from review_model.yaml_documents import DocumentError, Problem, YamlDocument, problems_from_validation

_DURATION = TypeAdapter(timedelta)
# How far from the round's creation a deadline may lie: a round runs for weeks or months, and a date years
# away is a typing error that would leave the round waiting (and a date near year 9999 cannot be computed).
DEADLINE_HORIZON = timedelta(days=3 * 365 + 1)
HORIZON_TEXT = "3 years"
# Slugs the console's addresses use themselves (/console/rounds/<slug>).
RESERVED_SLUGS = frozenset({"new"})


def _parse_deadline(value: Any) -> datetime | date | timedelta:
    if isinstance(value, datetime | date | timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("a deadline is a date, a date and time, or a duration such as P21D")
    text = value.strip()
    if text.upper().startswith("P"):
        try:
            duration = _DURATION.validate_python(text)
        except ValidationError:
            raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. P21D, P6W)") from None
        if duration <= timedelta(0):
            raise ValueError(f"{text!r} must be a positive duration")
        if duration > DEADLINE_HORIZON:
            raise ValueError(f"{text!r} is longer than {HORIZON_TEXT} (at most P{DEADLINE_HORIZON.days}D)")
        return duration
    for parse in (date.fromisoformat, datetime.fromisoformat):  # a bare date means deadline_time that day
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (2027-03-15), a date and time (2027-03-15T18:00) or a duration (P21D)")


DeadlineSpec = Annotated[datetime | date | timedelta, BeforeValidator(_parse_deadline)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _one_line(text: str) -> str:
    if any(char in text for char in "\r\n\t"):
        raise ValueError("must be one line (it contains a line break or a tab)")
    return text


class Coordinator(_Strict):
    name: Annotated[str, AfterValidator(_one_line)] = Field(min_length=1, max_length=200)
    email: EmailStr


class Deadlines(_Strict):
    submission_opens: DeadlineSpec | None = None
    submission: DeadlineSpec
    review: DeadlineSpec
    comment: DeadlineSpec
    publication: DeadlineSpec | None = None


class Reminders(_Strict):
    days_before: list[Annotated[int, Field(ge=1, le=90)]] = Field(default_factory=lambda: [7, 3, 1], max_length=10)
    max: int = Field(default=3, ge=0, le=10)

    @field_validator("days_before")
    @classmethod
    def _distinct(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError(f"each day may appear once (got {days})")
        return sorted(days, reverse=True)


class LateSubmissions(_Strict):
    grace_hours: int = Field(default=0, ge=0, le=24 * 14)


class HandoverRule(_Strict):
    """What happens to a respondent's link when they hand the self-assessment to a colleague
    (review_model.handover): revoked by default, or kept working with `keep_first_link`."""

    keep_first_link: bool = False


class AdoptionRule(_Strict):
    """Whether publication waits until a body has adopted the results (review_model.adoption)."""

    required: bool = False


class ConsensusStage(_Strict):
    """The consensus stage between review and consolidation (review_model.consensus): its length in days
    after the review deadline, ending at `deadline_time`; 0 leaves the stage out."""

    days: int = Field(default=0, ge=0, le=90)


class AssignmentRules(_Strict):
    reviewers_per_submission: int = Field(default=3, ge=1, le=20)
    # Reviews per reviewer: more than 50 in one round is no review any longer.
    min_load: int = Field(default=0, ge=0, le=50)
    max_load: int = Field(default=4, ge=1, le=50)
    exclude_same_state: bool = False
    forbid_mutual_review: bool = True
    max_per_organisation_kind: int | None = Field(default=None, ge=1, le=20)
    open_review: bool = False

    @model_validator(mode="after")
    def _loads_in_order(self) -> Self:
        if self.min_load > self.max_load:
            raise ValueError(f"min_load {self.min_load} is greater than max_load {self.max_load}")
        return self


class RoundFile(_Strict):
    """A round as described in its YAML file."""

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    title: Text
    questionnaire: str = Field(min_length=1)
    time_zone: str | None = None
    language: str | None = Field(default=None, pattern=r"^(de|en)$")
    coordinator: Coordinator
    # Further staff named for the round in the console, besides the coordinator: their account's role says
    # whether they run it (coordinator) or read it (observer).
    staff: list[EmailStr] = Field(default_factory=list, max_length=50)
    deadlines: Deadlines
    deadline_time: time = time(23, 59)
    reminders: Reminders = Field(default_factory=Reminders)
    late_submissions: LateSubmissions = Field(default_factory=LateSubmissions)
    consensus: ConsensusStage = Field(default_factory=ConsensusStage)
    assignment: AssignmentRules = Field(default_factory=AssignmentRules)
    handover: HandoverRule = Field(default_factory=HandoverRule)
    adoption: AdoptionRule = Field(default_factory=AdoptionRule)
    previous_round: str | None = None
    # `leniency`: the report gives peer means corrected for each reviewer's leniency beside the raw ones
    # (review_model.calibration).
    normalise: Normalisation | None = None
    # How long the people's data is kept after publication (ISO 8601, e.g. P2Y); see review_model.retention.
    retention: str | None = None
    participants: str | None = Field(default=None, description="A participants CSV, relative to the round file.")
    # The accessibility statement of the round's pages, where it differs from the installation's (see
    # review_model.accessibility): its contact, say, or the Land's enforcement body.
    accessibility: StatementSettings | None = None

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_SLUGS:  # /console/rounds/new is the page that creates rounds
            raise ValueError(f"{value!r} is reserved for a page of the console; choose another slug")
        return value

    @field_validator("retention")
    @classmethod
    def _retention_period(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = retention_problem(value)
        if problem:
            raise ValueError(problem)
        return normal_retention(value)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value


class RoundFileError(DocumentError):
    """A round file that cannot be used, with every reason."""


def round_file_from_document(document: YamlDocument) -> RoundFile:
    """Validate a parsed round file, naming the line of each problem."""
    if not isinstance(document.data, dict):
        raise RoundFileError(document.source, [Problem((), "a round file is a mapping (slug, title, deadlines, …)")])
    try:
        return RoundFile.model_validate(document.data)
    except ValidationError as error:
        raise RoundFileError(document.source, problems_from_validation(error, document)) from None


def spec_digest(document: YamlDocument) -> str:
    """A fingerprint of what the file says (not how it is formatted), to recognise a repeated creation."""
    canonical = json.dumps(document.data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def resolve_deadline(spec: datetime | date | timedelta, created_at: datetime, zone: ZoneInfo, at: time) -> datetime:
    """The moment a deadline means, in UTC."""
    if isinstance(spec, timedelta):
        day = (created_at.astimezone(zone) + spec).date()
        return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    if isinstance(spec, datetime):
        local = spec if spec.tzinfo is not None else spec.replace(tzinfo=zone)
        return local.astimezone(ZoneInfo("UTC"))
    return datetime.combine(spec, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def resolve_schedule(spec: RoundFile, created_at: datetime, zone: ZoneInfo) -> dict[str, datetime | None]:
    """Every deadline of the round file as a UTC moment (None where the file leaves one out)."""
    schedule: dict[str, datetime | None] = {}
    for name in Deadlines.model_fields:
        value = getattr(spec.deadlines, name)
        schedule[name] = None if value is None else resolve_deadline(value, created_at, zone, spec.deadline_time)
    return schedule


def horizon_problems(spec: RoundFile, today: date) -> list[Problem]:
    """Deadlines written as dates that lie more than DEADLINE_HORIZON from `today` (durations are bounded as read)."""
    problems = []
    for name in Deadlines.model_fields:
        value = getattr(spec.deadlines, name)
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and abs(day - today) > DEADLINE_HORIZON:
            problems.append(Problem(("deadlines", name), f"{day} is more than {HORIZON_TEXT} from today ({today})"))
    return problems


def schedule_problems(schedule: dict[str, datetime | None], now: datetime, zone: ZoneInfo) -> list[Problem]:
    """Deadlines in the past, or out of order, each with the reason."""

    def shown(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    problems = []
    for name, moment in schedule.items():
        if moment is not None and moment <= now and name != "submission_opens":
            problems.append(Problem(("deadlines", name), f"{shown(moment)} is in the past (now: {shown(now)})"))
    order = [(name, schedule[name]) for name in Deadlines.model_fields if schedule[name] is not None]
    for (earlier_name, earlier), (later_name, later) in itertools.pairwise(order):
        assert earlier is not None and later is not None
        if later <= earlier:
            problems.append(
                Problem(
                    ("deadlines", later_name),
                    f"{shown(later)} must come after deadlines.{earlier_name} ({shown(earlier)})",
                )
            )
    return problems


def consensus_deadline(spec: RoundFile, review_deadline: datetime, zone: ZoneInfo) -> datetime | None:
    """The end of the consensus stage: `consensus.days` calendar days after the review deadline's day, at
    `deadline_time` in the round's zone; None when the round has no consensus stage."""
    if spec.consensus.days == 0:
        return None
    day = review_deadline.astimezone(zone).date() + timedelta(days=spec.consensus.days)
    return datetime.combine(day, spec.deadline_time, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def consensus_problems(spec: RoundFile, schedule: dict[str, datetime | None], zone: ZoneInfo) -> list[Problem]:
    """A consensus stage that would not end before the comment deadline (the reviewed parties reply to
    findings consolidated after it)."""
    review, comment = schedule["review"], schedule["comment"]
    assert review is not None and comment is not None  # a round file requires them
    ends = consensus_deadline(spec, review, zone)
    if ends is None or ends < comment:
        return []
    shown = comment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return [Problem(("consensus", "days"), f"the consensus stage would end {ends.astimezone(zone):%Y-%m-%d %H:%M %Z}, "
                                           f"not before deadlines.comment ({shown})")]  # fmt: skip


def participants_path(spec: RoundFile, round_file: Path) -> Path | None:
    """The participants CSV the round file names, relative to the round file."""
    return None if spec.participants is None else (round_file.parent / spec.participants)
