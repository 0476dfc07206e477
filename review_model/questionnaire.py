"""Questionnaires as data: the schema a questionnaire file must follow, and loading one with clear errors.

A questionnaire has named scales (a traffic light, a maturity scale 0–4, an implementation-progress scale),
and sections of items. Item types: traffic_light, maturity and progress (rated on a scale), single_choice,
multiple_choice, number, text, and matrix (rows × rating columns, as in the SPR status matrix, where each
building block is rated on every strategy level). Every label is German, with English beside it.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from config.paths import QUESTIONNAIRES_DIR
from config.translations import N_
from review_model.exact_figures import FigureValue, exact, threshold
from review_model.refusals import Reason
from review_model.yaml_documents import (
    DocumentError,
    Location,
    Problem,
    YamlDocument,
    problems_from_validation,
    read_yaml_document,
)

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)]
ScaleType = Literal["traffic_light", "maturity", "progress"]
SCALE_TYPES: tuple[str, ...] = ("traffic_light", "maturity", "progress")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Text(_Strict):
    """A label in German (required) and English (optional; German is shown where it is missing)."""

    de: str = Field(min_length=1)
    en: str | None = Field(default=None, min_length=1)

    def in_language(self, language: str) -> str:
        """The text in `language`, falling back to German."""
        return self.en if language == "en" and self.en else self.de


class Level(_Strict):
    value: int = Field(ge=-100, le=100)  # a rating scale, not a count: bounded so means and the store stay exact
    label: Text
    description: Text | None = None


class Scale(_Strict):
    """Ordered levels, lowest value first; higher values mean better."""

    levels: list[Level] = Field(min_length=2)
    # Mean ratings below this are critical (traffic light) or low (maturity); default: the scale's midpoint.
    critical_below: float | None = None

    @model_validator(mode="after")
    def _distinct_ascending_values(self) -> Self:
        values = [level.value for level in self.levels]
        if len(set(values)) != len(values):
            raise ValueError(f"level values must be distinct (got {values})")
        if values != sorted(values):
            raise ValueError(f"levels must be listed from the lowest value to the highest (got {values})")
        return self

    @property
    def values(self) -> list[int]:
        return [level.value for level in self.levels]

    @property
    def critical_threshold(self) -> float:
        """Mean ratings below this count as critical."""
        if self.critical_below is not None:
            return self.critical_below
        return (self.levels[0].value + self.levels[-1].value) / 2

    def level_of(self, mean: FigureValue) -> Level:
        """The level a mean rating is shown as (see `level_shown`)."""
        return level_shown(self.levels, self.critical_threshold, mean)


class _Valued(Protocol):
    @property
    def value(self) -> int: ...


LevelLike = TypeVar("LevelLike", bound=_Valued)


def level_shown(levels: Sequence[LevelLike], critical_below: FigureValue, mean: FigureValue) -> LevelLike:
    """Of levels with a `value` (lowest first), the one a mean rating is named and coloured as: the highest
    level it reaches, on its side of the critical threshold. A critical mean (exactly below the threshold)
    shows a level below the threshold, any other mean one at or above it; so 1.9 on a 0–4 scale critical
    below 2 shows level 1, and 2.0 and 2.4 show level 2 (not the nearest level, which would hide 1.9)."""
    value, limit = exact(mean), threshold(critical_below)
    critical = value < limit
    side = [level for level in levels if (level.value < limit) == critical] or list(levels)
    reached = [level for level in side if level.value <= value]
    return reached[-1] if reached else side[0]


class Option(_Strict):
    value: Identifier
    label: Text


class _ItemBase(_Strict):
    id: Identifier
    label: Text
    help: Text | None = None
    required: bool = False
    tags: dict[str, str] = Field(default_factory=dict)


class ScaleItem(_ItemBase):
    """Rated on a named scale; `scale` defaults to the item type's name."""

    type: ScaleType
    scale: Identifier | None = None
    # Descriptions of the levels for this item, replacing the scale's general ones.
    level_descriptions: dict[int, Text] = Field(default_factory=dict)
    comment: bool = False

    @property
    def scale_name(self) -> str:
        return self.scale or self.type


