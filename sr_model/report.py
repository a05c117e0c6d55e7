"""Render a VerifyReport: the terminal table, report.md, report.json and the worst case's PNGs."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from sr_model.atomic import write_bytes_atomic, write_text_atomic
from sr_model.engine.compare import format_histogram
from sr_model.engine.results import CaseResult, TargetResult, VerifyReport

IMAGE_FILES = {"torch": "worst_torch.png", "ort": "worst_ort.png", "difference": "worst_difference.png"}


def _shape(shape: tuple[int, ...] | None) -> str:
    return "-" if shape is None else "x".join(map(str, shape))


def _num(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2e}"


def _row(case: CaseResult) -> list[str]:
    comparison = case.comparison
    ok = comparison is not None and comparison.shape_ok
    return [
        case.id,
        _shape(comparison.shape_expected if comparison else None),
        _shape(comparison.shape_actual if comparison else None),
        _num(comparison.max_abs) if ok else "-",
        _num(comparison.mean_abs) if ok else "-",
        _num(comparison.p99_abs) if ok else "-",
        _num(case.tolerance.atol),
        _num(comparison.min_atol) if ok else "-",
        case.status.upper() if case.status != "pass" else "pass",
    ]


_HEADER = ["case", "torch shape", "ORT shape", "max|err|", "mean|err|", "p99|err|", "atol", "min atol", "result"]


def case_table(cases: list[CaseResult]) -> str:
    """A fixed-width table, one row per case."""
    rows = [_HEADER] + [_row(case) for case in cases]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _worst_details(case: CaseResult) -> list[str]:
    """Polygraphy-style details of one case."""
    comparison = case.comparison
    lines = [f"worst case: {case.target} {case.id} ({case.status})"]
    if comparison is None:
        return lines + [f"  {case.error}"]
    if case.deviation is not None:
        from sr_model.engine.deviations import DEVIATIONS

        row = next((d for d in DEVIATIONS if d.id == case.deviation), None)
        return lines + [f"  {case.deviation_problem or 'declared deviation ' + case.deviation + ', exactly as declared'}"] + (
            [f"  {row.who}: {row.reason} (measured: {row.measured})"] if row else [])
    if not comparison.shape_ok:
        return lines + [
            f"  output shape: ORT {_shape(comparison.shape_actual)}, torch {_shape(comparison.shape_expected)}"
            " (a scale or size frozen at export gives a fixed output shape)"
        ]
    return lines + [
        f"  max|ort-torch|={comparison.max_abs:.3g} at {comparison.argmax}, mean={comparison.mean_abs:.3g}, "
        f"p99={comparison.p99_abs:.3g}",
        f"  tolerance: {case.tolerance} ({case.tolerance.reason})",
        f"  min atol that would pass (rtol={case.tolerance.rtol:g}): {comparison.min_atol:.3g}",
        f"  error histogram: {format_histogram(comparison) or 'all exact'}",
    ] + ([f"  {case.localisation}"] if case.localisation else []) + ([f"  repro: {case.repro}"] if case.repro else [])


def summary_lines(report: VerifyReport) -> list[str]:
    """The verdict, the counts, the findings and the worst case, as lines of text."""
    summary = report.summary()
    verdict = "PASS" if report.passed else "FAIL"
    lines = [
        f"{verdict}: {summary['cases_passed']}/{summary['cases']} cases conform"
        f" ({summary['cases_failed']} outside tolerance, {summary['cases_shape_mismatch']} shape mismatch,"
        f" {summary['cases_error']} runtime error"
        + (f", {summary['cases_deviation']} declared deviation" if summary["cases_deviation"] else "")
        + f"); graph problems: {summary['graph_problems']}",
        f"reference: {report.reference['note']}",
    ]
    for target in report.targets:
        prefix = f"[{target.name}] " if len(report.targets) > 1 else ""
        if target.mismatch:
            lines.append(f"{prefix}weights: {target.mismatch}")
        if target.skipped:
            lines.append(f"{prefix}not run on this stack: {target.skipped}")
        lines += [f"{prefix}graph: {problem}" for problem in target.graph_problems]
        if target.load_error:
            lines.append(f"{prefix}load: {target.load_error}")
        lines += [f"{prefix}finding: {note}" for note in target.notes]
    worst = report.worst
    if worst is not None:
        lines += _worst_details(worst)
    return lines


_MAX_FAILING_LINES = 5


def format_text(report: VerifyReport) -> str:
    """What `sr-model verify` prints: per-case table, failing cases' messages, then the summary."""
    parts = []
    for target in report.targets:
        model = target.model
        parts.append(
            f"{target.name}: opset {model.get('opset')}, {model.get('form') or 'no'} form ({model.get('form_source', 'detected')}), "
            f"{model.get('producer') or 'unknown producer'}, runtime {target.runtime}"
        )
        if target.cases:
            parts.append(case_table(target.cases))
        # Shape mismatches are fully shown by the table; value failures get their statistics.
        failing = [case for case in target.failed_cases if case.status != "shape-mismatch"]
        if failing:
            failing.sort(key=CaseResult.badness, reverse=True)
            parts.append(f"failing cases ({len(failing)}, worst first):")
            parts += [f"  {case.message}" for case in failing[:_MAX_FAILING_LINES]]
            if len(failing) > _MAX_FAILING_LINES:
                parts.append(f"  ... and {len(failing) - _MAX_FAILING_LINES} more (all of them in --report)")
        parts.append("")
    parts += summary_lines(report)
    return "\n".join(parts)


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    escape = lambda cell: cell.replace("|", "\\|")  # noqa: E731
    return [
        "| " + " | ".join(map(escape, header)) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(map(escape, row)) + " |" for row in rows),
    ]


