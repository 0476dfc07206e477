"""The cyclic garbage collector is paused for a block, and overlapping pauses restore it once."""

import gc

import pytest

from review_model.cycle_collection import cycle_collection_paused


@pytest.fixture
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_pause_disables_the_collector_until_the_last_overlapping_pause_ends(collector_enabled):
    outer = cycle_collection_paused()
    outer.__enter__()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the outer pause still holds
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_that_raises_restores_the_collector(collector_enabled):
    with pytest.raises(ValueError), cycle_collection_paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled(collector_enabled):
    gc.disable()
    with cycle_collection_paused():
        pass
    assert not gc.isenabled()
    gc.enable()