class ChoiceItem(_ItemBase):
    type: Literal["single_choice", "multiple_choice"]
    options: list[Option] = Field(min_length=2)

    @model_validator(mode="after")
    def _distinct_options(self) -> Self:
        values = [option.value for option in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"option values must be distinct (got {values})")
        return self


class NumberItem(_ItemBase):
    type: Literal["number"]
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    unit: Text | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Self:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is greater than maximum {self.maximum}")
        return self


class TextItem(_ItemBase):
    type: Literal["text"]
    max_length: int = Field(default=2000, ge=1, le=20000)


class MatrixRow(_Strict):
    id: Identifier
    label: Text
    help: Text | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class MatrixColumn(_Strict):
    id: Identifier
    type: ScaleType
    label: Text
    scale: Identifier | None = None

    @property
    def scale_name(self) -> str:
        return self.scale or self.type


class MatrixItem(_ItemBase):
    """Each row rated in each column, e.g. a building block's status and progress on every strategy level."""

    type: Literal["matrix"]
    rows: list[MatrixRow] = Field(min_length=1)
    columns: list[MatrixColumn] = Field(min_length=1)
    comment: bool = False


Item = Annotated[ScaleItem | ChoiceItem | NumberItem | TextItem | MatrixItem, Field(discriminator="type")]


class Section(_Strict):
    id: Identifier
    title: Text
    description: Text | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    items: list[Item] = Field(min_length=1)


@dataclass(frozen=True)
class RatingCell:
    """One rating a respondent or reviewer gives: an answer key, its scale, and the tags it rolls up by."""

    key: str
    item_id: str
    scale: str
    tags: dict[str, str]

    @property
    def comment_key(self) -> str:
        """The answer key of the comment that goes with this rating (an item's, or a matrix row's)."""
        return f"{self.key}/comment" if self.key == self.item_id else f"{self.key.rsplit('/', 1)[0]}/comment"


class Questionnaire(_Strict):
    """A questionnaire file, validated. A round keeps a snapshot of it (`model_dump(mode="json")`)."""

    id: Identifier
    version: int = Field(default=1, ge=1, le=1_000_000)
    title: Text
    description: Text | None = None
    scales: dict[str, Scale] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_hold(self, info: ValidationInfo) -> Self:
        if info.context and info.context.get("defer_reference_checks"):
            return self
        problems = reference_problems(self)
        if problems:
            raise ValueError("; ".join(f"{p.subject}: {p.message}" for p in problems))
        return self

    def items(self) -> Iterator[tuple[Section, Any]]:
        """Every item with its section, in order."""
        for section in self.sections:
            for item in section.items:
                yield section, item

    def rating_cells(self) -> Iterator[RatingCell]:
        """Every rating on a scale, in form order; these are what self- and peer-assessments compare."""
        for section, item in self.items():
            if isinstance(item, ScaleItem):
                yield RatingCell(item.id, item.id, item.scale_name, {**section.tags, **item.tags})
            elif isinstance(item, MatrixItem):
                for row in item.rows:
                    for column in item.columns:
                        tags = {**section.tags, **item.tags, **row.tags}
                        yield RatingCell(f"{item.id}/{row.id}/{column.id}", item.id, column.scale_name, tags)

    def tag_labels(self) -> dict[tuple[str, str], Text]:
        """A label for every tag value: the title of the section, item or row that first carries it."""
        labels: dict[tuple[str, str], Text] = {}
        for section, item in self.items():
            rows = item.rows if isinstance(item, MatrixItem) else []
            for owner in (section, item, *rows):
                label = owner.title if isinstance(owner, Section) else owner.label
                for tag, value in owner.tags.items():
                    labels.setdefault((tag, value), label)
        return labels

    def missing_english(self) -> list[str]:
        """Paths of labels that have no English text (German is shown there instead)."""
        missing: list[str] = []
        _collect_missing_english(self, self.id, missing)
        return missing


