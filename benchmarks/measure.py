"""Timing and ORT profiling helpers for the benchmarks (medians; warm-up excluded)."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_START = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr, with the time since the run started."""
    print(f"[bench {time.perf_counter() - _START:6.0f} s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Timing:
    """Median and min of `reps` timed calls after one untimed warm-up call."""

    median: float
    min: float
    reps: int
    warmup: float

    def to_dict(self) -> dict[str, float]:
        return {"median_s": self.median, "min_s": self.min, "reps": self.reps, "warmup_s": self.warmup}


def time_call(fn: Callable[[], Any], *, min_reps: int = 3, max_reps: int = 25, budget: float = 2.0) -> Timing:
    """Time `fn`: a warm-up, then at least `min_reps` calls, more while within `budget` seconds.

    A call slower than `budget` gets exactly `min_reps` timed repetitions: the large cases cost
    seconds each, and their median of a few is already stable to a few percent here.
    """
    start = time.perf_counter()
    fn()
    warmup = time.perf_counter() - start
    times: list[float] = []
    begin = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - begin < budget and len(times) < max_reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Timing(statistics.median(times), min(times), len(times), warmup)


@dataclass(frozen=True)
class Spread:
    """Median and range of N repeated measurements (of a time or of a ratio)."""

    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        return cls(statistics.median(values), min(values), max(values), len(values))

    def format(self, digits: int = 2, scale: float = 1.0) -> str:
        """`median (min..max)`, each multiplied by `scale`."""
        m, lo, hi = (value * scale for value in (self.median, self.min, self.max))
        return f"{m:.{digits}f} ({lo:.{digits}f}..{hi:.{digits}f})"

    def to_dict(self) -> dict[str, float]:
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n}


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """The spread of per-round ratios: each round's two sides were measured seconds apart."""
    return Spread.of([a / b for a, b in zip(numerators, denominators, strict=True)])


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of `fn` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def upstream_nodes(model_path: Path) -> set[str]:
    """Names of the nodes that compute the first Conv's input: the resample part of the graph."""
    import onnx

    graph = onnx.load(model_path).graph
    producer = {output: node for node in graph.node for output in node.output}
    first_conv = next(node for node in graph.node if node.op_type == "Conv")
    names: set[str] = set()
    stack = [first_conv.input[0]]
    while stack:
        node = producer.get(stack.pop())
        if node is not None and node.name not in names:
            names.add(node.name)
            stack.extend(node.input)
    return names


def ort_profile(model_path: Path, feeds: dict[str, np.ndarray], runs: int = 2) -> dict[str, float]:
    """Seconds per run in the resample nodes vs the rest, from ORT's own profiler (after a warm-up)."""
    import onnxruntime

    resample = upstream_nodes(model_path)
    with tempfile.TemporaryDirectory(prefix="sr-bench-prof-") as folder:
        options = onnxruntime.SessionOptions()
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "ort")
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        for _ in range(runs + 1):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    totals = {"resample": 0.0, "rest": 0.0}
    kernel_runs = [e for e in events if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time")]
    # Drop the warm-up run: events are in time order and every run executes the same kernels.
    per_run = len(kernel_runs) // (runs + 1)
    for event in kernel_runs[per_run:]:
        node = event["name"][: -len("_kernel_time")]
        part = "resample" if node in resample or event.get("args", {}).get("op_name") == "Resize" else "rest"
        totals[part] += event["dur"] * 1e-6 / runs
    return totals
