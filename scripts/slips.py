"""Which hand-made exporter slips does the fast gate (`pytest -m gate`) kill? (issue 14)

    python scripts/slips.py                  # the intact gate, every slip, the intact gate again
    python scripts/slips.py --only 1 10b     # some slips (ids as in SLIPS), no intact runs
    python scripts/slips.py --list           # the slips and their edits, nothing run
    python scripts/slips.py --only 1 2 -- -k "not golden"   # extra pytest args: the second line

Each slip is one minimal textual edit of sr_model/ (the exact text must occur once, so a slip that
no longer applies says so instead of measuring the intact tree). The gate runs once per slip with
`-x --no-export-cache` (nothing reused from an earlier run), then `git checkout -- sr_model`
restores the tree. Prints one markdown row per run: killed or not, the first failing test and its
one-line message, the wall time and the load average before the run (the machine is shared, so the
wall times are only comparable at similar load). Full logs go to --logs.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
GATE = ["-m", "pytest", "-q", "-x", "-m", "gate", "-p", "no:randomly", "--no-export-cache"]


class Edit(NamedTuple):
    path: str
    old: str
    new: str


class Slip(NamedTuple):
    id: str
    what: str
    edits: tuple[Edit, ...]


_EMPTY_ROI_TS = 'value_t=torch.tensor([], dtype=torch.float32)'
_ROI_TS = 'value_t=torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])'

SLIPS: tuple[Slip, ...] = (
    Slip("1", "ops.py: coordinate_transformation_mode half_pixel", (Edit(
        "sr_model/ops.py",
        '"coordinate_transformation_mode": "pytorch_half_pixel",',
        '"coordinate_transformation_mode": "half_pixel",'),)),
    Slip("2", "ops.py: nearest_mode round_prefer_floor", (Edit(
        "sr_model/ops.py", '"nearest_mode": "floor",', '"nearest_mode": "round_prefer_floor",'),)),
    Slip("3a", "ops.py: torchscript_symbolic non-empty roi", (Edit(
        "sr_model/ops.py", _EMPTY_ROI_TS, _ROI_TS),)),
    Slip("3b", "ops.py: dynamo_resize non-empty roi", (Edit(
        "sr_model/ops.py",
        "None,  # empty roi",
        "op.Constant(value_floats=[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]),"),)),
    Slip("4a", "contract.py: output dim OH fixed at the example's 72", (Edit(
        "sr_model/contract.py",
        'default_factory=lambda: {"output": ("N", 3, "OH", "OW")}',
        'default_factory=lambda: {"output": ("N", 3, 72, "OW")}'),)),
    Slip("4b", "contract.py: dynamic_axes() lists the inputs only", (Edit(
        "sr_model/contract.py",
        '"""`dynamic_axes` for the TorchScript exporter, inputs and outputs."""\n'
        "        dims = {**self.input_dims, **self.output_dims}",
        '"""`dynamic_axes` for the TorchScript exporter, inputs and outputs."""\n'
        "        dims = {**self.input_dims}"),)),
    Slip("5", "export.py: _export_dynamo without input_names/output_names", (Edit(
        "sr_model/export.py",
        "        opset_version=opset,\n"
        "        input_names=list(contract.input_names),\n"
        "        output_names=list(contract.output_names),\n"
        "        dynamic_shapes=dynamic_shapes,",
        "        opset_version=opset,\n"
        "        dynamic_shapes=dynamic_shapes,"),)),
    Slip("6", "export.py: _TORCHSCRIPT_MIN_OPSET = 10", (Edit(
        "sr_model/export.py", "_TORCHSCRIPT_MIN_OPSET = 11", "_TORCHSCRIPT_MIN_OPSET = 10"),)),
    Slip("7", "export.py: written-opset check removed", (Edit(
        "sr_model/export.py",
        '    if written.get("ai.onnx") != opset:\n'
        "        raise ExportError(\n"
        '            f"the {exporter} exporter wrote opset_import={written} but opset {opset} was requested; "\n'
        '            f"nothing was written to {os.fspath(path)!r}"\n'
        "        )\n",
        ""),)),
    Slip("8", "export.py: check_model(full_check=True) removed", (Edit(
        "sr_model/export.py",
        "    try:\n"
        "        onnx.checker.check_model(proto, full_check=True)\n"
        "    except onnx.checker.ValidationError as error:\n"
        "        first_line = str(error).strip().splitlines()[0]\n"
        "        raise ExportError(\n"
        '            f"the {exporter} exporter wrote an invalid model at opset {opset}: {first_line}"\n'
        "        ) from error\n",
        ""),)),
    Slip("9", "export.py: _apply_output_dims call removed", (Edit(
        "sr_model/export.py", "    _apply_output_dims(proto, contract)\n", ""),)),
    # Not in issue 14's list: only the static-channel half of _apply_output_dims (a residual model's
    # lost channel count), which the gate's own models never need.
    Slip("9b", "export.py: _apply_output_dims no longer restores static channels", (Edit(
        "sr_model/export.py",
        "            elif isinstance(name, int) and not dim.HasField(\"dim_value\"):\n"
        "                dim.dim_value = name  # clears dim_param: the two are a oneof\n",
        ""),)),
    Slip("10a", "export.py: dynamo max opset 28 -> 27", (Edit(
        "sr_model/export.py",
        "    return int(onnx.defs.onnx_opset_version())\n",
        "    return int(onnx.defs.onnx_opset_version()) - 1\n"),)),
    Slip("10b", "export.py: torchscript default opset 17 -> 18", (Edit(
        "sr_model/export.py", '{"torchscript": 17, "dynamo": 20}', '{"torchscript": 18, "dynamo": 20}'),)),
    Slip("10c", "ops.py: torchscript_form does not restore the previous form", (Edit(
        "sr_model/ops.py",
        "    previous, _TORCHSCRIPT_FORM = _TORCHSCRIPT_FORM, form\n"
        "    try:\n"
        "        yield\n"
        "    finally:\n"
        "        _TORCHSCRIPT_FORM = previous\n",
        "    _TORCHSCRIPT_FORM = form\n"
        "    yield\n"),)),
)


def _apply(slip: Slip) -> None:
    for edit in slip.edits:
        path = ROOT / edit.path
        text = path.read_text()
        count = text.count(edit.old)
        if count != 1:
            raise SystemExit(f"slip {slip.id}: the text to replace occurs {count} times in {edit.path}, "
                             f"expected once; update SLIPS to the current source")
        path.write_text(text.replace(edit.old, edit.new))


def _revert() -> None:
    subprocess.run(["git", "checkout", "--", "sr_model"], cwd=ROOT, check=True)


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _first_failure(log: str) -> tuple[str, str]:
    """The first FAILED/ERROR line of pytest's short summary: (test id, message)."""
    for line in log.splitlines():
        match = re.match(r"(FAILED|ERROR) (\S+)(?: - (.*))?$", line)
        if match:
            return match.group(2), (match.group(3) or "").strip()
    return "", ""


