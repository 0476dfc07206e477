"""The round's raw data as one workbook for the coordinator (`spr report ROUND --format xlsx`): every submitted
self-assessment, the comments written in them, and every submitted review, one sheet each, and a sheet that
explains the questions.

- Self-assessments: one row per party, one column per question (comments aside).
- Comments: one row per comment a party wrote in its self-assessment.
- Reviews: one row per review, one column per rating and, after an item's (or a matrix row's) ratings, one
  for the reviewer's comment on it.
- Questions: each question's id, wording, scale and what its levels or options mean.
- Follow-up (in a round that follows up an earlier one): one row per party and earlier recommendation, with
  the status the party reported and its reason.
- Review questions: one row per question a reviewer asked a reviewed party during the review, with its answer.

One row per party or review, not per answer: a round of ten thousand parties has thirty thousand reviews of
forty ratings, which as rows of single answers would pass the 1,048,576 rows a spreadsheet can hold and take
minutes to write. A sheet that would hold more rows still goes on in a sheet of the same name with a number.

It is not part of the published report (which anyone with its address may read): the console and the command
hand it to the coordinator only. Rows follow the score CSV's rule: what was submitted counts, a withdrawn
person's submitted work included, a draft never. Reviewers are named as in every page and edition of the
report (review_model.pseudonyms): "Reviewer 1", "Reviewer 2", … of each party, numbered in the order they
were assigned, unless the round is held as open review; in a closed round no reviewer's name, address or
organisation is even read.

Every text cell goes through the CSV's formula guard (`guarded_cell`) and is written as a string, never as a
formula; numbers are written as numbers and moments as dates in the round's time zone. XlsxWriter's
constant-memory mode keeps one row per sheet in memory, and the store is read in batches as rows are written.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from pathlib import Path
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from config.translations import N_, translate
from reports.contents import cell_labels
from reports.exports import joint_assessment_rows
from reports.scale_names import scale_name
from review_model.answers import FormField, form_fields
from review_model.follow_up import published_recommendations, submitted_statements
from review_model.pseudonyms import reviewer_numbers, reviewer_pseudonym
from review_model.questionnaire import MatrixItem, Questionnaire
from review_model.rounds import get_round
from review_model.spreadsheet_csv import guarded_cell
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    ReviewQuestion,
    Submission,
    SubmissionVersion,
)
from review_model.vocabulary import OrganisationKind, Stage
from review_model.wide_select import select_columns

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows of one sheet in every spreadsheet program that reads .xlsx, the header row included; a sheet that would
# hold more continues on a sheet of the same name with a number ("Reviews (2)").
SHEET_ROWS = 1_048_576
# Rows read from the store at a time.
BATCH = 500
DATE_FORMATS = {"de": "dd.mm.yyyy hh:mm", "en": "yyyy-mm-dd hh:mm"}

Cell = str | int | float | datetime | None
ColumnKind = Literal["text", "number", "moment"]
LINE_HEIGHT = 15  # points, a line of the default font
# Column widths, in characters of the default font.
NAME_WIDTH, KIND_WIDTH, MOMENT_WIDTH, RATING_WIDTH, TEXT_WIDTH = 36, 18, 20, 14, 40


@dataclass(frozen=True)
class Column:
    title: str  # as shown, in the workbook's language
    width: float
    kind: ColumnKind = "text"


SELF_ASSESSMENT_SHEET = N_("Self-assessments")
COMMENT_SHEET = N_("Comments")
REVIEW_SHEET = N_("Reviews")
QUESTION_SHEET = N_("Questions")
FOLLOW_UP_SHEET = N_("Follow-up")
# The questions reviewers asked the reviewed parties during the review (not the questionnaire's questions).
REVIEW_QUESTION_SHEET = N_("Review questions")
JOINT_ASSESSMENT_SHEET = N_("Joint assessments")
ORGANISATION = N_("Organisation")
KIND = N_("Kind")
SUBMITTED = N_("Submitted ({zone})")
ITEM = N_("Item ID")
QUESTION = N_("Question")


def write_raw_data(
    session: Session, round_id: int, language: str, target: str | Path | IO[bytes], *, sheet_rows: int = SHEET_ROWS
) -> None:
    """Write the round's raw data as an .xlsx workbook in `language` ("de" or "en") to `target`, a path or
    a binary file. `sheet_rows` is the most rows a sheet holds before the next one continues it."""
    round_ = get_round(session, round_id)
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    form = _FormText(questionnaire, language)
    # Written on close: a failure on the way leaves no half-written file behind.
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    writer = _Writer(book, language, round_.time_zone, sheet_rows)
    _write_self_assessments(writer, session, round_id, questionnaire, form)
    _write_comments(writer, session, round_id, questionnaire, form)
    _write_reviews(writer, session, round_id, round_.open_review, questionnaire, form)
    _write_questions(writer, questionnaire, form)
    if round_.previous_round_id is not None:
        _write_follow_up(writer, session, round_id, round_.previous_round_id)
    _write_review_questions(writer, session, round_id, round_.open_review, form)
    if round_.consensus_deadline is not None:
        _write_joint_assessments(writer, session, round_id)
    book.close()


def _write_self_assessments(
    writer: "_Writer", session: Session, round_id: int, questionnaire: Questionnaire, form: "_FormText"
) -> None:
    """One row per party, one column per question of the form (comments aside), answered or not."""
    fields = [spec for spec in form_fields(questionnaire) if spec.kind != "comment"]
    columns = [*writer.columns((ORGANISATION, NAME_WIDTH), (KIND, KIND_WIDTH), (SUBMITTED, MOMENT_WIDTH, "moment")),
               *(form.column(spec) for spec in fields)]  # fmt: skip
    with writer.table(SELF_ASSESSMENT_SHEET, columns) as table:
        for name, kind, submitted, answers in _self_assessments(session, round_id, form.language):
            table.add((name, kind, submitted, *(form.answer(spec, answers.get(spec.key)) for spec in fields)))


def _write_comments(
    writer: "_Writer", session: Session, round_id: int, questionnaire: Questionnaire, form: "_FormText"
) -> None:
    """One row per comment a party wrote in its self-assessment."""
    keys = [spec.key for spec in form_fields(questionnaire) if spec.kind == "comment"]
    columns = writer.columns((ORGANISATION, NAME_WIDTH), (KIND, KIND_WIDTH), (SUBMITTED, MOMENT_WIDTH, "moment"),
                             (ITEM, 28), (QUESTION, 60), (N_("Comment"), 80))  # fmt: skip
    with writer.table(COMMENT_SHEET, columns) as table:
        for name, kind, submitted, answers in _self_assessments(session, round_id, form.language):
            for key in keys:
                if answers.get(key):
                    table.add((name, kind, submitted, key, form.question(key), answers[key]))


def _write_reviews(
    writer: "_Writer", session: Session, round_id: int, open_review: bool, questionnaire: Questionnaire,
    form: "_FormText",
) -> None:  # fmt: skip
    """One row per review: a column per rating and, after an item's or a matrix row's ratings, its comment."""
    fields = form_fields(questionnaire, "review")
    columns = [*writer.columns((N_("Reviewed organisation"), NAME_WIDTH), (KIND, KIND_WIDTH),
                               (N_("Reviewer"), NAME_WIDTH if open_review else KIND_WIDTH),
                               (SUBMITTED, MOMENT_WIDTH, "moment")),
               *(form.column(spec) for spec in fields)]  # fmt: skip
    with writer.table(REVIEW_SHEET, columns) as table:
        for party, kind, reviewer, submitted, answers in _reviews(session, round_id, open_review, form.language):
            table.add(
                (party, kind, reviewer, submitted, *(form.answer(spec, answers.get(spec.key)) for spec in fields))
            )


def _write_follow_up(writer: "_Writer", session: Session, round_id: int, previous_round_id: int) -> None:
    """One row per statement on a recommendation of the previous round, as last submitted."""
    language = writer.language
    recommendations = {r.id: r for r in published_recommendations(session, previous_round_id)}
    columns = writer.columns((ORGANISATION, NAME_WIDTH), (KIND, KIND_WIDTH), (SUBMITTED, MOMENT_WIDTH, "moment"),
                             (N_("Action level"), KIND_WIDTH), (N_("Recommendation"), 80), (N_("Status"), KIND_WIDTH),
                             (N_("Reason"), 80))  # fmt: skip
    with writer.table(FOLLOW_UP_SHEET, columns) as table:
        for statement in submitted_statements(session, round_id):
            recommendation = recommendations.get(statement.recommendation_id)
            if recommendation is not None:
                table.add((statement.organisation, statement.kind.label(language), statement.submitted_at,
                           recommendation.action_level.label(language), recommendation.text(language),
                           statement.status.label(language), statement.reason))  # fmt: skip


def _write_questions(writer: "_Writer", questionnaire: Questionnaire, form: "_FormText") -> None:
    """What each column of the other sheets asks, and what its numbers mean."""
    columns = writer.columns((ITEM, 28), (QUESTION, 60), (N_("Scale"), 22), (N_("Levels or options"), 80))
    with writer.table(QUESTION_SHEET, columns) as table:
        for spec in form_fields(questionnaire):
            meaning = "; ".join(
                f"{option.value} = {option.label.in_language(form.language)}" if spec.kind == "scale"
                else option.label.in_language(form.language)
                for option in spec.options
            )  # fmt: skip
            table.add((spec.key, form.question(spec.key), form.scale(spec), meaning or None))


def _write_review_questions(
    writer: "_Writer", session: Session, round_id: int, open_review: bool, form: "_FormText"
) -> None:
    """One row per question a reviewer asked a party during the review, with the party's answer."""
    columns = writer.columns((N_("Reviewed organisation"), NAME_WIDTH), (N_("Reviewer"), NAME_WIDTH if open_review
                             else KIND_WIDTH), (ITEM, 28), (QUESTION, 40), (N_("Asked ({zone})"), MOMENT_WIDTH,
                             "moment"), (N_("Review question"), 60), (N_("Answered ({zone})"), MOMENT_WIDTH, "moment"),
                             (N_("Answer"), 60))  # fmt: skip
    numbers = reviewer_numbers(session, round_id)
    archived = get_round(session, round_id).stage is Stage.archived
    statement = (
        select_columns(ReviewQuestion.assignment_id, Organisation.name, ReviewQuestion.item_id, ReviewQuestion.asked_at,
                       ReviewQuestion.text, ReviewQuestion.answered_at, ReviewQuestion.answer,
                       *((_REVIEWER_ORGANISATION.name, _REVIEWER.name, _REVIEWER.erased_at) if open_review else ()))
        .select_from(ReviewQuestion)
        .join(Submission, col(Submission.id) == ReviewQuestion.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewQuestion.round_id == round_id)
        .order_by(col(Organisation.name), col(Submission.id), col(ReviewQuestion.asked_at), col(ReviewQuestion.id))
    )  # fmt: skip
    if open_review:
        statement = (
            statement.join(ReviewAssignment, col(ReviewAssignment.id) == ReviewQuestion.assignment_id)
            .join(_REVIEWER_ENROLMENT, col(_REVIEWER_ENROLMENT.id) == ReviewAssignment.reviewer_enrolment_id)
            .join(_REVIEWER, col(_REVIEWER.id) == _REVIEWER_ENROLMENT.participant_id)
            .join(_REVIEWER_ORGANISATION, col(_REVIEWER_ORGANISATION.id) == _REVIEWER.organisation_id)
        )
    with writer.table(REVIEW_QUESTION_SHEET, columns) as table:
        for assignment_id, party, item_id, asked, text, answered, answer, *identity in _streamed(session, statement):
            reviewer = _reviewer_named(numbers, assignment_id, identity, archived, form.language)
            about = form.question(item_id) if item_id else None
            table.add((party, reviewer, item_id, about, asked, text, answered, answer))


