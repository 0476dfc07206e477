"""The people of a round as the coordinator looks them up: every field of the filter, the states read from the
store, the page and its total, and the filter said in words."""

from datetime import timedelta

from sqlmodel import Session, col, select

from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.people_filter import (
    PeopleFilter,
    PersonState,
    Role,
    count_people,
    describe_filter,
    people_in_round,
)
from review_model.questionnaire import Questionnaire
from review_model.rounds import get_round
from review_model.submissions import record_first_view, save_draft
from review_model.tables import Enrolment, Participant, Round
from review_model.vocabulary import FederalState, OrganisationKind, Stage
from tests.support.staged_rounds import factory_context, round_in_stage
from tests.support.stored_answers import stored_answers
from workflows.coordinator_actions import withdraw_participant

S = PersonState
EXTRA = """email,name,organisation,organisation_kind,state,language,roles
eva@bmdv.example,Eva Schulz,Bundesministerium für Digitales,Bund,,de,decision-maker
fritz@uni-talbach.example,Fritz 100%_Weber,Universität Talbach,Wissenschaft,BW,en,reviewer
"""


def locals_of(page) -> list[str]:
    return [row.email.split("@")[0] for row in page.rows]


def matched(engine, round_id, **fields) -> set[str]:
    with Session(engine) as session:
        page = people_in_round(session, round_id, PeopleFilter(**fields), limit=None)
        assert count_people(session, round_id, PeopleFilter(**fields)) == page.total == len(page.rows)
    return set(locals_of(page))


def enrolment(session: Session, local: str) -> Enrolment:
    return session.exec(select(Enrolment).join(Participant).where(col(Participant.email).startswith(local + "@"))).one()


def submission_round(engine):
    """Six parties in the submission stage: anna submitted, cara saved a draft, ben opened his link, dora's
    address bounced, person5 opted out, person6 was withdrawn; eva (a decision-maker of the Bund) and fritz (a
    reviewer from research in BW) were added after the invitations, so nobody invited them."""
    staged = round_in_stage(engine, Stage.submission, parties=6, submitted=["anna"])
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        import_participants(session, round_, parse_participants(EXTRA.encode()), "extra.csv")
        answers = stored_answers(Questionnaire.model_validate(round_.questionnaire_snapshot), 1)
        save_draft(session, round_, enrolment(session, "cara"), answers, now)
        record_first_view(enrolment(session, "ben"), now)
        enrolment(session, "dora").bounced_at = now
        enrolment(session, "person5").opted_out_at = now
        session.commit()
    with Session(engine) as session:
        person6 = enrolment(session, "person6").participant_id
    withdraw_participant(factory_context(engine), staged.round_id, person6, "test", "left the round")
    return staged


def test_each_state_of_the_submission_stage_is_read_from_the_store(engine):
    staged = submission_round(engine)
    rid = staged.round_id
    everyone = {"anna", "ben", "cara", "dora", "person5", "person6", "eva", "fritz"}
    assert matched(engine, rid) == everyone
    assert matched(engine, rid, states={S.not_invited}) == set()  # eva and fritz are no respondents
    assert matched(engine, rid, states={S.invited}) == everyone - {"eva", "fritz"}
    assert matched(engine, rid, states={S.submitted}) == {"anna"}
    assert matched(engine, rid, states={S.draft_saved}) == {"cara"}
    assert matched(engine, rid, states={S.opened}) == {"ben"}
    assert matched(engine, rid, states={S.not_submitted}) == {"ben", "cara", "dora", "person5", "person6"}
    assert matched(engine, rid, states={S.bounced}) == {"dora"}
    assert matched(engine, rid, states={S.opted_out}) == {"person5"}
    assert matched(engine, rid, states={S.withdrawn}) == {"person6"}
    assert matched(engine, rid, states={S.open_reviews}) == matched(engine, rid, states={S.late_reviews}) == set()
    assert matched(engine, rid, states={S.replied}) == matched(engine, rid, states={S.not_replied}) == set()
    # within a field, any of the values
    assert matched(engine, rid, states={S.draft_saved, S.bounced}) == {"cara", "dora"}


