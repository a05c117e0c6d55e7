"""The decomposed form of the bicubic op: its graph contract, its TensorRT portability, its sizes.

Value parity of the upsampling alone runs for both forms in test_parity_properties.py
(`test_parity_resize_only_grid`, `test_parity_property_resize_only`); the full model's parity runs in
the shared grid (the `-decomposed` export targets).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from sr_model import ops
from sr_model.export import default_opset, export_onnx, supported_opsets
from sr_model.model import random_model
from sr_model.runtime import create_session, run_session
from sr_model.engine.graph import check_graph
from sr_model.testing.tensorrt import tensorrt_findings, tensorrt_problems


class ResizeOnly(nn.Module):
    """The bicubic op alone, so its ONNX forms can be checked without the convolutions."""

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return ops.bicubic_resize(input, factor)


EXPORTERS_AVAILABLE = [exporter for exporter in ("torchscript", "dynamo") if supported_opsets(exporter)]


@pytest.fixture(scope="module", params=EXPORTERS_AVAILABLE)
def resize_only_session(request, tmp_path_factory: pytest.TempPathFactory):
    """An ORT session on the decomposed op alone, per exporter at its default opset."""
    exporter = request.param
    path = export_onnx(
        tmp_path_factory.mktemp("resize_only") / f"{exporter}.onnx", ResizeOnly().eval(),
        exporter=exporter, opset=default_opset(exporter), resize="decomposed",
    )
    return create_session(path)


# --- graph contract and TensorRT portability, on every export target -----------------------------


def test_tensorrt_constant_inputs(export_target, onnx_path: Path) -> None:
    # The decomposed form must pass the table-driven TensorRT check; the Resize form must fail it
    # (cubic refused by TRT <= 8.4, runtime scales by <= 8.2): the same check on both forms shows it can fail.
    problems = tensorrt_problems(onnx.load(onnx_path))
    if export_target.form == "decomposed":
        assert problems == [], f"TensorRT rules broken [{export_target.id}]:\n  " + "\n  ".join(problems)
    else:
        assert any(problem.startswith("Resize ") and "mode=cubic" in problem for problem in problems), (
            f"tensorrt_problems={problems}, but should flag the cubic Resize [{export_target.id}]"
        )


def test_tensorrt_findings(export_target, onnx_path: Path) -> None:
    # What onnx-tensorrt's importer source says about each form (no TensorRT ran here).
    findings = tensorrt_findings(onnx.load(onnx_path))
    shape = [f for f in findings if "decide tensor dimensions" in f]
    # Both forms: the output size comes from factor's values, so factor is a shape tensor; `input`
    # reaches the sizes only through Shape, which reads its dimensions, not its values.
    assert len(shape) == 1 and "'factor'" in shape[0] and "Int32" in shape[0], f"{findings} [{export_target.id}]"
    resize = [f for f in findings if f.startswith("Resize ")]
    if export_target.form == "decomposed":
        assert resize == [], f"{resize} [{export_target.id}]"
    else:
        text = "\n".join(resize)
        for expected in ("release/8.4-GA", "release/8.5-GA", "setCubicCoeff", "length_in / length_out"):
            assert expected in text, f"{expected!r} missing from the Resize findings [{export_target.id}]:\n{text}"


# --- negative controls: the decomposed checks reject broken graphs --------------------------------


@pytest.fixture(scope="module")
def decomposed_model(tmp_path_factory: pytest.TempPathFactory) -> onnx.ModelProto:
    path = export_onnx(
        tmp_path_factory.mktemp("decomposed") / "m.onnx", random_model(), opset=17, resize="decomposed"
    )
    return onnx.load(path)


def test_decomposed_graph_conforms_only_as_decomposed(decomposed_model) -> None:
    assert check_graph(decomposed_model, 17, "decomposed").problems == ()
    assert "Resize nodes=0, but should be exactly 1" in check_graph(decomposed_model, 17, "resize").problems


def _freeze_factor(model: onnx.ModelProto, value: tuple[float, ...] = (1.0, 1.0, 3.0, 3.0)) -> onnx.ModelProto:
    """What a broken exporter writes: every reader of `factor` reads a Constant instead."""
    frozen = onnx.ModelProto()
    frozen.CopyFrom(model)
    for node in frozen.graph.node:
        for index, name in enumerate(node.input):
            if name == "factor":
                node.input[index] = "frozen_factor"
    constant = onnx.helper.make_node(
        "Constant", [], ["frozen_factor"], value=onnx.numpy_helper.from_array(np.array(value, np.float32))
    )
    frozen.graph.node.insert(0, constant)
    return frozen


def test_frozen_factor_is_rejected(decomposed_model) -> None:
    problems = "\n".join(check_graph(_freeze_factor(decomposed_model), 17, "decomposed").problems)
    assert "no node consumes the graph input 'factor'" in problems
    assert "'output' is not computed from 'factor'" in problems
    assert "does not depend on 'factor'" in problems


def test_frozen_output_length_is_rejected(decomposed_model) -> None:
    # A Range whose limit is a constant: the output size would be baked in at export.
    broken = onnx.ModelProto()
    broken.CopyFrom(decomposed_model)
    range_node = next(node for node in broken.graph.node if node.op_type == "Range")
    broken.graph.node.insert(0, onnx.helper.make_node(
        "Constant", [], ["frozen_length"], value=onnx.numpy_helper.from_array(np.array(72, np.int64))
    ))
    range_node.input[1] = "frozen_length"
    problems = "\n".join(check_graph(broken, 17, "decomposed").problems)
    assert "has a constant limit" in problems


def test_resize_graph_is_rejected_as_decomposed(tmp_path: Path) -> None:
    model = onnx.load(export_onnx(tmp_path / "r.onnx", random_model(), opset=17))
    problems = "\n".join(check_graph(model, 17, "decomposed").problems)
    assert "nodes ['Resize'] found" in problems and "no Floor node" in problems


def _tiny_graph(nodes: list[onnx.NodeProto], dtype: int) -> onnx.ModelProto:
    graph = onnx.helper.make_graph(
        nodes, "g", [onnx.helper.make_tensor_value_info("n", dtype, [])],
        [onnx.helper.make_tensor_value_info("y", dtype, None)],
        initializer=[onnx.helper.make_tensor("zero", dtype, [], [0]), onnx.helper.make_tensor("one", dtype, [], [1])],
    )
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])


def test_tensorrt_check_flags_runtime_inputs_that_must_be_constant() -> None:
    float_range = _tiny_graph([onnx.helper.make_node("Range", ["zero", "n", "one"], ["y"])], onnx.TensorProto.FLOAT)
    int_range = _tiny_graph([onnx.helper.make_node("Range", ["zero", "n", "one"], ["y"])], onnx.TensorProto.INT64)
    clip = _tiny_graph([onnx.helper.make_node("Clip", ["one", "zero", "n"], ["y"])], onnx.TensorProto.FLOAT)
    assert any("input #1 'n' is computed at run time" in p for p in tensorrt_problems(float_range))
    assert tensorrt_problems(int_range) == []  # dynamic int Range is fine on every listed version
    assert any("Clip" in p and "input #2 'n'" in p for p in tensorrt_problems(clip))


def test_tensorrt_shape_tensor_finding_follows_values_not_shapes() -> None:
    # A float input whose VALUES reach Reshape's shape is a shape tensor; one read only by Shape is not.
    by_value = _tiny_graph([
        onnx.helper.make_node("Cast", ["n"], ["n64"], to=onnx.TensorProto.INT64),
        onnx.helper.make_node("Reshape", ["one", "n64"], ["y"]),
    ], onnx.TensorProto.FLOAT)
    by_shape = _tiny_graph([
        onnx.helper.make_node("Shape", ["n"], ["s"]),
        onnx.helper.make_node("Reshape", ["one", "s"], ["y"]),
    ], onnx.TensorProto.FLOAT)
    assert [f for f in tensorrt_findings(by_value) if "'n'" in f and "Reshape input #1" in f]
    assert tensorrt_findings(by_shape) == []


# --- the op alone: shapes and the same-shape shortcut ---------------------------------------------


@settings(deadline=None)
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    scale_h=st.floats(1.0, 8.0, width=32),
    scale_w=st.floats(1.0, 8.0, width=32),
)
@example(height=10, width=10, scale_h=1.3, scale_w=1.3)  # float32 product rounds up to 13 (torch: 12)
@example(height=9, width=9, scale_h=10 / 3, scale_w=10 / 3)  # 67% of sizes differ at 10/3 in float64
@example(height=4, width=4, scale_h=1.2, scale_w=1.2)  # unchanged shape: ORT returns the input
def test_decomposed_output_size_is_the_eager_contract(
    resize_only_session, height: int, width: int, scale_h: float, scale_w: float
) -> None:
    image = np.zeros((1, 3, height, width), dtype=np.float32)
    factor = np.array([1.0, 1.0, scale_h, scale_w], dtype=np.float32)
    got = run_session(resize_only_session, image, factor).shape[2:]
    expected = (ops.output_size(height, float(factor[2])), ops.output_size(width, float(factor[3])))
    assert got == expected, f"output size={got}, but should be {expected} [{height}x{width} at {factor[2:]}]"


@pytest.mark.parametrize(("shape", "scales"), [((1, 3, 4, 4), (1.2, 1.2)), ((2, 3, 9, 7), (1.0, 1.0)),
                                               ((1, 3, 1, 1), (1.9, 1.5)), ((1, 3, 10, 6), (1.05, 1.1))])
def test_unchanged_shape_returns_the_input_bit_for_bit(resize_only_session, shape, scales) -> None:
    image = (np.random.default_rng(1).random(shape, dtype=np.float32) * 255.0).astype(np.float32)
    out = run_session(resize_only_session, image, np.array([1.0, 1.0, *scales], dtype=np.float32))
    np.testing.assert_array_equal(out, image)
