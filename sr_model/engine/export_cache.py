"""A content-addressed cache of exported ONNX files, reused across runs while nothing they depend on changes.

The key is a sha256 over everything that can change the bytes an export writes: the package source
files `sr_model.export` imports (found by reading their imports, so the list cannot go stale), the
source files defining the model's classes, the model's weights, the exporter, opset, form and I/O
contract, and the versions of the libraries involved. Entries are `<key>.onnx` beside a
`<key>.sha256` of their bytes, both written atomically; a file lock makes a second process that
wants the same key wait for the first instead of exporting again. No pytest in here.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib
import inspect
import platform
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from torch import nn

from sr_model import export as _export
from sr_model.atomic import write_bytes_atomic
from sr_model.provenance import weights_digest
from sr_model.export import CONTRACT, Exporter, IOContract
from sr_model.ops import ResizeForm

try:  # POSIX only; elsewhere concurrent writers stay safe (atomic rename) but may both export.
    import fcntl
except ImportError:  # pragma: no cover - not reachable on Linux
    fcntl = None  # type: ignore[assignment]

_PACKAGE = "sr_model"
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# The module whose import closure decides what an export can depend on.
_EXPORT_ENTRY = "sr_model.export"
# Libraries whose version can change the exported bytes (torch, onnx, onnxscript), the file checks
# (onnx) or what the cached file is for (onnxruntime); numpy and Python for the weights' bytes.
_LIBRARIES = ("torch", "onnx", "onnxscript", "onnxruntime", "numpy")
# Bump when the key's layout changes, so old entries are never read under a new meaning.
_KEY_SCHEMA = "sr_model.export_cache/1"


def _module_file(module: str) -> Path | None:
    """The source file of package module `module` (`sr_model.x.y`), or None when it has none."""
    parts = module.split(".")
    if parts[0] != _PACKAGE:
        return None
    base = _PACKAGE_ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(module: str, path: Path) -> set[str]:
    """Every `sr_model` module that `path` imports, at any depth (function-level imports included)."""
    stat = path.stat()
    # Parsing is most of a cache hit's cost; a file's imports change only when the file does.
    names = _parse_imports(module, path, stat.st_mtime_ns, stat.st_size)
    # Filtered outside the memo: a new file can turn an imported name into a module.
    return {name for name in names if name.split(".")[0] == _PACKAGE and _module_file(name)}


@functools.lru_cache(maxsize=256)
def _parse_imports(module: str, path: Path, _mtime_ns: int, _size: int) -> frozenset[str]:
    """Every module name `path` imports, with the packages above each (stat fields key the memo)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        # A file mid-edit: its bytes are still hashed (so the key changes); it just adds no imports.
        return frozenset()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            # `from sr_model import ops` names a submodule; `from x import name` names an attribute.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
    parents = {".".join(name.split(".")[:i]) for name in found for i in range(1, name.count(".") + 1)}
    return frozenset(found | parents)


def export_sources() -> tuple[Path, ...]:
    """The package's source files an export can depend on: the import closure of `sr_model.export`."""
    seen: dict[str, Path] = {}
    pending = [_PACKAGE, _EXPORT_ENTRY]
    while pending:
        module = pending.pop()
        path = _module_file(module)
        if module in seen or path is None:
            continue
        seen[module] = path
        pending.extend(_imported_modules(module, path) - seen.keys())
    return tuple(sorted(set(seen.values())))


def _model_sources(model: nn.Module) -> list[tuple[str, bytes]]:
    """(qualname, source) for every class of the model's submodules that is not torch's own.

    torch's classes are covered by the torch version; a model defined outside the package is
    covered by its source file (the whole file: helpers beside the class can change `forward`).
    """
    entries: dict[str, bytes] = {}
    for submodule in model.modules():
        for cls in type(submodule).__mro__:
            if cls.__module__.split(".")[0] in ("torch", "builtins"):
                continue
            name = f"{cls.__module__}.{cls.__qualname__}"
            try:
                source = Path(inspect.getsourcefile(cls) or "").read_bytes()
            except (OSError, TypeError):
                source = b"<no source>"  # e.g. a class defined in a REPL: the qualname still counts
            entries[name] = source
    return sorted(entries.items())


