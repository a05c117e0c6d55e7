"""Runtimes that run exported ONNX files, behind one interface (`Runtime`, `RuntimeSession`).

Each backend is one module exposing `RUNTIME`; this registry names them. Nothing heavy is imported
until a runtime is asked for, and availability is probed, never assumed from versions.
"""

from __future__ import annotations

import importlib

from sr_model.errors import UnknownRuntimeError
from sr_model.runtimes.base import Runtime, RuntimeSession

# name -> module under sr_model.runtimes that defines RUNTIME. Order: default first.
_REGISTRY: dict[str, str] = {
    "onnxruntime": "onnxruntime_cpu",
    "openvino": "openvino_cpu",
    "onnxruntime-cuda": "onnxruntime_ep",
}
RUNTIME_NAMES: tuple[str, ...] = tuple(_REGISTRY)
DEFAULT_RUNTIME = "onnxruntime"

__all__ = [
    "DEFAULT_RUNTIME", "RUNTIME_NAMES", "Runtime", "RuntimeSession", "available_runtimes", "get_runtime",
]


def get_runtime(name: str) -> Runtime:
    """The runtime called `name` (one of RUNTIME_NAMES); UnknownRuntimeError otherwise."""
    module = _REGISTRY.get(name)
    if module is None:
        raise UnknownRuntimeError(
            f"runtime={name!r}, but should be one of {list(RUNTIME_NAMES)}; pick one of those names"
        )
    return importlib.import_module(f"sr_model.runtimes.{module}").RUNTIME


def available_runtimes() -> dict[str, str | None]:
    """Every known runtime's name -> why it cannot run here (None: it can)."""
    return {name: get_runtime(name).unavailable_reason() for name in RUNTIME_NAMES}
