"""Typed errors raised at the package's boundaries.

Every message names the offending value, what was expected and how to fix it, so that a CLI can
print it as one line and a test can match on the type.
"""

from __future__ import annotations


class SrModelError(Exception):
    """Base class of every error this package raises on purpose."""


class UnsupportedOpsetError(SrModelError, ValueError):
    """An export was asked for an opset the chosen exporter cannot write validly."""


class UnknownExporterError(SrModelError, ValueError):
    """An exporter name other than the supported ones."""


class UnknownResizeFormError(SrModelError, ValueError):
    """A resize form other than the supported ones (`"resize"`, `"decomposed"`)."""


class FactorError(SrModelError, ValueError):
    """A scale factor that is malformed or outside the supported range."""


class InputImageError(SrModelError, ValueError):
    """An input tensor or image file that the model cannot take."""


class CheckpointError(SrModelError, ValueError):
    """A checkpoint that is missing, unreadable or does not fit the model."""


class OnnxModelError(SrModelError, ValueError):
    """An ONNX file that is missing, invalid or breaks the I/O contract."""


class ExportError(SrModelError, RuntimeError):
    """The exporter wrote something other than what was asked for."""


class MemoryLimitError(SrModelError, MemoryError):
    """An operation whose estimated peak memory exceeds the configured limit."""


class UsageError(SrModelError, ValueError):
    """Command-line options that contradict each other."""


class OpsetNotWrittenError(ExportError):
    """The exporter wrote another opset than the one asked for (silently, as torch's exporters do)."""


class ModelFactoryError(SrModelError, ValueError):
    """A `--model MODULE:FACTORY` that cannot be imported, called, or does not return a module."""


class SelectionError(UsageError):
    """A selection of exporters, opsets, forms or runtimes that matches nothing this stack supports."""


class ReferenceMismatchError(SrModelError, ValueError):
    """A file exported from other weights than the reference it is checked against."""


class ReferenceRunError(SrModelError, RuntimeError):
    """The reference model cannot run as the tolerance policy needs (e.g. its float64 copy)."""


class UnknownRuntimeError(SrModelError, ValueError):
    """A runtime name other than the registered ones (`sr_model.runtimes.RUNTIME_NAMES`)."""
