"""The right of reply: a reviewed party comments on its draft findings before publication.

A party may reply to the findings as a whole and to each group of findings (each objective or field of
action). Replies are kept exactly as written (line breaks as the browser sends them aside) and printed in
the report beside the findings they answer; nobody edits them. They count once the party has sent them;
until the comment deadline it may change and send them again.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from review_model.consolidation import status_dimensions
from review_model.findings import ROLL_UPS
from review_model.questionnaire import Questionnaire
from review_model.tables import Finding, Reply, Round, Submission
from review_model.vocabulary import FindingScope, Stage

MAX_REPLY_LENGTH = 10_000


class RepliesClosed(Exception):
    """The round no longer takes replies (not in the comment stage, or its deadline has passed)."""


class ReplyRefused(ValueError):
    """A reply that cannot be kept as written; `finding_id` says which (None: the general one)."""

    def __init__(self, finding_id: int | None):
        super().__init__(finding_id)
        self.finding_id = finding_id


class ReplyTooLong(ReplyRefused):
    """A reply longer than MAX_REPLY_LENGTH characters."""


class ReplyHasNul(ReplyRefused):
    """A reply with a NUL character, which no store keeps (PostgreSQL refuses it in text)."""


@dataclass(frozen=True)
class ReplyTarget:
    """Something a party can answer: a group of its findings (`finding_id` is its first finding), or all."""

    finding_id: int | None
    key: str | None
    findings: tuple[Finding, ...]


def accepts_replies(round_: Round, now: datetime) -> bool:
    """Whether replies may still be sent or changed."""
    return round_.stage is Stage.comment and now < round_.comment_deadline


def reply_scope(questionnaire: Questionnaire) -> FindingScope | None:
    """The scope of the groups a party replies to: the status matrix's columns (objectives, fields of action),
    stored as findings of their own."""
    column_tag, _ = status_dimensions(list(questionnaire.rating_cells()))
    return ROLL_UPS.get(column_tag or "")


def reply_groups_per_submission(session: Session, round_: Round) -> dict[int | None, int]:
    """How many groups of findings (objectives, fields of action) each party can reply to, by submission id."""
    scope = reply_scope(Questionnaire.model_validate(round_.questionnaire_snapshot))
    if scope is None:
        return {}
    return dict(
        session.exec(
            select(col(Finding.submission_id), func.count(func.distinct(Finding.key)))
            .where(Finding.round_id == round_.id, Finding.scope == scope, col(Finding.submission_id).is_not(None))
            .group_by(col(Finding.submission_id))
        ).all()
    )


def reply_targets(session: Session, questionnaire: Questionnaire, submission_id: int) -> list[ReplyTarget]:
    """The general reply, then one target per group of the party's findings, in questionnaire order."""
    scope = reply_scope(questionnaire)
    targets = [ReplyTarget(None, None, ())]
    if scope is None:
        return targets
    findings = session.exec(
        select(Finding).where(Finding.submission_id == submission_id, Finding.scope == scope).order_by(col(Finding.id))
    ).all()
    by_key: dict[str, list[Finding]] = {}
    for finding in findings:
        by_key.setdefault(finding.key, []).append(finding)
    return targets + [ReplyTarget(group[0].id, key, tuple(group)) for key, group in by_key.items()]


def replies_by_finding(session: Session, submission_id: int) -> dict[int | None, Reply]:
    """The party's replies (sent or not), by the finding they answer (None: the general reply)."""
    return {
        reply.finding_id: reply for reply in session.exec(select(Reply).where(Reply.submission_id == submission_id))
    }


def save_replies(
    session: Session,
    round_: Round,
    submission: Submission,
    author_enrolment_id: int,
    texts: Mapping[int | None, str],
    now: datetime,
    *,
    send: bool,
) -> bool:
    """Keep the party's replies (by finding id, None for the general one); `send` makes them count.
    Returns whether what counts changed (a first send, or a change to a sent reply), which is when the
    party gets a receipt.

    Once a party has sent its reply, every later change counts at once (there is no separate draft of a
    sent reply). An empty text removes that reply. Texts are stored as written, with the browser's CRLF line
    breaks turned back into plain newlines. Only the targets `reply_targets` offers may be answered; all
    texts are checked before anything changes.
    """
    if not accepts_replies(round_, now):
        raise RepliesClosed
    assert round_.id is not None and submission.id is not None
    # One save at a time per party, so two first saves cannot both add a general reply.
    session.exec(select(Submission.id).where(Submission.id == submission.id).with_for_update()).one()
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    allowed = {target.finding_id for target in reply_targets(session, questionnaire, submission.id)}
    if set(texts) - allowed:
        raise ValueError("a reply may only answer the party's own groups of findings")
    cleaned = {finding_id: raw.replace("\r\n", "\n") for finding_id, raw in texts.items()}
    for finding_id, text in cleaned.items():
        if len(text) > MAX_REPLY_LENGTH:
            raise ReplyTooLong(finding_id)
        if "\x00" in text:
            raise ReplyHasNul(finding_id)
    existing = replies_by_finding(session, submission.id)
    changed = False
    for finding_id, text in cleaned.items():
        reply = existing.get(finding_id)
        if not text.strip():
            if reply is not None:
                session.delete(reply)
                changed = True
            continue
        if reply is None:
            session.add(
                Reply(round_id=round_.id, submission_id=submission.id, finding_id=finding_id,
                      author_enrolment_id=author_enrolment_id, text=text, created_at=now)
            )  # fmt: skip
            changed = True
        elif reply.text != text:
            reply.text, reply.updated_at, reply.author_enrolment_id = text, now, author_enrolment_id
            changed = True
    first_send = send and submission.reply_submitted_at is None
    counts = first_send or (submission.reply_submitted_at is not None and changed)
    if counts:
        submission.reply_submitted_at = now
    session.flush()
    return counts


def sent_replies(session: Session, round_id: int) -> dict[int, dict[int | None, str]]:
    """Every reply that counts (its party sent it), by submission and then by finding."""
    found: dict[int, dict[int | None, str]] = {}
    for reply in session.exec(
        select(Reply)
        .join(Submission, col(Submission.id) == Reply.submission_id)
        .where(Reply.round_id == round_id, col(Submission.reply_submitted_at).is_not(None))
        .order_by(col(Reply.id))
    ).all():
        found.setdefault(reply.submission_id, {})[reply.finding_id] = reply.text
    return found
