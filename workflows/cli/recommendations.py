"""`spr recommendations`: the coordinator reviews the drafted recommendations; nothing unapproved is published."""

from typing import TYPE_CHECKING, Annotated

import click
import typer

from workflows.cli.output import (
    COORDINATOR,
    N_,
    coordinator_language,
    fail,
    messages,
    next_pass,
    next_step,
    plural_messages,
    print_table,
    refusal_text,
    reported_errors,
    stage_name,
    success,
    translated,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from review_model.tables import Recommendation, Round
    from review_model.vocabulary import ActionLevel, RecommendationStatus

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
        from review_model.vocabulary import Stage

        _ = messages()
        if not found:
            typer.echo(
                _("No recommendations yet: they are drafted when the round reaches the {stage} stage.").format(
                    stage=stage_name(Stage.drafting)
                )
            )
            return
        rows = [
            (r.id, _level(r.action_level), r.priority, _status(r.status), r.text_de,
             r.text_en or _("(as the German text)"),
             _("{count} of {total}: {parties}").format(count=r.evidence.get("count"), total=r.evidence.get("total"),
                                                       parties=", ".join(r.evidence.get("parties", []))))
            for r in found
        ]  # fmt: skip
        columns = [_("Id"), _("For"), _("Priority"), _("Status"), _("Text (de)"), _("Text (en)"), _("Evidence")]
        print_table(_("Recommendations"), columns, rows)
        for r in found:
            for number, quote in enumerate(r.evidence.get("quotes", []), 1):
                said = _("#{id} quote {number} (a reviewer on {party}): „{text}“").format(
                    id=r.id, number=number, party=quote["party"], text=quote["text"]
                )
                typer.echo(f"  {said}")
        if any(r.evidence.get("quotes") for r in found):
            typer.echo(_("Quotes are printed as reviewers' comments; leave one out with `spr recommendations edit "
                         "ROUND ID --remove-quote N`."))  # fmt: skip


def _level(level: "ActionLevel") -> str:
    """Whom a recommendation is for: its name in English (bund, laender, …), the domain's word in German."""
    language = coordinator_language()
    return level.value if language == "en" else level.label(language)


def _status(status: "RecommendationStatus") -> str:
    """A recommendation's status as the list shows it: its name in English, a word in German."""
    from review_model.vocabulary import RecommendationStatus

    _ = messages()
    words = {
        RecommendationStatus.draft: _("draft"),
        RecommendationStatus.approved: _("approved"),
        RecommendationStatus.rejected: _("rejected"),
        RecommendationStatus.published: _("published"),
    }
    return words[status]


def _chosen(session: "Session", round_ref: str, ids: list[int]) -> tuple["Round", list["Recommendation"]]:
    """The round and the recommendations named by id; fails on unknown ones, and outside the drafting stage.

    Recommendations are decided in the drafting stage only: once the right of reply has opened, the parties
    have been told what was approved, and the report must say the same.
    """
    from sqlmodel import col, select

    from review_model.rounds import find_round
    from review_model.tables import Recommendation
    from review_model.vocabulary import Stage

    _ = messages()
    round_ = find_round(session, round_ref)
    if round_.stage is not Stage.drafting:
        fail(
            _("round {slug} is in stage {stage}: recommendations are decided in the {drafting} stage").format(
                slug=round_.slug, stage=stage_name(round_.stage), drafting=stage_name(Stage.drafting)
            )
        )
    chosen = session.exec(
        select(Recommendation).where(Recommendation.round_id == round_.id, col(Recommendation.id).in_(ids))
    ).all()
    missing = sorted(set(ids) - {r.id for r in chosen})
    if missing:
        ngettext = plural_messages()
        said = ngettext("round {slug} has no recommendation {ids}", "round {slug} has no recommendation {ids}",
                        len(missing))  # fmt: skip
        fail(said.format(slug=round_.slug, ids=", ".join(map(str, missing))))
    return round_, list(chosen)


def _decide(round_ref: str, ids: list[int], approve: bool) -> None:
    from review_model.store import reading_session
    from workflows.cli.prefect_runs import advance_after, on_prefect
    from workflows.cli.store_access import open_store
    from workflows.coordinator_actions import ActionRefused
    from workflows.flows import about_round, decide_recommendations_flow

    with reading_session(open_store()) as session:
        round_, _ = _chosen(session, round_ref, ids)  # unknown ids and the wrong stage: refused before Prefect
        assert round_.id is not None
        round_id, slug, stage = round_.id, round_.slug, round_.stage
    with on_prefect() as api:
        try:
            with about_round(slug):
                decided = decide_recommendations_flow(round_id, slug, ids, approve, COORDINATOR)
        except ActionRefused as refused:
            fail(refusal_text(refused))
        ngettext = plural_messages()
        if approve:
            said = ngettext("{n} recommendation(s) approved.", "{n} recommendation(s) approved.", decided)
        else:
            said = ngettext("{n} recommendation(s) rejected.", "{n} recommendation(s) rejected.", decided)
        success(said.format(n=decided))
        followed = advance_after(api, round_id, slug, "deciding recommendations")
        typer.echo(followed.line)
    if followed.stage and followed.stage != stage:
        typer.echo(next_step(slug, followed.stage))
    else:
        typer.echo(
            next_pass(
                slug,
                N_(
                    "Next: once every draft is approved or rejected, the right of reply opens once the round has "
                    "advanced (`spr serve` does it; `spr round advance {slug}` at once)."
                ),
            )
        )


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


EDITOR_HELP = N_("""# Recommendation {id} to {level}, priority {priority}. Edit the texts below the markers;
# lines starting with # are ignored. Leave the English part empty to show the German text there.
""")


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
            assert round_.id is not None
            round_id, slug = round_.id, round_.slug
        if de is None and en is None and priority is None and not remove_quote:
            # The editor may stay open for minutes: read first, write afterwards, hold no lock meanwhile.
            de, en = _edit_in_editor(shown)
        with on_prefect(), about_round(slug):
            edited = edit_recommendation_flow(round_id, slug, recommendation_id, COORDINATOR, de, en, priority,
                                              list(remove_quote))  # fmt: skip
        _ = messages()
        if not edited.changed:
            typer.echo(_("Nothing changed."))
            return
        changes = "; ".join(edited.changes_in(coordinator_language()))
        if edited.reopened:
            said = _("Recommendation {id} edited ({changes}): approve it again.")
        else:
            said = _("Recommendation {id} edited ({changes}).")
        success(said.format(id=recommendation_id, changes=changes))


def _edit_in_editor(recommendation: "Recommendation") -> tuple[str, str]:
    header = translated(EDITOR_HELP, id=recommendation.id, level=_level(recommendation.action_level),
                        priority=recommendation.priority)  # fmt: skip
    document = f"{header}[de]\n{recommendation.text_de}\n\n[en]\n{recommendation.text_en or ''}\n"
    edited = click.edit(document, extension=".txt")
    if edited is None:
        _ = messages()
        fail(_("the editor was closed without saving; nothing changed"))
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
        _ = messages()
        fail(_("the edited text has no [de] marker; nothing changed"))
    return "\n".join(parts["de"]).strip(), "\n".join(parts.get("en", [])).strip()
