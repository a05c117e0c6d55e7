"""User-facing helpers: an ONNX Runtime CPU session for an exported model, and a validated run on it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from sr_model.errors import OnnxModelError
from sr_model.validation import check_memory, validate_factor, validate_image

if TYPE_CHECKING:
    import onnxruntime

    from sr_model.runtimes.base import RuntimeSession


def create_session(
    model: str | os.PathLike[str] | bytes, *, threads: int | None = None
) -> "onnxruntime.InferenceSession":
    """An ORT session on the CPU provider (explicitly: no silent fallback to another provider).

    `threads` sets the intra-op thread count (None: ORT's default, one per core). The session is made
    by the default runtime of `sr_model.runtimes`; other runtimes are reached through that package.
    """
    from sr_model.runtimes.onnxruntime_cpu import ort_session

    return ort_session(model, "CPUExecutionProvider", threads=threads)


def run_session(
    session: "onnxruntime.InferenceSession | RuntimeSession", image: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """Run the model on an NCHW float32 image and a `[1, 1, sh, sw]` float32 factor (any runtime's session)."""
    check_session_io(session)
    # The raw graph accepts some bad factors silently (a batch entry of 2 resizes the batch), so
    # inputs are validated before ORT sees them.
    image = validate_image(image)
    scale_h, scale_w = validate_factor(factor)
    check_memory(image.shape, scale_h, scale_w)
    feeds = {"input": np.ascontiguousarray(image), "factor": np.ascontiguousarray(factor, dtype=np.float32)}
    if hasattr(session, "input_names"):  # a sr_model.runtimes session: run(feeds, outputs)
        (output,) = session.run(feeds, ["output"])
    else:
        (output,) = session.run(["output"], feeds)
    return output


def check_session_io(session: "onnxruntime.InferenceSession | RuntimeSession") -> None:
    """Raise OnnxModelError unless the model takes `input` and `factor` and returns `output`."""
    if hasattr(session, "input_names"):
        inputs, outputs = list(session.input_names), list(session.output_names)
    else:
        inputs = [value.name for value in session.get_inputs()]
        outputs = [value.name for value in session.get_outputs()]
    if inputs != ["input", "factor"] or "output" not in outputs:
        hint = " (no 'factor' input: the scale was frozen at export)" if "factor" not in inputs else ""
        raise OnnxModelError(
            f"model inputs={inputs} and outputs={outputs}, but should be ['input', 'factor'] -> "
            f"['output']{hint}; export it with sr_model.export_onnx or `sr-model export`"
        )
