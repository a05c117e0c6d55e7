"""What the installed torch can do for the torch.export-based exporter, found by trying it.

Version numbers are not enough here: the capability the dynamo path needs (tracing a convolution
whose input height and width are data-dependent) depends on torch internals, not on an API that a
signature check could see. So it is probed once per process with a tiny model that uses only torch
(none of this package's code, so a bug of ours can never be mistaken for a missing capability).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import logging
import warnings

import torch
from torch import nn

# Loggers torch writes the probe's expected failure to (as an ERROR line on torch 2.5).
_PROBE_LOGGERS = ("torch", "torch.fx.experimental.recording", "torch._dynamo", "torch.export")


def onnx_export_parameters() -> frozenset[str]:
    """The keyword parameters `torch.onnx.export` accepts with the installed torch."""
    return frozenset(inspect.signature(torch.onnx.export).parameters)


class _DataDependentConvProbe(nn.Module):
    """A Conv2d over a tensor with a dynamic batch and data-dependent H and W.

    That is the shape situation of DynamicSRCNN under torch.export: the resize's output size comes
    from the VALUES of `factor`, so the convolutions see unbacked H and W next to a backed batch.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
        height, width = size.tolist()
        torch._check(height >= 1)
        torch._check(width >= 1)
        return self.conv(x.new_zeros((x.shape[0], x.shape[1], height, width)))


@functools.cache
def data_dependent_conv_export_failure() -> str | None:
    """Why torch.export cannot trace a Conv2d over data-dependent H/W here, or None when it can.

    Measured: torch 2.5.1 and 2.9.1 fail with `... data-dependent expression 3*u0*u1 > 2147483647`
    (their fake convolution kernel asks the backend selector about the input whenever the BATCH has
    a hint, and that guards on the unbacked H*W); 2.11.0 (FACTS 7), 2.13.0 and 2.14.1 pass, and so
    does every dynamo export there. 2.10 and 2.12 were not run. tests/test_compat.py checks this
    verdict against a real dynamo export of the model on whatever torch is installed.
    """
    example = (torch.zeros(2, 3, 4, 5), torch.tensor([6, 7]))
    dynamic_shapes = {"x": {0: torch.export.Dim("N", min=1)}, "size": None}
    loggers = [logging.getLogger(name) for name in _PROBE_LOGGERS]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.CRITICAL + 10)
        # torch 2.9 also prints the partial graph of a failed export straight to sys.stderr.
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.export.export(_DataDependentConvProbe(), example, dynamic_shapes=dynamic_shapes)
    except Exception as error:  # any failure means the capability is absent; its text says why
        first_line = (str(error).strip().splitlines() or [""])[0]
        return (
            f"torch {torch.__version__}'s torch.export cannot trace a Conv2d whose input H/W are "
            f"data-dependent ({type(error).__name__}: {first_line[:160]})"
        )
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
    return None