def _write_joint_assessments(writer: "_Writer", session: Session, round_id: int) -> None:
    """One row per party whose lead reviewer submitted the joint assessment: its text, how many co-reviewers
    endorsed it, and their answers (each reviewer as the report names them), as the JSON scores hold them."""
    columns = writer.columns((N_("Reviewed organisation"), NAME_WIDTH), (N_("Strengths"), 60), (N_("Weaknesses"), 60),
                             (N_("Recommendations to the organisation"), 60), (N_("Endorsed by"), 12),
                             (N_("Co-reviewers"), 12), (N_("Co-reviewers' answers"), 60))  # fmt: skip
    endorses, does_not = writer.text(N_("endorses")), writer.text(N_("does not endorse"))
    with writer.table(JOINT_ASSESSMENT_SHEET, columns) as table:
        for row in joint_assessment_rows(session, round_id, writer.language):
            answers = "\n".join(
                f"{answer['reviewer']}: {endorses if answer['endorses'] else does_not}"
                + (f" – {answer['comment']}" if answer["comment"] else "")
                for answer in row["answers"]
            )
            table.add((row["organisation"], row["strengths"], row["weaknesses"], "\n".join(row["recommendations"]),
                       row["endorsed_by"], row["co_reviewers"], answers or None))  # fmt: skip


