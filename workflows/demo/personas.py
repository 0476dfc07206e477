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
# The review form's boxes for questions to the reviewed organisation (portal.review_questions).
QUESTION_BOX = "question-"
# How often an organisation reports each status of an earlier recommendation: most are under way.
FOLLOW_UP_WEIGHTS = {FollowUpStatus.not_started: 2, FollowUpStatus.in_progress: 5, FollowUpStatus.implemented: 3,
                     FollowUpStatus.not_pursued: 1}  # fmt: skip
QUESTIONS = [
    "Gibt es für dieses Vorhaben Kennzahlen, an denen Sie den Fortschritt messen?",
    "Ist der Betrieb nach dem Ende der Förderung finanziert?",
    "Wer ist in Ihrer Verwaltung für die Umsetzung verantwortlich?",
]
ANSWERS = [
    "Ja: Wir berichten dem Rat halbjährlich über fünf Kennzahlen; der letzte Bericht ist im Ratsinformationssystem.",
    "Der Betrieb ist bis 2029 im Haushalt gesichert; danach soll ein Zweckverband ihn übernehmen.",
    "Die Stabsstelle Digitalisierung im Büro der Oberbürgermeisterin, mit zwei Vollzeitstellen.",
]
DISCUSSION = [
    "Die Selbsteinschätzung stützt sich hier auf Pläne; umgesetzt ist erst ein Pilot. Ich bleibe bei meiner Bewertung.",
    "Nach der Antwort auf unsere Rückfrage halte ich eine Stufe höher für vertretbar.",
]
STRENGTHS_JOINT = "Eine klare Strategie mit messbaren Zielen und eine Verwaltung, die offen über Hemmnisse spricht."
WEAKNESSES_JOINT = "Viele Vorhaben sind Piloten ohne gesicherte Finanzierung; die Beteiligung bleibt bei Information."
JOINT_RECOMMENDATIONS = [
    "Die erfolgreichen Piloten in den Regelbetrieb überführen und ihre Finanzierung im Haushalt sichern.",
    "Einen Beteiligungsprozess mit echter Mitgestaltung für die Fortschreibung der Strategie aufsetzen.",
]
ENDORSEMENT_COMMENTS = [
    "Die Finanzierung würde ich noch stärker betonen.",
    "Die Stärken sind zu wohlwollend beschrieben; der Pilot ist noch kein Regelbetrieb.",
]
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
        if not name.startswith(QUESTION_BOX) and rng.random() < 0.15:
            answers[name] = rng.choice(REVIEW_COMMENTS)
    return answers


def review_question(page: FormPage, rng: random.Random) -> dict[str, str | list[str]]:
    """Now and then a reviewer asks the reviewed organisation a question about one item of the form."""
    boxes = [name for name in page.textareas if name.startswith(QUESTION_BOX)]
    if not boxes or rng.random() > 0.25:
        return {}
    return {rng.choice(boxes): rng.choice(QUESTIONS)}


def answers_to_questions(page: FormPage, rng: random.Random) -> dict[str, str | list[str]]:
    """The organisation answers the questions waiting on its questions page."""
    return {name: rng.choice(ANSWERS) for name in page.textareas}


def consensus_comments(page: FormPage, rng: random.Random) -> dict[str, str | list[str]]:
    """A reviewer's comments on some of the points to discuss."""
    return {
        name: rng.choice(DISCUSSION) for name in page.textareas if name.startswith("comment-") and rng.random() < 0.5
    }


def joint_assessment(rng: random.Random) -> dict[str, str | list[str]]:
    """What a lead reviewer writes for the reviewers of one party."""
    first, second = rng.sample(JOINT_RECOMMENDATIONS, 2)
    return {"strengths": STRENGTHS_JOINT, "weaknesses": WEAKNESSES_JOINT, "recommendation-1": first,
            "recommendation-2": second}  # fmt: skip


def endorsement(rng: random.Random) -> dict[str, str | list[str]]:
    """A co-reviewer's answer to the joint assessment: mostly endorsed, now and then with a comment."""
    endorses = rng.random() < 0.8
    return {
        "endorses": "yes" if endorses else "no",
        "endorsement": "" if endorses else rng.choice(ENDORSEMENT_COMMENTS),
    }


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
