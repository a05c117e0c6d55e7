"""The benchmark page: ratios are taken per round, and the page names what it ran on."""

from __future__ import annotations

from benchmarks.measure import Spread, ratios
from benchmarks.run import to_markdown


def test_ratios_are_per_round_not_of_medians() -> None:
    # Round 2 is slow on both sides (load): per-round ratios stay 0.5; a ratio of medians would not.
    spread = ratios([1.0, 4.0, 1.5], [2.0, 8.0, 3.0])
    assert (spread.median, spread.min, spread.max, spread.n) == (0.5, 0.5, 0.5, 3)
    assert Spread.of([3.0, 1.0, 2.0]).format(1) == "2.0 (1.0..3.0)"


def test_the_page_names_processor_load_commit_and_spreads() -> None:
    seconds = {"peak": [0.5, 1.0], "torch": [0.2, 0.4], "ort resize": [0.1, 0.2], "ort decomposed": [0.05, 0.2]}
    results = {
        "command": "python -m benchmarks.run", "date": "2026-01-02 03:04 UTC", "commit": "abc1234", "total_s": 60.0,
        "loadavg": {"start": "1.0 / 2.0 / 3.0", "end": "1.5 / 2.0 / 3.0"},
        "machine": {"cpu": "Test CPU 9000", "simd": "avx2", "cores": 2, "memory": "1 GiB", "python": "3.11",
                    "torch": "t", "torch_threads": 2, "onnx": "o", "onnxruntime": "r", "onnxscript": "s", "numpy": "n"},
        "model": {"peak_n": 4096, "factor": 3.0, "rounds": 2,
                  "sizes": {64: {"output": 192, "gflop": 1.0, "seconds": seconds}}},
    }
    page = to_markdown(results)
    assert "Test CPU 9000" in page and "abc1234" in page and "2026-01-02 03:04 UTC" in page
    assert "1.0 / 2.0 / 3.0" in page
    # decomposed / resize per round: 0.5 and 1.0 -> median 0.75, range 0.50..1.00.
    assert "| 64² → 192² | ort decomposed |" in page and "0.75 (0.50..1.00)" in page
