"""The `spr` command in the coordinator's language: with SPR_LANGUAGE=de every line it prints is German."""

import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from config.catalogs import read_catalog
from config.settings import get_settings
from tests.conftest import EXAMPLES
from tests.support.commands import configure
from workflows.cli import app

runner = CliRunner()


def spr(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def german(configured, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("SPR_LANGUAGE", "de")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def english_in(output: str) -> list[str]:
    """The pieces of English messages of the workflows catalog and of the domain's (the reasons it refuses
    with), the text between placeholders, a few words long, that are in `output` and in no German
    translation: an English sentence the command printed."""
    catalog = [message for domain in ("workflows", "review_model") for message in read_catalog("de", domain)]
    german = "\n".join(
        text for message in catalog if message.id for text in (message.string if isinstance(message.string, tuple)
                                                                else (message.string,))
    )  # fmt: skip
    found = []
    for message in catalog:
        for english in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in re.split(r"\{[^}]*\}", english):
                piece = piece.strip(" .,:;()")
                if len(piece) >= 12 and " " in piece and piece not in german and piece in output:
                    found.append(piece)
    return found


def test_the_detector_finds_english_sentences():
    assert english_in("Error: the German text cannot be empty") == ["the German text cannot be empty"]
    assert english_in(
        "Vor der Phase „Zuordnung der Gutachter“: no self-assessment was submitted (extend the deadline)"
    ) == ["no self-assessment was submitted (extend the deadline"]
    assert english_in("Fehler: Der deutsche Text darf nicht leer sein.") == []


# About the words the command prints, not the store: once, on SQLite.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_round_is_created_shown_and_refused_in_german(german):
    created = spr("round", "create", str(EXAMPLES / "round.yaml"))
    assert created.exit_code == 0, created.output
    assert "Runde beispielrunde (" in created.output and "angelegt, Phase „Vorbereitung“." in created.output
    assert "30 neu" in created.output and "30 angemeldet" in created.output
    assert created.output.splitlines()[-1] == "Als Nächstes: Prüfen Sie die Runde mit `spr round show beispielrunde`."

    listed = spr("round", "list")
    assert "Frist Selbsteinschätzung" in listed.output and "Vorbereitung" in listed.output

    shown = spr("round", "show", "beispielrunde")
    assert shown.exit_code == 0, shown.output
    assert "„Vorbereitung“ seit" in shown.output and "7 Abschnitte, 27 Fragen, 24 Bewertungen" in shown.output
    assert "30 (20 mit Selbsteinschätzung, 30 als Gutachterin oder Gutachter)" in shown.output
    assert "Bereit für die Phase „Einladung“." in shown.output
    assert shown.output.splitlines()[-1] == (
        "Als Nächstes: Starten Sie die Runde mit `spr round launch beispielrunde` (vorher wird alles geprüft)."
    )

    status = spr("status", "beispielrunde")
    assert "(beispielrunde) · Phase „Vorbereitung“" in status.output
    assert "0 von 20 eingereicht (0%)" in status.output and "E-Mail: 0 wartend, 0 fehlgeschlagen" in status.output

    refused = spr("round", "close-stage", "beispielrunde", "--yes")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Fehler: Die Runde beispielrunde ist in der Phase „Vorbereitung“; vorzeitig abschließen lassen sich nur die "
        "Phasen „Selbsteinschätzung“, „Peer Review“, „Konsensfindung“ und „Stellungnahme“."
    )
    no_assignment = spr("assignment", "show", "beispielrunde")
    assert no_assignment.exit_code == 1 and "Noch keine Zuordnung" in no_assignment.output

    for result in (created, listed, shown, status, refused, no_assignment):
        assert english_in(result.output) == [], result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_launch_and_reminders_say_in_german_what_was_done_and_what_follows(round_world, german, monkeypatch):
    configure(monkeypatch, round_world)

    launched = spr("round", "launch", "fruehjahr-2027")
    assert launched.exit_code == 0, launched.output
    assert "Runde fruehjahr-2027 gestartet: Einladung → Selbsteinschätzung · 4 Einladungen eingereiht" in (
        launched.output
    )
    assert launched.output.splitlines()[-1].startswith("Als Nächstes: Lassen Sie `spr serve` weiterlaufen")

    reminded = spr("round", "remind", "fruehjahr-2027", "--participant", "dora@talbach.example")
    assert reminded.exit_code == 0, reminded.output
    assert (
        "1 Erinnerung an Teilnehmende ohne eingereichte Selbsteinschätzung eingereiht (Phase „Selbsteinschätzung“)."
        in reminded.output
    )
    assert "Runde hier weitergeführt (es läuft kein Prefect-Server): Selbsteinschätzung · 1 versandt" in (
        reminded.output
    )
    status = spr("status", "fruehjahr-2027")
    assert re.search(r"Frist .* · noch \d+ Tage", status.output), status.output

    nobody = spr("round", "remind", "fruehjahr-2027", "--participant", "nobody@x.example")
    assert nobody.exit_code == 1 and "nobody@x.example nimmt an fruehjahr-2027 nicht teil." in nobody.output

    for result in (launched, reminded, status, nobody):
        assert english_in(result.output) == [], result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_what_a_stage_waits_for_is_said_in_german(round_world, german, monkeypatch):
    """The reasons come from the domain's stage rules, translated in its own catalog, stage names too."""
    configure(monkeypatch, round_world)
    assert spr("round", "launch", "fruehjahr-2027").exit_code == 0

    shown = spr("round", "show", "fruehjahr-2027")
    assert shown.exit_code == 0, shown.output
    assert re.search(
        r"Vor der Phase „Zuordnung der Gutachter“: die Selbsteinschätzung ist bis \d{4}-\d\d-\d\d \d\d:\d\d CET "
        r"offen, und noch nicht alle haben eingereicht; es wurde keine Selbsteinschätzung eingereicht "
        r"\(verlängern Sie die Frist\)",
        shown.output,
    ), shown.output

    refused = spr("round", "close-stage", "fruehjahr-2027", "--yes")
    assert refused.exit_code == 1
    assert "es wurde keine Selbsteinschätzung eingereicht (verlängern Sie die Frist)" in refused.output
    assert "not everyone has submitted" not in refused.output  # closing early waives the deadline

    for result in (shown, refused):
        assert english_in(result.output) == [], result.output
