"""worker_threads: workers x threads never exceed the cores, and every worker gets at least one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sr_model.engine.threads import available_cores, cgroup_cpu_limit, worker_threads
from sr_model.errors import UsageError


@pytest.mark.parametrize(
    ("workers", "cores", "expected"),
    [(0, 2, 2), (1, 2, 2), (2, 2, 1), (3, 2, 1), (4, 16, 4), (12, 16, 1), (5, 16, 3), (16, 16, 1), (1, 1, 1)],
)
def test_threads_per_worker(workers: int, cores: int, expected: int) -> None:
    assert worker_threads(workers, cores) == expected


@pytest.mark.parametrize("cores", range(1, 33))
def test_workers_times_threads_fit_the_cores_unless_workers_alone_exceed_them(cores: int) -> None:
    for workers in range(1, 40):
        threads = worker_threads(workers, cores)
        assert threads >= 1
        assert workers * threads <= max(cores, workers)
        # No core left idle that one more thread per worker could have used.
        assert workers * (threads + 1) > cores


def test_cores_default_to_what_this_process_may_use() -> None:
    assert worker_threads(1) == available_cores() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize(("workers", "cores"), [(-1, 2), (2, 0), (1.5, 2), (True, 2), (2, -4)])
def test_nonsense_counts_are_refused(workers, cores) -> None:
    with pytest.raises(UsageError, match="expected an integer >= "):
        worker_threads(workers, cores)


@pytest.mark.parametrize(
    ("text", "expected"), [("max 100000\n", None), ("200000 100000\n", 2), ("150000 100000", 2), ("50000 100000", 1)]
)
def test_a_cgroup_quota_caps_the_cores(tmp_path: Path, text: str, expected: int | None) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(text)
    assert cgroup_cpu_limit(cpu_max) == expected
    if expected is not None:
        assert available_cores(cpu_max) == min(expected, len(os.sched_getaffinity(0)))


def test_no_cgroup_file_means_no_limit(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path / "absent") is None