def test_a_respondent_enrolled_after_the_invitations_is_not_yet_invited(engine):
    staged = round_in_stage(engine, Stage.submission, parties=4)
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        late = "email,name,organisation,organisation_kind,state,language\n"
        late += "greta@ostdorf.example,Greta,Ostdorf,Kommune,BB,de\n"
        import_participants(session, round_, parse_participants(late.encode()), "late.csv")
        session.commit()
    assert matched(engine, staged.round_id, states={S.not_invited}) == {"greta"}
    assert matched(engine, staged.round_id, states={S.not_submitted}) == {"anna", "ben", "cara", "dora", "greta"}


def test_roles_kinds_lands_and_the_search_each_narrow_the_list_and_combine_with_and(engine):
    staged = submission_round(engine)
    rid = staged.round_id
    assert matched(engine, rid, roles={Role.decision_maker}) == {"eva"}
    assert matched(engine, rid, roles={Role.respondent}) == {"anna", "ben", "cara", "dora", "person5", "person6"}
    assert "fritz" in matched(engine, rid, roles={Role.reviewer}) and "eva" not in matched(
        engine, rid, roles={Role.reviewer}
    )
    assert matched(engine, rid, kinds={OrganisationKind.region}) == {"dora"}
    assert matched(engine, rid, kinds={OrganisationKind.bund, OrganisationKind.wissenschaft}) == {"eva", "fritz"}
    assert matched(engine, rid, lands={FederalState.BW}) == {"dora", "fritz"}
    assert matched(engine, rid, lands={FederalState.NW}) == {"person5", "person6"}
    assert matched(engine, rid, lands={FederalState.BW}, roles={Role.respondent}) == {"dora"}
    assert matched(engine, rid, lands={FederalState.BW}, states={S.bounced}, kinds={OrganisationKind.kommune}) == set()
    # the search: name, address or organisation, in any case; % and _ are letters, not wildcards
    assert matched(engine, rid, search="KELLER") == {"anna"}
    assert matched(engine, rid, search="nordhaven.exa") == {"ben"}
    assert matched(engine, rid, search="landkreis") == {"dora"}
    assert matched(engine, rid, search="100%_w") == {"fritz"}
    assert matched(engine, rid, search="0%") == {"fritz"} and matched(engine, rid, search="n_a") == set()
    assert matched(engine, rid, search="  ") == matched(engine, rid)  # a blank search restricts nothing


def test_reviews_open_before_the_deadline_are_late_after_it_and_replies_count_from_the_comment_stage(engine):
    staged = round_in_stage(engine, Stage.review, parties=4, reviewers_per_party=2, reviewed=["anna"])
    rid = staged.round_id
    reviewing = {who for who, person in staged.people.items() if person.reviews} - {"anna"}
    assert len(reviewing) >= 2
    assert matched(engine, rid, states={S.open_reviews}) == reviewing
    assert matched(engine, rid, states={S.late_reviews}) == set()
    with Session(engine) as session:
        after = session.get(Round, rid).review_deadline + timedelta(minutes=1)
        late = people_in_round(session, rid, PeopleFilter(states={S.late_reviews}), now=after, limit=None)
        assert set(locals_of(late)) == reviewing
        assert count_people(session, rid, PeopleFilter(states={S.open_reviews}), now=after) == 0
    assert matched(engine, rid, states={S.not_replied}) == set()  # nobody is asked for a reply yet

    commented = round_in_stage(engine, Stage.comment, parties=4, slug="comment-round", replies={"anna": "Danke."})
    assert matched(engine, commented.round_id, states={S.replied}) == {"anna"}
    assert matched(engine, commented.round_id, states={S.not_replied}) == {"ben", "cara", "dora"}
    assert matched(engine, commented.round_id, states={S.open_reviews, S.late_reviews}) == set()


