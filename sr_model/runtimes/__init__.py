"""TEMPORARY shim until the runtime seam lands: ONNX Runtime on the CPU only."""

from __future__ import annotations

from typing import Any


class _OrtSession:
    def __init__(self, session: Any) -> None:
        self._session = session
        self.input_names = tuple(v.name for v in session.get_inputs())
        self.output_names = tuple(v.name for v in session.get_outputs())

    def run(self, feeds, outputs=None):
        return self._session.run(list(outputs) if outputs else None, dict(feeds))


class _Ort:
    name = "onnxruntime"

    def load(self, model, *, threads=None):
        from sr_model.runtime import create_session

        return _OrtSession(create_session(model, threads=threads))

    def versions(self):
        import onnxruntime

        return {"onnxruntime": onnxruntime.__version__}


def get_runtime(name: str) -> _Ort:
    return _Ort()
