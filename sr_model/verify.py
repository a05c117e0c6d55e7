"""Verify an exported ONNX file: graph checks, then a parity sweep against the PyTorch model.

The sweep runs the same file at many scales and sizes (export at one shape, validate at many), so
a file whose scale or size was frozen at export shows up as output-shape mismatches, and a wrong
Resize attribute as values outside the tolerance. Nothing here raises on a non-conforming file:
every finding lands in the returned report.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from sr_model.errors import CheckpointError, OnnxModelError
from sr_model.paths import DEFAULT_CHECKPOINT
from sr_model.progress import progress
from sr_model.results import CaseResult, TargetResult, VerifyReport
from sr_model.testing.cases import ParityCase
from sr_model.testing.compare import compare
from sr_model.testing.contract import check_graph
from sr_model.testing.parity import torch_output
from sr_model.testing.tolerance import Tolerance, model_tolerance

if TYPE_CHECKING:
    import onnx
    import onnxruntime

try:
    # Hook for the trained-weights tolerance (another issue adds it to tolerance.py). It is used
    # for checkpoint weights as soon as it exists under this name; until then the random-weight
    # model applies and every case's `tolerance_reason` says so.
    from sr_model.testing.tolerance import trained_model_tolerance as _trained_model_tolerance  # type: ignore[attr-defined]
except ImportError:
    _trained_model_tolerance = None

# Scales and sizes chosen to be fast (~28 cases, a few seconds) yet cover what breaks files:
# 1 (identity), dyadic 1.5/2/2.5/4 (exact float32 products), 3 (the export example: a frozen scale
# passes only there), an anisotropic 2x3, a 1x1 image, an odd non-square size and two larger ones
# where coordinate rounding errors grow.
DEFAULT_SCALES: tuple[tuple[float, float], ...] = (
    (1.0, 1.0), (1.5, 1.5), (2.0, 2.0), (2.5, 2.5), (3.0, 3.0), (4.0, 4.0), (2.0, 3.0),
)
DEFAULT_SIZES: tuple[tuple[int, int], ...] = ((1, 1), (17, 9), (64, 64), (128, 96))


@dataclass(frozen=True)
class Reference:
    """The eager model a file is compared with, and where its weights came from."""

    model: nn.Module
    weights: str  # "checkpoint" or "random"
    checkpoint: Path | None
    note: str

    def tolerance(self, height: int, width: int) -> Tolerance:
        """The parity tolerance for an input of `height` x `width` with these weights."""
        if self.weights == "checkpoint" and _trained_model_tolerance is not None:
            return _trained_model_tolerance(height, width)
        tolerance = model_tolerance(height, width)
        if self.weights == "checkpoint":
            return Tolerance(
                tolerance.atol, tolerance.rtol,
                tolerance.reason + " [trained-weights tolerance not available yet: random-weight model used]",
            )
        return tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": self.weights,
            "checkpoint": os.fspath(self.checkpoint) if self.checkpoint else None,
            "note": self.note,
        }


def load_reference(checkpoint: str | os.PathLike[str] | None = None, *, random_weights: bool = False) -> Reference:
    """The reference model: `checkpoint`, the shipped checkpoint (an error if missing), or seed-0 random weights."""
    from sr_model.checkpoint import load_checkpoint
    from sr_model.model import DynamicSRCNN, random_model

    if random_weights:
        return Reference(random_model(seed=0), "random", None, "seeded random weights (random_model(0)), as asked")
    if checkpoint is None:
        # A broken install must not turn into a silent comparison against random weights.
        if not DEFAULT_CHECKPOINT.is_file():
            raise CheckpointError(
                f"no --checkpoint given and the shipped weights {DEFAULT_CHECKPOINT} are missing (a broken "
                "install?); reinstall sr-model, or pass --checkpoint PTH or --random-weights"
            )
        checkpoint = DEFAULT_CHECKPOINT
    path = Path(checkpoint)
    shipped = path.resolve() == DEFAULT_CHECKPOINT.resolve()
    return Reference(
        load_checkpoint(path, DynamicSRCNN()), "checkpoint", path,
        f"weights from {'the shipped checkpoint ' if shipped else ''}{os.fspath(path)}",
    )


def sweep_cases(
    scales: Sequence[tuple[float, float]] = DEFAULT_SCALES,
    sizes: Sequence[tuple[int, int]] = DEFAULT_SIZES,
) -> tuple[ParityCase, ...]:
    """Every (scale, size) pair as a batch-1 parity case, scales outermost."""
    return tuple(ParityCase(sh, sw, (1, 3, h, w)) for sh, sw in scales for h, w in sizes)


def environment() -> dict[str, Any]:
    """Library versions and the machine, recorded with every report and benchmark."""
    import onnx
    import onnxruntime

    import sr_model

    return {
        "sr_model": sr_model.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }


def load_onnx(path: str | os.PathLike[str]) -> "onnx.ModelProto":
    """Parse an ONNX file, with an OnnxModelError naming the file when it is missing or unreadable."""
    import onnx

    path = Path(path)
    if not path.is_file():
        raise OnnxModelError(f"ONNX file {os.fspath(path)!r} does not exist; pass the path of an exported model")
    try:
        return onnx.load(path)
    except Exception as error:  # onnx raises DecodeError, ValueError, ... for non-ONNX bytes
        raise OnnxModelError(
            f"{os.fspath(path)!r} is not a readable ONNX model ({type(error).__name__}: {error}); "
            "expected a file written by `sr-model export` or torch.onnx.export"
        ) from error


def weights_findings(model: "onnx.ModelProto", reference: nn.Module) -> list[str]:
    """Reference parameters whose same-shaped tensors in the file all hold other values.

    A file exported from other weights fails every case by a wide margin; saying so up front
    points at the checkpoint rather than at the exporter.
    """
    from onnx import numpy_helper

    tensors = [numpy_helper.to_array(init) for init in model.graph.initializer]
    for node in model.graph.node:
        for attr in node.attribute:
            if node.op_type == "Constant" and attr.name == "value":
                tensors.append(numpy_helper.to_array(attr.t))
    findings = []
    for name, parameter in reference.state_dict().items():
        expected = parameter.detach().numpy()
        same_shape = [t for t in tensors if t.shape == expected.shape]
        if same_shape and not any(np.array_equal(t, expected) for t in same_shape):
            closest = min(float(np.abs(t.astype(np.float64) - expected).max()) for t in same_shape)
            findings.append(
                f"the file's {name} {tuple(expected.shape)} differs from the reference's (max diff "
                f"{closest:.3g}): it was exported from other weights; pass the matching --checkpoint "
                "(or --random-weights for a file exported without one)"
            )
    return findings


class _FeedError(Exception):
    pass


def _feeds(session: "onnxruntime.InferenceSession", image: np.ndarray, factor: np.ndarray) -> dict[str, np.ndarray]:
    """Inputs by name; a graph without `factor` (scale frozen at export) gets the image only."""
    known = {"input": image, "factor": factor}
    names = [value.name for value in session.get_inputs()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise _FeedError(f"graph inputs {unknown} are not 'input' or 'factor'; cannot feed them")
    return {name: known[name] for name in names}


def _output_name(session: "onnxruntime.InferenceSession") -> str:
    names = [value.name for value in session.get_outputs()]
    return "output" if "output" in names else names[0]


def model_info(path: Path, model: "onnx.ModelProto") -> dict[str, Any]:
    """Path, content hash, default-domain opset and producer of an ONNX file."""
    opset = next((int(e.version) for e in model.opset_import if e.domain in ("", "ai.onnx")), None)
    return {
        "path": os.fspath(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "opset": opset,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }


def diagnose(target: TargetResult) -> list[str]:
    """Causes that the pattern of case results points at, in words a reviewer can act on."""
    findings: list[str] = []
    by_size: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
    scales_by_size: dict[tuple[int, ...], set[tuple[float, float]]] = {}
    for case in target.cases:
        if case.comparison is not None:
            by_size.setdefault(case.input_shape, set()).add(case.comparison.shape_actual)
            scales_by_size.setdefault(case.input_shape, set()).add((case.scale_h, case.scale_w))
    frozen = [size for size, shapes in by_size.items() if len(shapes) == 1 and len(scales_by_size[size]) > 1]
    if frozen and any(case.status == "shape-mismatch" for case in target.cases):
        size = max(frozen, key=lambda shape: math.prod(shape))
        (out,) = by_size[size]
        findings.append(
            f"ORT's output size ignores the factor: {size[2]}x{size[3]} -> {out[2]}x{out[3]} at all "
            f"{len(scales_by_size[size])} scales tried (effectively {out[2] / size[2]:g}x{out[3] / size[3]:g}): "
            "the scale was frozen at export"
        )
    identity = [case for case in target.cases if case.scale_h == case.scale_w == 1.0]
    resampled = [case for case in target.cases if case not in identity]
    value_failures = [case for case in resampled if case.status == "fail"]
    if identity and value_failures and all(case.passed for case in identity):
        findings.append(
            f"values differ at {len(value_failures)}/{len(resampled)} resampling cases while every "
            "x1 case (where Resize is a copy) conforms: the resampling differs, not the convolutions "
            "(check the Resize attributes: cubic_coeff_a, coordinate_transformation_mode, ...)"
        )
    elif identity and any(case.status == "fail" for case in identity):
        findings.append(
            "values differ even at x1 (where Resize is a copy): the convolutions differ from the "
            "reference (other weights, or a wrong layer)"
        )
    return findings


@dataclass
class _Worst:
    case: CaseResult
    torch: np.ndarray
    ort: np.ndarray


def verify_target(
    path: str | os.PathLike[str],
    reference: Reference,
    cases: Sequence[ParityCase],
    *,
    name: str | None = None,
    show_progress: bool = True,
    on_case: Callable[[CaseResult], None] | None = None,
) -> tuple[TargetResult, _Worst | None]:
    """Graph checks and the parity sweep on one file; also returns the worst case's outputs."""
    from sr_model.runtime import create_session

    path = Path(path)
    proto = load_onnx(path)
    target = TargetResult(name=name or path.name, model=model_info(path, proto))
    target.graph_problems = check_graph(proto).problems
    target.notes.extend(weights_findings(proto, reference.model))
    try:
        session = create_session(path)
        output_name = _output_name(session)
    except Exception as error:  # ORT raises its own exception types (InvalidGraph, Fail, ...)
        target.load_error = f"ONNX Runtime cannot load the file: {type(error).__name__}: {str(error).strip().splitlines()[0]}"
        return target, None
    if "factor" not in {value.name for value in session.get_inputs()}:
        target.notes.append("the graph has no 'factor' input: the scale was frozen at export")
    worst: _Worst | None = None
    for case in progress(cases, len(cases), f"verify {target.name}", enabled=show_progress):
        image, factor = case.image(), case.factor()
        expected = torch_output(reference.model, image, factor)
        tolerance = reference.tolerance(*case.shape[2:])
        actual: np.ndarray | None = None
        try:
            (actual,) = session.run([output_name], _feeds(session, image, factor))
            result = CaseResult(target.name, case.id, case.scale_h, case.scale_w, case.shape, tolerance,
                                compare(actual, expected, tolerance))
        except Exception as error:  # one case's runtime failure must not hide the others
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            result = CaseResult(target.name, case.id, case.scale_h, case.scale_w, case.shape, tolerance,
                                None, error=f"ONNX Runtime failed: {type(error).__name__}: {first_line}")
        target.cases.append(result)
        if on_case is not None:
            on_case(result)
        if actual is not None and (worst is None or result.badness() > worst.case.badness()):
            worst = _Worst(result, expected, actual)
    target.notes.extend(diagnose(target))
    return target, worst


def verify_onnx(
    path: str | os.PathLike[str],
    reference: Reference | None = None,
    *,
    scales: Sequence[tuple[float, float]] = DEFAULT_SCALES,
    sizes: Sequence[tuple[int, int]] = DEFAULT_SIZES,
    show_progress: bool = True,
    images: bool = True,
    on_case: Callable[[CaseResult], None] | None = None,
) -> VerifyReport:
    """Verify one exported file against `reference` (default: `load_reference()`)."""
    from sr_model.report import worst_case_images

    reference = reference if reference is not None else load_reference()
    target, worst = verify_target(
        path, reference, sweep_cases(scales, sizes), show_progress=show_progress, on_case=on_case
    )
    report = VerifyReport(targets=[target], reference=reference.to_dict(), environment=environment())
    if images and worst is not None:
        report.images, report.image_notes = worst_case_images(worst.case, worst.torch, worst.ort)
    return report