def test_a_page_holds_its_rows_in_order_the_total_of_every_page_and_what_each_person_had(engine):
    staged = submission_round(engine)
    rid = staged.round_id
    with Session(engine) as session:
        ben = enrolment(session, "ben")
        ben.reminders_sent = 2
        session.commit()
    with Session(engine) as session:
        first = people_in_round(session, rid, PeopleFilter(), offset=0, limit=3)
        second = people_in_round(session, rid, PeopleFilter(), offset=3, limit=3)
        last = people_in_round(session, rid, PeopleFilter(), offset=6, limit=3)
        beyond = people_in_round(session, rid, PeopleFilter(), offset=30, limit=3)
    assert first.total == second.total == last.total == beyond.total == 8
    assert len(first.rows) == len(second.rows) == 3 and len(last.rows) == 2 and beyond.rows == []
    every = [row.organisation for row in first.rows + second.rows + last.rows]
    assert every == sorted(every)  # by organisation
    assert len({row.enrolment_id for row in first.rows + second.rows + last.rows}) == 8

    with Session(engine) as session:
        rows = {row.email.split("@")[0]: row for row in people_in_round(session, rid, PeopleFilter(), limit=None).rows}
    anna, ben, eva = rows["anna"], rows["ben"], rows["eva"]
    assert anna.states == (S.invited, S.submitted) and anna.roles == (Role.respondent, Role.reviewer)
    assert anna.kind is OrganisationKind.kommune and anna.land is FederalState.BY and anna.name == "Anna Keller"
    assert ben.states == (S.invited, S.opened, S.not_submitted) and ben.reminders == 2
    assert eva.roles == (Role.decision_maker,) and eva.land is None and eva.states == ()
    assert rows["person6"].states == (S.invited, S.not_submitted, S.withdrawn)
    assert anna.last_message is None


def test_the_last_message_is_the_latest_queued_for_the_person_in_the_round(engine):
    from notifications.addressing import recipient_for, round_context
    from notifications.compose import compose_message
    from notifications.message_kinds import StageClosed

    staged = round_in_stage(engine, Stage.submission, parties=2)
    now = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        anna = session.exec(select(Participant).where(col(Participant.email).startswith("anna@"))).one()
        recipient, about = recipient_for(anna, anna.organisation), round_context(round_)
        sender = factory_context(engine).sender
        first = compose_message(StageClosed("submission", now, True), recipient, about, sender, stage="x", now=now)
        later = compose_message(StageClosed("submission", now, False), recipient, about, sender, stage="y", now=now)
        enqueue_messages(session, [first], now - timedelta(hours=1))
        enqueue_messages(session, [later], now)
        session.commit()
        page = people_in_round(session, staged.round_id, PeopleFilter(search="anna"))
    assert page.rows[0].last_message is not None
    assert page.rows[0].last_message.kind == "stage_closed" and page.rows[0].last_message.at == now
    assert page.rows[0].last_message.state.value == "queued"


def test_the_filter_in_words_in_english_and_german():
    wanted = PeopleFilter(roles={Role.respondent}, kinds={OrganisationKind.kommune}, lands={FederalState.BY},
                          states={S.not_submitted})  # fmt: skip
    assert describe_filter(wanted, "en") == "respondents from municipalities in Bayern who have not submitted"
    assert describe_filter(wanted, "de") == "Befragte aus Kommunen in Bayern, die nicht eingereicht haben"
    assert describe_filter(PeopleFilter(), "en") == "everyone"
    assert describe_filter(PeopleFilter(), "de") == "alle"
    assert describe_filter(PeopleFilter(states={S.bounced}), "en") == "people whose email bounced"
    assert describe_filter(PeopleFilter(lands={FederalState.HH}), "de") == "Personen in Hamburg"
    several = PeopleFilter(roles={Role.reviewer, Role.respondent}, lands={FederalState.SN, FederalState.BW},
                           states={S.bounced, S.draft_saved}, search="Stadt")  # fmt: skip
    assert describe_filter(several, "en") == (
        "respondents or reviewers in Baden-Württemberg or Sachsen matching “Stadt” in name, email or organisation "
        "who have saved a draft or whose email bounced"
    )
    assert describe_filter(several, "de") == (
        "Befragte oder Gutachtende in Baden-Württemberg oder Sachsen mit „Stadt“ in Name, E-Mail-Adresse oder "
        "Organisation, die einen Entwurf gespeichert haben oder deren E-Mail nicht zugestellt werden konnte"
    )
