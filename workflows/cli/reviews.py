"""`spr reviews`: the peer reviews of a round as the coordinator reads them."""

from typing import Annotated

import typer

from workflows.cli.output import coordinator_language, messages, plural_messages, print_table, reported_errors

app = typer.Typer(help="Read the peer reviews of a round.", no_args_is_help=True)


@app.command("calibration")
def calibration(round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")]) -> None:
    """Each reviewer's leniency (how far they rate above or below their co-reviewers on the same items) and
    agreement with them, per scale, flagged reviewers first. Staff only: it names the reviewers."""
    with reported_errors():
        from reports.rendering_numbers import number, signed
        from reports.scale_names import scale_name
        from review_model.calibration import LENIENCY_LIMIT, MIN_COMPARED
        from review_model.reviewer_calibration import calibration_overview
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            overview = calibration_overview(session, round_.id)
        _, ngettext, language = messages(), plural_messages(), coordinator_language()
        if not overview.rows:
            typer.echo(_("No reviewer can be compared yet: that needs two submitted reviews of the same party."))
            return
        rows = []
        for row in overview.rows:
            figures = row.figures
            warning = (_("rates more kindly than the others") if figures.lenient
                       else _("rates more harshly than the others") if figures.harsh else "")  # fmt: skip
            rows.append((row.name or _("Erased person"), row.organisation, scale_name(figures.scale, language),
                         signed(figures.leniency, language, 2), number((figures.agreement or 0) * 100, language, 0)
                         + " %", figures.compared, warning))  # fmt: skip
        columns = [_("Reviewer"), _("Organisation"), _("Scale"), _("Leniency"), _("Agreement"), _("Compared"),
                   _("Warning")]  # fmt: skip
        print_table(_("Reviewer calibration"), columns, rows)
        typer.echo(
            _(
                "Leniency: the mean difference, in levels of the scale, between a reviewer's rating and their "
                "co-reviewers' mean rating of the same item. Agreement: the share of ratings within one level of "
                "that mean."
            )
        )
        typer.echo(
            _(
                "A reviewer is flagged whose leniency rests on at least {n} compared ratings and is {limit} levels "
                "or more from zero."
            ).format(n=MIN_COMPARED, limit=number(LENIENCY_LIMIT, language))
        )
        typer.echo(ngettext("{n} reviewer flagged.", "{n} reviewers flagged.", overview.flagged).format(
            n=overview.flagged))  # fmt: skip
        typer.echo(_("The report gives peer means corrected for leniency beside the raw ones (normalise: leniency).")
                   if overview.normalised else
                   _("The report gives the raw peer means; `normalise: leniency` in the round file adds corrected "
                     "ones."))  # fmt: skip
