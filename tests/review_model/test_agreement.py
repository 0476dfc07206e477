"""Krippendorff's alpha against the worked example in Krippendorff (2011), "Computing Krippendorff's
Alpha-Reliability": four observers, twelve units, values 1–5, some missing."""

import pytest

from review_model.agreement import krippendorff_alpha

_ = None
OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
UNITS = [list(unit) for unit in zip(*OBSERVERS, strict=True)]


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_the_published_worked_example(level, published):
    assert krippendorff_alpha(UNITS, level) == pytest.approx(published, abs=0.0005)


def test_perfect_agreement_chance_and_undefined_cases():
    assert krippendorff_alpha([[1, 1], [2, 2], [3, 3]]) == pytest.approx(1.0)
    assert krippendorff_alpha([[1, 2], [2, 1]], "nominal") < 0
    assert krippendorff_alpha([[1], [2, None]]) is None  # nothing pairable
    assert krippendorff_alpha([[2, 2], [2, 2]]) is None  # no variation: agreement is not measurable
