"""The self-assessment's follow-up section: for each recommendation of the previous round to the party's action
level, a status to choose and a reason (needed when it is not pursued), laid out as the form's other sections."""

from collections.abc import Mapping

from config.translations import gettext_for
from notifications.message_kinds import SummaryAnswer, SummarySection
from portal.form_view import FormValues, InputView, ItemView, SectionView, choice_markup, shown_text
from review_model.follow_up import REASON_MAX_LENGTH, FollowUpEntry, FollowUpQuestions, read_follow_ups
from review_model.vocabulary import FollowUpStatus

# Not a questionnaire section's id (those have no colon), so the section's anchors are its own.
SECTION_ID = "follow-up:recommendations"


def follow_up_section(
    questions: FollowUpQuestions, language: str, values: FormValues, errors: Mapping[str, str]
) -> SectionView:
    """The section, filled with `values` (what was posted, or what is stored), with `errors` beside their fields."""
    _ = gettext_for(language, "portal")
    previous = questions.previous_title_in(language)
    # The party is asked about its own action level's recommendations only.
    level = questions.recommendations[0].action_level.addressee(language)
    offered = {status.value for status in FollowUpStatus}
    options = tuple((status.value, status.label(language), None) for status in FollowUpStatus)
    items = []
    for number, recommendation in enumerate(questions.recommendations, start=1):
        chosen = tuple(value for value in values.get(recommendation.status_key, ()) if value in offered)[:1]
        typed = [shown_text(value) for value in values.get(recommendation.reason_key, ()) if value != ""]
        about = _("on recommendation {number}").format(number=number)
        status = InputView(
            key=recommendation.status_key,
            kind="scale",
            label=_("What became of recommendation {number}?").format(number=number),
            required=True,
            error=errors.get(recommendation.status_key),
            choices_html=choice_markup(recommendation.status_key, "radio", options, chosen, language),
            shown=FollowUpStatus(chosen[0]).label(language) if chosen else "—",
            target=f"f-{recommendation.status_key}-{options[0][0]}",
        )
        reason_label = _("Reason (required if not pursued)")
        reason = InputView(
            key=recommendation.reason_key,
            kind="comment",
            label=f"{reason_label} {about}",
            error=errors.get(recommendation.reason_key),
            value=typed[0] if typed else "",
            max_length=REASON_MAX_LENGTH,
            shown=typed[0] if typed else "—",
            about=about,
            target=f"f-{recommendation.reason_key}",
        )
        items.append(
            ItemView(
                id=f"follow-up:{recommendation.id}",
                type="follow_up",
                label=_("Recommendation {number}").format(number=number),
                help=recommendation.text(language),
                required=True,
                main=status,
                comment=reason,
            )
        )
    description = _("The round “{round}” made these recommendations to {level}. Please say for each what has "
                    "become of it in your organisation; for one not pursued, give the reason.")  # fmt: skip
    complete = read_follow_ups(questions.recommendations, values, language=language, final=True).ok
    return SectionView(
        id=SECTION_ID,
        title=_("Recommendations of the round “{round}”").format(round=previous),
        description=description.format(round=previous, level=level),
        items=items,
        complete=complete,
    )


def follow_up_receipt(
    questions: FollowUpQuestions, entries: Mapping[int, FollowUpEntry], language: str
) -> SummarySection:
    """The statements as the submission's receipt lists them, after the answers: each recommendation with its
    status and any reason."""
    _ = gettext_for(language, "portal")
    said = []
    for recommendation in questions.recommendations:
        entry = entries.get(recommendation.id, FollowUpEntry())
        shown = entry.status.label(language) if entry.status is not None else "—"
        said.append(SummaryAnswer(recommendation.text(language), f"{shown}: {entry.reason}" if entry.reason else shown))
    title = _("Recommendations of the round “{round}”").format(round=questions.previous_title_in(language))
    return SummarySection(title, tuple(said))
