"""A round's retention period: read from the round file, counted in calendar time in the round's zone from
publication, and said to the coordinator in their language."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from review_model.retention import erasure_due_at, erasure_is_due, retention_problem, retention_statement
from review_model.vocabulary import Stage

PUBLISHED = datetime(2027, 1, 15, 17, 0, tzinfo=UTC)  # 18:00 in Berlin, in winter time


@dataclass(frozen=True)
class Kept:
    stage: Stage = Stage.published
    stage_entered_at: datetime = PUBLISHED
    publication_at: datetime | None = None
    comment_deadline: datetime = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)
    retention: str | None = "P6M"
    time_zone: str = "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("P2Y", None),
        ("p18m", None),
        ("P90D", None),
        ("two years", "'two years' is not an ISO 8601 duration (e.g. P2Y, P18M, P90D)"),
        ("P0D", "'P0D' must be a positive duration"),
        ("P31Y", "'P31Y' is longer than 30 years"),
    ],
)
def test_a_retention_period_is_a_positive_iso_duration_of_at_most_thirty_years(text, problem):
    assert retention_problem(text) == problem


def test_months_and_years_are_calendar_time_on_the_rounds_wall_clock():
    # Six months after 15 January 18:00 CET is 15 July 18:00 CEST: 16:00 UTC, not 17:00.
    assert erasure_due_at(Kept()) == datetime(2027, 7, 15, 16, 0, tzinfo=UTC)
    assert not erasure_is_due(Kept(), datetime(2027, 7, 15, 15, 59, tzinfo=UTC))
    assert erasure_is_due(Kept(), datetime(2027, 7, 15, 16, 0, tzinfo=UTC))
    assert not erasure_is_due(replace(Kept(), stage=Stage.comment), datetime(2030, 1, 1, tzinfo=UTC))
    assert erasure_due_at(replace(Kept(), retention=None)) is None


def test_before_publication_the_date_counts_from_the_planned_publication_or_the_comment_deadline():
    running = replace(Kept(), stage=Stage.review, retention="P1Y")
    assert erasure_due_at(running) == datetime(2028, 1, 10, 17, 0, tzinfo=UTC)
    planned = replace(running, publication_at=datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    assert erasure_due_at(planned) == datetime(2028, 2, 1, 9, 0, tzinfo=UTC)


def test_the_coordinator_is_told_when_in_their_language():
    running = replace(Kept(), stage=Stage.draft, retention="P2Y")
    assert retention_statement(running, "en") == (
        "erased on 2029-01-10 18:00 CET, P2Y after the planned publication (counted from the day it is "
        "published); the report and the figures stay"
    )
    assert retention_statement(Kept(), "de") == (
        "gelöscht am 2027-07-15 18:00 CEST, P6M nach der Veröffentlichung; der Bericht und die Kennzahlen bleiben"
    )
    assert retention_statement(replace(Kept(), retention=None), "en").startswith("kept until each person is erased")