def reference_problems(questionnaire: Questionnaire) -> list[Problem]:
    """What the schema alone cannot see: repeated ids, unknown scales, incomplete maturity descriptions."""
    problems: list[Problem] = []
    seen_sections: set[str] = set()
    seen_items: dict[str, Location] = {}
    for s_index, section in enumerate(questionnaire.sections):
        section_path: Location = ("sections", s_index)
        if section.id in seen_sections:
            problems.append(
                Problem((*section_path, "id"), "section id is used twice", subject=f"section {section.id!r}")
            )
        seen_sections.add(section.id)
        for i_index, item in enumerate(section.items):
            path: Location = (*section_path, "items", i_index)
            subject = f"item {item.id!r}"
            if item.id in seen_items:
                first = ".".join(map(str, seen_items[item.id]))
                problems.append(Problem((*path, "id"), f"item id is used twice (first at {first})", subject=subject))
            else:
                seen_items[item.id] = path
            problems.extend(_item_scale_problems(questionnaire, item, path, subject))
    return problems


def _item_scale_problems(questionnaire: Questionnaire, item: Any, path: Location, subject: str) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(item, ScaleItem):
        scale = questionnaire.scales.get(item.scale_name)
        if scale is None:
            return [Problem((*path, "scale"), _unknown_scale(questionnaire, item.scale_name), subject=subject)]
        stray = sorted(set(item.level_descriptions) - set(scale.values))
        if stray:
            problems.append(
                Problem(
                    (*path, "level_descriptions"),
                    f"no level {stray} on scale {item.scale_name!r}",
                    subject=subject,
                )
            )
        if item.type == "maturity":
            problems.extend(_maturity_problems(scale, item, path, subject))
    elif isinstance(item, MatrixItem):
        for kind, entries in (("row", item.rows), ("column", item.columns)):
            ids = [entry.id for entry in entries]
            repeated = sorted({entry_id for entry_id in ids if ids.count(entry_id) > 1})
            if repeated:
                problems.append(Problem((*path, f"{kind}s"), f"{kind} ids used twice: {repeated}", subject=subject))
        for c_index, column in enumerate(item.columns):
            if column.scale_name not in questionnaire.scales:
                message = _unknown_scale(questionnaire, column.scale_name)
                problems.append(Problem((*path, "columns", c_index, "scale"), message, subject=subject))
    return problems


def _maturity_problems(scale: Scale, item: ScaleItem, path: Location, subject: str) -> list[Problem]:
    problems = []
    if scale.values != [0, 1, 2, 3, 4]:
        problems.append(
            Problem(
                (*path, "scale"),
                f"a maturity scale has the levels 0 to 4 (got {scale.values})",
                subject=subject,
            )
        )
    undescribed = [
        level.value
        for level in scale.levels
        if level.description is None and level.value not in item.level_descriptions
    ]
    if undescribed:
        problems.append(
            Problem(
                (*path, "level_descriptions"),
                f"maturity levels without a description: {undescribed}",
                subject=subject,
            )
        )
    return problems


def _unknown_scale(questionnaire: Questionnaire, name: str) -> str:
    known = ", ".join(sorted(questionnaire.scales)) or "none defined"
    return f"unknown scale {name!r} (scales: {known})"


def _collect_missing_english(node: Any, path: str, missing: list[str]) -> None:
    if isinstance(node, Text):
        if node.en is None:
            missing.append(path)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            _collect_missing_english(getattr(node, name), f"{path}.{name}", missing)
    elif isinstance(node, list):
        for entry in node:
            label = getattr(entry, "id", None) or getattr(entry, "value", None)
            _collect_missing_english(entry, f"{path}[{label}]", missing)
    elif isinstance(node, dict):
        for key, value in node.items():
            _collect_missing_english(value, f"{path}.{key}", missing)


class QuestionnaireError(DocumentError):
    """A questionnaire file that cannot be used; names the file, the line, the item and the problem."""


