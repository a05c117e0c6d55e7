"""The runtime seam: what every backend that runs an exported ONNX file provides.

Polygraphy-style: one module per backend behind this small interface, so a comparison never needs to
know which backend produced an output. Adding a runtime is adding one module (and its line in
`sr_model.runtimes._REGISTRY`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from sr_model.errors import OnnxModelError


@runtime_checkable
class RuntimeSession(Protocol):
    """A loaded model, ready to run."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """The requested outputs (None: every graph output, in graph order) for `feeds`."""
        ...


@runtime_checkable
class Runtime(Protocol):
    """A backend that loads ONNX models: ONNX Runtime on a provider, OpenVINO on a device, ..."""

    name: str
    description: str

    def unavailable_reason(self) -> str | None:
        """Why this runtime cannot run here (probed once), or None when it can."""
        ...

    def opset_unsupported_reason(self, opset: int) -> str | None:
        """Why a model of ai.onnx `opset` does not load here (probed once per opset), or None."""
        ...

    def load(self, model: str | os.PathLike[str] | bytes, *, threads: int | None = None) -> RuntimeSession:
        """A session on `model` (a path or serialized bytes); OnnxModelError when it cannot load."""
        ...

    def versions(self) -> dict[str, str]:
        """Library versions that identify this runtime in reports."""
        ...


_UNPROBED = object()


class ProbedRuntime:
    """What every backend shares: whether it runs here and which opsets it loads, each probed once
    (on first use, not at import) and kept. A backend supplies `description`, `load`,
    `_probe_availability` and, if its errors need trimming, `_probe_message`."""

    description: str

    def __init__(self) -> None:
        self._availability: object = _UNPROBED
        self._opset_reasons: dict[int, str | None] = {}

    def unavailable_reason(self) -> str | None:
        """Why this runtime cannot run here (probed once), or None."""
        if self._availability is _UNPROBED:
            self._availability = self._probe_availability()
        return self._availability  # type: ignore[return-value]

    def opset_unsupported_reason(self, opset: int) -> str | None:
        """Why a model of ai.onnx `opset` does not load here (a one-node model tried, once), or None."""
        if opset not in self._opset_reasons:
            reason = self.unavailable_reason()
            if reason is None:
                try:
                    check_probe_run(self.load(opset_probe_model(opset)))
                except Exception as error:  # any refusal or wrong result: the opset does not run here
                    reason = (f"{self.description} does not load an ai.onnx opset-{opset} model "
                              f"({self._probe_message(error.__cause__ or error)})")
            self._opset_reasons[opset] = reason
        return self._opset_reasons[opset]

    def _probe_message(self, error: BaseException) -> str:
        return first_line(error, 200)

    def _probe_availability(self) -> str | None:
        raise NotImplementedError

    def load(self, model: str | os.PathLike[str] | bytes, *, threads: int | None = None) -> RuntimeSession:
        raise NotImplementedError


def model_source(model: str | os.PathLike[str] | bytes) -> tuple[str | bytes, str]:
    """The path or bytes to hand to a runtime, and a label for messages; OnnxModelError if missing."""
    if isinstance(model, bytes):
        return model, "the given model bytes"
    path = os.fspath(model)
    label = f"ONNX file {path!r}"
    if not os.path.isfile(path):
        raise OnnxModelError(f"{label} does not exist; pass the path of an exported model")
    return path, label


def first_line(error: BaseException, limit: int = 300) -> str:
    """The first line of an error's text (or its type name), cut to `limit` characters."""
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:limit]


def load_error(runtime_label: str, label: str, error: BaseException) -> OnnxModelError:
    """The OnnxModelError for a model that `runtime_label` refused to load."""
    return OnnxModelError(
        f"{runtime_label} cannot load {label} ({first_line(error)}); expected a valid model "
        "written by `sr-model export` (opset >= 11)"
    )


def opset_probe_model(opset: int) -> bytes:
    """A one-node (Identity) model of ai.onnx `opset`, at the lowest IR version that opset needs.

    The lowest IR version keeps the probe about the opset: an old runtime that reads only older IR
    versions must not be reported as refusing the opset.
    """
    import onnx
    from onnx import helper

    opset_ids = [helper.make_opsetid("", opset)]
    try:
        ir_version = helper.find_min_ir_version_for(opset_ids)
    except ValueError:  # an opset newer than the installed onnx knows: use its newest IR
        ir_version = onnx.IR_VERSION
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        f"opset{opset}_probe",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )
    return helper.make_model(graph, opset_imports=opset_ids, ir_version=ir_version).SerializeToString()


def check_probe_run(session: RuntimeSession) -> None:
    """Raise AssertionError unless the opset probe's session returns its input."""
    x = np.array([1.5], dtype=np.float32)
    (y,) = session.run({"x": x})
    if not np.array_equal(np.asarray(y), x):
        raise AssertionError(f"Identity returned {y!r} for {x!r}")
