"""Reviewer calibration on a hand-made round with a known lenient and a known harsh reviewer.

Six parties, twelve maturity items each, the true level of item i being 1 + i % 3. Reviewer 1 rates every
item one level above it, reviewer 2 one level below, reviewers 3, 4 and 5 exactly at it. Each party has
three reviewers; the figures below are worked out by hand from the differences to the co-reviewers' mean.
"""

from datetime import UTC, datetime
from fractions import Fraction

import numpy as np
import pytest

from review_model.calibration import (
    NO_REVIEWER,
    Normalisation,
    calibrate,
    scale_ranges,
    summarise,
)
from review_model.consolidation import RoundFigures
from review_model.findings import CALIBRATION, finding_rows, read_calibration
from review_model.questionnaire import load_questionnaire
from review_model.round_file import RoundFile
from review_model.vocabulary import FindingScope

QUESTIONNAIRE = load_questionnaire("smart-city-self-assessment")
KEYS = [cell.key for cell in QUESTIONNAIRE.rating_cells() if cell.scale == "maturity"][:12]
TRUTH = {key: 1 + i % 3 for i, key in enumerate(KEYS)}
LENIENT, HARSH = 1, 2
BIAS = {LENIENT: 1, HARSH: -1, 3: 0, 4: 0, 5: 0}
PANELS = [(1, 3, 4), (2, 4, 5), (1, 2, 3), (1, 5, 3), (2, 3, 4), (3, 4, 5)]
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def hand_made_round() -> tuple[RoundFigures, np.ndarray]:
    own = [dict(TRUTH) for _ in PANELS]
    peers = [[{key: level + BIAS[r] for key, level in TRUTH.items()} for r in panel] for panel in PANELS]
    return RoundFigures(QUESTIONNAIRE, own, peers), np.array(PANELS)


def calibrated():
    figures, reviewers = hand_made_round()
    return figures, calibrate(figures, reviewers, scale_ranges(QUESTIONNAIRE))


def test_leniency_has_the_sign_and_size_worked_out_by_hand():
    _, calibration = calibrated()
    by_reviewer = {entry.reviewer: entry for entry in calibration.reviewers}
    assert set(by_reviewer) == {1, 2, 3, 4, 5} and {e.scale for e in calibration.reviewers} == {"maturity"}
    # Reviewer 1: +1 beside two fair co-reviewers (parties 0 and 3), +1.5 beside a fair and the harsh one.
    assert by_reviewer[LENIENT].leniency == pytest.approx(7 / 6)
    assert by_reviewer[HARSH].leniency == pytest.approx(-7 / 6)
    assert by_reviewer[3].leniency == pytest.approx(-0.1)  # -0.5, 0, -0.5, +0.5, 0
    assert by_reviewer[4].leniency == pytest.approx(0.125)  # -0.5, +0.5, +0.5, 0
    assert by_reviewer[5].leniency == pytest.approx(0.0)
    assert by_reviewer[LENIENT].compared == 36 and by_reviewer[3].compared == 60
    # Within one level of the co-reviewers' mean: all but the party where the lenient one sat with the harsh one.
    assert by_reviewer[LENIENT].agreement == pytest.approx(2 / 3) and by_reviewer[3].agreement == 1.0


def test_the_lenient_and_the_harsh_reviewer_are_flagged_and_no_one_else():
    _, calibration = calibrated()
    flagged = {entry.reviewer: entry for entry in calibration.reviewers if entry.flagged}
    assert set(flagged) == {LENIENT, HARSH}
    assert flagged[LENIENT].lenient and not flagged[LENIENT].harsh
    assert flagged[HARSH].harsh and not flagged[HARSH].lenient
    [summary] = summarise(calibration)
    assert (summary.reviewers, summary.lenient, summary.harsh, summary.flagged) == (5, 1, 1, 2)
    assert summary.quartiles is not None and summary.quartiles[0] == pytest.approx(-7 / 6)


def test_too_few_compared_ratings_flag_no_one():
    few = RoundFigures(QUESTIONNAIRE, [{KEYS[0]: 2}], [[{KEYS[0]: 4}, {KEYS[0]: 1}]])
    calibration = calibrate(few, np.array([[1, 2]]), scale_ranges(QUESTIONNAIRE))
    assert [e.leniency for e in calibration.reviewers] == [3.0, -3.0]
    assert not any(e.flagged for e in calibration.reviewers)
    # and a single review leaves its ratings uncorrected (nothing to estimate a leniency from)
    assert calibration.corrected_peer_mean[0, 0] == pytest.approx(2.5)


