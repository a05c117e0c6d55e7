"""Run a target: graph checks, the weights check, then parity cases, into one TargetResult.

This is the one sweep engine: `sr-model verify`, the pytest plugin's parity tests, the conformance
report and the gate's own meta tests all go through `TargetRun`. Nothing here raises on a
non-conforming file: every finding lands in the result.
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sr_model.contract import CONTRACT, IOContract
from sr_model.engine.cases import ParityCase
from sr_model.engine.compare import compare
from sr_model.engine.deviations import runtime_deviation
from sr_model.engine.graph import check_graph
from sr_model.engine.reference import Reference
from sr_model.engine.results import CaseResult, TargetResult, VerifyReport
from sr_model.engine.target import Target, load_onnx
from sr_model.engine.tolerance import Expectation, expect
from sr_model.errors import OnnxModelError
from sr_model.progress import progress
from sr_model.provenance import read_provenance
from sr_model.runtimes import DEFAULT_RUNTIME

if TYPE_CHECKING:
    import onnx



def environment(runtime: str = DEFAULT_RUNTIME) -> dict[str, Any]:
    """Library versions and the machine, recorded with every report and benchmark."""
    import onnx
    import torch

    import sr_model

    from sr_model.runtimes import get_runtime

    return {
        "sr_model": sr_model.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        **get_runtime(runtime).versions(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }


def reference_mismatch(model: "onnx.ModelProto", reference: Reference) -> str | None:
    """One line when the file says it was exported from other weights than the reference's."""
    provenance = read_provenance(model)
    recorded = provenance.get("weights_sha256")
    if recorded is None or recorded == reference.fingerprint:
        return None
    return (
        f"the file was exported from other weights ({provenance.get('weights', 'unlabelled')}, fingerprint "
        f"{recorded}) than the reference ({reference.label}, fingerprint {reference.fingerprint}): no case "
        "was run; check it against the weights it was exported from (--checkpoint PTH, --random-weights, "
        "or --model MODULE:FACTORY)"
    )


def weights_findings(model: "onnx.ModelProto", reference: Reference) -> list[str]:
    """For files without provenance: reference parameters whose same-shaped tensors all differ."""
    from onnx import numpy_helper

    tensors = [numpy_helper.to_array(init) for init in model.graph.initializer]
    for node in model.graph.node:
        for attr in node.attribute:
            if node.op_type == "Constant" and attr.name == "value":
                tensors.append(numpy_helper.to_array(attr.t))
    findings = []
    for name, parameter in reference.model.state_dict().items():
        expected = parameter.detach().cpu().numpy()
        same_shape = [t for t in tensors if t.shape == expected.shape]
        if same_shape and not any(np.array_equal(t, expected) for t in same_shape):
            closest = min(float(np.abs(t.astype(np.float64) - expected).max()) for t in same_shape)
            findings.append(
                f"the file's {name} {tuple(expected.shape)} differs from the reference's (max diff "
                f"{closest:.3g}): it was exported from other weights than {reference.label}; pass the "
                "matching --checkpoint (or --random-weights)"
            )
            break  # the first differing layer says it; the rest would repeat it
    return findings


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _one_line(error: BaseException, limit: int = 400) -> str:
    """The whole message on one line: runtimes put the useful part on later lines
    (ORT: "... for the following indices\n index: 2 Got: 128 Expected: 256\n Please fix ...")."""
    text = " ".join(str(error).split())
    return (text[:limit] + " ...") if len(text) > limit else (text or type(error).__name__)


def _fixed_input_size(model: "onnx.ModelProto", contract: IOContract) -> list[int | str] | None:
    """The image input's dims when its H or W is a fixed number (exported without dynamic axes)."""
    for value in model.graph.input:
        if value.name == contract.image_input:
            dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
            if len(dims) == 4 and (isinstance(dims[2], int) or isinstance(dims[3], int)):
                return dims
    return None


@dataclass
class CaseOutcome:
    """A case's result with the arrays it compared (kept for the worst case's pictures)."""

    result: CaseResult
    expected: np.ndarray | None
    actual: np.ndarray | None