def _reviewer_named(
    numbers: dict[int, int], assignment_id: int, identity: Sequence[Any], archived: bool, language: str
) -> str:
    """A reviewer as the workbook names them: "Reviewer 2" of the party; in an open review (`identity` is their
    organisation, name and erasure) their organisation with their name, or with "Reviewer 2" once erased or
    the round archived."""
    pseudonym = reviewer_pseudonym(language, numbers.get(assignment_id, 0))
    if not identity:
        return pseudonym
    organisation, person, erased_at = identity
    return f"{organisation} ({pseudonym if archived or erased_at is not None else person})"


class _FormText:
    """How the workbook names a questionnaire's answers in one language."""

    def __init__(self, questionnaire: Questionnaire, language: str):
        self.language = language
        self.questions = cell_labels(questionnaire, language)
        for _, item in questionnaire.items():
            self.questions.setdefault(item.id, item.label.in_language(language))
            self.questions[f"{item.id}/comment"] = self.questions[item.id]
            for row in item.rows if isinstance(item, MatrixItem) else ():
                label = f"{item.label.in_language(language)} · {row.label.in_language(language)}"
                self.questions[f"{item.id}/{row.id}/comment"] = label

    def question(self, key: str) -> str:
        return self.questions.get(key, key)

    def column(self, spec: FormField) -> Column:
        """The column of one answer: headed by its question (a comment's by its question and "comment")."""
        if spec.kind == "comment":
            title = translate(self.language, "reports", N_("{question} (comment)"), question=self.question(spec.key))
            return Column(title, TEXT_WIDTH)
        if spec.kind in ("scale", "number"):
            return Column(self.question(spec.key), RATING_WIDTH, "number")
        return Column(self.question(spec.key), TEXT_WIDTH)

    def scale(self, spec: FormField) -> str | None:
        if spec.kind != "scale":
            return None
        return scale_name(_scale_of(spec), self.language)

    def answer(self, spec: FormField, value: Any) -> Cell:
        """A rating or a number as the number it is; a choice by its options' labels; a text as it was typed."""
        if value is None or value == "" or value == []:
            return None
        if spec.kind in ("single_choice", "multiple_choice"):
            labels = {option.value: option.label.in_language(self.language) for option in spec.options}
            return "; ".join(
                labels.get(choice, str(choice)) for choice in (value if isinstance(value, list) else [value])
            )
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return str(value)


