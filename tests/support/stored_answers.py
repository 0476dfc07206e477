"""Answers as the portal stores them, made from a questionnaire: every rating at a chosen level, every other
question answered plausibly. They are read by the same code that reads a submitted form (`read_answers`), so
what a factory stores is what a participant could have sent."""

from collections.abc import Callable, Mapping
from typing import Any

from review_model.answers import FormField, FormMode, form_fields, read_answers
from review_model.questionnaire import Questionnaire

# The level of one rating: the same for every item, or chosen per answer key ("mobilitaet.ziele").
Rating = int | Callable[[str], int]


def stored_answers(
    questionnaire: Questionnaire,
    rating: Rating,
    *,
    mode: FormMode = "self_assessment",
    comments: Mapping[str, str] | None = None,
    language: str = "de",
) -> dict[str, Any]:
    """Every field of the form answered, ratings at `rating` (the nearest level the item's scale has), with
    `comments` by their answer key ("mobilitaet.teilhabe/comment"); as `read_answers` keeps a final submission."""
    fields = form_fields(questionnaire, mode)
    comments = dict(comments or {})
    unknown = set(comments) - {spec.key for spec in fields if spec.kind == "comment"}
    assert not unknown, f"the form has no comment field {sorted(unknown)}"
    form = {spec.key: _typed(spec, rating, comments) for spec in fields}
    check = read_answers(fields, {key: values for key, values in form.items() if values}, language=language,
                         final=True)  # fmt: skip
    assert check.ok, check.errors
    return check.answers


def _typed(spec: FormField, rating: Rating, comments: Mapping[str, str]) -> list[str]:
    """What a participant would type or choose for one field, as the form sends it."""
    if spec.kind == "scale":
        assert spec.scale is not None
        wanted = rating(spec.key) if callable(rating) else rating
        return [str(min(spec.scale.values, key=lambda value: (abs(value - wanted), value)))]
    if spec.kind == "comment":
        return [comments[spec.key]] if spec.key in comments else []
    if spec.kind == "single_choice":
        return [spec.options[0].value]
    if spec.kind == "multiple_choice":
        return [option.value for option in spec.options[:2]]
    if spec.kind == "number":
        minimum = getattr(spec.item, "minimum", None)
        return [str(int(minimum) if minimum is not None and minimum > 1 else 1)]
    return [f"Antwort zu {spec.key}"[: spec.max_length]]
