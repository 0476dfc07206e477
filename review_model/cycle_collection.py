"""Pausing Python's cyclic garbage collector while a large round is consolidated, drafted or reported.

Those steps build hundreds of thousands of small objects (rows, figures, dicts) that hold no reference
cycles, and every few hundred allocations the collector walks them all again: for a 10,000-party round it
took 3 of the 9.5 seconds of consolidation, drafting and report (benchmarks/consolidation.py, with and
without), while the peak memory stayed the same. Reference counting still frees everything as usual; the
collector runs again when the last pause ends. Pauses may overlap (threads of the portal): the collector
comes back when the last one ends.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Run the block without the cyclic garbage collector (see the module's docstring)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