def _scale_of(spec: FormField) -> str:
    """The name of the scale a rating field is on: the item's, or for a matrix cell its column's."""
    if isinstance(spec.item, MatrixItem):
        column = spec.key.rsplit("/", 1)[1]
        return next(c.scale_name for c in spec.item.columns if c.id == column)
    return str(spec.item.scale_name)


def _self_assessments(
    session: Session, round_id: int, language: str
) -> Iterator[tuple[str, str, datetime, dict[str, Any]]]:
    """Every submitted self-assessment as last submitted, by organisation: (name, kind, when, answers)."""
    statement = (
        select_columns(Organisation.name, Organisation.kind, SubmissionVersion.submitted_at, SubmissionVersion.answers)
        .select_from(Submission)
        .join(SubmissionVersion, col(SubmissionVersion.submission_id) == Submission.id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(Submission.round_id == round_id, Submission.is_submitted,
               SubmissionVersion.version == Submission.version)
        .order_by(col(Organisation.name), col(Submission.id))
    )  # fmt: skip
    for name, kind, submitted, answers in _streamed(session, statement):
        yield name, OrganisationKind(kind).label(language), submitted, answers


# Who wrote a review, read only in an open review.
_REVIEWER_ENROLMENT = aliased(Enrolment, name="reviewer_enrolment")
_REVIEWER = aliased(Participant, name="reviewer")
_REVIEWER_ORGANISATION = aliased(Organisation, name="reviewer_organisation")


def _reviews(
    session: Session, round_id: int, open_review: bool, language: str
) -> Iterator[tuple[str, str, str, datetime, dict[str, Any]]]:
    """Every submitted review, by reviewed organisation: (party, its kind, reviewer, when, answers). The reviewer
    is named as everywhere else (review_model.pseudonyms): "Reviewer 2" of the party in a closed round; in an
    open review their organisation with their name, or with "Reviewer 2" once they were erased or the round
    archived."""
    numbers = reviewer_numbers(session, round_id)
    archived = get_round(session, round_id).stage is Stage.archived
    statement = (
        select_columns(ReviewAssignment.id, Organisation.name, Organisation.kind, Review.submitted_at, Review.answers,
                       *((_REVIEWER_ORGANISATION.name, _REVIEWER.name, _REVIEWER.erased_at) if open_review else ()))
        .select_from(Review)
        .join(ReviewAssignment, col(ReviewAssignment.id) == Review.assignment_id)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(ReviewAssignment.round_id == round_id, Review.is_submitted)
        .order_by(col(Organisation.name), col(Submission.id), col(ReviewAssignment.id))
    )  # fmt: skip
    if open_review:
        statement = (
            statement.join(_REVIEWER_ENROLMENT, col(_REVIEWER_ENROLMENT.id) == ReviewAssignment.reviewer_enrolment_id)
            .join(_REVIEWER, col(_REVIEWER.id) == _REVIEWER_ENROLMENT.participant_id)
            .join(_REVIEWER_ORGANISATION, col(_REVIEWER_ORGANISATION.id) == _REVIEWER.organisation_id)
        )
    for assignment_id, name, kind, submitted, answers, *identity in _streamed(session, statement):
        reviewer = _reviewer_named(numbers, assignment_id, identity, archived, language)
        yield name, OrganisationKind(kind).label(language), reviewer, submitted, answers


def _streamed(session: Session, statement: Any) -> Iterator[Sequence[Any]]:
    """The statement's rows, read from the store `BATCH` at a time."""
    result = session.connection().execution_options(yield_per=BATCH).execute(statement)
    for partition in result.partitions():
        yield from partition


class _Table:
    """One table of the workbook: a frozen header row, then rows; past the sheet's last row it goes on in a
    new sheet of the same name with a number."""

    def __init__(self, writer: "_Writer", title: str, columns: Sequence[Column]):
        self.writer, self.title, self.columns = writer, title, columns
        self.sheets = 0
        self._start()

    def _start(self) -> None:
        self.sheets += 1
        name = self.title if self.sheets == 1 else f"{self.title} ({self.sheets})"
        self.sheet: Worksheet = self.writer.book.add_worksheet(name)
        self.row = 0
        for number, column in enumerate(self.columns):
            cell_format = self.writer.moment if column.kind == "moment" else None
            self.sheet.set_column(number, number, column.width, cell_format)
        # Questions head their columns: the header row is as high as the longest wraps to (at most six lines).
        lines = max((ceil(len(column.title) / column.width) for column in self.columns), default=1)
        self.sheet.set_row(0, LINE_HEIGHT * min(max(lines, 1), 6))
        for number, column in enumerate(self.columns):
            self.sheet.write_string(0, number, guarded_cell(column.title), self.writer.header)
        self.sheet.freeze_panes(1, 0)

    def add(self, values: Sequence[Cell]) -> None:
        """One row; a value's type says how it is written: text guarded, a moment in the round's time zone."""
        if self.row + 1 >= self.writer.sheet_rows:
            self._finish()
            self._start()
        self.row += 1
        row, sheet = self.row, self.sheet  # a large round writes millions of cells: the loop stays lean
        for column, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row, column, guarded_cell(value))
            elif isinstance(value, datetime):
                local = value.astimezone(self.writer.zone).replace(tzinfo=None)
                sheet.write_datetime(row, column, local, self.writer.moment)
            else:
                sheet.write_number(row, column, value)

    def _finish(self) -> None:
        self.sheet.autofilter(0, 0, self.row, len(self.columns) - 1)

    def __enter__(self) -> "_Table":
        return self

    def __exit__(self, *exception: object) -> None:
        self._finish()


class _Writer:
    """The workbook, its formats, and the words and time zone its sheets are written in."""

    def __init__(self, book: Workbook, language: str, time_zone: str, sheet_rows: int):
        self.book, self.language, self.time_zone, self.sheet_rows = book, language, time_zone, sheet_rows
        self.zone = ZoneInfo(time_zone)
        self.header: Format = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        self.moment: Format = book.add_format({"num_format": DATE_FORMATS.get(language, DATE_FORMATS["en"])})

    def text(self, message: str) -> str:
        """A message of the `reports` domain in the workbook's language (`{zone}`: the round's time zone)."""
        return translate(self.language, "reports", message, zone=self.time_zone)

    def columns(self, *specs: tuple[str, float] | tuple[str, float, ColumnKind]) -> list[Column]:
        """Columns headed by messages: (message, width) or (message, width, kind)."""
        return [Column(self.text(spec[0]), *spec[1:]) for spec in specs]

    def table(self, title: str, columns: Sequence[Column]) -> _Table:
        return _Table(self, self.text(title), columns)