def to_markdown(report: VerifyReport, image_files: dict[str, str] | None = None) -> str:
    """report.md: paste-able into a review."""
    summary = report.summary()
    lines = [f"# sr_model verification: {'PASS' if report.passed else 'FAIL'}", ""]
    lines += [f"- {line}" for line in summary_lines(report) if not line.startswith("  ")]
    env = report.environment
    lines += [
        f"- environment: torch {env.get('torch')}, onnx {env.get('onnx')}, onnxruntime {env.get('onnxruntime')}, "
        f"python {env.get('python')}, {env.get('cpus')} CPUs",
        "",
    ]
    if len(report.targets) > 1:
        lines += ["## Conformance matrix", ""]
        lines += _markdown_table(MATRIX_HEADER, matrix_rows(report.targets)) + [""]
    for target in report.targets:
        model = target.model
        lines += [f"## {target.name}: {'PASS' if target.passed else 'FAIL'}", ""]
        if model.get("path"):
            lines.append(f"`{model['path']}` (opset {model.get('opset')}, sha256 `{str(model.get('sha256'))[:16]}…`)")
            lines.append("")
        if target.graph_problems:
            lines += ["Graph problems:", ""] + [f"- {problem}" for problem in target.graph_problems] + [""]
        if target.load_error:
            lines += [f"Load error: {target.load_error}", ""]
        if target.mismatch:
            lines += [f"Weights: {target.mismatch}", ""]
        if target.skipped:
            lines += [f"Not run on this stack: {target.skipped}", ""]
        if target.notes:
            lines += ["Findings:", ""] + [f"- {note}" for note in target.notes] + [""]
        if target.cases:
            lines += _markdown_table(_HEADER, [_row(case) for case in target.cases]) + [""]
        if target.failed_cases:
            lines += ["Failing cases:", ""]
            for case in target.failed_cases:
                first, *more = case.message.splitlines()
                lines += [f"- `{first}`"] + [f"  - {line.strip()}" for line in more]
            lines.append("")
    worst = report.worst
    if worst is not None:
        lines += ["## Worst case", "", "```", *_worst_details(worst), "```", ""]
    if image_files:
        notes = report.image_notes
        lines += [
            f"Images of `{notes.get('target')} {notes.get('case')}` (first image of the batch; "
            f"{notes.get('display')}; difference = max over channels of |ORT - torch| x{notes.get('gain', 0):.3g}"
            f"{', ' + notes['region'] if notes.get('region') else ''}):",
            "",
            "| torch | ORT | amplified difference |",
            "|---|---|---|",
            "| " + " | ".join(f"![{key}]({image_files[key]})" for key in ("torch", "ort", "difference")) + " |",
            "",
        ]
    lines += [f"Summary: {summary['cases_passed']}/{summary['cases']} cases conform over {summary['targets']} file(s).", ""]
    return "\n".join(lines)


MATRIX_HEADER = ["target", "runtime", "cases", "pass", "fail", "deviation", "skip", "max|err|", "min atol/atol",
                 "worst case"]


