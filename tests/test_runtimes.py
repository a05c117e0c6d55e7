"""The runtime seam: registry, probes checked against real loads, sessions, OpenVINO's size rule.

Each probe is compared with reality on the installed versions: "opset N loads" must agree with
loading a real exported model of opset N. Runtimes that cannot run here are skipped with the probe's
own reason (which is itself checked against the library where that is possible).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from sr_model import ops
from sr_model.errors import ExportError, OnnxModelError, SrModelError, UnknownRuntimeError
from sr_model.export import export_onnx, supported_opsets
from sr_model.model import random_model
from sr_model.runtimes import DEFAULT_RUNTIME, RUNTIME_NAMES, Runtime, RuntimeSession, available_runtimes, get_runtime
from sr_model.engine.tolerance import model_tolerance

USABLE = [name for name, reason in available_runtimes().items() if reason is None]


def _usable(name: str) -> Runtime:
    runtime = get_runtime(name)
    reason = runtime.unavailable_reason()
    if reason is not None:
        pytest.skip(f"{name}: {reason}")
    return runtime


# --- registry --------------------------------------------------------------------------------------


def test_registry_names_and_default() -> None:
    assert RUNTIME_NAMES[0] == DEFAULT_RUNTIME == "onnxruntime"
    assert {"onnxruntime", "openvino", "onnxruntime-cuda"} <= set(RUNTIME_NAMES)
    for name in RUNTIME_NAMES:
        runtime = get_runtime(name)
        assert isinstance(runtime, Runtime) and runtime.name == name
        assert runtime is get_runtime(name)  # one instance: its probes are cached once per process
        assert "\n" not in runtime.description


def test_unknown_runtime_names_the_known_ones() -> None:
    with pytest.raises(UnknownRuntimeError, match=r"runtime='tensorrt', but should be one of \['onnxruntime'") as info:
        get_runtime("tensorrt")
    assert isinstance(info.value, SrModelError) and isinstance(info.value, ValueError)


def test_default_runtime_is_usable_here() -> None:
    assert available_runtimes()["onnxruntime"] is None
    assert get_runtime("onnxruntime").description.endswith(", CPUExecutionProvider")


def test_cuda_provider_probe_agrees_with_onnxruntime() -> None:
    import onnxruntime

    reason = get_runtime("onnxruntime-cuda").unavailable_reason()
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        assert reason is not None and "not CUDAExecutionProvider" in reason
    elif reason is None:  # listed and usable: a real session must keep the provider
        session = get_runtime("onnxruntime-cuda").load(export_onnx_bytes(17))
        assert session.session.get_providers()[0] == "CUDAExecutionProvider"


# --- the opset probe against real exports --------------------------------------------------------


class ResizeOnly(nn.Module):
    """The bicubic op alone: the opset question does not need the convolutions."""

    def forward(self, input: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return ops.bicubic_resize(input, factor)


_EXPORTS: dict[int, bytes] = {}


def export_onnx_bytes(opset: int) -> bytes:
    """A real export of the op at `opset` (TorchScript where it writes that opset: 4x faster; else dynamo)."""
    if opset not in _EXPORTS:
        exporter = "torchscript" if opset in supported_opsets("torchscript") else "dynamo"
        with tempfile.TemporaryDirectory() as folder:
            path = export_onnx(Path(folder) / "m.onnx", ResizeOnly().eval(), exporter=exporter, opset=opset)
            _EXPORTS[opset] = path.read_bytes()
    return _EXPORTS[opset]


def _restamped(opset: int) -> bytes:
    """The newest real export stamped with a newer opset: Resize/Conv/Relu keep their signatures."""
    newest = max(supported_opsets("dynamo") or supported_opsets("torchscript"))
    model = onnx.load_from_string(export_onnx_bytes(newest))
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            entry.version = opset
    return model.SerializeToString()


WRITABLE_OPSETS = sorted(set(supported_opsets("torchscript")) | set(supported_opsets("dynamo")))
BEYOND = [WRITABLE_OPSETS[-1] + 1, WRITABLE_OPSETS[-1] + 2]


def _loads(runtime: Runtime, model: bytes) -> str | None:
    """None when `runtime` loads and runs `model` at 8x8 x2.5, else why not."""
    try:
        session = runtime.load(model)
        (out,) = session.run({"input": np.ones((1, 3, 8, 8), np.float32), "factor": np.array([1, 1, 2.5, 2.5], np.float32)})
    except OnnxModelError as error:
        return str(error)
    assert out.shape == (1, 3, 20, 20)
    return None


@pytest.mark.parametrize("name", USABLE)
def test_opset_probe_agrees_with_real_exports(name: str) -> None:
    runtime = _usable(name)
    disagreements, unwritable = [], []
    for opset in WRITABLE_OPSETS + BEYOND:
        try:
            model = export_onnx_bytes(opset) if opset in WRITABLE_OPSETS else _restamped(opset)
        except ExportError as error:
            # The exporter's own range is not this test's subject (test_export.py's is); e.g. torch
            # 2.13's TorchScript exporter writes opset 23 at IR 11, which onnx 1.17's checker refuses.
            unwritable.append(f"opset {opset}: {error}")
            continue
        probe, real = runtime.opset_unsupported_reason(opset), _loads(runtime, model)
        if (probe is None) != (real is None):
            disagreements.append(f"opset {opset}: probe={probe!r}, real load={real!r}")
    assert not disagreements, f"{runtime.description}:\n  " + "\n  ".join(disagreements)
    assert len(unwritable) <= 2, "most opsets could not be exported:\n  " + "\n  ".join(unwritable)
    if unwritable:
        print("not exportable on this stack, so not compared:\n  " + "\n  ".join(unwritable))


def test_ort_opset_probe_can_refuse() -> None:
    # No runtime loads an opset far beyond any onnx release: the probe must be able to say so.
    reason = get_runtime("onnxruntime").opset_unsupported_reason(1000)
    # The wording is the runtime's own and differs by release ("official support ... till opset 26"
    # on 1.32, "Unsupported model IR version" on 1.30): the probe only has to name the opset it refused.
    assert reason is not None and "opset-1000" in reason and "does not load" in reason


# --- sessions ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_onnx(tmp_path_factory.mktemp("rt") / "m.onnx", random_model(0), opset=17)


@pytest.mark.parametrize("name", USABLE)
def test_session_runs_the_model_within_tolerance(name: str, model_file: Path) -> None:
    session = _usable(name).load(model_file, threads=1)
    assert isinstance(session, RuntimeSession)
    assert session.input_names == ("input", "factor") and session.output_names == ("output",)
    rng = np.random.default_rng(0)
    image = (rng.random((1, 3, 17, 9)) * 255).astype(np.float32)
    factor = np.array([1, 1, 2.5, 2.5], np.float32)
    with torch.no_grad():
        expected = random_model(0)(torch.from_numpy(image), torch.from_numpy(factor)).numpy()
    (got,) = session.run({"input": image, "factor": factor})
    (named,) = session.run({"input": image, "factor": factor}, ["output"])
    tol = model_tolerance(17, 9)
    assert got.shape == expected.shape == (1, 3, 42, 22)
    np.testing.assert_allclose(got, expected, atol=tol.atol, rtol=tol.rtol)
    np.testing.assert_array_equal(got, named)


@pytest.mark.parametrize("name", USABLE)
def test_load_errors_are_typed(name: str, tmp_path: Path) -> None:
    runtime = _usable(name)
    with pytest.raises(OnnxModelError, match="does not exist"):
        runtime.load(tmp_path / "none.onnx")
    with pytest.raises(OnnxModelError, match="cannot load the given model bytes"):
        runtime.load(b"not a protobuf at all")


# --- OpenVINO --------------------------------------------------------------------------------------


def test_openvino_compiles_in_f32_not_its_default(model_file: Path) -> None:
    runtime = _usable("openvino")
    import openvino

    assert runtime.description.endswith(", CPU, f32")
    session = runtime.load(model_file)
    assert str(session._compiled.get_property("INFERENCE_PRECISION_HINT")) in ("<Type: 'float32'>", "f32")
    # What would happen without the hint (bf16 on CPUs that have it): the reason the hint is set.
    default = openvino.Core().get_property("CPU", "INFERENCE_PRECISION_HINT")
    print(f"OpenVINO's own CPU default precision here: {default}")


def test_openvino_returns_an_intermediate_tensor(model_file: Path) -> None:
    import onnxruntime

    session = _usable("openvino").load(model_file)
    model = onnx.load(model_file)
    resized = next(node.output[0] for node in model.graph.node if node.op_type == "Resize")
    # The reference: ORT on the same file with that tensor made a graph output.
    model.graph.output.append(onnx.helper.make_empty_tensor_value_info(resized))
    ort = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {"input": np.arange(3 * 8 * 8, dtype=np.float32).reshape(1, 3, 8, 8), "factor": np.array([1, 1, 2, 2], np.float32)}
    (expected,) = ort.run([resized], feeds)
    got, output = session.run(feeds, [resized, "output"])
    assert got.shape == expected.shape == (1, 3, 16, 16)
    np.testing.assert_allclose(got, expected, atol=1e-3)
    assert output.shape == (1, 3, 16, 16)
    with pytest.raises(OnnxModelError, match="not in"):
        session.run(feeds, ["no_such_tensor"])


# Points (n, scale) where OpenVINO's rule and floor(float32(n) * s) disagree (measured: 30 x2.1 and
# 15 x4.2 give 63, the contract 62) and where they agree.
SIZE_POINTS = [(30, 2.1), (15, 4.2), (60, 2.1), (25, 4.2), (17, 2.5), (10, 1.3), (64, 3.0), (9, 10 / 3), (1, 2.1)]


def test_openvino_resize_output_size_matches_a_real_run(tmp_path: Path) -> None:
    from sr_model.runtimes.openvino_cpu import resize_output_size

    session = _usable("openvino").load(export_onnx(tmp_path / "r.onnx", ResizeOnly().eval(), opset=17))
    for n, scale in SIZE_POINTS:
        (out,) = session.run({"input": np.zeros((1, 3, n, 2), np.float32), "factor": np.array([1, 1, scale, 1], np.float32)})
        assert out.shape[2] == resize_output_size(n, scale), f"n={n}, scale={scale}: OpenVINO gave {out.shape[2]}"


def test_openvino_still_deviates_from_the_contract_on_resize_not_decomposed(tmp_path: Path) -> None:
    # The declared deviation: fails if OpenVINO starts following floor(float32(n) * s) at 30 x2.1.
    runtime = _usable("openvino")
    contract = int(np.floor(np.float32(30) * np.float32(2.1)))
    feeds = {"input": np.zeros((1, 3, 30, 30), np.float32), "factor": np.array([1, 1, 2.1, 2.1], np.float32)}
    sizes = {}
    for form in ("resize", "decomposed"):
        path = export_onnx(tmp_path / f"{form}.onnx", ResizeOnly().eval(), opset=17, resize=form)
        (out,) = runtime.load(path).run(feeds)
        sizes[form] = out.shape[2:]
    assert contract == 62
    assert sizes == {"resize": (63, 63), "decomposed": (62, 62)}
