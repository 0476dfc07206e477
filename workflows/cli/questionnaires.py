"""`spr questionnaire`: check questionnaire files before a round uses them."""

from pathlib import Path
from typing import Annotated

import typer

from workflows.cli.output import console, describe_questionnaire, messages, plural_messages, reported_errors, styled

app = typer.Typer(help="Check questionnaire files.", no_args_is_help=True)


@app.command("check")
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Questionnaire files (YAML). Without any, checks the questionnaires that ship with spr."),
    ] = None,
) -> None:
    """Validate questionnaire files: every problem is named with its file, line, item id and reason.

    Missing English labels are reported as warnings (German is shown instead). Exit code 1 if any file is
    invalid.
    """
    with reported_errors():
        from review_model.questionnaire import QuestionnaireError, questionnaire_from_document, shipped_questionnaires
        from review_model.yaml_documents import DocumentError, read_yaml_document

        _, ngettext = messages(), plural_messages()
        out, err = console(), console(stderr=True)
        invalid = 0
        for path in files or shipped_questionnaires():
            try:
                questionnaire = questionnaire_from_document(read_yaml_document(path))
            except (QuestionnaireError, DocumentError) as error:
                invalid += 1
                count = len(error.problems)
                problems = ngettext("{n} problem(s)", "{n} problem(s)", count).format(n=count)
                err.print(styled((f"✗ {path}", "bold red"), f": {problems}"))
                for problem in error.problems:
                    err.print(f"  {problem.describe(str(path))}")
                continue
            out.print(styled((f"✓ {path}", "green"), f": {describe_questionnaire(questionnaire)}"))
            for label in questionnaire.missing_english():
                out.print("  " + _("warning: no English text for {label}").format(label=label))
        if invalid:
            raise typer.Exit(1)
