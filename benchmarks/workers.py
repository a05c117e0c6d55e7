"""Threads per worker: W concurrent processes doing parity-test work, with default vs sized threads.

Each worker process runs the same work a parity test does (the eager model, then ORT on the
exported file, at 128x128 x3) `iterations` times per repeat, all workers starting together at a
barrier. "default" leaves torch and ORT at one thread per core each (what a pytest-xdist worker
gets today); "sized" sets both to `sr_model.engine.threads.worker_threads(W)`. The figure is the
throughput (work items per second over all workers) relative to ONE worker with every core, in the
same run.

    PYTHONPATH=. python -m benchmarks.workers [--workers 2 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.measure import Spread, log

SIZE, FACTOR = 128, 3.0


def _worker(path: str, threads: int | None, iterations: int, repeats: int, barrier: Any, queue: Any) -> None:
    import numpy as np
    import torch

    from sr_model.model import make_factor, random_model
    from sr_model.runtime import create_session

    if threads is not None:
        torch.set_num_threads(threads)
    session = create_session(path, threads=threads)
    model = random_model(0)
    image = (np.random.default_rng(0).random((1, 3, SIZE, SIZE), dtype=np.float32) * 255).astype(np.float32)
    factor = make_factor(FACTOR)
    feeds = {"input": image, "factor": factor.numpy()}

    def work() -> None:
        with torch.inference_mode():
            model(torch.from_numpy(image), factor)
        session.run(None, feeds)

    work()  # warm-up
    for _ in range(repeats):
        barrier.wait()
        start = time.perf_counter()
        for _ in range(iterations):
            work()
        queue.put((start, time.perf_counter()))


def run_config(path: Path, workers: int, threads: int | None, iterations: int, repeats: int) -> list[float]:
    """Work items per second over all workers, once per repeat."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=_worker, args=(str(path), threads, iterations, repeats, barrier, queue))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    spans = [queue.get(timeout=600) for _ in range(workers * repeats)]
    for process in processes:
        process.join()
    # Repeats are separated by the barrier: group the spans by their start order.
    spans.sort()
    rounds = [spans[i:i + workers] for i in range(0, len(spans), workers)]
    return [workers * iterations / (max(end for _, end in group) - min(start for start, _ in group))
            for group in rounds]


def measure(worker_counts: Sequence[int], repeats: int, iterations: int) -> dict[str, Any]:
    """Throughput of each (workers, threads policy) relative to one worker on every core."""
    from sr_model.engine.threads import available_cores, worker_threads
    from sr_model.export import export_onnx
    from sr_model.model import random_model

    cores = available_cores()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sr-bench-workers-") as folder:
        path = export_onnx(Path(folder) / "m.onnx", random_model(0))
        log(f"workers: 1 worker, {cores} threads (baseline)")
        base = run_config(path, 1, None, iterations, repeats)
        for workers in worker_counts:
            for policy, threads in (("default", None), ("sized", worker_threads(workers, cores))):
                log(f"workers: {workers} workers, {policy} threads")
                throughput = run_config(path, workers, threads, iterations, repeats)
                rows.append({"workers": workers, "policy": policy,
                             "threads": threads if threads is not None else cores,
                             "vs_one_worker": Spread.of([t / statistics.median(base) for t in throughput]).to_dict()})
    return {"cores": cores, "size": SIZE, "factor": FACTOR, "iterations": iterations, "repeats": repeats,
            "baseline_items_per_s": Spread.of(base).to_dict(), "rows": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workers", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", nargs="+", type=int, default=[2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=6)
    args = parser.parse_args(argv)
    results = measure(args.workers, args.repeats, args.iterations)
    for row in results["rows"]:
        s = row["vs_one_worker"]
        print(f"{row['workers']} workers x {row['threads']} threads ({row['policy']}): "
              f"{s['median']:.2f} ({s['min']:.2f}..{s['max']:.2f}) x one worker's throughput")
    return 0


if __name__ == "__main__":
    sys.exit(main())
