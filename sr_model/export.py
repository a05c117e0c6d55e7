"""The ONNX I/O contract and `export_onnx()`, for both torch exporters.

The contract is declared once (`CONTRACT`) and every `torch.onnx.export` argument is derived from
it, so the names, the dynamic axes and the opset checks cannot drift apart between the exporters.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import torch
from torch import nn

from sr_model import compat, ops
from sr_model.contract import CONTRACT, IOContract
from sr_model.provenance import library_versions, weights_fingerprint, write_provenance
from sr_model.atomic import write_bytes_atomic
from sr_model.errors import (
    ExportError,
    OpsetNotWrittenError,
    UnknownExporterError,
    UnknownResizeFormError,
    UnsupportedOpsetError,
)
from sr_model.model import make_factor, random_model
from sr_model.ops import RESIZE_FORMS, ResizeForm

Exporter = Literal["torchscript", "dynamo"]
EXPORTERS: tuple[Exporter, ...] = ("torchscript", "dynamo")



# Resize with cubic mode and a `scales` input exists from opset 11. The TorchScript exporter writes
# opsets 7..10 WITHOUT an error but the files are invalid, so they are refused up front.
_TORCHSCRIPT_MIN_OPSET = 11
# The torch.export-based exporter builds at 18 and converts down to 15 (onnx 1.23); a request for 14
# or lower is silently kept at 18, so it is refused up front. Whether the conversion works depends on
# the installed onnx and on the graph (measured with onnx 1.17: the Resize form stays at 18 for 15..17,
# the decomposed form for 15): every export checks the written opset (OpsetNotWrittenError).
_DYNAMO_MIN_OPSET = 15


def _torchscript_max_opset() -> int:
    import onnx
    from torch.onnx import _constants

    # Above the installed onnx's newest opset the written file fails its checker (onnx 1.17 knows
    # opset 22 and IR 10; torch 2.13 writes opset 23 with IR 11): what the exporter writes validly
    # is what torch can write AND the installed onnx can check.
    return min(int(_constants.ONNX_MAX_OPSET), int(onnx.defs.onnx_opset_version()))


def _dynamo_max_opset() -> int:
    import onnx

    # Above the installed onnx's newest opset the request is silently kept at 18.
    return int(onnx.defs.onnx_opset_version())


def exporter_unavailable_reason(exporter: Exporter) -> str | None:
    """Why `exporter` cannot run with the installed torch, or None when it can."""
    _check_exporter_name(exporter)
    if exporter == "torchscript":
        return None
    if "custom_translation_table" not in compat.onnx_export_parameters():
        return (
            f"torch {torch.__version__} has no torch.onnx.export(custom_translation_table=...) "
            f"(added in torch 2.6); use exporter='torchscript', or a torch the README's "
            f"'Torch versions' table lists as passing"
        )
    try:
        import onnxscript  # noqa: F401
    except ImportError:
        return "onnxscript is not installed (pip install onnxscript)"
    failure = compat.data_dependent_conv_export_failure()
    if failure is not None:
        return (
            f"{failure}; use exporter='torchscript', or a torch the README's 'Torch versions' "
            f"table lists as passing"
        )
    return None


def supported_opsets(exporter: Exporter) -> tuple[int, ...]:
    """The opsets `exporter` writes validly with the installed torch and onnx."""
    _check_exporter_name(exporter)
    if exporter_unavailable_reason(exporter) is not None:
        return ()
    if exporter == "torchscript":
        return tuple(range(_TORCHSCRIPT_MIN_OPSET, _torchscript_max_opset() + 1))
    return tuple(range(_DYNAMO_MIN_OPSET, _dynamo_max_opset() + 1))


def default_opset(exporter: Exporter) -> int:
    """The opset used when none is asked for: the newest the exporter treats as stable."""
    return {"torchscript": 17, "dynamo": 20}[exporter] if supported_opsets(exporter) else 0


def _check_exporter_name(exporter: str) -> None:
    if exporter not in EXPORTERS:
        raise UnknownExporterError(
            f"exporter={exporter!r} is not known; expected one of {', '.join(EXPORTERS)}"
        )


def check_opset(exporter: Exporter, opset: int) -> None:
    """Raise UnsupportedOpsetError unless `exporter` writes `opset` validly."""
    reason = exporter_unavailable_reason(exporter)
    if reason is not None:
        raise UnsupportedOpsetError(f"exporter={exporter!r} is unavailable: {reason}")
    opsets = supported_opsets(exporter)
    if isinstance(opset, bool) or not isinstance(opset, int) or opset not in opsets:
        raise UnsupportedOpsetError(
            f"opset={opset!r} is not supported by the {exporter} exporter; expected an integer in "
            f"{opsets[0]}..{opsets[-1]} (dynamic bicubic Resize needs opset >= 11, and outside this "
            f"range the exporter writes an invalid file or silently another opset)"
        )


# Warnings the exporters emit on every export of this model. They say nothing about the file we
# write (which is checked below), so users are spared them; any other warning is shown.
_NOISE_WARNINGS: tuple[tuple[str, str], ...] = (
    (r".*legacy TorchScript-based ONNX export", "legacy exporter deprecation notice"),
    (r".*will be removed", "internal deprecation inside the TorchScript exporter"),
    (r".*is not supported.*highest.*", "TorchScript exporter's 'opset 21..23 untested' notice;"
     " we check the written file with the full checker instead"),
    (r".*treespec", "pytree deprecation raised inside torch.export"),
    (r".*Converting a tensor to a Python", "TracerWarning: the op reads factor values in eager"),
)
_NOISE_LOGGERS = ("torch.onnx", "onnxscript")


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    with warnings.catch_warnings():
        for pattern, _reason in _NOISE_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        # The dynamo exporter LOGS (not warns) its down-conversion from 18 to 15..17; the written
        # opset is verified after export, so those log lines are noise.
        loggers = [logging.getLogger(name) for name in _NOISE_LOGGERS]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.ERROR + 10)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def _example_inputs(contract: IOContract) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(contract.example_shape, generator=generator) * 255.0
    return image, make_factor(*contract.example_scales)


def _export_torchscript(
    model: nn.Module, opset: int, contract: IOContract, resize: ResizeForm = "resize"
) -> bytes:
    ops.register_torchscript_symbolic()
    buffer = io.BytesIO()
    kwargs = {"dynamo": False} if "dynamo" in compat.onnx_export_parameters() else {}
    with ops.torchscript_form(resize):
        torch.onnx.export(
            model,
            _example_inputs(contract),
            buffer,
            opset_version=opset,
            input_names=list(contract.input_names),
            output_names=list(contract.output_names),
            dynamic_axes=contract.dynamic_axes(),
            **kwargs,
        )
    return buffer.getvalue()


def _export_dynamo(
    model: nn.Module, opset: int, contract: IOContract, resize: ResizeForm = "resize"
) -> bytes:
    # Positional (a tuple in input order), so the model's forward may name its arguments freely.
    dims: dict[str, torch.export.Dim] = {}
    dynamic_shapes = tuple(
        {
            axis: dims.setdefault(dim, torch.export.Dim(dim, min=1))
            for axis, dim in enumerate(contract.input_dims[name])
            if isinstance(dim, str)
        }
        or None
        for name in contract.input_names
    )
    program = torch.onnx.export(
        model,
        _example_inputs(contract),
        None,
        dynamo=True,
        opset_version=opset,
        input_names=list(contract.input_names),
        output_names=list(contract.output_names),
        dynamic_shapes=dynamic_shapes,
        custom_translation_table=ops.dynamo_translation_table(resize),
        report=False,
        verbose=False,
    )
    return program.model_proto.SerializeToString()


def _apply_output_dims(proto: "onnx.ModelProto", contract: IOContract) -> None:  # noqa: F821
    """Give the outputs the contract's dims: its names for the exporter's anonymous symbols (`u0`,
    `s12`, `Addoutput_dim_1`, ...) and its static sizes where the exporter left a symbol (a
    residual `upsampled + body(upsampled)` makes TorchScript lose the channel count)."""
    renames: dict[str, str] = {}
    for output in proto.graph.output:
        wanted = contract.output_dims.get(output.name, ())
        for dim, name in zip(output.type.tensor_type.shape.dim, wanted):
            if isinstance(name, str) and dim.HasField("dim_param") and dim.dim_param != name:
                renames[dim.dim_param] = name
            elif isinstance(name, int) and not dim.HasField("dim_value"):
                dim.dim_value = name  # clears dim_param: the two are a oneof
    if not renames:
        return
    for value in [*proto.graph.output, *proto.graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param in renames:
                dim.dim_param = renames[dim.dim_param]


def export_onnx(
    path: str | os.PathLike[str],
    model: nn.Module | None = None,
    *,
    exporter: Exporter = "torchscript",
    opset: int | None = None,
    contract: IOContract = CONTRACT,
    resize: ResizeForm = "resize",
    weights: str | None = None,
) -> Path:
    """Export a dynamic-scale model (default: `random_model(seed=0)`) to `path`.

    `resize` picks the ONNX form of the bicubic op: `"resize"` (one `Resize` node) or
    `"decomposed"` (plain arithmetic and MatMuls: multi-threaded in ORT, no constant-only inputs).

    The opset is checked before anything runs; the written file is checked to carry exactly the
    requested opset and to pass `onnx.checker.check_model(full_check=True)`, then renamed into place
    (an existing file at `path` is untouched on any failure).

    The file records its provenance in `metadata_props` (`sr_model.provenance`): the weights'
    fingerprint and `weights` (a label such as "shipped" or a checkpoint path), the exporter, opset,
    form and library versions.
    """
    import onnx

    _check_exporter_name(exporter)
    if resize not in RESIZE_FORMS:
        raise UnknownResizeFormError(
            f"resize={resize!r} is not a known form of the bicubic op; expected one of "
            f"{', '.join(RESIZE_FORMS)}"
        )
    if opset is None:
        opset = default_opset(exporter)
    check_opset(exporter, opset)
    if model is None:
        model = random_model(seed=0)
    export = _export_torchscript if exporter == "torchscript" else _export_dynamo
    with _quiet_exporter(), torch.no_grad():
        data = export(model, opset, contract, resize)
    proto = onnx.load_from_string(data)
    _apply_output_dims(proto, contract)
    written = {entry.domain or "ai.onnx": entry.version for entry in proto.opset_import}
    if written.get("ai.onnx") != opset:
        raise OpsetNotWrittenError(
            f"the {exporter} exporter wrote opset_import={written} but opset {opset} was requested; "
            f"nothing was written to {os.fspath(path)!r}"
        )
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as error:
        first_line = str(error).strip().splitlines()[0]
        raise ExportError(
            f"the {exporter} exporter wrote an invalid model at opset {opset}: {first_line}"
        ) from error
    write_provenance(proto, {
        "weights_sha256": weights_fingerprint(model),
        "weights": weights or "unlabelled",
        "exporter": exporter,
        "opset": str(opset),
        "form": resize,
        "versions": json.dumps(library_versions(), sort_keys=True),
    })
    return write_bytes_atomic(path, proto.SerializeToString())

