"""Deliberately broken exporters: each a regression a real change could introduce.

The gate's own test exports with each of them and asserts that the suite's checks fail, with the
named check catching it. Each entry patches the real export path for the duration of a `with`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from unittest import mock

import numpy as np
import torch

from sr_model import decomposed, ops
from sr_model import export as export_module
from sr_model.export import CONTRACT, IOContract
from sr_model.model import DynamicSRCNN


class BrokenExporter(NamedTuple):
    """A regression, how to inject it, and a phrase the failure report must contain."""

    name: str
    regression: str
    inject: Callable[[], contextlib.AbstractContextManager[IOContract]]
    # The phrase the failure report must contain: one for every form, or one per form.
    caught_by: str | dict[str, str]
    # A model-level regression replaces the model; None keeps the reference model.
    model: Callable[[DynamicSRCNN], torch.nn.Module] | None = None
    # The ONNX forms of the op the regression can happen in (Resize attributes exist in one only).
    forms: tuple[str, ...] = ("resize", "decomposed")

    def phrase(self, form: str) -> str:
        """The phrase that must appear in the failures for `form`."""
        return self.caught_by if isinstance(self.caught_by, str) else self.caught_by[form]


@contextlib.contextmanager
def _attribute(name: str, value: Any) -> Iterator[IOContract]:
    with mock.patch.dict(ops.RESIZE_ATTRIBUTES, {name: value}):
        yield CONTRACT


@contextlib.contextmanager
def _decomposed_keys_a() -> Iterator[IOContract]:
    """The decomposed form's cubic coefficient changed (its weights are in-graph arithmetic)."""
    with mock.patch.object(decomposed, "KEYS_A", -0.5):
        yield CONTRACT


@contextlib.contextmanager
def _frozen_scale() -> Iterator[IOContract]:
    """The scales input becomes a Constant node holding the example factor."""
    real_ts, real_dynamo = ops.torchscript_symbolic, ops.dynamo_resize

    def torchscript(g: Any, input: Any, factor: Any) -> Any:
        return real_ts(g, input, g.op("Constant", value_t=torch.tensor([1.0, 1.0, 3.0, 3.0])))

    def dynamo(input: Any, factor: Any) -> Any:
        from onnxscript import opset18 as op

        return real_dynamo(input, op.Constant(value_floats=[1.0, 1.0, 3.0, 3.0]))

    real_emit = decomposed.emit_bicubic

    def emit(e: Any, input: Any, factor: Any) -> Any:
        return real_emit(e, input, e.const(np.array([1.0, 1.0, 3.0, 3.0], dtype=np.float32)))

    with mock.patch.object(ops, "torchscript_symbolic", torchscript), mock.patch.object(ops, "dynamo_resize", dynamo), \
            mock.patch.object(decomposed, "emit_bicubic", emit):
        yield CONTRACT


class _BufferScaleSRCNN(DynamicSRCNN):
    """The factor moved into a registered buffer: exporters turn it into an initializer."""

    def __init__(self, source: DynamicSRCNN) -> None:
        super().__init__()
        self.load_state_dict(source.state_dict())
        self.register_buffer("default_factor", torch.tensor([1.0, 1.0, 3.0, 3.0]))

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return self.refine(ops.bicubic_resize(input, self.default_factor)) + 0 * factor.sum()


@contextlib.contextmanager
def _contract(**changes: Any) -> Iterator[IOContract]:
    yield dataclasses.replace(CONTRACT, **changes)


@contextlib.contextmanager
def _wrong_opset_written() -> Iterator[IOContract]:
    """The exporter writes opset 18 whatever was asked (what torch.export does for <= 14)."""
    real_ts, real_dynamo = export_module._export_torchscript, export_module._export_dynamo
    with mock.patch.object(export_module, "_export_torchscript", lambda m, o, c, *r: real_ts(m, 18, c, *r)), \
            mock.patch.object(export_module, "_export_dynamo", lambda m, o, c, *r: real_dynamo(m, 18, c, *r)):
        yield CONTRACT


BROKEN_EXPORTERS: tuple[BrokenExporter, ...] = (
    BrokenExporter("wrong_cubic_coeff_a", "A=-0.5 (OpenCV/PIL's kernel) instead of torch's -0.75",
                   lambda: _attribute("cubic_coeff_a", -0.5), "cubic_coeff_a=-0.5", forms=("resize",)),
    BrokenExporter("wrong_keys_a_decomposed", "the decomposed form's Keys A=-0.5 instead of -0.75",
                   _decomposed_keys_a, "max|ort-torch|=", forms=("decomposed",)),
    BrokenExporter("wrong_coordinate_mode", "half_pixel instead of pytorch_half_pixel",
                   lambda: _attribute("coordinate_transformation_mode", "half_pixel"),
                   "coordinate_transformation_mode='half_pixel'", forms=("resize",)),
    BrokenExporter("wrong_mode", "linear instead of cubic", lambda: _attribute("mode", "linear"), "mode='linear'",
                   forms=("resize",)),
    BrokenExporter("frozen_scale", "scales from a Constant node (the .item() failure)", _frozen_scale,
                   "the scale was frozen at export"),
    BrokenExporter("scales_from_initializer", "scales from a registered buffer, i.e. an initializer",
                   lambda: _contract(),
                   {"resize": "is an initializer", "decomposed": "does not depend on 'factor'"},
                   model=_BufferScaleSRCNN),
    BrokenExporter("input_names_swapped", "input names given in the wrong order",
                   lambda: _contract(input_names=("factor", "input"),
                                     input_dims={"factor": ("N", 3, "H", "W"), "input": (4,)}),
                   "graph inputs=['factor', 'input']"),
    BrokenExporter("input_renamed", "'input' renamed to 'image'",
                   lambda: _contract(input_names=("image", "factor"),
                                     input_dims={"image": ("N", 3, "H", "W"), "factor": (4,)}),
                   "graph inputs=['image', 'factor']"),
    BrokenExporter("missing_dynamic_axes", "no dynamic axes: N, H, W frozen to the example shape",
                   lambda: _contract(input_dims={"input": (2, 3, 24, 32), "factor": (4,)},
                                     output_dims={"output": (2, 3, 72, 96)}),
                   "input dims=[2, 3, 24, 32], but should be [N, 3, H, W]"),
    BrokenExporter("wrong_opset_written", "opset 18 written whatever was requested", _wrong_opset_written,
                   "was requested"),
)