def matrix_rows(targets: list[TargetResult]) -> list[list[str]]:
    """One row per target: counts (pytest outcomes when known, else case verdicts) and the worst error."""
    rows = []
    for target in targets:
        # Declared deviations are listed in their own column and never count as the worst case.
        deviations = sum(case.status == "deviation" for case in target.cases)
        ordinary = [case for case in target.cases if case.status != "deviation"]
        worst = max(ordinary, key=CaseResult.badness, default=None)
        if target.outcomes:
            counts = target.outcomes
            passed, skipped = counts.get("passed", 0), counts.get("skipped", 0)
            failed = counts.get("failed", 0) + counts.get("error", 0)
            total = sum(counts.values())
        else:
            failed = len(target.failed_cases)
            total, skipped = len(target.cases), int(target.skipped is not None)
            passed = total - failed - deviations
        # The numbers come from the cases that were compared; the named worst case may be a
        # shape mismatch or an error, which has no numbers.
        compared = [case for case in ordinary if not math.isnan(case.excess)]
        max_abs = max((case.comparison.max_abs for case in compared if case.comparison), default=None)
        excess = max((case.excess for case in compared), default=None)
        rows.append([
            target.name, target.runtime, str(total), str(passed), str(failed), str(deviations), str(skipped),
            _num(max_abs), "-" if excess is None else f"{excess:.3g}",
            "-" if worst is None else f"{worst.id} ({worst.status})",
        ])
    return rows


def matrix_text(targets: list[TargetResult]) -> str:
    """The conformance matrix as a fixed-width table."""
    rows = [MATRIX_HEADER] + matrix_rows(targets)
    widths = [max(len(row[i]) for row in rows) for i in range(len(MATRIX_HEADER))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _display(array: np.ndarray, low: float, high: float) -> np.ndarray:
    scale = 255.0 / (high - low) if high > low else 1.0
    return ((array - low) * scale).astype(np.float32)


def worst_case_images(case: CaseResult, torch_out: np.ndarray, ort_out: np.ndarray) -> tuple[dict[str, bytes], dict[str, Any]]:
    """PNG bytes of torch / ORT / amplified |difference| for one case, and what they show.

    Both outputs share one display mapping (torch's min..max to 0..255), so they are comparable;
    the difference is stretched so that its maximum is white (the gain is recorded).
    """
    from sr_model.imageio import encode_png

    torch_first, ort_first = torch_out[:1].astype(np.float64), ort_out[:1].astype(np.float64)
    low, high = float(np.nanmin(torch_first)), float(np.nanmax(torch_first))
    notes: dict[str, Any] = {
        "target": case.target, "case": case.id, "status": case.status,
        "display": f"torch's range {low:.3g}..{high:.3g} mapped to 0..255 for both",
    }
    height = min(torch_first.shape[2], ort_first.shape[2])
    width = min(torch_first.shape[3], ort_first.shape[3])
    if torch_first.shape != ort_first.shape:
        notes["region"] = f"shapes differ: difference over the common top-left {height}x{width}"
    difference = np.abs(ort_first[:, :, :height, :width] - torch_first[:, :, :height, :width])
    difference = np.nan_to_num(difference.max(axis=1, keepdims=True), nan=np.inf, posinf=np.inf)
    finite_max = float(difference[np.isfinite(difference)].max(initial=0.0))
    gain = 255.0 / finite_max if finite_max > 0 else 1.0
    notes["gain"] = gain
    amplified = np.repeat(np.minimum(difference * gain, 255.0), 3, axis=1)
    images = {
        "torch": encode_png(_display(torch_first, low, high)),
        "ort": encode_png(_display(np.nan_to_num(ort_first), low, high)),
        "difference": encode_png(amplified.astype(np.float32)),
    }
    return images, notes


def render_worst_images(report: VerifyReport) -> None:
    """Fill `report.images` from the worst case's arrays, when the engine kept them."""
    if report.worst_arrays is not None:
        case, expected, actual = report.worst_arrays
        if expected is not None and actual is not None:
            report.images, report.image_notes = worst_case_images(case, expected, actual)


def write_report(report: VerifyReport, folder: str | os.PathLike[str]) -> list[Path]:
    """Write report.md, report.json and the worst case's PNGs into `folder` (each atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    image_files = {key: IMAGE_FILES[key] for key in report.images}
    written = [write_bytes_atomic(folder / IMAGE_FILES[key], data) for key, data in report.images.items()]
    document = json.dumps(report.to_dict(image_files), indent=2, allow_nan=False) + "\n"
    written.append(write_text_atomic(folder / "report.json", document))
    written.append(write_text_atomic(folder / "report.md", to_markdown(report, image_files)))
    return written
