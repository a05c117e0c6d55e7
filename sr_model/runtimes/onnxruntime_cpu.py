"""ONNX Runtime on the CPUExecutionProvider: the default runtime."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sr_model.runtimes.base import ProbedRuntime, first_line, load_error, model_source, opset_probe_model

if TYPE_CHECKING:
    import onnxruntime


# ORT prefixes its messages with the C++ file, line and function signature: noise in a one-line reason.
_CPP_LOCATION = re.compile(r"/\S+:\d+ [^\n]*?\)\s(?=[A-Z])")
_OPSET_LIMIT = re.compile(r"Current official support for domain \S+ is till opset \d+")


def ort_message(error: BaseException) -> str:
    """ORT's error text without its C++ location; for an opset refusal, the sentence naming the limit."""
    text = _CPP_LOCATION.sub("", str(error)).strip()
    limit = _OPSET_LIMIT.search(text)
    return limit.group(0) if limit else (text.splitlines() or [type(error).__name__])[0][:300]


def ort_session(
    model: str | os.PathLike[str] | bytes, provider: str, *, threads: int | None = None
) -> "onnxruntime.InferenceSession":
    """An ORT InferenceSession on exactly `provider` (no silent fallback list); OnnxModelError on failure."""
    import onnxruntime

    source, label = model_source(model)
    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3  # errors only: ORT's warnings go to stderr, not to Python
    try:
        return onnxruntime.InferenceSession(source, options, providers=[provider])
    except Exception as error:  # ORT raises its own Fail/InvalidGraph/InvalidProtobuf/... types
        raise load_error("ONNX Runtime", label, error) from error


class OrtSession:
    """A RuntimeSession over an onnxruntime.InferenceSession."""

    def __init__(self, session: "onnxruntime.InferenceSession") -> None:
        self.session = session
        self.input_names = tuple(value.name for value in session.get_inputs())
        self.output_names = tuple(value.name for value in session.get_outputs())

    def run(self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None) -> list[np.ndarray]:
        """The requested outputs (None: every graph output, in graph order) for `feeds`."""
        names = list(self.output_names if outputs is None else outputs)
        return list(self.session.run(names, dict(feeds)))


class OnnxRuntimeProvider(ProbedRuntime):
    """ONNX Runtime restricted to one execution provider; probes and caches what it can do."""

    def __init__(self, name: str, provider: str) -> None:
        super().__init__()
        self.name = name
        self.provider = provider

    @property
    def description(self) -> str:
        """One line for reports, e.g. "ONNX Runtime 1.32.0, CPUExecutionProvider"."""
        return f"ONNX Runtime {self.versions().get('onnxruntime', '(not installed)')}, {self.provider}"

    def versions(self) -> dict[str, str]:
        """{"onnxruntime": version} (empty when ORT is not installed)."""
        try:
            import onnxruntime
        except ImportError:
            return {}
        return {"onnxruntime": onnxruntime.__version__}

    def _probe_availability(self) -> str | None:
        """Listed by this onnxruntime, and kept by a real session."""
        try:
            import onnxruntime
        except ImportError as error:
            return f"onnxruntime is not importable ({first_line(error)}); install sr-model's dependencies"
        listed = onnxruntime.get_available_providers()
        if self.provider not in listed:
            return (
                f"onnxruntime {onnxruntime.__version__} here offers {listed}, not {self.provider}; "
                "install an onnxruntime build with it (e.g. onnxruntime-gpu for CUDAExecutionProvider)"
            )
        # A listed provider can still fail to initialise (missing CUDA libraries): ORT then drops it,
        # so only a session that kept it proves it works.
        try:
            session = ort_session(opset_probe_model(13), self.provider)
        except Exception as error:
            return f"{self.provider} failed to create a session ({first_line(error)})"
        if session.get_providers()[:1] != [self.provider]:
            return (
                f"{self.provider} is listed by onnxruntime {onnxruntime.__version__} but a session "
                f"runs on {session.get_providers()} (its libraries did not load)"
            )
        return None

    def _probe_message(self, error: BaseException) -> str:
        return ort_message(error)

    def load(self, model: str | os.PathLike[str] | bytes, *, threads: int | None = None) -> OrtSession:
        """A session on `model` on this provider; OnnxModelError when ORT cannot load it."""
        return OrtSession(ort_session(model, self.provider, threads=threads))


RUNTIME = OnnxRuntimeProvider("onnxruntime", "CPUExecutionProvider")
