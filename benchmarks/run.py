"""Regenerate docs/benchmarks.md: every speed figure a ratio to a baseline measured in the same run.

    PYTHONPATH=. python -m benchmarks.run                # writes docs/benchmarks.md (~3-4 min on 2 cores)
    PYTHONPATH=. python -m benchmarks.run --quick --out /tmp/b.md   # smoke run (~1 min)

Model speed is measured in interleaved rounds (matmul peak, then each ONNX form in ORT, then eager
torch), so that load from other processes hits both sides of a ratio alike; each ratio is computed
per round and reported as median (min..max) over the rounds. Absolute times are given only for
orientation: they depend on the processor and on the load, both named at the top of the page.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import startup, workers
from benchmarks.forms import FORMS
from benchmarks.measure import Spread, log, ratios, timed
from sr_model.atomic import write_text_atomic
from sr_model.paths import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "docs" / "benchmarks.md"
# SRCNN multiply-accumulates per OUTPUT pixel: conv1 9*9*3*64 + conv2 1*1*64*32 + conv3 5*5*32*3.
MACS_PER_OUTPUT_PIXEL = 9 * 9 * 3 * 64 + 64 * 32 + 5 * 5 * 32 * 3  # = 20000
BASELINE_EXPORT = ("torchscript", 17)


def _cpuinfo() -> tuple[str, set[str]]:
    cpu, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name") and cpu == "unknown":
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        cpu = platform.processor() or "unknown"
    return cpu, flags


def commit() -> str:
    """`git rev-parse --short HEAD`, marked `-dirty` when tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import onnx
    import onnxruntime
    import onnxscript

    from sr_model.engine.threads import available_cores

    cpu, flags = _cpuinfo()
    memory = "unknown"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    return {
        "cores": available_cores(), "cpu": cpu, "memory": memory,
        "simd": ", ".join(flag for flag in ("avx2", "fma", "avx512f", "avx512_vnni", "amx_tile") if flag in flags),
        "python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "onnxscript": onnxscript.__version__,
        "numpy": np.__version__,
    }