class TargetRun:
    """One target, loaded in one runtime, checked against one reference."""

    def __init__(self, target: Target, reference: Reference, *, runtime: str = DEFAULT_RUNTIME,
                 contract: IOContract = CONTRACT, name: str | None = None, threads: int | None = None,
                 repro_dir: Path | None = None) -> None:
        from sr_model.runtimes import get_runtime

        self.target, self.reference, self.runtime, self.contract = target, reference, runtime, contract
        self.repro_dir = repro_dir
        self.result = TargetResult(name=name or target.id, model=target.describe(), runtime=runtime)
        proto = load_onnx(target.path)
        self.result.model["op_types"] = sorted({node.op_type for node in proto.graph.node})
        self.result.graph_problems = check_graph(proto, target.opset, target.form, contract).problems
        self.result.mismatch = reference_mismatch(proto, reference)
        if self.result.mismatch is None and "weights_sha256" not in target.provenance:
            self.result.notes.extend(weights_findings(proto, reference))
        fixed = _fixed_input_size(proto, contract)
        if fixed is not None:
            self.result.notes.append(
                f"the file's {contract.image_input!r} dims are {fixed}: its size was frozen at export; export with "
                f"dynamic_axes={contract.dynamic_axes()} (torch.onnx.export, dynamo=False), dynamic_shapes "
                "(dynamo=True), or with `sr-model export` / sr_model.export_onnx, which set them"
            )
        self.session = None
        initializers = {init.name for init in proto.graph.initializer}
        names = [value.name for value in proto.graph.input if value.name not in initializers]
        unknown = [name for name in names if name not in contract.input_names]
        if unknown:
            self.result.load_error = (
                f"graph inputs {unknown} are not the contract's {list(contract.input_names)}; nothing can feed "
                "them (a file from another model, or inputs renamed at export)"
            )
            return
        if contract.factor_input not in names and contract.image_input in names:
            self.result.notes.append(
                f"the graph has no {contract.factor_input!r} input (inputs {names}): the scale was frozen at export"
            )
        try:
            self.session = get_runtime(runtime).load(target.path, threads=threads)
        except OnnxModelError as error:
            self.result.load_error = f"{runtime} cannot load the file: {_first_line(error)}"

    @property
    def runnable(self) -> bool:
        """Whether cases can run: the file loaded, its inputs are known, its weights are the reference's."""
        return self.session is not None and self.result.load_error is None and self.result.mismatch is None

    def _feeds(self, image: np.ndarray, factor: np.ndarray) -> dict[str, np.ndarray]:
        known = {self.contract.image_input: image, self.contract.factor_input: factor}
        return {name: known[name] for name in self.session.input_names}

    def infer(self, image: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """The runtime's output for one input (raises what the runtime raises)."""
        names = list(self.session.output_names)
        wanted = self.contract.output if self.contract.output in names else names[0]
        (output,) = self.session.run(self._feeds(image, factor), [wanted])
        return np.asarray(output)

    def check(self, case_id: str, image: np.ndarray, factor: np.ndarray, expectation: Expectation,
              scale_h: float, scale_w: float) -> CaseOutcome:
        """Run one input and compare it with the expectation; never raises for the file's faults."""
        shape = tuple(image.shape)
        tolerance = expectation.tolerance
        try:
            actual = self.infer(image, factor)
        except Exception as error:  # one case's runtime failure must not hide the others
            result = CaseResult(self.result.name, case_id, scale_h, scale_w, shape, tolerance, None,
                                error=f"{self.runtime} failed: {type(error).__name__}: {_one_line(error)}",
                                runtime=self.runtime)
            return CaseOutcome(result, expectation.expected, None)
        comparison = compare(actual, expectation.expected, tolerance)
        deviation = runtime_deviation(self.runtime, self.target.form, scale_h, scale_w, *shape[2:])
        problem = None
        if deviation is not None:
            def compare_at(rule_h: float, rule_w: float) -> Any:
                declared = expect(self.reference, image, np.array([1.0, 1.0, rule_h, rule_w], np.float32))
                return compare(actual, declared.expected, declared.tolerance)

            problem = deviation.verdict(comparison, scale_h, scale_w, *shape[2:], compare_at)
        result = CaseResult(self.result.name, case_id, scale_h, scale_w, shape, tolerance, comparison,
                            runtime=self.runtime, deviation=deviation.id if deviation else None,
                            deviation_problem=problem)
        if not result.passed:
            result = self._explain(result, image, factor, expectation.expected, actual)
        return CaseOutcome(result, expectation.expected, actual)

    def _explain(self, result: CaseResult, image: np.ndarray, factor: np.ndarray, expected: np.ndarray,
                 actual: np.ndarray) -> CaseResult:
        """A failing case's first diverging node, and its repro folder when one was asked for."""
        import dataclasses

        localisation = self.localise(image, factor)
        repro = None
        if self.repro_dir is not None:
            repro = os.fspath(self.write_repro(result, image, factor, expected, actual))
        return dataclasses.replace(result, localisation=localisation, repro=repro)

    def localise(self, image: np.ndarray, factor: np.ndarray) -> str:
        """One line: the first graph tensor whose value leaves its tolerance, compared with the eager
        model's counterpart (the upsampled image, then each convolution), or why none was found."""
        from sr_model.engine.localise import localise, scaled_atol
        from sr_model.engine.tolerance import resize_tolerance
        from sr_model.runtimes import get_runtime

        def run(model: bytes, feeds: Any, names: Any) -> list[np.ndarray]:
            return get_runtime(self.runtime).load(model).run(feeds, list(names))

        try:
            found = localise(self.target.path, self.reference.model, image, factor, run=run,
                             atol_for=scaled_atol(resize_tolerance(*image.shape[2:]).atol))
        except Exception as error:  # a diagnosis must never hide the failure it explains
            return f"localisation failed: {type(error).__name__}: {_first_line(error)}"
        return found.describe()

    def write_repro(self, result: CaseResult, image: np.ndarray, factor: np.ndarray, expected: np.ndarray,
                    actual: np.ndarray | None) -> Path:
        """The case as an onnx backend-test folder under `repro_dir` (see sr_model.engine.repro)."""
        import re

        from sr_model.engine.repro import write_repro

        assert self.repro_dir is not None
        self.repro_dir.mkdir(parents=True, exist_ok=True)
        case_id = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.result.name}-{result.id}")
        n, _, height, width = image.shape
        weights = {"random": " --random-weights", "shipped": ""}.get(
            self.reference.weights, f" --checkpoint {self.reference.checkpoint}" if self.reference.checkpoint else "")
        model = "" if self.reference.model_spec == "sr_model.model:DynamicSRCNN" else f" --model {self.reference.model_spec}"
        command = (f"sr-model verify {self.target.path} --scales {result.scale_h:g}x{result.scale_w:g} "
                   f"--sizes {height}x{width} --runtime {self.runtime}{weights}{model} --no-progress")
        contract = self.contract
        return write_repro(
            self.repro_dir, self.target.path, {contract.image_input: image, contract.factor_input: factor},
            {contract.output: expected}, actual=None if actual is None else {contract.output: actual},
            case_id=case_id, tolerance=str(result.tolerance), provenance=self.target.describe(),
            versions=environment(self.runtime), command=command,
        )

    def run_case(self, case: ParityCase) -> CaseOutcome:
        """One named case (its expected output is the reference's, computed once per run)."""
        return self.check(case.id, case.image(), case.factor(), self.reference.expect(case),
                          case.scale_h, case.scale_w)

    def run_image(self, case_id: str, image: np.ndarray, factor: np.ndarray, content: str) -> CaseOutcome:
        """One drawn input (Hypothesis): expected output computed for it alone."""
        scale_h, scale_w = float(factor[2]), float(factor[3])
        return self.check(case_id, image, factor, expect(self.reference, image, factor, content), scale_h, scale_w)


