"""Feature detection across torch versions: the dynamo exporter is offered exactly where it works.

Measured (README "Torch versions"): torch 2.5.1 has no `custom_translation_table`; torch 2.9.1 has it
but its torch.export fails on a Conv2d over data-dependent H/W; 2.13.0 and 2.14.1 pass everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sr_model import compat
from sr_model.errors import UnsupportedOpsetError
from sr_model.export import export_onnx, exporter_unavailable_reason, supported_opsets

# The first torch whose fake convolution kernel skips the backend query (which guards on H*W) when a
# size is unbacked: read in the 2.12.0 wheel's torch/_subclasses/fake_impls.py; 2.10/2.11 still
# query it. Measured: 2.5.1 and 2.9.1 fail the probe, 2.13.0 and 2.14.1 pass it.
DATA_DEPENDENT_CONV_FROM = (2, 12)
# torch.onnx.export(custom_translation_table=...) exists from 2.6 (2.6.0 wheel's torch/onnx).
TRANSLATION_TABLE_FROM = (2, 6)


def test_conv_probe_verdict_matches_the_installed_torch() -> None:
    failure = compat.data_dependent_conv_export_failure()
    if torch.__version__ >= DATA_DEPENDENT_CONV_FROM:
        assert failure is None, f"torch {torch.__version__} was expected to pass the probe: {failure}"
    else:
        assert failure is not None and "data-dependent expression" in failure, (
            f"torch {torch.__version__} was expected to fail the probe on a data-dependent guard, "
            f"but the probe said {failure!r}"
        )


def test_dynamo_exporter_is_available_exactly_where_it_works() -> None:
    reason = exporter_unavailable_reason("dynamo")
    works = torch.__version__ >= max(DATA_DEPENDENT_CONV_FROM, TRANSLATION_TABLE_FROM)
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
    # A torch with the translation table (2.6 .. 2.11) whose torch.export fails the probe.
    parameters = compat.onnx_export_parameters() | {"custom_translation_table"}
    monkeypatch.setattr(compat, "onnx_export_parameters", lambda: parameters)
    monkeypatch.setattr(compat, "data_dependent_conv_export_failure", lambda: probe_says)
    reason = exporter_unavailable_reason("dynamo")
    assert reason is not None and reason.startswith(probe_says)
    assert "use exporter='torchscript'" in reason
    with pytest.raises(UnsupportedOpsetError, match=r"exporter='dynamo' is unavailable: torch X's"):
        export_onnx(tmp_path / "m.onnx", exporter="dynamo", opset=18)
    assert list(tmp_path.iterdir()) == []
