"""What a form page shows, built from the questionnaire snapshot, the answers and any errors.

The template only lays this out; every decision (what is checked, which label, what the reviewed party
said) is made here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from config.translations import gettext_for
from review_model.answers import FormField, FormMode, section_progress, shown_answer
from review_model.questionnaire import MatrixItem, Questionnaire, ScaleItem

FormValues = Mapping[str, Sequence[str]]


@dataclass
class InputView:
    key: str
    kind: str
    label: str
    required: bool = False
    error: str | None = None
    value: str = ""
    choices_html: str = ""  # radio buttons, check boxes or <option>s: Markup from choice_markup
    bounds: str = ""  # the range a number must lie in, as the reader writes numbers
    max_length: int | None = None
    shown: str = ""  # the answer as text, for read-only pages
    reviewed: str | None = None  # what the reviewed party answered here (review forms)
    about: str = ""  # a comment's question, read out after its short visible label
    target: str = ""  # the id of the control an error summary links to


@dataclass
class RowView:
    id: str
    label: str
    help: str | None
    cells: list[InputView]
    comment: InputView | None


@dataclass
class ItemView:
    id: str
    type: str
    label: str
    help: str | None
    required: bool
    main: InputView | None = None
    comment: InputView | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[RowView] = field(default_factory=list)

    @property
    def errors(self) -> list[InputView]:
        fields = [self.main, self.comment] + [field for row in self.rows for field in (*row.cells, row.comment)]
        return [field for field in fields if field is not None and field.error]


@dataclass
class SectionView:
    id: str
    title: str
    description: str | None
    items: list[ItemView]
    complete: bool
    context: list[tuple[str, str]] = field(default_factory=list)  # the reviewed party's other answers

    @property
    def errors(self) -> list[InputView]:
        """The inputs with an error, in the order of the form: the error summary links to each."""
        return [field for item in self.items for field in item.errors]


def stored_values(answers: Mapping[str, Any], language: str) -> dict[str, list[str]]:
    """Stored answers as the form shows them (numbers written the way the reader writes them)."""
    values: dict[str, list[str]] = {}
    for key, value in answers.items():
        if isinstance(value, list):
            values[key] = [str(entry) for entry in value]
        elif isinstance(value, float):
            text = str(int(value)) if value.is_integer() else str(value)
            values[key] = [text.replace(".", ",") if language == "de" else text]
        else:
            values[key] = [str(value)]
    return values


def shown_text(text: str) -> str:
    """Typed text as a page shows it again: a NUL (refused by read_answers) as U+FFFD, as a browser would show
    it, so the page stays valid HTML and the person sees what to remove."""
    return text.replace("\x00", "\ufffd")


def build_sections(
    questionnaire: Questionnaire,
    fields: Sequence[FormField],
    mode: FormMode,
    language: str,
    values: FormValues,
    errors: Mapping[str, str],
    answers_for_progress: Mapping[str, Any],
    reviewed_answers: Mapping[str, Any] | None = None,
) -> list[SectionView]:
    """The sections of the form, each with its items and inputs, filled with `values`."""
    by_key = {spec.key: spec for spec in fields}
    progress = {p.section_id: p.complete for p in section_progress(fields, answers_for_progress)}
    reviewed = reviewed_answers or {}
    own_fields = None
    if mode == "review":
        from review_model.answers import form_fields

        own_fields = {spec.key: spec for spec in form_fields(questionnaire, "self_assessment")}
    sections = []
    for section in questionnaire.sections:
        items: list[ItemView] = []
        context: list[tuple[str, str]] = []
        for item in section.items:
            if item.id not in by_key and not isinstance(item, MatrixItem):
                if own_fields is not None and item.id in own_fields:  # shown to reviewers as context
                    spec = own_fields[item.id]
                    context.append(
                        (item.label.in_language(language), shown_answer(spec, reviewed.get(item.id), language))
                    )
                continue
            view = _item_view(item, by_key, language, values, errors, reviewed, mode)
            items.append(view)
        if not items and not context:
            continue
        sections.append(
            SectionView(
                id=section.id,
                title=section.title.in_language(language),
                description=section.description.in_language(language) if section.description else None,
                items=items,
                complete=progress.get(section.id, False),
                context=context,
            )
        )
    return sections


def _item_view(
    item: Any,
    by_key: Mapping[str, FormField],
    language: str,
    values: FormValues,
    errors: Mapping[str, str],
    reviewed: Mapping[str, Any],
    mode: FormMode,
) -> ItemView:
    view = ItemView(
        id=item.id,
        type=item.type,
        label=item.label.in_language(language),
        help=item.help.in_language(language) if item.help else None,
        required=item.required,
    )
    if isinstance(item, MatrixItem):
        view.columns = [column.label.in_language(language) for column in item.columns]
        for row in item.rows:
            row_label = row.label.in_language(language)
            cells = [
                _input(by_key[f"{item.id}/{row.id}/{column.id}"], f"{row_label}: {column.label.in_language(language)}",
                       language, values, errors, reviewed, mode)
                for column in item.columns
            ]  # fmt: skip
            comment_key = f"{item.id}/{row.id}/comment"
            about = f"{view.label} – {row_label}"  # row labels repeat from one matrix to the next
            comment = _comment(by_key, comment_key, about, language, values, errors, reviewed, mode)
            help_text = row.help.in_language(language) if row.help else None
            view.rows.append(RowView(row.id, row_label, help_text, cells, comment))
        return view
    view.main = _input(by_key[item.id], view.label, language, values, errors, reviewed, mode)
    if isinstance(item, ScaleItem) and item.comment:
        view.comment = _comment(by_key, f"{item.id}/comment", view.label, language, values, errors, reviewed, mode)
    return view


def _comment(
    by_key: Mapping[str, FormField],
    key: str,
    about: str,
    language: str,
    values: FormValues,
    errors: Mapping[str, str],
    reviewed: Mapping[str, Any],
    mode: FormMode,
) -> InputView | None:
    spec = by_key.get(key)
    if spec is None:
        return None
    _ = gettext_for(language, "portal")
    # Shown as "Comment (optional)" beside its question, and read out with the question named, since a form has
    # many of them: a screen reader's list of fields must tell them apart.
    # Translators: read out after "Comment (optional)", naming the question the comment is on.
    about = _("on “{question}”").format(question=about)
    label = _("Comment (optional)")
    view = _input(spec, f"{label} {about}", language, values, errors, reviewed, mode)
    view.about = about
    return view


def _input(
    spec: FormField,
    label: str,
    language: str,
    values: FormValues,
    errors: Mapping[str, str],
    reviewed: Mapping[str, Any],
    mode: FormMode,
) -> InputView:
    typed = [shown_text(value) for value in values.get(spec.key, ()) if value != ""]
    view = InputView(
        key=spec.key,
        kind=spec.kind,
        label=label,
        required=spec.required,
        error=errors.get(spec.key),
        value=typed[0] if typed else "",
        max_length=spec.max_length if spec.kind in ("text", "comment") else None,
        target=f"f-{spec.key}",
    )
    if spec.options:
        options = tuple(
            (option.value, option.label.in_language(language),
             option.description.in_language(language) if option.description else None)
            for option in spec.options
        )  # fmt: skip
        control = "checkbox" if spec.kind == "multiple_choice" else "radio"
        if spec.kind == "scale" and "/" in spec.key:
            control = "select"  # matrix cells are drop-downs, one per column
        # Only real options are remembered: whatever else was posted must not grow the cache.
        offered = {option[0] for option in options}
        checked = tuple(value for value in typed if value in offered)[: 1 if control != "checkbox" else None]
        view.choices_html = choice_markup(spec.key, control, options, checked, language)
        if control != "select":  # a group of radio buttons or check boxes: its first one takes the focus
            view.target = f"f-{spec.key}-{options[0][0]}"
    elif spec.kind == "number":
        view.bounds = _bounds(spec.item.minimum, spec.item.maximum, language)
    view.shown = _shown_typed(spec, typed, language)
    if mode == "review":
        view.reviewed = shown_answer(spec, reviewed.get(spec.key), language)
    return view


@lru_cache(maxsize=20_000)
def choice_markup(
    key: str, control: str, options: tuple[tuple[str, str, str | None], ...], checked: tuple[str, ...], language: str
) -> Markup:
    """The inputs of one field, rendered by templates/forms/_choices.html with autoescape and remembered.

    A field has only a handful of distinct states (which answer is checked), and a form has hundreds of
    inputs: rendering each state once saves most of the cost of a page view.
    """
    module = choices_module(language)
    macro = module.options if control == "select" else module.choices
    return Markup(macro(key, control, options, checked))


@lru_cache(maxsize=2)
def choices_module(language: str) -> Any:
    from portal.rendering import page_environment

    return page_environment(language).get_template("_choices.html").make_module()


def _bounds(minimum: float | None, maximum: float | None, language: str) -> str:
    if minimum is None and maximum is None:
        return ""

    def number(value: float | None) -> str:
        if value is None:
            return ""
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
        return text.replace(",", "\u202f") if language == "de" else text

    return f"{number(minimum)} – {number(maximum)}".strip()


def _shown_typed(spec: FormField, typed: list[str], language: str) -> str:
    if not typed:
        return "—"
    if spec.kind == "multiple_choice":
        return shown_answer(spec, typed, language)
    if spec.kind == "scale":  # levels are stored as numbers; whatever else was posted is shown as it came
        assert spec.scale is not None
        levels = {str(level.value): level.value for level in spec.scale.levels}
        return shown_answer(spec, levels.get(typed[0], typed[0]), language)
    if spec.kind == "single_choice":
        return shown_answer(spec, typed[0], language)
    return typed[0]
