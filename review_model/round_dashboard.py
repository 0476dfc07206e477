"""Every round at a glance, for the coordinator's console: its stage, its next deadline, and what the next
stage waits for, read for all rounds together in the same few queries whatever their number."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from review_model import clock
from review_model.round_timeline import NextDeadline, next_deadline
from review_model.rounds import rounds_progress
from review_model.stage_rules import RoundProgress, stage_after, transition_blockers
from review_model.tables import Round
from review_model.vocabulary import Stage


@dataclass(frozen=True)
class RoundGlance:
    """One round as the list of rounds shows it. `waits_for` holds the stage rules' reasons (each a `Reason`,
    shown in the reader's language with `reason_in`) why the round cannot move to `next_stage` now; empty
    when it may (the round driver takes the step on its next pass, or, out of draft, the coordinator)."""

    id: int
    slug: str
    title: str
    title_en: str | None
    stage: Stage
    stage_entered_at: datetime
    time_zone: str
    language: str
    next_deadline: NextDeadline | None
    next_stage: Stage | None
    waits_for: tuple[str, ...]
    progress: RoundProgress

    def title_in(self, language: str) -> str:
        """The title for a reader of `language`, as `Round.title_in` gives it."""
        return self.title_en if language == "en" and self.title_en else self.title


def rounds_at_a_glance(
    session: Session, round_ids: Collection[int] | None = None, now: datetime | None = None
) -> list[RoundGlance]:
    """Every round (or those in `round_ids`: a coordinator sees their own), newest first, with the next
    deadline and the stage rules' reasons against the next stage as `spr round show` gives them."""
    now = now or clock.now()
    statement = select(Round).order_by(col(Round.created_at).desc(), col(Round.id).desc())
    if round_ids is not None:
        statement = statement.where(col(Round.id).in_(list(round_ids)))
    rounds = session.exec(statement).all()
    progress = rounds_progress(session, [r.id for r in rounds if r.id is not None]) if rounds else {}
    glances = []
    for round_ in rounds:
        assert round_.id is not None  # read from the store
        counts = progress.get(round_.id, RoundProgress())
        following = stage_after(round_)
        waits_for = transition_blockers(round_, following, counts, now) if following is not None else []
        glances.append(
            RoundGlance(
                id=round_.id,
                slug=round_.slug,
                title=round_.title,
                title_en=round_.title_en,
                stage=round_.stage,
                stage_entered_at=round_.stage_entered_at,
                time_zone=round_.time_zone,
                language=round_.language.value,
                next_deadline=next_deadline(round_, now),
                next_stage=following,
                waits_for=tuple(waits_for),
                progress=counts,
            )
        )
    return glances
