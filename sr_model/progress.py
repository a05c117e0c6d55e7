"""Progress feedback on stderr for loops that may take more than a few seconds.

tqdm is used when it is installed; otherwise a plain fallback prints one line at most once a second.
Both stay silent for the first `delay` seconds, so short runs print nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")


def _describe(item: object) -> str:
    return str(getattr(item, "id", item))


def plain_progress(
    items: Iterable[T],
    total: int,
    desc: str,
    *,
    delay: float = 2.0,
    interval: float = 1.0,
    stream: TextIO | None = None,
) -> Iterator[T]:
    """Yield `items`, printing `desc: i/total <item> (elapsed)` lines once `delay` seconds have passed."""
    stream = stream if stream is not None else sys.stderr
    start = time.perf_counter()
    last = float("-inf")
    printed = False
    for index, item in enumerate(items, start=1):
        now = time.perf_counter()
        if now - start >= delay and now - last >= interval:
            print(f"{desc}: {index}/{total} {_describe(item)} ({now - start:.0f} s)", file=stream, flush=True)
            last, printed = now, True
        yield item
    if printed:
        print(f"{desc}: {total}/{total} done ({time.perf_counter() - start:.0f} s)", file=stream, flush=True)


def progress(items: Iterable[T], total: int, desc: str, *, enabled: bool = True, delay: float = 2.0) -> Iterator[T]:
    """Iterate `items` with progress feedback on stderr (tqdm if installed, else a plain fallback)."""
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield from plain_progress(items, total, desc, delay=delay)
        return
    with tqdm(items, total=total, desc=desc, delay=delay, file=sys.stderr, leave=False) as bar:
        for item in bar:
            bar.set_postfix_str(_describe(item), refresh=False)
            yield item
