"""Write a failing case as a self-contained repro folder in the onnx backend-test layout.

    <folder>/<case_id>/model.onnx
                       test_data_set_0/input_0.pb, input_1.pb, ...   graph inputs, in graph order
                       test_data_set_0/output_0.pb, ...              PyTorch's (expected) outputs
                       data.json        the tolerance, read by `onnx.backend.test.loader`
                       inputs.json      the inputs as Polygraphy's `--load-inputs` reads them
                       expected_outputs.json   PyTorch's outputs for `--load-outputs` (only
                                        when polygraphy is importable: its format is internal)
                       README.md        how to reproduce, versions, provenance, tolerance, error

`<folder>` is then a `kind` directory for `onnx.backend.test.loader.load_model_tests(
data_dir=<folder's parent>, kind=<folder's name>)`. The case is written into a temporary folder
beside the target and renamed into place, and an existing case folder is never replaced.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sr_model.errors import SrModelError

# Polygraphy's JSON marks each serialised object with its class (polygraphy/json/serde.py, 0.53.6:
# `TYPE_MARKER = "polygraphy_class"`; an ndarray is `{"array": base64(np.save bytes)}`).
_POLYGRAPHY_TYPE_MARKER = "polygraphy_class"
_CASE_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_TOLERANCE_TERM = re.compile(r"\b(atol|rtol)\s*=\s*([-+0-9.eE]+)")


class ReproExistsError(SrModelError, FileExistsError):
    """A repro folder for this case is already there; it is never overwritten."""


class ReproError(SrModelError, ValueError):
    """The arguments of a repro do not fit the model (names, case id)."""


def _tensor_bytes(name: str, array: np.ndarray) -> bytes:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.ascontiguousarray(array), name=name).SerializeToString()


def _polygraphy_array(array: np.ndarray) -> dict[str, str]:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return {"array": base64.b64encode(buffer.getvalue()).decode(), _POLYGRAPHY_TYPE_MARKER: "ndarray"}


def polygraphy_feeds_json(feeds: Mapping[str, np.ndarray]) -> str:
    """One feed dict as the JSON list Polygraphy's `--load-inputs` reads (`polygraphy.json.save_json`)."""
    return json.dumps([{name: _polygraphy_array(array) for name, array in feeds.items()}], indent=4)


def _write_expected_outputs_json(path: Path, expected: Mapping[str, np.ndarray]) -> bool:
    """PyTorch's outputs as Polygraphy `RunResults`; False when polygraphy is not importable."""
    # Polygraphy prints its log (and a 'colored' notice on import) to stdout: not ours to show.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            from polygraphy.comparator import IterationResult, RunResults
        except ImportError:
            return False
        results = RunResults()
        results.append(("pytorch", [IterationResult(dict(expected), runner_name="pytorch")]))
        results.save(str(path))
    return True


def _graph_io(model_path: Path) -> tuple[list[str], list[str], bool]:
    import onnx

    proto = onnx.load(str(model_path), load_external_data=False)
    initializers = {init.name for init in proto.graph.initializer}
    inputs = [info.name for info in proto.graph.input if info.name not in initializers]
    external = any(init.data_location == onnx.TensorProto.EXTERNAL for init in proto.graph.initializer)
    return inputs, [info.name for info in proto.graph.output], external


def _check_names(what: str, given: Mapping[str, np.ndarray], graph: list[str], model_path: Path) -> None:
    if sorted(given) != sorted(graph):
        raise ReproError(f"{what} names {sorted(given)} do not match the graph's {graph} in {str(model_path)!r}; "
                         f"key the {what} by the graph's {what} names")


def _max_error(actual: Mapping[str, np.ndarray] | None, expected: Mapping[str, np.ndarray]) -> str:
    if actual is None:
        return "not recorded (no runtime output was given)"
    lines = []
    for name, want in expected.items():
        got = actual.get(name)
        if got is None:
            lines.append(f"`{name}`: the runtime gave no such output")
        elif np.shape(got) != np.shape(want):
            lines.append(f"`{name}`: shape {list(np.shape(got))}, but PyTorch gives {list(np.shape(want))}")
        else:
            error = np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64))
            error = np.where(np.isnan(error), np.inf, error)
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape)) if error.size else ()
            worst = float(error.max()) if error.size else 0.0
            lines.append(f"`{name}`: max|runtime-pytorch| = {worst:.6g} at {where}, mean {float(error.mean()):.3g}")
    return "; ".join(lines)


def _tolerance_terms(tolerance: str) -> dict[str, float]:
    return {key: float(value) for key, value in _TOLERANCE_TERM.findall(tolerance)}


