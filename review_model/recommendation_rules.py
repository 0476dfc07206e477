"""Recommendation rules as data: which findings lead to which drafted recommendation, for whom, and why."""

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.paths import CONFIG_DIR
from review_model.consolidation import ReviewerComment
from review_model.consolidation import gap as gap_of
from review_model.exact_figures import FigureValue, above, below, mean, share_reaches, written
from review_model.findings import read_group_details
from review_model.questionnaire import Text
from review_model.vocabulary import ActionLevel, FindingScope
from review_model.yaml_documents import DocumentError, problems_from_validation, read_yaml_document

DEFAULT_RULES = CONFIG_DIR / "recommendation_rules.yaml"
# The figures a group finding has for every party: its peers' mean, its own mean, and the gap between them.
Figure = Literal["peer_mean", "self_score", "gap"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    action_level: ActionLevel
    priority: int = Field(default=2, ge=1, le=3)
    scope: FindingScope
    key: str = "*"
    # The rating scale the rule reads (a group rated on two scales has findings on each); None: any.
    scale: str | None = None
    figure: Figure = "peer_mean"
    below: float | None = None
    above: float | None = None
    min_share: float = Field(default=0.5, gt=0, le=1)
    text: Text

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of below or above")
        for text in (self.text.de, self.text.en):
            try:  # {value} arrives already written as a number, so it takes no format spec
                (text or "").format(key="k", count=1, total=2, value="1,5")
            except (KeyError, IndexError, ValueError) as wrong:
                raise ValueError(
                    f"the text may use only {{key}}, {{count}}, {{total}} and {{value}} (without a format): {wrong}"
                ) from None
        return self

    def met_by(self, value: FigureValue | None) -> bool:
        """Whether a figure meets the condition, on exact values: a mean of exactly 2.0 is not below 2.0."""
        if value is None:
            return False
        if self.below is not None:
            return below(value, self.below)
        assert self.above is not None  # the validator asks for exactly one of the two
        return above(value, self.above)

    def supported_by(self, comment: ReviewerComment) -> bool:
        """Whether a reviewer's comment speaks to what fired the rule: one of the ratings it is attached to
        meets the rule's condition (a comment on a high rating is no evidence of low maturity). A comment
        stored without its ratings is not quoted."""
        scores, own = comment.scores, comment.own
        if self.figure == "peer_mean":
            return any(self.met_by(score) for score in scores)
        if self.figure == "self_score":
            return any(self.met_by(value) for value in own)
        return any(self.met_by(gap_of(score, value)) for score, value in zip(scores, own, strict=False))


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: list[Rule] = Field(min_length=1)


def load_rules(path: Path = DEFAULT_RULES) -> RuleSet:
    """Read and check a rules file, naming the line of each problem."""
    document = read_yaml_document(path)
    try:
        return RuleSet.model_validate(document.data)
    except ValidationError as error:
        raise DocumentError(document.source, problems_from_validation(error, document)) from None


@dataclass(frozen=True)
class GroupFinding:
    """What a rule reads: one party's figures for one key of one scope, on one scale.

    `details` may carry the evidence behind the figures, as the finding stores it (review_model.findings
    reads it): the lowest-rated items, and what reviewers wrote.
    """

    party: str
    scope: FindingScope
    key: str
    figures: dict[str, FigureValue | None]
    scale: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    # The finding's row, for reading its details later (see draft_recommendations' load_details).
    finding_id: int | None = None


@dataclass(frozen=True)
class Draft:
    rule: Rule
    key: str
    text_de: str
    text_en: str | None
    evidence: dict[str, Any]


# How much evidence a draft carries: the items named most often, and quotes from reviewers' comments.
EVIDENCE_ITEMS = 3
EVIDENCE_QUOTES = 3


DetailsLoader = Callable[[set[int]], Mapping[int, Mapping[str, Any]]]


def draft_recommendations(
    rules: RuleSet,
    findings: list[GroupFinding],
    labels: Mapping[tuple[str, str], Text] | None = None,
    load_details: DetailsLoader | None = None,
) -> list[Draft]:
    """Every recommendation the rules call for, with the parties, figures, items and quotes that triggered it.

    `labels` names the groups in the texts (by scope and key, as `Questionnaire.tag_labels` gives them);
    without one, a text shows the key. `load_details`, given the finding ids of the parties that triggered
    some rule, returns their details; a large round then reads the evidence of those parties only.
    """
    fired = []
    by_scope: dict[FindingScope, list[GroupFinding]] = {}
    for finding in findings:
        by_scope.setdefault(finding.scope, []).append(finding)
    for rule in rules.rules:
        by_key: dict[tuple[str, str | None], list[GroupFinding]] = {}
        for finding in by_scope.get(rule.scope, ()):
            if (rule.key == "*" or finding.key == rule.key) and (rule.scale is None or finding.scale == rule.scale):
                by_key.setdefault((finding.key, finding.scale), []).append(finding)
        for (key, scale), group in sorted(by_key.items(), key=lambda entry: (entry[0][0], entry[0][1] or "")):
            measured = [f for f in group if f.figures.get(rule.figure) is not None]
            meeting = [f for f in measured if rule.met_by(f.figures[rule.figure])]
            if measured and share_reaches(len(meeting), len(measured), rule.min_share):
                fired.append((rule, key, scale, meeting, len(measured)))
    loaded = None
    if load_details is not None:
        wanted = {f.finding_id for *_, meeting, _ in fired for f in meeting if f.finding_id is not None}
        loaded = load_details(wanted) if wanted else {}
    drafts = []
    for rule, key, scale, meeting, total in fired:
        value = mean(figure for f in meeting if (figure := f.figures[rule.figure]) is not None)  # all are met
        values = {"count": len(meeting), "total": total}
        label = (labels or {}).get((rule.scope.value, key))
        name_de, name_en = (label.de, label.in_language("en")) if label else (key, key)
        # Each text writes the figure as its readers do: 1,25 in German, 1.25 in English.
        value_de, value_en = written(value, "de", 2), written(value, "en", 2)
        details = [loaded.get(f.finding_id or 0, {}) if loaded is not None else f.details for f in meeting]
        drafts.append(
            Draft(
                rule,
                key,
                rule.text.de.format(key=name_de, value=value_de, **values),
                rule.text.en.format(key=name_en, value=value_en, **values) if rule.text.en else None,
                {
                    "rule": rule.id,
                    "scope": rule.scope.value,
                    "key": key,
                    "scale": scale,
                    "figure": rule.figure,
                    "parties": [f.party for f in meeting],
                    "values": [_float(f.figures[rule.figure]) for f in meeting],
                    "count": len(meeting),
                    "total": total,
                    **_supporting_evidence(rule, meeting, details),
                },
            )
        )
    return drafts


def _supporting_evidence(
    rule: Rule, meeting: list[GroupFinding], details: list[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The items most often among the meeting parties' weakest, and the first few reviewer comments made on
    ratings that meet the rule's condition."""
    evidence = [read_group_details(found).evidence for found in details]
    named = Counter(item for found in evidence for item in found.weakest)
    items = [item for item, _ in named.most_common(EVIDENCE_ITEMS)]
    quotes: list[dict[str, str]] = []
    for f, found in zip(meeting, evidence, strict=True):
        for comment in found.comments:
            if not rule.supported_by(comment):
                continue
            if len(quotes) < EVIDENCE_QUOTES and all(comment.text != q["text"] for q in quotes):
                quotes.append({"party": f.party, "item": comment.item, "text": comment.text})
    return {"items": items, "quotes": quotes}


def _float(value: FigureValue | None) -> float | None:
    """A figure as the evidence (JSON) keeps it."""
    return None if value is None else float(value)
