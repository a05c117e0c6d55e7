"""Which targets a run checks: exporters x opsets x forms, intersected with what this stack can do.

One owner for the choice. Supported opsets are probed (the exporter's valid range from
`sr_model.export`, the runtime's loadable opsets from `sr_model.runtimes`), never tabulated. A
selection that matches nothing is a `SelectionError` naming what is supported; a target this stack
cannot run (a runtime that cannot load its opset) is reported as unsupported with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sr_model.errors import SelectionError

EXPORTERS = ("torchscript", "dynamo")
FORMS = ("resize", "decomposed")


@dataclass(frozen=True, order=True)
class TargetSpec:
    """A file this run exports: exporter, opset, form."""

    exporter: str
    opset: int
    form: str = "resize"

    @property
    def id(self) -> str:
        suffix = "" if self.form == "resize" else f"-{self.form}"
        return f"{self.exporter}-opset{self.opset}{suffix}"


@dataclass
class Selection:
    """The chosen targets, the subsets the parity tests run on, and what was left out and why."""

    targets: list[TargetSpec]  # every file: graph and golden checks
    grid: list[TargetSpec]  # the named grid's targets
    properties: list[TargetSpec]  # one per (exporter, form): property, large, face and oracle tests
    unavailable: dict[str, str] = field(default_factory=dict)  # exporter -> why it cannot run here
    unsupported: dict[tuple[TargetSpec, str], str] = field(default_factory=dict)  # (spec, runtime) -> why

    def runs_on(self, spec: TargetSpec, runtime: str) -> bool:
        """Whether this stack runs `spec` in `runtime`."""
        return (spec, runtime) not in self.unsupported


def _ranges(supported: dict[str, tuple[int, ...]]) -> str:
    return "; ".join(f"{name} {opsets[0]}..{opsets[-1]}" if opsets else f"{name} none"
                     for name, opsets in supported.items())


def select(
    exporters: Sequence[str] | None = None,
    opsets: Sequence[int] | None = None,
    forms: Sequence[str] | None = None,
    runtimes: Sequence[str] = ("onnxruntime",),
) -> Selection:
    """The targets for these choices (None: everything this stack supports)."""
    from sr_model.export import default_opset, exporter_unavailable_reason, supported_opsets
    from sr_model.runtimes import get_runtime

    for name in exporters or ():
        if name not in EXPORTERS:
            raise SelectionError(f"exporter {name!r} is not known; expected one of {', '.join(EXPORTERS)}")
    for form in forms or ():
        if form not in FORMS:
            raise SelectionError(f"form {form!r} is not known; expected one of {', '.join(FORMS)}")
    chosen_exporters = list(exporters or EXPORTERS)
    chosen_forms = list(forms or FORMS)
    unavailable = {e: r for e in chosen_exporters if (r := exporter_unavailable_reason(e)) is not None}
    supported = {e: supported_opsets(e) for e in chosen_exporters if e not in unavailable}
    if exporters and not supported:
        raise SelectionError(
            "no selected exporter can run with this torch: "
            + "; ".join(f"{e}: {reason}" for e, reason in unavailable.items())
        )
    if opsets:
        for opset in opsets:
            if not any(opset in available for available in supported.values()):
                raise SelectionError(
                    f"--opset {opset} is not written validly by any selected exporter; supported: {_ranges(supported)}"
                )
    targets = [TargetSpec(e, o, f) for e, available in supported.items() for o in (opsets or available)
               if o in available for f in chosen_forms]
    # The decomposed form's builder emits the same nodes at every opset (all unchanged since 11),
    # and the Resize form's grid already sweeps every opset: without --opset, its grid runs at the
    # exporter's first, default and last opset only (its graph and golden checks run at all).
    grid = [t for t in targets if t.form == "resize" or opsets
            or t.opset in {supported[t.exporter][0], default_opset(t.exporter), supported[t.exporter][-1]}]
    properties: dict[tuple[str, str], TargetSpec] = {}
    for target in targets:
        key = (target.exporter, target.form)
        if key not in properties or target.opset == default_opset(target.exporter):
            properties[key] = target
    unsupported: dict[tuple[TargetSpec, str], str] = {}
    for runtime in runtimes:
        probe = getattr(get_runtime(runtime), "opset_unsupported_reason", lambda opset: None)
        for target in targets:
            reason = probe(target.opset)
            if reason is not None:
                unsupported[(target, runtime)] = f"{runtime} cannot run opset {target.opset}: {reason}"
    return Selection(targets, grid, list(properties.values()), unavailable, unsupported)
