"""Recommendation rules as data: which findings lead to which drafted recommendation, for whom, and why."""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.paths import CONFIG_DIR
from review_model.questionnaire import Text
from review_model.vocabulary import ActionLevel, FindingScope
from review_model.yaml_documents import DocumentError, problems_from_validation, read_yaml_document

DEFAULT_RULES = CONFIG_DIR / "recommendation_rules.yaml"
Figure = Literal["peer_mean", "self_score", "gap", "peer_median", "spread"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    action_level: ActionLevel
    priority: int = Field(default=2, ge=1, le=3)
    scope: FindingScope
    key: str = "*"
    figure: Figure = "peer_mean"
    below: float | None = None
    above: float | None = None
    min_share: float = Field(default=0.5, gt=0, le=1)
    text: Text

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of below or above")
        return self

    def met_by(self, value: float | None) -> bool:
        if value is None:
            return False
        return value < self.below if self.below is not None else value > self.above  # type: ignore[operator]


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
    """What a rule reads: one party's figure for one key of one scope."""

    party: str
    scope: FindingScope
    key: str
    figures: dict[str, float | None]


@dataclass(frozen=True)
class Draft:
    rule: Rule
    key: str
    text_de: str
    text_en: str | None
    evidence: dict


def draft_recommendations(rules: RuleSet, findings: list[GroupFinding]) -> list[Draft]:
    """Every recommendation the rules call for, with the parties and figures that triggered it."""
    drafts = []
    for rule in rules.rules:
        by_key: dict[str, list[GroupFinding]] = {}
        for finding in findings:
            if finding.scope == rule.scope and (rule.key == "*" or finding.key == rule.key):
                by_key.setdefault(finding.key, []).append(finding)
        for key, group in sorted(by_key.items()):
            measured = [f for f in group if f.figures.get(rule.figure) is not None]
            meeting = [f for f in measured if rule.met_by(f.figures[rule.figure])]
            if not measured or len(meeting) / len(measured) < rule.min_share:
                continue
            value = round(sum(f.figures[rule.figure] for f in meeting) / len(meeting), 2)  # type: ignore[misc]
            values = {"key": key, "count": len(meeting), "total": len(measured), "value": value}
            drafts.append(
                Draft(
                    rule,
                    key,
                    rule.text.de.format(**values),
                    rule.text.en.format(**values) if rule.text.en else None,
                    {
                        "rule": rule.id,
                        "scope": rule.scope.value,
                        "key": key,
                        "figure": rule.figure,
                        "parties": [f.party for f in meeting],
                        "values": [f.figures[rule.figure] for f in meeting],
                        "count": len(meeting),
                        "total": len(measured),
                    },
                )
            )
    return drafts
