"""How many intra-op threads each test worker should use, so that workers x threads fit the cores.

torch and ONNX Runtime each default to one thread per core they see. Under `pytest -n N` every
worker sees all cores, so N workers run N x cores threads on `cores` CPUs and spend the difference
switching between them (measured: see docs/benchmarks.md, "Threads per worker").
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from sr_model.errors import UsageError

_CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def cgroup_cpu_limit(cpu_max: Path = _CGROUP_CPU_MAX) -> int | None:
    """The CPUs a cgroup v2 quota allows (`<quota> <period>`, rounded up), or None when unlimited or absent."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return max(1, math.ceil(int(quota) / int(period)))


def available_cores(cpu_max: Path = _CGROUP_CPU_MAX) -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup CPU quota (containers)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit(cpu_max)
    return min(cores, limit) if limit else cores


def worker_threads(workers: int, cores: int | None = None) -> int:
    """Intra-op threads per worker: `cores // workers`, at least 1; `workers=0` (no xdist) gets every core."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise UsageError(
            f"workers={workers!r} is not a worker count; expected an integer >= 0 (0 = no xdist workers), "
            f"e.g. the value of `pytest -n`"
        )
    if cores is None:
        cores = available_cores()
    if isinstance(cores, bool) or not isinstance(cores, int) or cores < 1:
        raise UsageError(f"cores={cores!r} is not a core count; expected an integer >= 1, or None to detect it")
    return max(1, cores // max(1, workers))
