"""`spr round questions`: the questions reviewers asked the reviewed parties during the review, and the answers."""

from datetime import datetime
from typing import Annotated

import typer

from workflows.cli.output import coordinator_language, messages, print_table, reported_errors

RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]
# A question or answer is cut to this many characters in the table; the console and the raw data hold them whole.
SHOWN = 120


def questions(
    round_ref: RoundArgument,
    unanswered: Annotated[bool, typer.Option("--unanswered", help="Only the questions not answered yet.")] = False,
) -> None:
    """The questions reviewers asked each reviewed party, oldest first, with the party's answer. Reviewers are
    named as in the report: by their number for the party, by name only in an open review."""
    with reported_errors():
        from sqlmodel import col, select

        from review_model.moments import format_moment
        from review_model.questions import askers, question_counts
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from review_model.tables import Enrolment, Organisation, Participant, ReviewQuestion, Submission
        from workflows.cli.store_access import open_store

        _ = messages()
        language = coordinator_language()
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            statement = (
                select(ReviewQuestion, Organisation.name)
                .join(Submission, col(Submission.id) == ReviewQuestion.submission_id)
                .join(Enrolment, col(Enrolment.id) == Submission.enrolment_id)
                .join(Participant, col(Participant.id) == Enrolment.participant_id)
                .join(Organisation, col(Organisation.id) == Participant.organisation_id)
                .where(ReviewQuestion.round_id == round_.id)
                .order_by(col(Organisation.name), col(ReviewQuestion.asked_at), col(ReviewQuestion.id))
            )
            if unanswered:
                statement = statement.where(col(ReviewQuestion.answer).is_(None))
            found = session.exec(statement).all()
            shown = askers(session, round_, [question for question, _party in found], language)
            assert round_.id is not None
            counts = question_counts(session, round_.id).values()

            def moment(value: datetime | None) -> str:
                return format_moment(value, round_.time_zone, language) if value is not None else "–"

            rows = [
                (question.id, party, shown[question.id or 0], question.item_id or _("(as a whole)"),
                 moment(question.asked_at), _cut(question.text), moment(question.answered_at),
                 _cut(question.answer) if question.answer is not None else _("(not answered)"))
                for question, party in found
            ]  # fmt: skip
        asked, answered = sum(c.asked for c in counts), sum(c.answered for c in counts)
        typer.echo(_("{asked} question(s) asked in {slug}, {answered} answered.").format(
            asked=asked, slug=round_.slug, answered=answered))  # fmt: skip
        if rows:
            columns = [_("Id"), _("Reviewed party"), _("Asked by"), _("About"), _("Asked"), _("Question"),
                       _("Answered"), _("Answer")]  # fmt: skip
            print_table(_("Questions to the reviewed parties"), columns, rows)


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN else flat[: SHOWN - 1] + "…"
