"""ONNX Runtime sessions and runs for exported dynamic-scale models."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from sr_model.errors import OnnxModelError
from sr_model.validation import check_memory, validate_factor, validate_image

if TYPE_CHECKING:
    import onnxruntime


def create_session(
    model: str | os.PathLike[str] | bytes, *, threads: int | None = None
) -> "onnxruntime.InferenceSession":
    """An ORT session on the CPU provider (explicitly: no silent fallback to another provider).

    `threads` sets the intra-op thread count (None: ORT's default, one per core).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3  # errors only: ORT's warnings go to stderr, not to Python
    if isinstance(model, bytes):
        source: str | bytes = model
        label = "the given model bytes"
    else:
        source = os.fspath(model)
        label = f"ONNX file {source!r}"
        if not os.path.isfile(source):
            raise OnnxModelError(f"{label} does not exist; pass the path of an exported model")
    try:
        return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # ORT raises its own Fail/InvalidGraph/InvalidProtobuf/... types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OnnxModelError(
            f"ONNX Runtime cannot load {label} ({first_line[:300]}); expected a valid model "
            "written by `sr-model export` (opset >= 11)"
        ) from error


def run_session(
    session: "onnxruntime.InferenceSession", image: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """Run the model on an NCHW float32 image and a `[1, 1, sh, sw]` float32 factor."""
    check_session_io(session)
    # The raw graph accepts some bad factors silently (a batch entry of 2 resizes the batch), so
    # inputs are validated before ORT sees them.
    image = validate_image(image)
    scale_h, scale_w = validate_factor(factor)
    check_memory(image.shape, scale_h, scale_w)
    feeds = {"input": np.ascontiguousarray(image), "factor": np.ascontiguousarray(factor, dtype=np.float32)}
    (output,) = session.run(["output"], feeds)
    return output


def check_session_io(session: "onnxruntime.InferenceSession") -> None:
    """Raise OnnxModelError unless the model takes `input` and `factor` and returns `output`."""
    inputs = [value.name for value in session.get_inputs()]
    outputs = [value.name for value in session.get_outputs()]
    if inputs != ["input", "factor"] or "output" not in outputs:
        hint = " (no 'factor' input: the scale was frozen at export)" if "factor" not in inputs else ""
        raise OnnxModelError(
            f"model inputs={inputs} and outputs={outputs}, but should be ['input', 'factor'] -> "
            f"['output']{hint}; export it with sr_model.export_onnx or `sr-model export`"
        )
