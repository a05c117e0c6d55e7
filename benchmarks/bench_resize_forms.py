"""Benchmark: the Resize form vs the decomposed form of the bicubic op, in ONE run, on this machine.

    PYTHONPATH=. python benchmarks/bench_resize_forms.py [--runs 15] [--threads 2] [--profile]

Measures, interleaving the two forms so that load from other processes hits both alike:
  * ORT latency of the whole model at 1x3x256x256, factor 3 (median of --runs after warm-up),
    for each form, with identical session options (intra_op_num_threads=--threads);
  * the float32 matmul peak of this machine in the same run (torch, 4096^2, --threads threads),
    timed in the same interleaved rounds;
  * the whole model's achieved GFLOP/s (convolution FLOPs counted from the weights) as a % of peak.
Targets (issue 8): decomposed latency <= 0.70x Resize form; whole model >= 70% of the peak.
Timings are noisy when other processes share the CPU: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sr_model.export import export_onnx
from sr_model.model import DynamicSRCNN, random_model

SHAPE = (1, 3, 256, 256)
SCALE = 3.0
LATENCY_TARGET = 0.70
PEAK_TARGET = 0.70


def model_flops(model: DynamicSRCNN, out_h: int, out_w: int) -> float:
    """FLOPs (2 per multiply-add) of the model's convolutions on an `out_h` x `out_w` image."""
    macs = 0
    for conv in (model.conv1, model.conv2, model.conv3):
        c_out, c_in, k_h, k_w = conv.weight.shape
        macs += out_h * out_w * c_out * c_in * k_h * k_w
    return 2.0 * macs


class MatmulPeak:
    """The float32 matmul peak: a `size`^2 torch matmul on `threads` threads, timed on demand."""

    def __init__(self, threads: int, size: int = 4096) -> None:
        torch.set_num_threads(threads)
        self.size = size
        self.a = torch.rand(size, size)
        self.b = torch.rand(size, size)
        torch.mm(self.a, self.b)  # warm-up

    def time_once(self) -> float:
        start = time.perf_counter()
        torch.mm(self.a, self.b)
        return time.perf_counter() - start

    def gflops(self, seconds: float) -> float:
        return 2.0 * self.size**3 / seconds / 1e9


def make_session(path: Path, threads: int, profile_prefix: str | None = None):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return onnxruntime.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])


def profile_breakdown(path: Path, threads: int, feeds: dict, runs: int = 3) -> list[tuple[str, str, float]]:
    """Per-node mean kernel time (ms) from ORT's profiler, largest first."""
    with tempfile.TemporaryDirectory() as folder:
        session = make_session(path, threads, os.path.join(folder, "profile"))
        session.run(None, feeds)
        for _ in range(runs):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    totals: dict[tuple[str, str], float] = collections.defaultdict(float)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            totals[(event["args"].get("op_name", "?"), event["name"][: -len("_kernel_time")])] += event["dur"]
    # Mean over every profiled run (the first, untimed one included).
    rows = [(op, name, micros / 1000.0 / (runs + 1)) for (op, name), micros in totals.items()]
    return sorted(rows, key=lambda row: -row[2])


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per form (median reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per form first")
    parser.add_argument("--threads", type=int, default=2, help="ORT intra-op threads and torch threads")
    parser.add_argument("--exporter", choices=("torchscript", "dynamo"), default="torchscript")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--profile", action="store_true", help="also print ORT's per-node breakdown")
    args = parser.parse_args(argv)

    print(f"load average before: {load_average()} (1, 5, 15 min; {os.cpu_count()} CPUs)")
    model = random_model(seed=0)
    rng = np.random.default_rng(0)
    feeds = {
        "input": (rng.random(SHAPE, dtype=np.float32) * 255.0).astype(np.float32),
        "factor": np.array([1.0, 1.0, SCALE, SCALE], dtype=np.float32),
    }
    out_h, out_w = int(SHAPE[2] * SCALE), int(SHAPE[3] * SCALE)
    flops = model_flops(model, out_h, out_w)

    with tempfile.TemporaryDirectory() as folder:
        paths = {
            form: export_onnx(Path(folder) / f"{form}.onnx", model, exporter=args.exporter,
                              opset=args.opset, resize=form)
            for form in ("resize", "decomposed")
        }
        sessions = {form: make_session(path, args.threads) for form, path in paths.items()}
        outputs = {form: session.run(None, feeds)[0] for form, session in sessions.items()}
        for _ in range(args.warmup):
            for session in sessions.values():
                session.run(None, feeds)
        matmul = MatmulPeak(args.threads)
        times: dict[str, list[float]] = {form: [] for form in sessions}
        peak_times: list[float] = []
        # Interleaved rounds (Resize form, decomposed form, peak matmul), so that load from other
        # processes hits the three measurements alike.
        for _ in range(args.runs):
            for form, session in sessions.items():
                start = time.perf_counter()
                session.run(None, feeds)
                times[form].append(time.perf_counter() - start)
            peak_times.append(matmul.time_once())
        peak = matmul.gflops(statistics.median(peak_times))
        breakdown = {form: profile_breakdown(path, args.threads, feeds) for form, path in paths.items()} if args.profile else {}

    median = {form: statistics.median(values) for form, values in times.items()}
    ratio = median["decomposed"] / median["resize"]
    print(f"setup: {args.exporter} opset {args.opset}, input {'x'.join(map(str, SHAPE))}, factor {SCALE:g}, "
          f"ORT intra_op_num_threads={args.threads}, {args.runs} runs after {args.warmup} warm-up, medians")
    print(f"model: {flops / 1e9:.1f} GFLOP of convolutions at {out_h}x{out_w}; "
          f"max|decomposed - resize| = {np.abs(outputs['decomposed'] - outputs['resize']).max():.3g}")
    print(f"float32 matmul peak (torch 4096^2, {args.threads} threads): {peak:.1f} GFLOP/s "
          f"(min..max over rounds {matmul.gflops(max(peak_times)):.0f}..{matmul.gflops(min(peak_times)):.0f})")
    for form in ("resize", "decomposed"):
        achieved = flops / median[form] / 1e9
        spread = f"min {min(times[form]) * 1e3:.1f} / max {max(times[form]) * 1e3:.1f} ms"
        print(f"  {form:>10}: {median[form] * 1e3:7.1f} ms ({spread}); {achieved:6.1f} GFLOP/s "
              f"= {100 * achieved / peak:5.1f}% of peak")
    achieved_decomposed = flops / median["decomposed"] / 1e9 / peak
    print(f"decomposed / resize latency: {ratio:.3f} (target <= {LATENCY_TARGET:.2f}: "
          f"{'met' if ratio <= LATENCY_TARGET else 'MISSED'})")
    print(f"decomposed whole model: {100 * achieved_decomposed:.1f}% of peak (target >= {100 * PEAK_TARGET:.0f}%: "
          f"{'met' if achieved_decomposed >= PEAK_TARGET else 'MISSED'})")
    for form, rows in breakdown.items():
        total = sum(row[2] for row in rows)
        by_op: dict[str, float] = collections.defaultdict(float)
        for op, _name, millis in rows:
            by_op[op] += millis
        summary = ", ".join(f"{op} {millis:.1f} ms" for op, millis in sorted(by_op.items(), key=lambda kv: -kv[1])[:6])
        print(f"ORT profile, {form} form ({total:.1f} ms of kernels per run): {summary}; top nodes:")
        for op, name, millis in rows[:8]:
            print(f"  {millis:8.2f} ms  {100 * millis / total:5.1f}%  {op:<12} {name}")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
