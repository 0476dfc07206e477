"""The adoption of a round's results: in the peer-review method the plenary (or the body the round answers to)
adopts the findings and recommendations before they are published.

The coordinator records it: by which body, on which date, with what changes noted. A round whose file says
`adoption: {required: true}` is not published before the adoption is recorded (review_model.stage_rules);
the report's front page says "Adopted by … on …" whenever one is recorded.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from config.translations import N_
from review_model.audit_trail import record_event
from review_model.refusals import Reason, Refused
from review_model.tables import Round
from review_model.vocabulary import Stage

BODY_MAX_LENGTH = 200
CHANGES_MAX_LENGTH = 4000
# The stages in which the results exist and are not yet published: the drafts are decided, or being replied to.
ADOPTION_STAGES = (Stage.drafting, Stage.comment)


class AdoptionRefused(Refused):
    """The adoption cannot be recorded; `reasons` lists every reason found."""


def adoption_refusals(round_: Round, body: str, on: date, changes: str | None, today: date) -> list[str]:
    """Every reason the adoption cannot be recorded now: a round not between drafting and publication, no body
    or one longer than a line, a date after today, changes noted at too great a length."""
    reasons: list[str] = []
    if round_.stage not in ADOPTION_STAGES:
        reasons.append(Reason(N_("round {slug} is in stage {stage}: the results are adopted after the drafting "
                                 "and before publication"), slug=round_.slug, stage=round_.stage))  # fmt: skip
    text = body.strip()
    if not text:
        reasons.append(Reason(N_("name the body that adopted the results (--by), e.g. the plenary")))
    elif len(text) > BODY_MAX_LENGTH or any(char in text for char in "\r\n\t"):
        reasons.append(Reason(N_("the body's name must be one line of at most {n} characters"), n=BODY_MAX_LENGTH))
    if on > today:
        reasons.append(Reason(N_("the adoption's date {when} lies in the future: record it once it has happened"),
                              when=on.isoformat()))  # fmt: skip
    if changes is not None and len(changes.strip()) > CHANGES_MAX_LENGTH:
        reasons.append(Reason(N_("the changes noted are longer than {n} characters"), n=CHANGES_MAX_LENGTH))
    return reasons


def record_adoption(
    session: Session, round_: Round, body: str, on: date, changes: str | None, actor: str, now: datetime
) -> None:
    """Record the adoption in the caller's transaction (which holds the round), or raise AdoptionRefused with
    every reason. Recording it again replaces the earlier record (a date corrected, say); the history keeps
    both."""
    reasons = adoption_refusals(round_, body, on, changes, now.astimezone(ZoneInfo(round_.time_zone)).date())
    if reasons:
        raise AdoptionRefused(reasons)
    noted = (changes or "").strip() or None
    round_.adopted_by, round_.adopted_on, round_.adoption_changes = body.strip(), on, noted
    round_.adoption_recorded_at, round_.adoption_recorded_by = now, actor
    record_event(session, round_.id, actor, "adoption recorded", by=body.strip(), on=on.isoformat(),
                 changes_noted=noted is not None)  # fmt: skip
