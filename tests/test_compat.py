"""Feature detection across torch versions: each probe's verdict is checked against reality here.

No version table: a probe is right when it agrees with what the installed torch actually does. The
dynamo exporter's probe must say "works" exactly when a real dynamo export of the model succeeds.
Measured (README "Torch versions", FACTS 7): 2.5.1 has no `custom_translation_table`; 2.9.1 fails the
conv probe; 2.11.0, 2.13.0 and 2.14.1 pass it and every dynamo test.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import onnx
import pytest
import torch

from sr_model import compat
from sr_model.errors import UnsupportedOpsetError
from sr_model.export import export_onnx, exporter_unavailable_reason, supported_opsets


def _real_dynamo_export_failure(monkeypatch: pytest.MonkeyPatch, path: Path) -> BaseException | None:
    """Export the model with the dynamo exporter, the probe's gate lifted; the error, or None."""
    # The gate reads the probe; saying "works" lets the real export show what torch does.
    with monkeypatch.context() as patch:
        patch.setattr(compat, "data_dependent_conv_export_failure", lambda: None)
        try:
            exported = export_onnx(path, exporter="dynamo", opset=18)
            onnx.checker.check_model(onnx.load(exported), full_check=True)
        except Exception as error:  # any failure of the real export is the fact we compare with
            return error
    return None


def test_translation_table_probe_reads_the_real_signature() -> None:
    # The probe is the signature of the installed torch.onnx.export, nothing remembered.
    assert compat.onnx_export_parameters() == frozenset(inspect.signature(torch.onnx.export).parameters)


def test_conv_probe_verdict_matches_a_real_dynamo_export(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if "custom_translation_table" not in compat.onnx_export_parameters():
        pytest.skip(f"torch {torch.__version__} has no custom_translation_table: the model cannot be exported by dynamo at all")
    probe = compat.data_dependent_conv_export_failure()
    real = _real_dynamo_export_failure(monkeypatch, tmp_path / "m.onnx")
    assert (probe is None) == (real is None), (
        f"torch {torch.__version__}: probe says {probe!r}, but a real dynamo export "
        f"{'succeeded' if real is None else f'failed with {type(real).__name__}: {real}'}"
    )


def test_dynamo_exporter_is_available_exactly_where_it_works(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    reason = exporter_unavailable_reason("dynamo")
    if "custom_translation_table" in compat.onnx_export_parameters():
        real = _real_dynamo_export_failure(monkeypatch, tmp_path / "m.onnx")
        works = real is None
    else:
        works = False
    # On a torch where the path works, an "unavailable" verdict would turn every dynamo check into
    # a skip and leave the run green: that must fail here instead.
    assert (reason is None) == works, f"torch {torch.__version__}: unavailable reason = {reason!r}"
    assert bool(supported_opsets("dynamo")) == works
    assert exporter_unavailable_reason("torchscript") is None


def test_torch_without_translation_table_refuses_dynamo_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # torch 2.5's signature: `dynamo=` exists, `custom_translation_table=` does not.
    monkeypatch.setattr(
        compat, "onnx_export_parameters", lambda: frozenset({"model", "args", "f", "dynamo"})
    )
    reason = exporter_unavailable_reason("dynamo")
    assert reason is not None and "custom_translation_table" in reason
    assert "use exporter='torchscript'" in reason
    assert supported_opsets("dynamo") == ()
    with pytest.raises(UnsupportedOpsetError, match=r"exporter='dynamo' is unavailable: .*custom_translation_table"):
        export_onnx(tmp_path / "m.onnx", exporter="dynamo")
    assert list(tmp_path.iterdir()) == []


def test_failed_conv_probe_refuses_dynamo_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    probe_says = "torch X's torch.export cannot trace a Conv2d whose input H/W are data-dependent (...)"
    # A torch with the translation table whose torch.export fails the probe (2.9.1, measured).
    parameters = compat.onnx_export_parameters() | {"custom_translation_table"}
    monkeypatch.setattr(compat, "onnx_export_parameters", lambda: parameters)
    monkeypatch.setattr(compat, "data_dependent_conv_export_failure", lambda: probe_says)
    reason = exporter_unavailable_reason("dynamo")
    assert reason is not None and reason.startswith(probe_says)
    assert "use exporter='torchscript'" in reason
    with pytest.raises(UnsupportedOpsetError, match=r"exporter='dynamo' is unavailable: torch X's"):
        export_onnx(tmp_path / "m.onnx", exporter="dynamo", opset=18)
    assert list(tmp_path.iterdir()) == []
