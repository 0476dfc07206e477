"""Answers to a questionnaire: which fields a form has, reading what was typed, checking it, and progress.

Answer keys: an item's id (scale, choice, number and text items); `<item>/comment` for an item's comment;
`<matrix>/<row>/<column>` for a matrix cell and `<matrix>/<row>/comment` for a row's comment. A review
answers the rating fields (and their comments) of the questionnaire the reviewed party answered.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from review_model.questionnaire import (
    ChoiceItem,
    MatrixItem,
    NumberItem,
    Questionnaire,
    Scale,
    ScaleItem,
    Section,
    Text,
    TextItem,
)

FormMode = Literal["self_assessment", "review"]
FieldKind = Literal["scale", "single_choice", "multiple_choice", "number", "text", "comment"]
COMMENT_MAX_LENGTH = 2000
NUMBER_MAX_LENGTH = 40  # longer than any number written with separators; longer text is not read at all
# Beyond this a float no longer holds every whole number; no question asks for more where it sets no maximum.
NUMBER_MAX_MAGNITUDE = 10**15


@dataclass(frozen=True)
class FieldOption:
    """One answer to choose: a scale level (with its description for this item) or a choice option."""

    value: str
    label: Text
    description: Text | None = None


@dataclass(frozen=True)
class FormField:
    """One answer a form asks for."""

    key: str
    kind: FieldKind
    section_id: str
    item: Any
    required: bool = False
    scale: Scale | None = None
    max_length: int = COMMENT_MAX_LENGTH
    options: tuple[FieldOption, ...] = ()


@dataclass
class AnswerCheck:
    """What was read from a submitted form: the answers that are valid, and a message for each that is not."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def form_fields(questionnaire: Questionnaire, mode: FormMode = "self_assessment") -> list[FormField]:
    """Every field of the form, in order. A review has the rating fields only."""
    fields: list[FormField] = []
    for section, item in questionnaire.items():
        if isinstance(item, ScaleItem):
            scale = questionnaire.scales[item.scale_name]
            options = _levels(scale, item.level_descriptions)
            fields.append(FormField(item.id, "scale", section.id, item, item.required, scale, options=options))
            if item.comment:
                fields.append(FormField(f"{item.id}/comment", "comment", section.id, item))
        elif isinstance(item, MatrixItem):
            for row in item.rows:
                for column in item.columns:
                    key = f"{item.id}/{row.id}/{column.id}"
                    scale = questionnaire.scales[column.scale_name]
                    options = _levels(scale, {})
                    fields.append(FormField(key, "scale", section.id, item, item.required, scale, options=options))
                if item.comment:
                    fields.append(FormField(f"{item.id}/{row.id}/comment", "comment", section.id, item))
        elif mode == "self_assessment":
            fields.append(_plain_field(section, item))
    return fields


def _levels(scale: Scale, descriptions: Mapping[int, Text]) -> tuple[FieldOption, ...]:
    return tuple(
        FieldOption(str(level.value), level.label, descriptions.get(level.value) or level.description)
        for level in scale.levels
    )


def _plain_field(section: Section, item: Any) -> FormField:
    if isinstance(item, ChoiceItem):
        options = tuple(FieldOption(option.value, option.label) for option in item.options)
        return FormField(item.id, item.type, section.id, item, item.required, options=options)
    if isinstance(item, NumberItem):
        return FormField(item.id, "number", section.id, item, item.required)
    assert isinstance(item, TextItem)
    return FormField(item.id, "text", section.id, item, item.required, max_length=item.max_length)


def read_answers(
    fields: Sequence[FormField], form: Mapping[str, Sequence[str]], *, language: str, final: bool
) -> AnswerCheck:
    """Read and check the answers in a submitted form.

    A draft (`final=False`) may leave anything empty; a final submission must answer every required field.
    Values that are present must be valid either way.
    """
    check = AnswerCheck()
    for spec in fields:
        values = [value.strip() for value in form.get(spec.key, ()) if value.strip()]
        if not values:
            if final and spec.required:
                check.errors[spec.key] = _MESSAGES["required"][language]
            continue
        if any("\x00" in value for value in values):  # no store keeps it (PostgreSQL refuses it in text)
            check.errors[spec.key] = _MESSAGES["nul"][language]
            continue
        value, problem = _parse(spec, values, language)
        if problem:
            check.errors[spec.key] = problem
        else:
            check.answers[spec.key] = value
    return check


def _parse(spec: FormField, values: list[str], language: str) -> tuple[Any, str | None]:
    text = values[0]
    if spec.kind == "scale":
        assert spec.scale is not None
        allowed = {str(level.value): level.value for level in spec.scale.levels}
        return (allowed[text], None) if text in allowed else (None, _MESSAGES["choose"][language])
    if spec.kind == "single_choice":
        options = {option.value for option in spec.item.options}
        return (text, None) if text in options else (None, _MESSAGES["choose"][language])
    if spec.kind == "multiple_choice":
        in_order = [option.value for option in spec.item.options]
        chosen = [value for value in in_order if value in values]
        return (chosen, None) if len(chosen) == len(set(values)) else (None, _MESSAGES["choose"][language])
    if spec.kind == "number":
        return _parse_number(spec.item, text, language)
    if len(text) > spec.max_length:
        return None, _MESSAGES["too_long"][language].format(limit=spec.max_length, length=len(text))
    return text, None