@functools.cache
def library_versions() -> Mapping[str, str]:
    """The versions of the libraries an export depends on (imported to read them), and Python's."""
    versions = {"python": f"{platform.python_implementation()} {sys.version}"}
    for name in _LIBRARIES:
        try:
            versions[name] = str(importlib.import_module(name).__version__)
        except ImportError:
            versions[name] = "absent"
    return versions


def export_cache_key(
    model: nn.Module,
    *,
    exporter: Exporter,
    opset: int,
    form: ResizeForm,
    contract: IOContract = CONTRACT,
    runtime_versions: Mapping[str, str] | None = None,
    weights_label: str | None = None,
) -> str:
    """The cache key (sha256 hex) of exporting `model` so; `runtime_versions` defaults to `library_versions()`."""
    versions = library_versions() if runtime_versions is None else runtime_versions
    digest = hashlib.sha256()

    def field(label: str, value: bytes | str) -> None:
        data = value.encode() if isinstance(value, str) else value
        # Length-prefixed, so no two different field lists hash the same bytes.
        digest.update(f"{label}:{len(data)}:".encode() + data)

    field("schema", _KEY_SCHEMA)
    for path in export_sources():
        field(f"source {path.relative_to(_PACKAGE_ROOT).as_posix()}", path.read_bytes())
    for name, source in _model_sources(model):
        field(f"model class {name}", source)
    field("training", str(model.training))
    field("weights", weights_digest(model))
    field("exporter", exporter)
    field("opset", str(opset))
    field("form", form)
    field("contract", repr(contract))
    field("weights label", weights_label or "")  # written into the file's provenance
    for name, version in sorted(versions.items()):
        field(f"version {name}", version)
    return digest.hexdigest()


def _read_valid(entry: Path) -> bytes | None:
    """The entry's bytes when it exists and matches its stored sha256; None otherwise."""
    try:
        data = entry.read_bytes()
        expected = entry.with_suffix(".sha256").read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return data if hashlib.sha256(data).hexdigest() == expected else None


@contextlib.contextmanager
def _key_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (blocking), where the platform has `flock`."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def cached_export(
    cache_dir: Path | None,
    path: Path,
    model: nn.Module,
    *,
    exporter: Exporter,
    opset: int,
    form: ResizeForm,
    contract: IOContract = CONTRACT,
    weights: str | None = None,
) -> tuple[Path, bool]:
    """Export `model` to `path`, reusing a valid entry of `cache_dir`; returns (path, was_cache_hit).

    `path` always receives its own copy of the bytes, so it stays valid however the cache changes
    (cleared, or rewritten by another process) and a test that edits its file cannot poison the
    cache. `cache_dir=None` exports directly. A corrupt entry (bytes not matching the stored sha256)
    is exported again.
    """
    path = Path(path)

    def export(target: Path) -> Path:
        return _export.export_onnx(target, model, exporter=exporter, opset=opset, contract=contract, resize=form,
                                   weights=weights)

    if cache_dir is None:
        return export(path), False
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = export_cache_key(model, exporter=exporter, opset=opset, form=form, contract=contract, weights_label=weights)
    entry = cache_dir / f"{key}.onnx"
    data = _read_valid(entry)
    hit = data is not None
    if data is None:
        with _key_lock(cache_dir / f"{key}.lock"):
            # Another process may have written the entry while this one waited for the lock.
            data = _read_valid(entry)
            hit = data is not None
            if data is None:
                data = export(entry).read_bytes()
                # The hash goes last: an entry without it (a crash in between) reads as a miss.
                write_bytes_atomic(entry.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())
    write_bytes_atomic(path, data)
    return path, hit
