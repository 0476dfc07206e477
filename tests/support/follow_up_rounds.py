"""A hand-made pair of rounds for the follow-up: a first round, published with recommendations to the
municipalities and the federal states (and one rejected, which was never published), and a second round that
names it as its `previous_round`, in its submission stage, with a Land taking part beside the four
organisations of the staged rounds (three municipalities and a district) and a civil-society group.

    pair = follow_up_pair(engine)
    pair.recommendations["kommunen-1"]  # the id of the first recommendation to the municipalities
"""

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.rounds import get_round
from review_model.tables import Recommendation
from review_model.vocabulary import ActionLevel, RecommendationStatus, Stage
from tests.support.staged_rounds import StagedRound, bring_round_to, round_in_stage

MORE_PEOPLE = """email,name,organisation,organisation_kind,state,language,roles
eva@land.example,Eva Berg,Land Hessen,Land,HE,en,respondent
finn@verein.example,Finn Lutz,Verein Offene Stadt,Zivilgesellschaft,HE,de,respondent
"""
# (key, action level, priority, German text, English text, status) of the first round's recommendations.
RECOMMENDATIONS = (
    ("kommunen-1", ActionLevel.kommunen, 1, "Kommunale Datenplattformen aufbauen.", "Build municipal data platforms.",
     RecommendationStatus.published),
    ("kommunen-2", ActionLevel.kommunen, 2, "Bürgerbeteiligung digital ermöglichen.", None,
     RecommendationStatus.published),
    ("laender-1", ActionLevel.laender, 1, "Förderprogramme bündeln.", "Bundle funding programmes.",
     RecommendationStatus.published),
    ("kommunen-rejected", ActionLevel.kommunen, 1, "Verworfen.", "Rejected.", RecommendationStatus.rejected),
)  # fmt: skip


@dataclass
class FollowUpPair:
    first_id: int
    second: StagedRound
    recommendations: dict[str, int]  # key → id

    @property
    def second_id(self) -> int:
        return self.second.round_id


def follow_up_pair(engine: Engine) -> FollowUpPair:
    """The two rounds; the second in its submission stage, nobody's self-assessment submitted yet."""
    first = round_in_stage(engine, Stage.draft, slug="runde-eins")
    ids = {}
    with Session(engine) as session:
        round_ = get_round(session, first.round_id)
        round_.title, round_.title_en = "Runde eins", "Round one"
        round_.stage, round_.stage_entered_at = Stage.published, clock.now()
        for key, level, priority, text_de, text_en, status in RECOMMENDATIONS:
            recommendation = Recommendation(
                round_id=first.round_id, rule_id=key, action_level=level, priority=priority, text_de=text_de,
                text_en=text_en, status=status,
            )  # fmt: skip
            session.add(recommendation)
            session.flush()
            ids[key] = recommendation.id
        session.commit()
    second = round_in_stage(engine, Stage.draft, slug="runde-zwei")
    with Session(engine) as session:
        round_ = get_round(session, second.round_id)
        round_.previous_round_id = first.round_id
        import_participants(session, round_, parse_participants(MORE_PEOPLE.encode()), "more.csv")
        session.commit()
    staged = bring_round_to(engine, second.round_id, Stage.submission, submitted=[])
    return FollowUpPair(first.round_id, staged, ids)