def diagnose(target: TargetResult, contract: IOContract = CONTRACT) -> list[str]:
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
            f"the output size ignores the factor: {size[2]}x{size[3]} -> {out[2]}x{out[3]} at all "
            f"{len(scales_by_size[size])} scales tried (effectively {out[2] / size[2]:g}x{out[3] / size[3]:g}): "
            "the scale was frozen at export"
        )
    eager_findings = _eager_model_findings(target)
    findings += eager_findings
    has_convolutions = any(node == "Conv" for node in target.model.get("op_types", ()))
    identity = [case for case in target.cases if case.scale_h == case.scale_w == 1.0]
    resampled = [case for case in target.cases if case not in identity]
    value_failures = [case for case in resampled if case.status == "fail"]
    if identity and value_failures and all(case.passed for case in identity) and not eager_findings:
        findings.append(
            f"values differ at {len(value_failures)}/{len(resampled)} resampling cases while every "
            "x1 case (where the resize is a copy) conforms: the resampling differs"
            + (", not the convolutions" if has_convolutions else "")
            + " (check the Resize attributes: mode, cubic_coeff_a, coordinate_transformation_mode, ...)"
        )
    elif identity and any(case.status == "fail" for case in identity):
        findings.append(
            "values differ even at x1 (where the resize is a copy): the layers after it differ from the "
            "reference (other weights, or a wrong layer)" if has_convolutions else
            "values differ even at x1 (where the resize is a copy): the file computes something else"
        )
    return findings


