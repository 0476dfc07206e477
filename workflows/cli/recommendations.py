"""`spr recommendations`: the coordinator reviews the drafted recommendations; nothing unapproved is published."""

from typing import TYPE_CHECKING, Annotated

import click
import typer

from workflows.cli.output import COORDINATOR, fail, next_pass, next_step, print_table, reported_errors, success

if TYPE_CHECKING:
    from sqlmodel import Session

    from review_model.tables import Recommendation, Round

app = typer.Typer(help="Review the drafted recommendations of a round.", no_args_is_help=True)
RoundArgument = Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]


@app.command("list")
def list_(round_ref: RoundArgument) -> None:
    """The round's recommendations by action level and priority, with their status and evidence."""
    with reported_errors():
        from sqlmodel import col, select

        from review_model.rounds import find_round
        from review_model.store import reading_session
        from review_model.tables import Recommendation
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
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
             r.text_en or "(as the German text)",
             f"{r.evidence.get('count')} of {r.evidence.get('total')}: {', '.join(r.evidence.get('parties', []))}")
            for r in found
        ]  # fmt: skip
        columns = ["Id", "For", "Priority", "Status", "Text (de)", "Text (en)", "Evidence"]
        print_table("Recommendations", columns, rows)
        for r in found:
            for number, quote in enumerate(r.evidence.get("quotes", []), 1):
                typer.echo(f"  #{r.id} quote {number} (a reviewer on {quote['party']}): „{quote['text']}“")
        if any(r.evidence.get("quotes") for r in found):
            typer.echo("Quotes are printed as reviewers' comments; leave one out with `spr recommendations edit "
                       "ROUND ID --remove-quote N`.")  # fmt: skip


def _chosen(session: "Session", round_ref: str, ids: list[int]) -> tuple["Round", list["Recommendation"]]:
    """The round and the recommendations named by id; fails on unknown ones, and outside the drafting stage.

    Recommendations are decided in the drafting stage only: once the right of reply has opened, the parties
    have been told what was approved, and the report must say the same.
    """
    from sqlmodel import col, select

    from review_model.rounds import find_round
    from review_model.tables import Recommendation
    from review_model.vocabulary import Stage

    round_ = find_round(session, round_ref)
    if round_.stage is not Stage.drafting:
        fail(f"round {round_.slug} is in stage {round_.stage}: recommendations are decided in the drafting stage")
    chosen = session.exec(
        select(Recommendation).where(Recommendation.round_id == round_.id, col(Recommendation.id).in_(ids))
    ).all()
    missing = sorted(set(ids) - {r.id for r in chosen})
    if missing:
        fail(f"round {round_.slug} has no recommendation {', '.join(map(str, missing))}")
    return round_, list(chosen)


def _decide(round_ref: str, ids: list[int], approve: bool) -> None:
    from review_model.store import reading_session
    from workflows.cli.prefect_runs import advance_after, on_prefect
    from workflows.cli.store_access import open_store
    from workflows.coordinator_actions import ActionRefused
    from workflows.flows import about_round, decide_recommendations_flow

    with reading_session(open_store()) as session:
        round_, _ = _chosen(session, round_ref, ids)  # unknown ids and the wrong stage: refused before Prefect
        round_id, slug, stage = round_.id, round_.slug, round_.stage
    with on_prefect() as api:
        try:
            with about_round(slug):
                decided = decide_recommendations_flow(round_id, slug, ids, approve, COORDINATOR)
        except ActionRefused as refused:
            fail("; ".join(refused.reasons))
        success(f"{decided} recommendation(s) {'approved' if approve else 'rejected'}.")
        followed = advance_after(api, round_id, slug, "deciding recommendations")
        typer.echo(followed.line)
    if followed.stage and followed.stage != stage:
        typer.echo(next_step(slug, followed.stage))
    else:
        typer.echo(next_pass(slug, "once every draft is approved or rejected, the right of reply opens"))


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


EDITOR_HELP = """# Recommendation {id} to {level}, priority {priority}. Edit the texts below the markers;
# lines starting with # are ignored. Leave the English part empty to show the German text there.
"""


@app.command("edit")
def edit(
    round_ref: RoundArgument,
    recommendation_id: Annotated[int, typer.Argument(metavar="ID", help="The recommendation's id.")],
    de: Annotated[str | None, typer.Option("--de", help="The new German text.")] = None,
    en: Annotated[str | None, typer.Option("--en", help="The new English text.")] = None,
    priority: Annotated[int | None, typer.Option(min=1, max=3, help="1 (highest) to 3.")] = None,
    remove_quote: Annotated[
        list[int], typer.Option("--remove-quote", help="Leave out the reviewer comment quoted as number N.")
    ] = [],  # noqa: B006 - Typer needs a list default here
) -> None:
    """Change a recommendation's text, priority or quotes; without options, open both texts in $EDITOR.

    An approved recommendation goes back to draft and needs approving again, so nothing reaches the report
    in a wording nobody approved. The audit trail keeps the previous wording.
    """
    with reported_errors():
        from review_model.store import reading_session
        from workflows.cli.prefect_runs import on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, edit_recommendation_flow

        with reading_session(open_store()) as session:
            round_, [shown] = _chosen(session, round_ref, [recommendation_id])
            round_id, slug = round_.id, round_.slug
        if de is None and en is None and priority is None and not remove_quote:
            # The editor may stay open for minutes: read first, write afterwards, hold no lock meanwhile.
            de, en = _edit_in_editor(shown)
        with on_prefect(), about_round(slug):
            edited = edit_recommendation_flow(round_id, slug, recommendation_id, COORDINATOR, de, en, priority,
                                              list(remove_quote))  # fmt: skip
        if not edited.changed:
            typer.echo("Nothing changed.")
            return
        changes = "; ".join(_text_changes(edited.before, edited.after))
        success(f"Recommendation {recommendation_id} edited ({changes})"
                + (": approve it again." if edited.reopened else "."))  # fmt: skip


def _text_changes(before: dict, after: dict) -> list[str]:
    """Which texts changed and which did not, so an edit of one language never passes for an edit of both."""
    said = []
    for key, language in (("text_de", "German"), ("text_en", "English")):
        said.append(f"{language} text {'changed' if before[key] != after[key] else 'is unchanged'}")
    if before["priority"] != after["priority"]:
        said.append(f"priority {before['priority']} → {after['priority']}")
    if before["quotes"] != after["quotes"]:
        said.append(f"{len(before['quotes']) - len(after['quotes'])} quote(s) left out")
    return said


def _edit_in_editor(recommendation: "Recommendation") -> tuple[str, str]:
    header = EDITOR_HELP.format(id=recommendation.id, level=recommendation.action_level.value,
                                priority=recommendation.priority)  # fmt: skip
    document = f"{header}[de]\n{recommendation.text_de}\n\n[en]\n{recommendation.text_en or ''}\n"
    edited = click.edit(document, extension=".txt")
    if edited is None:
        fail("the editor was closed without saving; nothing changed")
    return parse_edited_texts(edited)


def parse_edited_texts(document: str) -> tuple[str, str]:
    """The German and English texts from an edited document with [de] and [en] markers."""
    parts: dict[str, list[str]] = {}
    current = None
    for line in document.splitlines():
        if line.startswith("#"):
            continue
        if line.strip() in ("[de]", "[en]"):
            current = line.strip()[1:-1]
            parts[current] = []
        elif current is not None:
            parts[current].append(line)
    if "de" not in parts:
        fail("the edited text has no [de] marker; nothing changed")
    return "\n".join(parts["de"]).strip(), "\n".join(parts.get("en", [])).strip()
