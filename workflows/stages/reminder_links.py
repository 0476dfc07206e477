"""The link every reminder carries to stop the round's reminders: one per person and round, of its own purpose."""

from sqlmodel import Session

from review_model.reminder_opt_out import reminders_end
from review_model.tables import Round
from review_model.tokens import issue_links
from review_model.vocabulary import TokenPurpose
from workflows.stages.context import StageContext


def stop_links(session: Session, context: StageContext, round_: Round, enrolment_ids: list[int]) -> dict[int, str]:
    """Each person's link to stop the round's reminders, by enrolment: the one they hold, its expiry moved out to
    the end of the round's reminders, or a new one.

    Its own purpose, not a path under the form's link: it opens the stop page and nothing else, so a reminder
    forwarded to a colleague lets them stop (or restart) this person's reminders of this round, never open the
    form; and it outlives the stage whose reminder carried it, where a form's link expires with its stage."""
    assert round_.id is not None
    if not enrolment_ids:
        return {}
    tokens = issue_links(
        session, context.secret, round_id=round_.id, enrolment_ids=enrolment_ids, purpose=TokenPurpose.reminders,
        expires_at=context.link_expiry(round_, reminders_end(round_)),
    )  # fmt: skip
    return {enrolment_id: context.link(TokenPurpose.reminders, token) for enrolment_id, token in tokens.items()}
