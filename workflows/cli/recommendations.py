"""`spr recommendations`: the coordinator reviews the drafted recommendations; nothing unapproved is published."""

from typing import Annotated

import typer

from workflows.cli.output import COORDINATOR, fail, print_table, reported_errors, success

app = typer.Typer(help="Review the drafted recommendations of a round.", no_args_is_help=True)
RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]


@app.command("list")
def list_(round_ref: RoundArgument) -> None:
    """The round's recommendations by action level and priority, with their status and evidence."""
    with reported_errors():
        from sqlmodel import col, select

        from review_model.rounds import find_round
        from review_model.store import session_scope
        from review_model.tables import Recommendation
        from workflows.cli.store_access import open_store

        with session_scope(open_store()) as session:
            round_ = find_round(session, round_ref)
            found = session.exec(
                select(Recommendation)
                .where(Recommendation.round_id == round_.id)
                .order_by(col(Recommendation.action_level), col(Recommendation.priority), col(Recommendation.id))
            ).all()
        if not found:
            typer.echo("No recommendations yet: they are drafted when the round reaches the drafting stage.")
            return
        rows = [
            (r.id, r.action_level.value, r.priority, r.status.value, r.text_de,
             f"{r.evidence.get('count')} of {r.evidence.get('total')}: {', '.join(r.evidence.get('parties', []))}")
            for r in found
        ]  # fmt: skip
        print_table("Recommendations", ["Id", "For", "Priority", "Status", "Text", "Evidence"], rows)


def _decide(round_ref: str, ids: list[int], approve: bool) -> None:
    from sqlmodel import col, select

    from review_model import clock
    from review_model.audit_trail import record_event
    from review_model.rounds import find_round
    from review_model.store import session_scope
    from review_model.tables import Recommendation
    from review_model.vocabulary import RecommendationStatus
    from workflows.cli.store_access import open_store

    status = RecommendationStatus.approved if approve else RecommendationStatus.rejected
    with session_scope(open_store()) as session:
        round_ = find_round(session, round_ref)
        chosen = session.exec(
            select(Recommendation).where(Recommendation.round_id == round_.id, col(Recommendation.id).in_(ids))
        ).all()
        missing = sorted(set(ids) - {r.id for r in chosen})
        if missing:
            fail(f"round {round_.slug} has no recommendation {', '.join(map(str, missing))}")
        if any(r.status is RecommendationStatus.published for r in chosen):
            fail("published recommendations no longer change")
        now = clock.now()
        for recommendation in chosen:
            recommendation.status, recommendation.decided_at, recommendation.decided_by = status, now, COORDINATOR
        record_event(session, round_.id, COORDINATOR, f"recommendations {status.value}", ids=ids)
    success(f"{len(ids)} recommendation(s) {status.value}.")


@app.command("approve")
def approve(round_ref: RoundArgument, ids: Annotated[list[int], typer.Argument(help="Recommendation ids.")]) -> None:
    """Approve drafted recommendations for the report."""
    with reported_errors():
        _decide(round_ref, ids, approve=True)


@app.command("reject")
def reject(round_ref: RoundArgument, ids: Annotated[list[int], typer.Argument(help="Recommendation ids.")]) -> None:
    """Reject drafted recommendations; they stay in the store but never reach the report."""
    with reported_errors():
        _decide(round_ref, ids, approve=False)
