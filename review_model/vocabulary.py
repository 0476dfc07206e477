"""The words of the domain: stages, kinds of organisation, federal states, action levels, states of things."""

from enum import StrEnum

from config.translations import N_, translate


class Stage(StrEnum):
    """Where a round stands. Each stage is entered once, in this order (consensus and archived are optional)."""

    draft = "draft"
    invitation = "invitation"
    submission = "submission"
    assignment = "assignment"
    review = "review"
    consensus = "consensus"
    consolidation = "consolidation"
    drafting = "drafting"
    comment = "comment"
    published = "published"
    archived = "archived"

    def label(self, language: str) -> str:
        """The stage's name in a sentence: "the {stage} stage", "die Phase „{stage}“"."""
        return translate(language, "review_model", _STAGE_NAMES[self])


_STAGE_NAMES = {
    Stage.draft: N_("preparation"),
    Stage.invitation: N_("invitation"),
    Stage.submission: N_("self-assessment"),
    Stage.assignment: N_("reviewer assignment"),
    Stage.review: N_("peer review"),
    Stage.consensus: N_("consensus"),
    Stage.consolidation: N_("consolidation"),
    Stage.drafting: N_("drafting of recommendations"),
    Stage.comment: N_("right of reply"),
    Stage.published: N_("publication"),
    Stage.archived: N_("archive"),
}

# The stages in which the round driver has work to do: everything between launch and publication.
ACTIVE_STAGES = (Stage.invitation, Stage.submission, Stage.assignment, Stage.review, Stage.consensus,
                 Stage.consolidation, Stage.drafting, Stage.comment)  # fmt: skip


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

    def label(self, language: str) -> str:
        """The kind as people say it, e.g. "Kommune" or "Municipality"."""
        return translate(language, "review_model", _ORGANISATION_KIND_LABELS[self])


_ORGANISATION_KIND_LABELS = {
    OrganisationKind.bund: N_("Federal government"),
    OrganisationKind.land: N_("Federal state"),
    OrganisationKind.kommune: N_("Municipality"),
    OrganisationKind.region: N_("Region/district"),
    OrganisationKind.unternehmen: N_("Company"),
    OrganisationKind.wissenschaft: N_("Research"),
    OrganisationKind.zivilgesellschaft: N_("Civil society"),
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

    def label(self, language: str) -> str:
        """The level as a heading: "Kommunen", "Municipalities"."""
        return translate(language, "review_model", _ACTION_LEVEL_LABELS[self][0])

    def addressee(self, language: str) -> str:
        """The level as the one a recommendation is to: "die Kommunen", "municipalities"."""
        return translate(language, "review_model", _ACTION_LEVEL_LABELS[self][1])


_ACTION_LEVEL_LABELS = {
    ActionLevel.bund: (N_("Federal government"), N_("the federal government")),
    ActionLevel.laender: (N_("Federal states"), N_("the federal states")),
    ActionLevel.kommunen: (N_("Municipalities"), N_("municipalities")),
    ActionLevel.wirtschaft: (N_("Business"), N_("business")),
    ActionLevel.wissenschaft: (N_("Research"), N_("research")),
}


def action_levels_in_a_sentence(levels: list[str], language: str) -> str:
    """Action levels as a list in a sentence: "den Bund, die Länder und die Kommunen"."""
    names = [ActionLevel(level).addressee(language) for level in levels]
    if len(names) < 2:
        return "".join(names)
    # Translators: joins the last two items of a list, as in "Bund, Länder and Kommunen".
    last = translate(language, "review_model", "{items} and {last}", items=", ".join(names[:-1]), last=names[-1])
    return last


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
    # The reviewed party's page of the reviewers' questions, where it answers them (during the review).
    questions = "questions"
    # The page behind every reminder's link: stop this round's reminders, or start them again; nothing else.
    reminders = "reminders"


class OutboxState(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class StaffRole(StrEnum):
    """What a member of staff may do in the console (see review_model.staff_access)."""

    admin = "admin"  # manages staff; sees and runs every round
    coordinator = "coordinator"  # runs the rounds they are named for
    observer = "observer"  # reads the rounds they are named for; changes nothing

    def label(self, language: str) -> str:
        """The role as the console names it."""
        return translate(language, "review_model", _STAFF_ROLE_LABELS[self])


_STAFF_ROLE_LABELS = {
    StaffRole.admin: N_("Administrator"),
    StaffRole.coordinator: N_("Coordinator"),
    StaffRole.observer: N_("Observer"),
}


class FollowUpStatus(StrEnum):
    """What became of an earlier round's recommendation, as an organisation it addressed reports it."""

    not_started = "not_started"
    in_progress = "in_progress"
    implemented = "implemented"
    not_pursued = "not_pursued"  # always with the organisation's reason

    def label(self, language: str) -> str:
        """The status as the form and the report name it: "in Umsetzung", "in progress"."""
        return translate(language, "review_model", _FOLLOW_UP_STATUS_LABELS[self])


_FOLLOW_UP_STATUS_LABELS = {
    FollowUpStatus.not_started: N_("not started"),
    FollowUpStatus.in_progress: N_("in progress"),
    FollowUpStatus.implemented: N_("implemented"),
    FollowUpStatus.not_pursued: N_("not pursued"),
}

# The action level whose recommendations an organisation of each kind answers for in the follow-up of a round.
# A region or Landkreis is a municipal body (kommunale Gebietskörperschaft), so it shares the municipalities'
# recommendations; civil society is addressed by no level and is asked about none.
ACTION_LEVEL_OF_KIND: dict[OrganisationKind, ActionLevel | None] = {
    OrganisationKind.bund: ActionLevel.bund,
    OrganisationKind.land: ActionLevel.laender,
    OrganisationKind.kommune: ActionLevel.kommunen,
    OrganisationKind.region: ActionLevel.kommunen,
    OrganisationKind.unternehmen: ActionLevel.wirtschaft,
    OrganisationKind.wissenschaft: ActionLevel.wissenschaft,
    OrganisationKind.zivilgesellschaft: None,
}