def questionnaire_from_document(document: YamlDocument) -> Questionnaire:
    """Validate a parsed questionnaire document, collecting every problem before giving up."""
    if not isinstance(document.data, dict):
        raise QuestionnaireError(
            document.source, [Problem((), "a questionnaire is a mapping with id, title, sections")]
        )
    try:
        questionnaire = Questionnaire.model_validate(document.data, context={"defer_reference_checks": True})
    except ValidationError as error:
        problems = problems_from_validation(error, document)
        raise QuestionnaireError(document.source, [_with_subject(p, document.data) for p in problems]) from None
    problems = [
        Problem(p.path, p.message, document.line_of(p.path), p.subject) for p in reference_problems(questionnaire)
    ]
    if problems:
        raise QuestionnaireError(document.source, problems)
    return questionnaire


def _with_subject(problem: Problem, data: Any) -> Problem:
    """Name the section or item a problem belongs to, by the id written in the file."""
    subject = None
    node = data
    for index, part in enumerate(problem.path):
        if not isinstance(node, dict | list):
            break
        try:
            node = node[part]  # type: ignore[index]  # a list indexed by a name: the TypeError below
        except (KeyError, IndexError, TypeError):
            break
        container = problem.path[index - 1] if index else None
        if container in ("sections", "items") and isinstance(node, dict):
            kind = "section" if container == "sections" else "item"
            subject = f"{kind} {node.get('id', f'#{part + 1}')!r}" if isinstance(part, int) else subject
    return Problem(problem.path, problem.message, problem.line, subject)


def load_questionnaire(reference: str | Path, base_dir: Path | None = None) -> Questionnaire:
    """Load a questionnaire by file path, or by the id of one that ships with spr (e.g. `spr-status`)."""
    return questionnaire_from_document(read_yaml_document(resolve_questionnaire_path(reference, base_dir)))


def resolve_questionnaire_path(reference: str | Path, base_dir: Path | None = None) -> Path:
    """The file a questionnaire reference means: a path (relative to `base_dir`) or a shipped id."""
    candidate = Path(reference)
    if base_dir is not None and not candidate.is_absolute():
        candidate = base_dir / candidate
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    shipped = QUESTIONNAIRES_DIR / f"{reference}.yaml"
    if shipped.exists():
        return shipped
    known = ", ".join(sorted(path.stem for path in QUESTIONNAIRES_DIR.glob("*.yaml")))
    raise QuestionnaireError(
        str(reference), [Problem((), f"no such questionnaire file or shipped id (shipped: {known})")]
    )


class QuestionnaireUnavailable(QuestionnaireError):
    """A round file sent through the console names a questionnaire that is not one of those that ship with spr;
    its one problem's message is a `Reason`, which the console shows in the staff member's language."""


def shipped_questionnaire(reference: str) -> Questionnaire:
    """A questionnaire that ships with spr, by its id, for a round file sent through the console.

    Such a file came from someone's computer: a path in it is relative to a folder this machine does not
    have, and an absolute one would let a web form read this machine's files. So a path is refused, saying why.
    """
    shipped = {path.stem: path for path in shipped_questionnaires()}
    if reference in shipped:
        return load_questionnaire(shipped[reference])
    known = ", ".join(sorted(shipped))
    if reference.endswith((".yaml", ".yml")) or any(mark in reference for mark in "/\\"):
        reason = Reason(
            N_("{reference} is a file path: a round file sent through the console cannot name a questionnaire "
               "file, as there is no folder the path could be relative to. Name one that ships with spr ({known}), "
               "or create the round with `spr round create` where the questionnaire file is."),
            reference=reference, known=known,
        )  # fmt: skip
    else:
        reason = Reason(N_("no questionnaire {reference} ships with spr (shipped: {known})"), reference=reference,
                        known=known)  # fmt: skip
    raise QuestionnaireUnavailable(reference, [Problem((), reason)])


def shipped_questionnaires() -> list[Path]:
    """The questionnaire files that come with spr."""
    return sorted(QUESTIONNAIRES_DIR.glob("*.yaml"))
