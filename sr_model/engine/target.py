"""The target: one ONNX file under test, exported here or given, with its form and provenance."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sr_model.engine.graph import detect_form
from sr_model.errors import OnnxModelError
from sr_model.provenance import read_provenance

if TYPE_CHECKING:
    import onnx


@dataclass(frozen=True)
class Target:
    """A file under test: where it is, which form of the bicubic it holds, where it came from."""

    id: str  # "torchscript-opset17", "dynamo-opset20-decomposed", or the file's name
    path: Path
    form: str | None  # "resize", "decomposed"; None when the graph holds neither
    exporter: str | None = None
    opset: int | None = None  # the opset asked of the exporter (checked against the file)
    provenance: dict[str, str] = field(default_factory=dict)  # the file's sr_model.* metadata
    form_source: str = "detected"  # "detected" from the graph, or "given" (--form)

    def describe(self) -> dict[str, Any]:
        """Path, hash, opset, producer, form and provenance, as recorded in reports."""
        proto = load_onnx(self.path)
        opset = next((int(e.version) for e in proto.opset_import if e.domain in ("", "ai.onnx")), None)
        return {
            "path": os.fspath(self.path),
            "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
            "opset": opset,
            "producer": f"{proto.producer_name} {proto.producer_version}".strip(),
            "form": self.form,
            "form_source": self.form_source,
            "exporter": self.exporter,
            "provenance": dict(self.provenance),
        }


def load_onnx(path: str | os.PathLike[str]) -> "onnx.ModelProto":
    """Parse an ONNX file, with an OnnxModelError naming the file when it is missing or unreadable."""
    import onnx

    path = Path(path)
    if not path.is_file():
        raise OnnxModelError(f"ONNX file {os.fspath(path)!r} does not exist; pass the path of an exported model")
    try:
        return onnx.load(path)
    except Exception as error:  # onnx raises DecodeError, ValueError, ... for non-ONNX bytes
        raise OnnxModelError(
            f"{os.fspath(path)!r} is not a readable ONNX model ({type(error).__name__}: {error}); "
            "expected a file written by `sr-model export` or torch.onnx.export"
        ) from error


def load_target(
    path: str | os.PathLike[str],
    *,
    id: str | None = None,
    form: str | None = None,
    exporter: str | None = None,
    opset: int | None = None,
) -> Target:
    """A target for `path`: its form detected from the graph unless `form` overrides it."""
    path = Path(path)
    proto = load_onnx(path)
    provenance = read_provenance(proto)
    return Target(
        id=id or path.name,
        path=path,
        form=form if form is not None else detect_form(proto),
        exporter=exporter or provenance.get("exporter"),
        opset=opset,
        provenance=provenance,
        form_source="given" if form is not None else "detected",
    )