def test_corrected_means_come_closer_to_the_consensus_leave_one_out():
    figures, calibration = calibrated()
    columns = [figures.cells.index(next(c for c in figures.cells if c.key == key)) for key in KEYS]
    truth = np.array([TRUTH[key] for key in KEYS], dtype=float)
    raw, corrected = figures.peer_mean[:, columns], calibration.corrected_peer_mean[:, columns]
    # Party 0 (lenient, 3, 4): each corrected by its leniency on the other parties: 1.25, 0 and 1/3.
    assert corrected[0] == pytest.approx(truth - float(Fraction(7, 36)))
    assert raw[0] == pytest.approx(truth + 1 / 3)  # the raw figures are untouched
    for party in (0, 1, 3, 4):  # a lenient or a harsh reviewer, not both
        assert np.all(np.abs(corrected[party] - truth) < np.abs(raw[party] - truth))
    assert np.abs(corrected - truth).sum() < np.abs(raw - truth).sum()  # 9 against 16 levels in all


def test_corrected_ratings_stay_on_the_scale():
    _, reviewers = hand_made_round()
    peers = [[{key: 0 for key in KEYS} if r == HARSH else {key: TRUTH[key] + BIAS[r] for key in KEYS}
              for r in panel] for panel in PANELS]  # fmt: skip
    figures = RoundFigures(QUESTIONNAIRE, [{}] * len(PANELS), peers)
    calibration = calibrate(figures, reviewers, scale_ranges(QUESTIONNAIRE))
    assert np.nanmax(calibration.corrected_peer_mean) <= 4 and np.nanmin(calibration.corrected_peer_mean) >= 0


def test_empty_review_slots_belong_to_no_one():
    figures = RoundFigures(QUESTIONNAIRE, [{}, {}], [[{KEYS[0]: 3}, {KEYS[0]: 1}], [{KEYS[0]: 2}]])
    reviewers = np.array([[7, 8], [7, NO_REVIEWER]])
    calibration = calibrate(figures, reviewers, scale_ranges(QUESTIONNAIRE))
    assert {e.reviewer: e.compared for e in calibration.reviewers} == {7: 1, 8: 1}


def test_findings_carry_corrected_means_beside_the_raw_ones():
    figures, calibration = calibrated()
    plain = finding_rows(9, list(range(1, 7)), figures, NOW)
    normalised = finding_rows(9, list(range(1, 7)), figures, NOW, calibration)
    assert all(row["corrected_peer_mean"] is None for row in plain)
    assert not any(row["key"] == CALIBRATION for row in plain)
    extra = [row for row in normalised if row["key"] == CALIBRATION]
    assert len(extra) == 1 and extra[0]["scope"] is FindingScope.round
    [summary] = read_calibration(extra[0]["details"])
    assert (summary.scale, summary.lenient, summary.harsh) == ("maturity", 1, 1)
    # Every other row is the same as without calibration, the corrected mean beside the raw one.
    kept = [row for row in normalised if row["key"] != CALIBRATION]
    assert [{**row, "corrected_peer_mean": None} for row in kept] == plain
    overall = {row["submission_id"]: row for row in kept if row["scope"] is FindingScope.party}
    assert overall[1]["peer_mean"] == pytest.approx(2 + 1 / 3)
    assert overall[1]["corrected_peer_mean"] == pytest.approx(2 - 7 / 36)


def test_the_round_file_option():
    base = {"slug": "r", "title": {"de": "R"}, "questionnaire": "smart-city-self-assessment",
            "coordinator": {"name": "K", "email": "k@example.org"},
            "deadlines": {"submission": "P7D", "review": "P14D", "comment": "P21D"}}  # fmt: skip
    assert RoundFile.model_validate(base).normalise is None
    assert RoundFile.model_validate({**base, "normalise": "leniency"}).normalise is Normalisation.leniency
    with pytest.raises(ValueError, match="leniency"):
        RoundFile.model_validate({**base, "normalise": "zscore"})
