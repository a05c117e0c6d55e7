"""Where parity assertions report their statistics, for whoever listens (the report plugin).

`assert_parity` calls `observe()` with every comparison it makes, passing or failing, before it
raises; with no listener that is a no-op. This keeps the tests free of reporting code: a report
covers every parity assertion, whichever test makes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from sr_model.testing.compare import Comparison
from sr_model.testing.tolerance import Tolerance


@dataclass(frozen=True)
class ParityObservation:
    """One comparison made by `assert_parity`, with the arrays it compared."""

    comparison: Comparison
    tolerance: Tolerance
    context: str
    actual: np.ndarray
    expected: np.ndarray


Listener = Callable[[ParityObservation], None]
_listeners: list[Listener] = []


def observe(comparison: Comparison, tolerance: Tolerance, context: str, actual: np.ndarray, expected: np.ndarray) -> None:
    """Hand one comparison to every active listener."""
    if _listeners:
        observation = ParityObservation(comparison, tolerance, context, actual, expected)
        for listener in list(_listeners):
            listener(observation)


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call `listener` with every parity comparison made inside the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
