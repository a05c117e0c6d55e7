"""OpenVINO on the CPU device, in float32 (the `openvino` extra: `pip install 'sr-model[openvino]'`).

Precision: OpenVINO's CPU plugin picks its own inference precision, and on CPUs with bf16 support
(this machine kind, OpenVINO 2026.4.1) the default is bf16: measured max |error| 0.27 on the
random-weight model at 32x32 x3 (0..255 noise), 4.4 reported for the trained model (FACTS 7). Every model is therefore compiled with INFERENCE_PRECISION_HINT=f32, and the
compiled model is asked back what it got: a silent bf16 run is refused, not reported as f32.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sr_model.errors import OnnxModelError
from sr_model.runtimes.base import ProbedRuntime, check_probe_run, first_line, load_error, model_source, opset_probe_model

if TYPE_CHECKING:
    import openvino

DEVICE = "CPU"
PRECISION = "f32"
# OpenVINO's Interpolate shape inference adds this float32 epsilon to each scale before truncating
# the output size (its source: `epsilon = 1.0e-6f; multiplier = scales[i] + epsilon;` then
# int64(float32(bound) * multiplier), read in older releases); the rule is measured on 2026.4.1:
# it matches 704 of 704 points (n = 1..64 at 11 scales), 10 of which differ from floor(float32(n) * s).
SCALE_EPSILON = np.float32(1e-6)


def resize_output_size(in_size: int, scale: float) -> int:
    """OpenVINO's Resize output length for `in_size` at float32 `scale`: floor(n * (s + 1e-6)) in float32.

    ONNX (and ORT, and the eager op) take floor(float32(n) * s); the added epsilon makes OpenVINO one
    pixel longer wherever n * s lands within ~n * 1e-6 below an integer (30 at 2.1: 63, not 62).
    """
    multiplier = np.float32(np.float32(scale) + SCALE_EPSILON)
    return int(np.floor(np.float32(np.float32(in_size) * multiplier)))


class OpenVinoSession:
    """A RuntimeSession over an OpenVINO model compiled for the CPU in f32.

    Graph outputs come from the compiled model; any other tensor of the ONNX graph can be requested by
    name, which recompiles once with that tensor added as an output (OpenVINO only returns outputs).
    """

    def __init__(self, core: "openvino.Core", model: "openvino.Model", config: dict[str, Any], label: str) -> None:
        self._core = core
        self._model = model
        self._config = config
        self._label = label
        self._compiled = _compile(core, model, config)
        self.input_names = tuple(port.get_any_name() for port in self._compiled.inputs)
        self.output_names = tuple(port.get_any_name() for port in self._compiled.outputs)
        self._extra: dict[tuple[str, ...], Any] = {}

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """The requested outputs (None: every graph output, in graph order) for `feeds`."""
        names = tuple(self.output_names if outputs is None else outputs)
        compiled = self._compiled if set(names) <= set(self.output_names) else self._with_outputs(names)
        results = compiled.create_infer_request().infer(dict(feeds))
        by_name = {name: results[port] for port in compiled.outputs for name in port.get_names()}
        return [np.array(by_name[name], copy=True) for name in names]

    def _with_outputs(self, names: tuple[str, ...]) -> Any:
        missing = [name for name in names if name not in self.output_names]
        key = tuple(sorted(missing))
        if key not in self._extra:
            model = self._model.clone()
            try:
                model.add_outputs(list(key))
            except Exception as error:
                raise OnnxModelError(
                    f"tensors {list(key)} are not in {self._label} as OpenVINO read it "
                    f"({first_line(error)}); request graph outputs {list(self.output_names)} or "
                    "tensors that OpenVINO keeps (it may fuse intermediate ones away)"
                ) from error
            self._extra[key] = _compile(self._core, model, self._config)
        return self._extra[key]


def _compile(core: "openvino.Core", model: "openvino.Model", config: dict[str, Any]) -> Any:
    compiled = core.compile_model(model, DEVICE, config)
    got = str(compiled.get_property("INFERENCE_PRECISION_HINT"))
    if PRECISION not in got and "float32" not in got:
        raise OnnxModelError(
            f"OpenVINO compiled with INFERENCE_PRECISION_HINT={got}, but should be {PRECISION}; "
            "this OpenVINO ignores the hint, so its results cannot be compared as float32"
        )
    return compiled


class OpenVinoCpu(ProbedRuntime):
    """OpenVINO on its CPU device with INFERENCE_PRECISION_HINT=f32."""

    name = "openvino"

    def __init__(self) -> None:
        super().__init__()
        self._core: Any = None

    @property
    def description(self) -> str:
        """One line for reports, e.g. "OpenVINO 2026.4.1, CPU, f32"."""
        return f"OpenVINO {self.versions().get('openvino', '(not installed)')}, {DEVICE}, {PRECISION}"

    def versions(self) -> dict[str, str]:
        """{"openvino": version} (empty when OpenVINO is not installed)."""
        try:
            import openvino
        except ImportError:
            return {}
        return {"openvino": openvino.__version__.split("-")[0]}

    def _probe_availability(self) -> str | None:
        """Importable, offering its CPU device, and running a one-node model there."""
        try:
            import openvino
        except ImportError as error:
            return f"openvino is not importable ({first_line(error)}); install it: pip install 'sr-model[openvino]'"
        try:
            self._core = openvino.Core()
            devices = self._core.available_devices
        except Exception as error:
            return f"OpenVINO {openvino.__version__} failed to start ({first_line(error)})"
        if DEVICE not in devices:
            return f"OpenVINO {openvino.__version__} here offers devices {devices}, not {DEVICE}"
        try:
            check_probe_run(self.load(opset_probe_model(13)))
        except Exception as error:
            return f"OpenVINO {openvino.__version__} cannot run a one-node model on {DEVICE} ({first_line(error)})"
        return None

    def load(self, model: str | os.PathLike[str] | bytes, *, threads: int | None = None) -> OpenVinoSession:
        """A session on `model`, compiled for the CPU in f32; OnnxModelError when OpenVINO cannot load it."""
        import openvino

        source, label = model_source(model)
        if self._core is None:
            self._core = openvino.Core()
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": PRECISION}
        if threads is not None:
            config["INFERENCE_NUM_THREADS"] = threads
        try:
            read = self._core.read_model(source)
            return OpenVinoSession(self._core, read, config, label)
        except OnnxModelError:
            raise
        except Exception as error:  # OpenVINO raises RuntimeError/OVError subclasses of its own
            raise load_error(f"OpenVINO {self.versions().get('openvino', '')} ({DEVICE}, {PRECISION})", label, error) from error


RUNTIME = OpenVinoCpu()
