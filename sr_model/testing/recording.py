"""Where the assert helpers report each case result, for whoever listens (the report plugin).

`assert_conforms` and `assert_parity` call `observe()` with every result they check, passing or
failing, before they raise; with no listener that is a no-op. This keeps the tests free of
reporting code: a report covers every parity assertion, whichever test makes it, attributed to the
target the result names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from sr_model.engine.results import CaseResult


@dataclass(frozen=True)
class Observation:
    """One checked case, with the arrays it compared (None where a side did not run)."""

    result: CaseResult
    expected: np.ndarray | None
    actual: np.ndarray | None


Listener = Callable[[Observation], None]
_listeners: list[Listener] = []


def observe(result: CaseResult, expected: np.ndarray | None, actual: np.ndarray | None) -> None:
    """Hand one result to every active listener."""
    if _listeners:
        observation = Observation(result, expected, actual)
        for listener in list(_listeners):
            listener(observation)


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call `listener` with every observation made inside the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)