def _eager_model_findings(target: TargetResult) -> list[str]:
    """Where the EAGER model, not the file, leaves the contract: F.interpolate's float64 size rule
    and its resampling where the runtime's Resize returns the input unchanged (the tutorial's
    `NewInterpolate.forward`). The fix is in the model: call sr_model.ops.bicubic_resize."""
    from sr_model.sizes import output_size

    float64_sized, resampled_same_shape = [], []
    for case in target.cases:
        if case.comparison is None or case.scale_h is None or case.passed:
            continue
        height, width = case.input_shape[2:]
        contract_hw = (output_size(height, case.scale_h), output_size(width, case.scale_w))
        float64_hw = (math.floor(height * case.scale_h), math.floor(width * case.scale_w))
        if (tuple(case.comparison.shape_actual[2:]) == contract_hw
                and tuple(case.comparison.shape_expected[2:]) == float64_hw != contract_hw):
            float64_sized.append(case)
        elif (contract_hw == (height, width) and (case.scale_h, case.scale_w) != (1.0, 1.0)
              and case.comparison.shape_ok and case.status == "fail"):
            resampled_same_shape.append(case)
    findings = []
    if float64_sized:
        case = float64_sized[0]
        findings.append(
            f"the eager model sizes its output in float64 ({case.id}: torch {case.comparison.shape_expected[2:]} "
            f"vs the runtime's float32 {case.comparison.shape_actual[2:]}, as F.interpolate does): replace the "
            "upsample in forward with sr_model.ops.bicubic_resize(input, factor), which follows ONNX Runtime"
        )
    if resampled_same_shape:
        case = resampled_same_shape[0]
        findings.append(
            f"where the output shape equals the input shape ({case.id}) the runtime's Resize returns the input "
            "unchanged and the eager model resamples (F.interpolate does): replace the upsample in forward with "
            "sr_model.ops.bicubic_resize(input, factor)"
        )
    return findings


def check_target(
    target: Target,
    reference: Reference,
    cases: Sequence[ParityCase],
    *,
    runtime: str = DEFAULT_RUNTIME,
    contract: IOContract = CONTRACT,
    show_progress: bool = False,
    on_case: Callable[[CaseResult], None] | None = None,
    name: str | None = None,
    repro_dir: Path | None = None,
) -> tuple[TargetResult, CaseOutcome | None]:
    """Graph checks, the weights check and every case on one target; also the worst case's arrays."""
    run = TargetRun(target, reference, runtime=runtime, contract=contract, name=name, repro_dir=repro_dir)
    result = run.result
    worst: CaseOutcome | None = None
    if run.runnable:
        for case in progress(cases, len(cases), f"verify {result.name}", enabled=show_progress):
            outcome = run.run_case(case)
            result.cases.append(outcome.result)
            if on_case is not None:
                on_case(outcome.result)
            if outcome.actual is not None and (worst is None or outcome.result.badness() > worst.result.badness()):
                worst = outcome
        result.notes.extend(diagnose(result, contract))
    return result, worst


def verify_file(
    path: str | os.PathLike[str],
    reference: Reference,
    cases: Sequence[ParityCase],
    *,
    runtimes: Sequence[str] = (DEFAULT_RUNTIME,),
    form: str | None = None,
    contract: IOContract = CONTRACT,
    show_progress: bool = False,
    images: bool = False,
    on_case: Callable[[CaseResult], None] | None = None,
    repro_dir: Path | None = None,
) -> VerifyReport:
    """Verify one exported file in each runtime: the whole `sr-model verify`, as a report."""
    from sr_model.engine.target import load_target

    target = load_target(Path(path), form=form)
    report = VerifyReport(targets=[], reference=reference.to_dict(), environment=environment(runtimes[0]))
    worst: CaseOutcome | None = None
    for runtime in runtimes:
        name = target.id if len(runtimes) == 1 else f"{target.id}@{runtime}"
        run_result, run_worst = check_target(target, reference, cases, runtime=runtime, contract=contract,
                                             show_progress=show_progress, on_case=on_case, name=name,
                                             repro_dir=repro_dir)
        report.targets.append(run_result)
        if run_worst is not None and (worst is None or run_worst.result.badness() > worst.result.badness()):
            worst = run_worst
    if images and worst is not None:
        report.worst_arrays = (worst.result, worst.expected, worst.actual)
    return report
