"""The words of the domain: stages, kinds of organisation, federal states, action levels, states of things."""

from enum import StrEnum


class Stage(StrEnum):
    """Where a round stands. Each stage is entered once, in this order (archived is optional)."""

    draft = "draft"
    invitation = "invitation"
    submission = "submission"
    assignment = "assignment"
    review = "review"
    consolidation = "consolidation"
    drafting = "drafting"
    comment = "comment"
    published = "published"
    archived = "archived"


# The stages in which the round driver has work to do: everything between launch and publication.
ACTIVE_STAGES = (Stage.invitation, Stage.submission, Stage.assignment, Stage.review, Stage.consolidation,
                 Stage.drafting, Stage.comment)  # fmt: skip


class Language(StrEnum):
    de = "de"
    en = "en"


class OrganisationKind(StrEnum):
    """Kinds of organisation taking part in a round (docs/architecture.md, "Vocabulary")."""

    bund = "bund"
    land = "land"
    kommune = "kommune"
    region = "region"
    unternehmen = "unternehmen"
    wissenschaft = "wissenschaft"
    zivilgesellschaft = "zivilgesellschaft"

    @property
    def label_de(self) -> str:
        return _ORGANISATION_KIND_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _ORGANISATION_KIND_LABELS[self][1]


_ORGANISATION_KIND_LABELS = {
    OrganisationKind.bund: ("Bund", "Federal government"),
    OrganisationKind.land: ("Land", "Federal state"),
    OrganisationKind.kommune: ("Kommune", "Municipality"),
    OrganisationKind.region: ("Region/Landkreis", "Region/district"),
    OrganisationKind.unternehmen: ("Unternehmen", "Company"),
    OrganisationKind.wissenschaft: ("Wissenschaft", "Research"),
    OrganisationKind.zivilgesellschaft: ("Zivilgesellschaft", "Civil society"),
}

# Spellings people use in spreadsheets, mapped to the kind they mean.
ORGANISATION_KIND_ALIASES: dict[str, OrganisationKind] = {
    **{kind.value: kind for kind in OrganisationKind},
    "landkreis": OrganisationKind.region,
    "region/landkreis": OrganisationKind.region,
    "kreis": OrganisationKind.region,
    "stadt": OrganisationKind.kommune,
    "gemeinde": OrganisationKind.kommune,
    "federal": OrganisationKind.bund,
    "state": OrganisationKind.land,
    "municipality": OrganisationKind.kommune,
    "district": OrganisationKind.region,
    "company": OrganisationKind.unternehmen,
    "business": OrganisationKind.unternehmen,
    "research": OrganisationKind.wissenschaft,
    "university": OrganisationKind.wissenschaft,
    "hochschule": OrganisationKind.wissenschaft,
    "civil society": OrganisationKind.zivilgesellschaft,
}


class FederalState(StrEnum):
    """The sixteen Länder, by their ISO 3166-2:DE codes."""

    BW = "BW"
    BY = "BY"
    BE = "BE"
    BB = "BB"
    HB = "HB"
    HH = "HH"
    HE = "HE"
    MV = "MV"
    NI = "NI"
    NW = "NW"
    RP = "RP"
    SL = "SL"
    SN = "SN"
    ST = "ST"
    SH = "SH"
    TH = "TH"

    @property
    def label(self) -> str:
        return FEDERAL_STATE_NAMES[self]


FEDERAL_STATE_NAMES: dict[FederalState, str] = {
    FederalState.BW: "Baden-Württemberg",
    FederalState.BY: "Bayern",
    FederalState.BE: "Berlin",
    FederalState.BB: "Brandenburg",
    FederalState.HB: "Bremen",
    FederalState.HH: "Hamburg",
    FederalState.HE: "Hessen",
    FederalState.MV: "Mecklenburg-Vorpommern",
    FederalState.NI: "Niedersachsen",
    FederalState.NW: "Nordrhein-Westfalen",
    FederalState.RP: "Rheinland-Pfalz",
    FederalState.SL: "Saarland",
    FederalState.SN: "Sachsen",
    FederalState.ST: "Sachsen-Anhalt",
    FederalState.SH: "Schleswig-Holstein",
    FederalState.TH: "Thüringen",
}


class ActionLevel(StrEnum):
    """Who a recommendation addresses."""

    bund = "bund"
    laender = "laender"
    kommunen = "kommunen"
    wirtschaft = "wirtschaft"
    wissenschaft = "wissenschaft"


class WorkStatus(StrEnum):
    """A self-assessment, review or reply: saved as a draft, or submitted."""

    draft = "draft"
    submitted = "submitted"


class RecommendationStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    rejected = "rejected"
    published = "published"


class FindingScope(StrEnum):
    """What a finding consolidates: one item, or a roll-up over a group of items."""

    item = "item"
    objective = "objective"
    strategy_level = "strategy_level"
    field_of_action = "field_of_action"
    guideline = "guideline"
    party = "party"
    round = "round"


class AssignmentOrigin(StrEnum):
    solver = "solver"
    manual = "manual"


class TokenPurpose(StrEnum):
    """What a personal link lets its holder do."""

    self_assessment = "self_assessment"
    review = "review"
    reply = "reply"


class OutboxState(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