def _parse_number(item: NumberItem, text: str, language: str) -> tuple[Any, str | None]:
    try:
        number = _read_number(text, language)
    except ValueError:
        return None, _MESSAGES["number"][language]
    if item.integer:
        if not number.is_integer():
            return None, _MESSAGES["integer"][language]
        number = int(number)
    minimum = -NUMBER_MAX_MAGNITUDE if item.minimum is None else item.minimum
    maximum = NUMBER_MAX_MAGNITUDE if item.maximum is None else item.maximum
    if number < minimum:
        return None, _MESSAGES["minimum"][language].format(limit=_shown(minimum))
    if number > maximum:
        return None, _MESSAGES["maximum"][language].format(limit=_shown(maximum))
    return number, None


def _read_number(text: str, language: str) -> float:
    """A number as people write it: German 1.234,5 or 2,5; English 1,234.5 or 2.5; spaces between groups.

    Only ASCII digits, a sign and these separators: Python's float() would also take `²`-like digits of other
    scripts, `1_000`, `1e999`, `inf` and `nan`, and text of any length.
    """
    if len(text) > NUMBER_MAX_LENGTH:
        raise ValueError("too long to be a number")
    compact = re.sub(r"[\s\u00a0\u202f']", "", text)
    group, decimal = (".", ",") if language == "de" else (",", ".")
    if re.fullmatch(rf"[-+]?[0-9]{{1,3}}(\{group}[0-9]{{3}})+(\{decimal}[0-9]+)?", compact):
        compact = compact.replace(group, "")
    if decimal == "," or "." not in compact:
        compact = compact.replace(",", ".")
    if not re.fullmatch(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", compact):
        raise ValueError("not a number")
    return float(compact)


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


_MESSAGES = {
    "required": {"de": "Bitte beantworten Sie diese Frage.", "en": "Please answer this question."},
    "choose": {
        "de": "Bitte wählen Sie eine der angebotenen Antworten.",
        "en": "Please choose one of the answers offered.",
    },
    "number": {"de": "Bitte geben Sie eine Zahl ein.", "en": "Please enter a number."},
    "nul": {
        "de": "Der Text enthält ein unzulässiges Steuerzeichen (als \ufffd angezeigt). Bitte entfernen Sie es.",
        "en": "The text contains a control character that is not allowed (shown as \ufffd). Please remove it.",
    },
    "integer": {"de": "Bitte geben Sie eine ganze Zahl ein.", "en": "Please enter a whole number."},
    "minimum": {
        "de": "Die Zahl darf nicht kleiner als {limit} sein.",
        "en": "The number must not be less than {limit}.",
    },
    "maximum": {
        "de": "Die Zahl darf nicht größer als {limit} sein.",
        "en": "The number must not be greater than {limit}.",
    },
    "too_long": {
        "de": "Bitte kürzen Sie den Text auf {limit} Zeichen (jetzt {length}).",
        "en": "Please shorten the text to {limit} characters (now {length}).",
    },
}


@dataclass(frozen=True)
class SectionProgress:
    section_id: str
    answered: int
    required: int
    required_answered: int

    @property
    def complete(self) -> bool:
        return self.required_answered == self.required and (self.required > 0 or self.answered > 0)


def section_progress(fields: Sequence[FormField], answers: Mapping[str, Any]) -> list[SectionProgress]:
    """For each section: how many fields are answered, and whether every required one is."""
    order: list[str] = []
    tallies: dict[str, list[int]] = {}
    for spec in fields:
        if spec.section_id not in tallies:
            order.append(spec.section_id)
            tallies[spec.section_id] = [0, 0, 0]
        tally = tallies[spec.section_id]
        answered = answers.get(spec.key) not in (None, "", [])
        tally[0] += answered
        tally[1] += spec.required
        tally[2] += spec.required and answered
    return [SectionProgress(section_id, *tallies[section_id]) for section_id in order]


def unanswered_required(fields: Sequence[FormField], answers: Mapping[str, Any]) -> list[str]:
    """Keys of required fields without an answer."""
    return [spec.key for spec in fields if spec.required and answers.get(spec.key) in (None, "", [])]


def shown_answer(spec: FormField, value: Any, language: str) -> str:
    """An answer as a person reads it: a level's label, an option's label, the number or the text."""
    if value in (None, "", []):
        return "—"
    if spec.kind == "scale" and spec.scale is not None:
        for level in spec.scale.levels:
            if level.value == value:
                return f"{level.value} – {level.label.in_language(language)}"
    if spec.kind in ("single_choice", "multiple_choice"):
        labels = {option.value: option.label.in_language(language) for option in spec.item.options}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(choice, str(choice)) for choice in chosen)
    if spec.kind == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
