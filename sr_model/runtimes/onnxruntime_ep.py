"""ONNX Runtime on another execution provider (CUDA), where an onnxruntime build with it is installed.

The provider is requested alone: ORT would otherwise fall back to the CPU silently and the run would
not be the one named in the report. ORT still places nodes the provider lacks on its CPU provider.
"""

from __future__ import annotations

from sr_model.runtimes.onnxruntime_cpu import OnnxRuntimeProvider

RUNTIME = OnnxRuntimeProvider("onnxruntime-cuda", "CUDAExecutionProvider")
