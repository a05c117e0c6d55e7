"""The ONNX I/O contract of an exported dynamic-scale model, declared once.

The exporters derive every `torch.onnx.export` argument from it, and the engine's graph checks read
the names and channel counts from it, so a user's own model with other names or channels is one
`IOContract(...)` away. What the checks demand of the RESAMPLING (cubic, A=-0.75, ...) is stated
independently in `sr_model.engine.graph`, not here: a wrong exporter constant must not agree with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

@dataclass(frozen=True)
class IOContract:
    """What every exported file must look like, whichever exporter wrote it."""

    input_names: tuple[str, str] = ("input", "factor")
    output_names: tuple[str] = ("output",)
    # Symbolic dim names, by axis. Channels (3) and the factor length (4) are static.
    input_dims: dict[str, tuple[str | int, ...]] = field(
        default_factory=lambda: {"input": ("N", 3, "H", "W"), "factor": (4,)}
    )
    output_dims: dict[str, tuple[str | int, ...]] = field(
        default_factory=lambda: {"output": ("N", 3, "OH", "OW")}
    )
    # Export at one shape, validate at many: a batch > 1 and H != W keep torch.export from
    # specialising 0/1-sized dims and make an H/W axis swap visible.
    example_shape: tuple[int, int, int, int] = (2, 3, 24, 32)
    example_scales: tuple[float, float] = (3.0, 3.0)

    @property
    def image_input(self) -> str:
        """The image input's name (the first input)."""
        return self.input_names[0]

    @property
    def factor_input(self) -> str:
        """The scale input's name (the second input)."""
        return self.input_names[1]

    @property
    def output(self) -> str:
        """The single output's name."""
        return self.output_names[0]

    def channels(self, name: str) -> int | None:
        """The static channel count of an NCHW input or output, if the contract fixes one."""
        dims = {**self.input_dims, **self.output_dims}.get(name, ())
        return dims[1] if len(dims) == 4 and isinstance(dims[1], int) else None

    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """`dynamic_axes` for the TorchScript exporter, inputs and outputs."""
        dims = {**self.input_dims, **self.output_dims}
        return {
            name: {axis: dim for axis, dim in enumerate(shape) if isinstance(dim, str)}
            for name, shape in dims.items()
            if any(isinstance(dim, str) for dim in shape)
        }


CONTRACT = IOContract()