def _summary(log: str) -> str:
    lines = [line for line in log.splitlines() if re.search(r"\b(passed|failed|error)\b.* in [\d.]+s", line)]
    return lines[-1].strip("= ") if lines else ""


def run_gate(label: str, logs: Path, extra: list[str]) -> dict[str, str]:
    """Run the gate (plus `extra` pytest args) once on the tree as it is; what it found."""
    load = _load()
    env = {**os.environ, "COLUMNS": "1000"}  # keep pytest's summary lines whole
    start = time.monotonic()
    result = subprocess.run([sys.executable, *GATE, *extra], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    log = result.stdout + result.stderr
    (logs / f"{label}.log").write_text(log)
    test, message = _first_failure(log)
    return {"label": label, "rc": str(result.returncode), "killed": "yes" if result.returncode else "no",
            "test": test, "message": message, "wall": f"{wall:.0f}", "load": load,
            "summary": _summary(log)}


def _row(slip_id: str, what: str, found: dict[str, str]) -> str:
    message = found["message"].replace("|", "\\|")
    return (f"| {slip_id} | {what} | {found['killed']} (rc {found['rc']}) | `{found['test']}` | {message} "
            f"| {found['wall']} s | {found['load']} | {found['summary']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="slip ids to run (default: all, with intact runs)")
    parser.add_argument("--list", action="store_true", help="print the slips and exit")
    parser.add_argument("--logs", type=Path, default=Path("/tmp/slips-logs"))
    parser.add_argument("pytest_args", nargs="*", help="after --: appended to the gate's pytest command")
    args = parser.parse_args()
    if args.list:
        for slip in SLIPS:
            print(f"{slip.id}: {slip.what}")
        return 0
    if subprocess.run(["git", "diff", "--quiet", "--", "sr_model"], cwd=ROOT).returncode:
        print("sr_model/ has uncommitted changes; the slips are measured against a clean tree", file=sys.stderr)
        return 2
    known = {slip.id for slip in SLIPS}
    unknown = set(args.only or ()) - known
    if unknown:
        print(f"--only {sorted(unknown)}: unknown slip ids; expected some of {sorted(known)}", file=sys.stderr)
        return 2
    chosen = [slip for slip in SLIPS if not args.only or slip.id in args.only]
    args.logs.mkdir(parents=True, exist_ok=True)
    print("| slip | edit | killed | first failing test | message | wall | load | pytest summary |")
    print("|---|---|---|---|---|---|---|---|")
    if not args.only:
        print(_row("-", "intact tree (start)", run_gate("intact-start", args.logs, args.pytest_args)), flush=True)
    for slip in chosen:
        try:
            _apply(slip)
            found = run_gate(f"slip-{slip.id}", args.logs, args.pytest_args)
        finally:
            _revert()
        print(_row(slip.id, slip.what, found), flush=True)
    if not args.only:
        print(_row("-", "intact tree (end)", run_gate("intact-end", args.logs, args.pytest_args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