def _readme(case_id: str, *, command: str, tolerance: str, error: str, provenance: Mapping[str, Any],
            versions: Mapping[str, str], inputs: list[str], outputs: list[str], sha256: str,
            has_expected_json: bool) -> str:
    terms = _tolerance_terms(tolerance)
    atol, rtol = terms.get("atol", 0.0), terms.get("rtol", 0.0)
    polygraphy = "polygraphy run model.onnx --onnxrt --load-inputs inputs.json"
    if has_expected_json:
        polygraphy += f" --load-outputs expected_outputs.json --atol {atol:g} --rtol {rtol:g}"
    lines = [
        f"# Repro: {case_id}",
        "",
        "The runtime's output differs from PyTorch's on this case.",
        "",
        f"- observed: {error}",
        f"- tolerance: {tolerance}",
        "",
        "## Reproduce against PyTorch",
        "",
        "```",
        command,
        "```",
        "",
        "## Replay these files",
        "",
        f"onnx backend-test layout: `model.onnx`, `test_data_set_0/input_*.pb` (graph inputs "
        f"{inputs}, in that order), `test_data_set_0/output_*.pb` (PyTorch's outputs {outputs}); "
        "`data.json` holds the tolerance for onnx's runner.",
        "",
        "```",
        "python - <<'EOF'",
        "import glob, numpy as np, onnx, onnxruntime",
        "from onnx import numpy_helper",
        "load = lambda p: numpy_helper.to_array(onnx.load_tensor(p))",
        "feeds = {onnx.load_tensor(p).name: load(p) for p in sorted(glob.glob('test_data_set_0/input_*.pb'))}",
        "got = onnxruntime.InferenceSession('model.onnx', providers=['CPUExecutionProvider']).run(None, feeds)",
        "for g, p in zip(got, sorted(glob.glob('test_data_set_0/output_*.pb'))):",
        "    print(p, 'max|ort-pytorch| =', float(np.abs(g - load(p)).max()))",
        "EOF",
        polygraphy,
        "```",
        "",
        "Polygraphy fails an element only where BOTH its absolute and its relative difference exceed "
        "`--atol`/`--rtol`; this suite's bound is `|a - b| <= atol + rtol * |b|`.",
        "",
        "## Provenance",
        "",
        f"- model.onnx sha256: {sha256}",
        *(f"- {key}: {value}" for key, value in provenance.items()),
        "",
        "## Versions",
        "",
        *(f"- {key}: {value}" for key, value in versions.items()),
        "",
    ]
    return "\n".join(lines)


def write_repro(folder: Path, model_path: Path, inputs: Mapping[str, np.ndarray],
                expected: Mapping[str, np.ndarray], *, actual: Mapping[str, np.ndarray] | None,
                case_id: str, tolerance: str, provenance: Mapping[str, Any], versions: Mapping[str, str],
                command: str) -> Path:
    """Write `<folder>/<case_id>` (model, inputs, PyTorch's outputs, README) atomically; return it.

    `tolerance` is a `Tolerance`'s text (`"atol=0.0002, rtol=0.0001"`); `actual` is the runtime's
    outputs, for the observed error in the README. Raises ReproExistsError if the case folder exists.
    """
    folder, model_path = Path(folder), Path(model_path)
    if not _CASE_ID.match(case_id):
        raise ReproError(f"case_id={case_id!r} is not a folder-safe id; use letters, digits, '_', '-', '.'")
    target = folder / case_id
    if target.exists():
        raise ReproExistsError(f"repro folder {str(target)!r} already exists; remove it or write into another "
                               f"--repro folder (a repro is never overwritten)")
    graph_inputs, graph_outputs, external = _graph_io(model_path)
    _check_names("inputs", inputs, graph_inputs, model_path)
    missing = [name for name in expected if name not in graph_outputs]
    if missing:
        raise ReproError(f"expected outputs {missing} are not outputs of {str(model_path)!r} ({graph_outputs}); "
                         f"key them by the graph's output names")
    output_names = [name for name in graph_outputs if name in expected]
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{case_id}.", suffix=".tmp", dir=folder))
    try:
        if external:
            import onnx

            # One self-contained file: the repro must travel without the external data's folder.
            onnx.save(onnx.load(str(model_path)), str(staging / "model.onnx"))
        else:
            shutil.copyfile(model_path, staging / "model.onnx")
        data = staging / "test_data_set_0"
        data.mkdir()
        for index, name in enumerate(graph_inputs):
            (data / f"input_{index}.pb").write_bytes(_tensor_bytes(name, inputs[name]))
        for index, name in enumerate(output_names):
            (data / f"output_{index}.pb").write_bytes(_tensor_bytes(name, expected[name]))
        terms = _tolerance_terms(tolerance)
        if terms:
            (staging / "data.json").write_text(json.dumps(terms) + "\n")
        ordered_inputs = {name: inputs[name] for name in graph_inputs}
        (staging / "inputs.json").write_text(polygraphy_feeds_json(ordered_inputs) + "\n")
        has_expected_json = _write_expected_outputs_json(staging / "expected_outputs.json",
                                                         {name: expected[name] for name in output_names})
        sha256 = hashlib.sha256((staging / "model.onnx").read_bytes()).hexdigest()
        (staging / "README.md").write_text(_readme(
            case_id, command=command, tolerance=tolerance, error=_max_error(actual, expected),
            provenance=provenance, versions=versions, inputs=graph_inputs, outputs=output_names,
            sha256=sha256, has_expected_json=has_expected_json))
        os.chmod(staging, 0o755)  # mkdtemp makes 0700; a repro is meant to be shared
        try:
            # rename() refuses a non-empty target: a case written meanwhile is never replaced (an
            # empty folder made meanwhile is, losing nothing).
            os.rename(staging, target)
        except OSError as error:
            raise ReproExistsError(f"repro folder {str(target)!r} appeared while writing; remove it or write "
                                   f"into another --repro folder ({error.strerror})") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    return target
