"""The reference: the eager model every exported file is compared with, resolved in ONE place.

`resolve_reference()` is what `sr-model export`, `sr-model verify` and the pytest plugin all call,
so the three share one default: the shipped trained weights for the shipped SRCNN, and a user's own
factory's weights for `--model MODULE:FACTORY`. Its expected outputs are computed once per case and
kept (they do not depend on the exporter, opset, form or runtime).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from torch import nn

from sr_model.engine.cases import ParityCase
from sr_model.engine.tolerance import Expectation, Tolerance, expect
from sr_model.errors import CheckpointError, ModelFactoryError
from sr_model.provenance import weights_fingerprint

Weights = Literal["shipped", "checkpoint", "random", "factory"]


@dataclass
class Reference:
    """The eager model, where its weights came from, and its expected outputs per case."""

    model: nn.Module
    weights: Weights
    label: str  # for people: "the shipped weights (.../srcnn.pth)"
    fingerprint: str  # sr_model.provenance.weights_fingerprint(model)
    model_spec: str = "sr_model.model:DynamicSRCNN"
    checkpoint: Path | None = None
    device: str = "cpu"
    allow_tf32: bool = False  # only off the CPU: TF32 is disabled for the reference unless asked
    tolerance_override: Tolerance | None = None
    # Where named cases' expectations persist across runs (None: this process only).
    cache_dir: Path | None = None
    _expected: dict[str, Expectation] = field(default_factory=dict, repr=False)

    def expect(self, case: ParityCase) -> Expectation:
        """The eager output for `case` and the bound a runtime must stay within (computed once)."""
        if case.id not in self._expected:
            self._expected[case.id] = self._stored(case) or expect(self, case.image(), case.factor(), case.content)
        return self._expected[case.id]

    def _stored(self, case: ParityCase) -> Expectation | None:
        """The case's expectation from `cache_dir`, computing and storing it on a miss."""
        if self.cache_dir is None or self.tolerance_override is not None:
            return None
        from sr_model.engine import expectation_cache

        key = expectation_cache.expectation_key(self.model, case.id, self.device, self.allow_tf32)
        entry = expectation_cache.load(self.cache_dir, key)
        if entry is not None:
            expected, atol, rtol, reason = entry
            return Expectation(expected, Tolerance(atol, rtol, reason))
        computed = expect(self, case.image(), case.factor(), case.content)
        expectation_cache.store(self.cache_dir, key, computed.expected, computed.tolerance.atol,
                                computed.tolerance.rtol, computed.tolerance.reason)
        return computed

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_spec,
            "weights": self.weights,
            "label": self.label,
            "fingerprint": self.fingerprint,
            "checkpoint": os.fspath(self.checkpoint) if self.checkpoint else None,
            "device": self.device,
            "tf32": self.allow_tf32 if self.device != "cpu" else None,
            "note": self.label + ("" if self.device == "cpu" else
                                  f"; run on {self.device} with TF32 {'ON' if self.allow_tf32 else 'off'}"),
        }


def load_factory(spec: str) -> Callable[[], nn.Module]:
    """`MODULE:FACTORY` -> the callable; the current directory is importable, as for `python -m`."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ModelFactoryError(
            f"--model {spec!r} is not MODULE:FACTORY; expected e.g. my_models:build_sr (an importable "
            "module and a callable in it that returns the eager model, forward(input, factor))"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ModelFactoryError(
            f"--model {spec!r}: cannot import module {module_name!r} ({error}); run from the folder "
            "that holds it, or put it on PYTHONPATH"
        ) from error
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ModelFactoryError(f"--model {spec!r}: {module_name} has no callable {attribute!r}")
    return factory


def _build(spec: str | None) -> tuple[nn.Module, str]:
    if spec is None:
        from sr_model.model import DynamicSRCNN

        return DynamicSRCNN(), "sr_model.model:DynamicSRCNN"
    model = load_factory(spec)()
    if not isinstance(model, nn.Module):
        raise ModelFactoryError(f"--model {spec!r} returned a {type(model).__name__}; expected a torch.nn.Module")
    return model, spec


def resolve_reference(
    *,
    checkpoint: str | os.PathLike[str] | None = None,
    random_weights: bool = False,
    model: str | None = None,
    device: str = "cpu",
    allow_tf32: bool = False,
    tolerance_override: Tolerance | None = None,
) -> Reference:
    """The reference model: the one default for export, verify and the pytest plugin.

    SRCNN (no `model`): `checkpoint` if given, seeded random weights if `random_weights`, else the
    shipped trained weights. A user's `model` (MODULE:FACTORY): `checkpoint` if given, else the
    weights the factory returns.
    """
    if device != "cpu":
        from sr_model.device import check_device

        check_device(device)  # a device this torch cannot use is a usage error before any work
    if checkpoint is not None and random_weights:
        raise CheckpointError("pass either a checkpoint or random weights, not both")
    module, spec = _build(model)
    if checkpoint is not None:
        from sr_model.checkpoint import load_checkpoint
        from sr_model.paths import DEFAULT_CHECKPOINT

        path = Path(checkpoint)
        load_checkpoint(path, module)
        shipped = model is None and path.resolve() == Path(DEFAULT_CHECKPOINT).resolve()
        weights: Weights = "shipped" if shipped else "checkpoint"
        label = f"{'the shipped weights' if shipped else 'weights from'} {os.fspath(path)}"
    elif model is not None:
        if random_weights:
            raise ModelFactoryError(
                f"--random-weights applies to the shipped SRCNN; {spec} is checked with the weights it "
                "returns, or with --checkpoint PTH"
            )
        weights, label, path = "factory", f"the weights {spec} returns", None
    elif random_weights:
        from sr_model.model import random_model

        module, weights, label, path = random_model(seed=0), "random", "seeded random weights (random_model(0))", None
    else:
        from sr_model.checkpoint import load_checkpoint
        from sr_model.paths import DEFAULT_CHECKPOINT

        path = Path(DEFAULT_CHECKPOINT)
        if not path.is_file():
            raise CheckpointError(
                f"the shipped weights {os.fspath(path)!r} are missing from this install; reinstall "
                "sr-model, or pass --checkpoint PTH or --random-weights"
            )
        load_checkpoint(path, module)
        weights, label = "shipped", f"the shipped weights ({path.name})"
    module = module.eval()
    return Reference(
        model=module, weights=weights, label=label, fingerprint=weights_fingerprint(module),
        model_spec=spec, checkpoint=path, device=device, allow_tf32=allow_tf32,
        tolerance_override=tolerance_override,
    )


def from_model(model: nn.Module, *, label: str = "a model given in code", weights: Weights = "factory") -> Reference:
    """A reference around a model built in code (the library API and the suite's own tests)."""
    model = model.eval()
    return Reference(model=model, weights=weights, label=label, fingerprint=weights_fingerprint(model),
                     model_spec=f"{type(model).__module__}:{type(model).__qualname__}")
