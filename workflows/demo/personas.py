"""Simulated participants: each organisation has a true maturity per field of action, rates itself a little
better than that, and is rated by its peers around the truth. Seeded, so every demo tells the same story.
"""

import random
from dataclasses import dataclass

from review_model.follow_up import follow_up_field
from review_model.vocabulary import FollowUpStatus
from workflows.demo.web_forms import FormPage

STRENGTHS = [
    "Eine gemeinsame Digitalstrategie mit klaren Zuständigkeiten und einem jährlichen Fortschrittsbericht.",
    "Offene Daten: über 120 Datensätze im eigenen Portal, darunter Verkehrs- und Umweltdaten in Echtzeit.",
    "Ein ressortübergreifendes Smart-City-Team und eine enge Zusammenarbeit mit der örtlichen Hochschule.",
    "Bürgerbeteiligung über eine Online-Plattform und regelmäßige Werkstätten in den Stadtteilen.",
]
OBSTACLES = [
    "Fachkräftemangel in der IT und lange Vergabeverfahren bremsen die Umsetzung.",
    "Förderprogramme laufen aus, bevor ein tragfähiger Betrieb gesichert ist.",
    "Unklare Rechtslage beim Teilen von Daten mit Versorgern und Verkehrsunternehmen.",
    "Veraltete Fachverfahren ohne offene Schnittstellen erschweren die Vernetzung.",
]
PROJECTS = [
    "Digitaler Zwilling der Innenstadt; Sensorik für Luftqualität; digitales Bürgeramt.",
    "Mobilitätsplattform mit Sharing-Angeboten; intelligente Straßenbeleuchtung.",
    "Schul-WLAN und Lernplattform für alle Schulen; Telemedizin im ländlichen Raum.",
]
REVIEW_COMMENTS = [
    "Die Selbsteinschätzung erscheint uns hier zu optimistisch; belastbare Kennzahlen fehlen.",
    "Gute Ansätze, aber bisher nur als Pilot; eine Verstetigung ist nicht erkennbar.",
    "Überzeugend umgesetzt und gut dokumentiert – ein Vorbild für andere Kommunen.",
    "Zuständigkeiten sind unklar verteilt; es fehlt eine zentrale Steuerung.",
    "Die Beteiligung beschränkt sich auf Information; echte Mitgestaltung findet kaum statt.",
]
NOT_PURSUED = [
    "Der Stadtrat hat andere Schwerpunkte gesetzt; die Mittel fließen vorerst in den Breitbandausbau.",
    "Die Empfehlung passt nicht zu unserer Größe; wir arbeiten stattdessen im interkommunalen Verbund.",
]
# How often an organisation reports each status of an earlier recommendation: most are under way.
FOLLOW_UP_WEIGHTS = {FollowUpStatus.not_started: 2, FollowUpStatus.in_progress: 5, FollowUpStatus.implemented: 3,
                     FollowUpStatus.not_pursued: 1}  # fmt: skip
REPLIES = [
    "Wir danken für die Begutachtung. Die Einschätzung zur Steuerung teilen wir; eine zentrale "
    "Stabsstelle wird zum 1. Juli eingerichtet.",
    "Die Bewertung berücksichtigt nicht, dass die Lernplattform seit Januar in allen Schulen im Regelbetrieb "
    "läuft. Wir bitten, dies im Bericht zu vermerken.",
    "Die Hinweise zur Bürgerbeteiligung nehmen wir auf und werden sie in der Fortschreibung unserer "
    "Strategie berücksichtigen.",
]


@dataclass(frozen=True)
class Persona:
    """An organisation as the demo imagines it."""

    organisation: str
    maturity: dict[str, float]  # per field of action, 0–4
    optimism: float  # how much better it rates itself than it is

    def true_level(self, field_name: str) -> float:
        """The organisation's real level for the field an answer key belongs to (`mobilitaet.ziele`)."""
        section = field_name.split(".", 1)[0]
        return self.maturity.get(section, sum(self.maturity.values()) / max(len(self.maturity), 1))


def personas_for(organisations: list[str], fields: list[str], rng: random.Random) -> dict[str, Persona]:
    """A persona per organisation: a general level, stronger and weaker fields, some optimism."""
    found = {}
    for organisation in sorted(organisations):
        general = rng.uniform(1.2, 3.6)
        maturity = {field: min(4.0, max(0.0, general + rng.gauss(0, 0.7))) for field in fields}
        found[organisation] = Persona(organisation, maturity, rng.choice([0.0, 0.5, 0.8, 1.2]))
    return found


def self_assessment_answers(page: FormPage, persona: Persona, rng: random.Random) -> dict[str, str | list[str]]:
    """How the organisation fills in its own self-assessment."""
    answers: dict[str, str | list[str]] = {}
    for name, values in {**page.radios, **page.selects}.items():
        if follow_up_field(name) is None:
            answers[name] = _nearest(values, persona.true_level(name) + persona.optimism + rng.gauss(0, 0.4))
    answers |= follow_up_statements(page, rng)
    for name in page.textareas:
        if follow_up_field(name) is not None:
            continue
        if name.endswith("/comment"):
            if rng.random() < 0.1:
                answers[name] = rng.choice(OBSTACLES)
        elif name.endswith("staerken"):
            answers[name] = rng.choice(STRENGTHS)
        elif name.endswith("hemmnisse"):
            answers[name] = rng.choice(OBSTACLES)
        else:
            answers[name] = rng.choice(PROJECTS)
    return answers


def follow_up_statements(page: FormPage, rng: random.Random) -> dict[str, str | list[str]]:
    """What the organisation says about each earlier recommendation the form asks about: a status, and a
    reason where it is not pursued."""
    statements: dict[str, str | list[str]] = {}
    for name in page.radios:
        field = follow_up_field(name)
        if field is None or field[1] != "status":
            continue
        status = rng.choices(list(FOLLOW_UP_WEIGHTS), weights=list(FOLLOW_UP_WEIGHTS.values()))[0]
        statements[name] = status.value
        if status is FollowUpStatus.not_pursued:
            statements[name.removesuffix("status") + "reason"] = rng.choice(NOT_PURSUED)
    return statements


def review_answers(page: FormPage, reviewed: Persona, rng: random.Random) -> dict[str, str | list[str]]:
    """How a peer rates the reviewed organisation: around its true level, now and then with a comment."""
    harshness = rng.gauss(0, 0.3)
    answers: dict[str, str | list[str]] = {}
    for name, values in {**page.radios, **page.selects}.items():
        answers[name] = _nearest(values, reviewed.true_level(name) - harshness + rng.gauss(0, 0.7))
    for name in page.textareas:
        if rng.random() < 0.15:
            answers[name] = rng.choice(REVIEW_COMMENTS)
    return answers


def reply_text(rng: random.Random) -> str:
    return rng.choice(REPLIES)


def _nearest(values: list[str], target: float) -> str:
    """The offered value closest to `target` (values are the scale's numbers, as the form sends them)."""
    best, distance = values[0], float("inf")
    for value in values:
        try:
            gap = abs(float(value) - target)
        except ValueError:  # not a rating (an empty "please choose" option, say)
            continue
        if gap < distance:
            best, distance = value, gap
    return best
