"""export_onnx: opset refusal before writing, no noise warnings, atomic writes, dynamic dims."""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import pytest
import torch

from sr_model import export as export_module
from sr_model.errors import ExportError, UnknownExporterError, UnknownResizeFormError, UnsupportedOpsetError
from sr_model.export import export_onnx, supported_opsets
from sr_model.model import random_model


@pytest.mark.parametrize(
    ("exporter", "opset"),
    [("torchscript", 10), ("torchscript", 24), ("torchscript", 7), ("dynamo", 14), ("dynamo", 29)],
)
def test_unsupported_opset_is_refused_and_nothing_is_written(exporter, opset, tmp_path: Path) -> None:
    if not supported_opsets(exporter):
        pytest.skip(f"{exporter} exporter unavailable with this torch")
    target = tmp_path / "model.onnx"
    with pytest.raises(UnsupportedOpsetError, match=rf"opset={opset} is not supported .* expected an integer in \d+\.\.\d+"):
        export_onnx(target, exporter=exporter, opset=opset)
    assert list(tmp_path.iterdir()) == []


def test_unknown_exporter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownExporterError, match="exporter='onnxscript' is not known; expected one of"):
        export_onnx(tmp_path / "m.onnx", exporter="onnxscript")  # type: ignore[arg-type]


def test_supported_opsets_match_the_documented_ranges() -> None:
    assert supported_opsets("torchscript")[0] == 11
    if supported_opsets("dynamo"):
        assert supported_opsets("dynamo")[0] == 15


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_export_shows_no_exporter_noise(exporter, tmp_path: Path) -> None:
    if not supported_opsets(exporter):
        pytest.skip(f"{exporter} exporter unavailable with this torch")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_onnx(tmp_path / "m.onnx", random_model(), exporter=exporter, opset=17)
    assert [str(w.message)[:120] for w in caught] == []


def test_failed_export_leaves_the_previous_file_intact(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"previous")

    def broken_check(*args, **kwargs):
        raise onnx.checker.ValidationError("simulated failure after the exporter ran")

    monkeypatch.setattr(onnx.checker, "check_model", broken_check)
    with pytest.raises(ExportError, match="invalid model at opset 17: simulated failure"):
        export_onnx(target, random_model(), opset=17)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_written_opset_is_checked_against_the_request(tmp_path: Path, monkeypatch) -> None:
    # The dynamo exporter silently keeps 18 for some requests; simulate an exporter that does that.
    real = export_module._export_torchscript

    def wrong_opset(model, opset, contract, *rest):
        return real(model, 18, contract, *rest)

    monkeypatch.setattr(export_module, "_export_torchscript", wrong_opset)
    with pytest.raises(ExportError, match=r"wrote opset_import=\{'ai.onnx': 18\} but opset 13 was requested"):
        export_onnx(tmp_path / "m.onnx", random_model(), opset=13)
    assert not (tmp_path / "m.onnx").exists()


def test_unknown_resize_form_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(UnknownResizeFormError, match="resize='cubic' is not a known form .* expected one of resize, decomposed"):
        export_onnx(tmp_path / "m.onnx", random_model(), resize="cubic")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_torchscript_form_choice_does_not_leak_into_later_exports(tmp_path: Path, monkeypatch) -> None:
    # The legacy symbolic registration is process-global; the form is chosen per export.
    decomposed = onnx.load(export_onnx(tmp_path / "d.onnx", random_model(), opset=17, resize="decomposed"))
    default = onnx.load(export_onnx(tmp_path / "r.onnx", random_model(), opset=17))
    assert "Resize" not in {node.op_type for node in decomposed.graph.node}
    assert [node.op_type for node in default.graph.node].count("Resize") == 1

    def exporter_crash(*args, **kwargs):
        raise RuntimeError("simulated exporter crash while the decomposed form is selected")

    with monkeypatch.context() as patch:
        patch.setattr(torch.onnx, "export", exporter_crash)
        with pytest.raises(RuntimeError, match="simulated exporter crash"):
            export_onnx(tmp_path / "x.onnx", random_model(), opset=17, resize="decomposed")
    after_failure = onnx.load(export_onnx(tmp_path / "r2.onnx", random_model(), opset=17))
    assert [node.op_type for node in after_failure.graph.node].count("Resize") == 1