def bench_model(forms: Sequence[str], sizes: Sequence[int], factor: float, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of: matmul peak, ORT per form, eager torch; per size. Raw seconds per round."""
    from sr_model.model import make_factor, random_model
    from sr_model.ops import output_size
    from sr_model.runtime import create_session

    model = random_model(0)
    generator = torch.Generator().manual_seed(0)
    n = 4096
    a, b = torch.rand((n, n), generator=generator), torch.rand((n, n), generator=generator)
    results: dict[str, Any] = {"peak_n": n, "factor": factor, "rounds": rounds, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="sr-bench-model-") as folder:
        sessions = {name: create_session(FORMS[name].export(model, Path(folder) / f"{name}.onnx")) for name in forms}
        for size in sizes:
            image = (np.random.default_rng(size).random((1, 3, size, size), dtype=np.float32) * 255).astype(np.float32)
            factor_t = make_factor(factor)
            feeds = {"input": image, "factor": factor_t.numpy()}
            image_t = torch.from_numpy(image)

            def run_torch() -> None:
                with torch.inference_mode():
                    model(image_t, factor_t)

            calls = {"peak": lambda: torch.mm(a, b), "torch": run_torch,
                     **{f"ort {name}": (lambda s=session: s.run(None, feeds)) for name, session in sessions.items()}}
            for call in calls.values():
                call()  # warm-up
            samples: dict[str, list[float]] = {name: [] for name in calls}
            log(f"model: {size}^2 x{factor:g}, {rounds} interleaved rounds of {', '.join(calls)}")
            for _ in range(rounds):
                for name, call in calls.items():
                    samples[name].append(timed(call))
            out = output_size(size, factor)
            results["sizes"][size] = {"output": out, "gflop": 2 * MACS_PER_OUTPUT_PIXEL * out * out / 1e9,
                                      "seconds": samples}
    return results


def bench_export(pairs: Sequence[tuple[str, int]], rounds: int) -> dict[str, Any]:
    """Interleaved rounds of one export per (exporter, opset), and one cache hit; raw seconds."""
    from sr_model.engine.export_cache import cached_export
    from sr_model.export import export_onnx, supported_opsets
    from sr_model.model import random_model

    model = random_model(0)
    pairs = [pair for pair in pairs if pair[1] in supported_opsets(pair[0])]  # type: ignore[arg-type]
    samples: dict[str, list[float]] = {f"{e}-{o}": [] for e, o in pairs}
    samples["cache hit"] = []
    with tempfile.TemporaryDirectory(prefix="sr-bench-export-") as folder:
        cache, target = Path(folder) / "cache", Path(folder) / "hit.onnx"
        settings = {"exporter": BASELINE_EXPORT[0], "opset": BASELINE_EXPORT[1], "form": "resize"}
        for exporter, opset in pairs:  # the first export per exporter pays one-time set-up: see start-up
            export_onnx(Path(folder) / "warm.onnx", model, exporter=exporter, opset=opset)
        cached_export(cache, target, model, **settings)  # type: ignore[arg-type]
        log(f"export: {rounds} interleaved rounds of {', '.join(samples)}")
        for _ in range(rounds):
            for exporter, opset in pairs:
                path = Path(folder) / f"{exporter}-{opset}.onnx"
                samples[f"{exporter}-{opset}"].append(
                    timed(lambda: export_onnx(path, model, exporter=exporter, opset=opset)))
            samples["cache hit"].append(timed(lambda: cached_export(cache, target, model, **settings)))  # type: ignore[arg-type]
    return {"rounds": rounds, "seconds": samples}


def _run_pytest(label: str, args: Sequence[str]) -> dict[str, Any]:
    log(f"suite: {label} (pytest {' '.join(args)})")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    tail = [line for line in result.stdout.strip().splitlines() if re.search(r"\d+ (passed|failed)", line)]
    outcome = re.sub(r"=+", "", tail[-1]).strip() if tail else f"exit {result.returncode}"
    log(f"suite: {label}: {wall:.0f} s, {outcome}")
    return {"label": label, "args": list(args), "wall_s": wall, "returncode": result.returncode, "outcome": outcome}


def bench_suite() -> list[dict[str, Any]]:
    """Wall time of the parity tests and of the whole suite, each in a fresh pytest process."""
    return [_run_pytest("pytest -k parity", ["-k", "parity"]), _run_pytest("pytest", [])]


# --- rendering ------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def _spread(value: dict[str, float] | Spread, digits: int = 2, scale: float = 1.0) -> str:
    spread = value if isinstance(value, Spread) else Spread(value["median"], value["min"], value["max"], int(value["n"]))
    return spread.format(digits, scale)


def _model_section(model: dict[str, Any]) -> list[str]:
    n = model["peak_n"]
    lines = [f"## Model speed (batch 1, factor {model['factor']:g}, {model['rounds']} interleaved rounds)", "",
             f"Each round times a float32 {n}x{n} torch matmul (the peak), the model in ORT per ONNX form, and "
             "the eager model in torch, back to back; every ratio below is taken within a round and given "
             "as median (min..max) over the rounds. GFLOP = 2 x "
             f"{MACS_PER_OUTPUT_PIXEL} MAC per output pixel (convolutions only). Default threads "
             "(torch and ORT: one per core).", ""]
    rows = []
    for size, entry in model["sizes"].items():
        secs, gflop = entry["seconds"], entry["gflop"]
        peak = [2 * n**3 / t / 1e9 for t in secs["peak"]]
        achieved = {name: [gflop / t for t in secs[name]] for name in secs if name != "peak"}
        base = "ort resize" if "ort resize" in secs else next(name for name in secs if name.startswith("ort"))
        for name in (name for name in secs if name != "peak"):
            rows.append([f"{size}² → {entry['output']}²", name, _spread(ratios(achieved[name], peak), 1, 100) + " %",
                         _spread(ratios(secs[name], secs[base])),
                         _spread(Spread.of(secs[name]), 0, 1e3)])
        rows.append([f"{size}² → {entry['output']}²", "matmul peak", "100", "-",
                     f"{_spread(Spread.of(peak), 0)} GFLOP/s"])
    lines += _table(["input → output", "runtime, form", "% of same-round matmul peak", f"latency / {base}",
                     "latency ms (orientation only; peak row: GFLOP/s)"], rows)
    return lines + [""]


def _export_section(export: dict[str, Any]) -> list[str]:
    secs = export["seconds"]
    base_name = "-".join(map(str, BASELINE_EXPORT))
    lines = [f"## Export ({export['rounds']} interleaved rounds, after one warm-up export per exporter)", "",
             f"Ratio to the {base_name} export of the same round. `cache hit` is "
             "`sr_model.engine.export_cache.cached_export` finding a valid entry (key computed, bytes "
             "read, sha256 checked, copied to the target).", ""]
    rows = [[name, _spread(ratios(values, secs[base_name]), 3), _spread(Spread.of(values), 3)]
            for name, values in secs.items()]
    return lines + _table(["export", f"time / {base_name}", "seconds (orientation only)"], rows) + [""]


def _startup_section(start: dict[str, Any]) -> list[str]:
    steps = start["steps"]
    base = next(v for k, v in steps.items() if k.startswith("second torchscript"))
    lines = [f"## Per-worker start-up ({start['repeats']} fresh processes)", "",
             "What each pytest-xdist worker pays before its first test, step by step in the order a worker "
             "meets them (`python -m benchmarks.startup`; each import's figure excludes what earlier steps "
             "loaded). The ratio is to a warm TorchScript export in the same process.", ""]
    rows = [[name, _spread(Spread(v["median"], v["min"], v["max"], v["n"]), 2),
             f"{v['median'] / base['median']:.1f}"] for name, v in steps.items()]
    total = sum(v["median"] for v in steps.values())
    rows.append(["**sum of medians**", f"{total:.2f}", f"{total / base['median']:.1f}"])
    return lines + _table(["step", "seconds", "x warm torchscript export"], rows) + [""]


def _workers_section(result: dict[str, Any]) -> list[str]:
    lines = [f"## Threads per worker ({result['cores']} cores, {result['repeats']} repeats)", "",
             f"W concurrent processes, each running the eager model and ORT at {result['size']}² x"
             f"{result['factor']:g} {result['iterations']} times from a common start (`python -m benchmarks.workers`). "
             "`default`: torch and ORT at one thread per core (today's xdist worker); `sized`: both at "
             "`sr_model.engine.threads.worker_threads(W)`. Throughput relative to one worker on every core, "
             "same run.", ""]
    rows = [[str(row["workers"]), row["policy"], str(row["threads"]), _spread(row["vs_one_worker"])]
            for row in result["rows"]]
    lines += _table(["workers", "threads policy", "threads each", "throughput / one worker"], rows) + [""]
    if any(row["vs_one_worker"]["median"] > row["workers"] for row in result["rows"]):
        # Impossible on an idle machine: the configurations run one after another and met different load.
        lines += ["A ratio above the worker count cannot happen on an idle machine: these configurations run one "
                  "after another, and other processes' load changed in between (or took a smaller share of the "
                  "cores from more threads). Rerun on a quiet machine before reading this table as a speed-up.", ""]
    return lines


def to_markdown(results: dict[str, Any]) -> str:
    """The whole page."""
    m, load = results["machine"], results["loadavg"]
    lines = [
        "# Benchmarks", "",
        f"Generated by `{results['command']}` on {results['date']} at commit `{results['commit']}`, "
        f"in {results['total_s'] / 60:.1f} min. Do not edit by hand: rerun the command.", "",
        f"**Processor**: {m['cpu']} ({m['simd']}), {m['cores']} cores usable, {m['memory']} RAM. "
        f"**Load average** (1/5/15 min) at start {load['start']}, at end {load['end']}: other processes "
        "share the machine when it exceeds the core count, so read the ratios, not the absolute times.", "",
        f"**Software**: python {m['python']}, torch {m['torch']} ({m['torch_threads']} threads), onnx {m['onnx']}, "
        f"onnxruntime {m['onnxruntime']}, onnxscript {m['onnxscript']}, numpy {m['numpy']}.", "",
    ]
    if results.get("model"):
        lines += _model_section(results["model"])
    if results.get("export"):
        lines += _export_section(results["export"])
    if results.get("startup"):
        lines += _startup_section(results["startup"])
    if results.get("workers"):
        lines += _workers_section(results["workers"])
    if results.get("suite"):
        full = next((r for r in results["suite"] if r["args"] == []), None)
        lines += ["## Test suite wall time (one fresh pytest process each, serial)", ""]
        rows = [[f"`{r['label']}`", f"{r['wall_s']:.0f}", r["outcome"],
                 f"{r['wall_s'] / full['wall_s']:.2f}" if full else "-"] for r in results["suite"]]
        lines += _table(["command", "wall s", "result", "/ full suite"], rows) + [""]
    return "\n".join(lines)


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the page to write (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--forms", nargs="+", choices=sorted(FORMS), default=["resize", "decomposed"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[64, 256])
    parser.add_argument("--factor", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds for the model speed")
    parser.add_argument("--exports", nargs="*", default=["torchscript:17", "torchscript:11", "dynamo:18", "dynamo:20"],
                        metavar="EXPORTER:OPSET")
    parser.add_argument("--export-rounds", type=int, default=5)
    parser.add_argument("--startup-repeats", type=int, default=3, help="fresh processes for the start-up figures")
    parser.add_argument("--workers", nargs="*", type=int, default=None,
                        help="worker counts to compare thread policies at (default: 2, and the core count if larger)")
    parser.add_argument("--suite", action="store_true", help="also time `pytest -k parity` and `pytest` (minutes)")
    parser.add_argument("--quick", action="store_true", help="smoke run: one size, 3 rounds, 1 start-up process")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.rounds, args.export_rounds, args.startup_repeats = [64], 3, 2, 1
        args.exports = ["torchscript:17", "dynamo:18"]
        args.workers = args.workers if args.workers is not None else [2]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from sr_model.engine.threads import available_cores

    start = time.perf_counter()
    shown = [arg for arg in (argv if argv is not None else sys.argv[1:])]
    results: dict[str, Any] = {
        "schema": "sr_model.benchmarks/2",
        "command": " ".join(["PYTHONPATH=. python -m benchmarks.run", *shown]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "loadavg": {"start": _load()},
        "machine": machine(),
    }
    results["model"] = bench_model(args.forms, args.sizes, args.factor, args.rounds)
    pairs = [(spec.split(":")[0], int(spec.split(":")[1])) for spec in args.exports]
    if BASELINE_EXPORT not in pairs:
        pairs.insert(0, BASELINE_EXPORT)
    results["export"] = bench_export(pairs, args.export_rounds)
    results["startup"] = startup.measure(args.startup_repeats)
    cores = available_cores()
    counts = args.workers if args.workers is not None else sorted({2, cores} - {1})
    results["workers"] = workers.measure(counts, repeats=3, iterations=6) if counts else {}
    results["suite"] = bench_suite() if args.suite else []
    results["loadavg"]["end"] = _load()
    results["total_s"] = time.perf_counter() - start
    page = to_markdown(results) + "\n"
    write_text_atomic(args.out, page)
    log(f"wrote {args.out}")
    if args.json:
        write_text_atomic(args.json, json.dumps(results, indent=2, default=str) + "\n")
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
