"""The export cache: hits skip the exporter; any change to what an export depends on re-exports."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import onnx
import pytest
import torch

from sr_model import export as export_module
from sr_model.engine import export_cache
from sr_model.engine.export_cache import cached_export, export_cache_key, export_sources
from sr_model.errors import ExportError
from sr_model.model import random_model
from sr_model.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "sr_model"
SETTINGS = {"exporter": "torchscript", "opset": 17, "form": "resize"}
# The modules the issue names as able to change an export: whatever the closure finds, these must be in it.
EXPORT_MODULES = ("ops.py", "decomposed.py", "export.py", "model.py", "compat.py", "validation.py", "atomic.py")


class CountingExporter:
    """Stands in for export_onnx: writes bytes derived from its arguments and counts the calls."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, path, model, *, exporter, opset, contract, resize, weights=None) -> Path:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        Path(path).write_bytes(f"onnx {exporter} {opset} {resize}".encode())
        return Path(path)


@pytest.fixture
def counting(monkeypatch) -> CountingExporter:
    exporter = CountingExporter()
    monkeypatch.setattr(export_module, "export_onnx", exporter)
    return exporter


def key(model: torch.nn.Module | None = None, **changes) -> str:
    return export_cache_key(model if model is not None else random_model(0), **{**SETTINGS, **changes})


@pytest.fixture
def package_copy(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the package's sources that the key reads instead of the real ones."""
    copy = tmp_path / "sr_model"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(export_cache, "_PACKAGE_ROOT", copy)
    return copy


def test_a_real_export_is_cached_and_the_hit_returns_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    calls = []
    real = export_module.export_onnx
    monkeypatch.setattr(export_module, "export_onnx", lambda *a, **k: calls.append(1) or real(*a, **k))
    cache = tmp_path / "cache"
    first, hit1 = cached_export(cache, tmp_path / "a.onnx", random_model(0), **SETTINGS)
    second, hit2 = cached_export(cache, tmp_path / "b.onnx", random_model(0), **SETTINGS)
    assert (hit1, hit2, len(calls)) == (False, True, 1)
    assert (first, second) == (tmp_path / "a.onnx", tmp_path / "b.onnx")
    assert second.read_bytes() == first.read_bytes()
    onnx.checker.check_model(onnx.load(second), full_check=True)


def test_no_cache_dir_exports_every_time(tmp_path: Path, counting: CountingExporter) -> None:
    for _ in range(2):
        assert cached_export(None, tmp_path / "m.onnx", random_model(0), **SETTINGS) == (tmp_path / "m.onnx", False)
    assert counting.calls == 2
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_the_target_gets_its_own_copy(tmp_path: Path, counting: CountingExporter) -> None:
    cache = tmp_path / "cache"
    path, _ = cached_export(cache, tmp_path / "m.onnx", random_model(0), **SETTINGS)
    path.write_bytes(b"a test mutated its file")  # must not poison the cache
    again, hit = cached_export(cache, tmp_path / "n.onnx", random_model(0), **SETTINGS)
    assert hit and again.read_bytes() == b"onnx torchscript 17 resize"
    assert counting.calls == 1


@pytest.mark.parametrize(
    "change",
    [{"opset": 18}, {"form": "decomposed"}, {"exporter": "dynamo"}],
    ids=lambda change: "-".join(f"{k}={v}" for k, v in change.items()),
)
def test_another_setting_is_another_entry(tmp_path: Path, counting: CountingExporter, change) -> None:
    cache = tmp_path / "cache"
    cached_export(cache, tmp_path / "a.onnx", random_model(0), **SETTINGS)
    _, hit = cached_export(cache, tmp_path / "b.onnx", random_model(0), **{**SETTINGS, **change})
    assert not hit and counting.calls == 2
    assert key(**change) != key()


def test_the_key_is_the_same_for_equal_inputs_and_across_processes() -> None:
    # Two model objects with the same weights: the key hashes content, not identity.
    assert key(random_model(0)) == key(random_model(0))
    code = (
        "from sr_model.engine.export_cache import export_cache_key as k; from sr_model.model import random_model as r;"
        "print(k(r(0), exporter='torchscript', opset=17, form='resize'))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert other.stdout.strip() == key()


def test_one_changed_weight_changes_the_key(tmp_path: Path, counting: CountingExporter) -> None:
    model = random_model(0)
    cached_export(tmp_path, tmp_path / "a.onnx", model, **SETTINGS)
    with torch.no_grad():
        weight = model.conv3.weight.view(-1)
        weight[7] = torch.nextafter(weight[7], torch.tensor(1.0))  # one ulp
    _, hit = cached_export(tmp_path, tmp_path / "b.onnx", model, **SETTINGS)
    assert not hit and counting.calls == 2


def test_training_mode_changes_the_key() -> None:
    assert key(random_model(0).train()) != key(random_model(0))


@pytest.mark.parametrize("library", ["torch", "onnx", "onnxscript", "onnxruntime", "numpy", "python"])
def test_a_library_version_changes_the_key(tmp_path: Path, counting: CountingExporter, monkeypatch, library) -> None:
    real = dict(export_cache.library_versions())
    assert library in real
    cached_export(tmp_path, tmp_path / "a.onnx", random_model(0), **SETTINGS)
    monkeypatch.setattr(export_cache, "library_versions", lambda: {**real, library: real[library] + ".post1"})
    _, hit = cached_export(tmp_path, tmp_path / "b.onnx", random_model(0), **SETTINGS)
    assert not hit and counting.calls == 2


def test_the_sources_include_every_module_an_export_runs() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in export_sources()}
    assert set(EXPORT_MODULES) <= names
    # Modules an export never imports stay out, so editing them keeps the cache warm.
    assert not {name for name in names if name.startswith(("testing/", "engine/", "commands/"))}
    assert not {"cli.py", "report.py", "upscale.py"} & names


@pytest.mark.parametrize("name", [p.relative_to(PACKAGE).as_posix() for p in export_sources()])
def test_one_changed_byte_in_any_export_source_re_exports(tmp_path: Path, counting, package_copy: Path, name) -> None:
    cache = tmp_path / "cache"
    cached_export(cache, tmp_path / "a.onnx", random_model(0), **SETTINGS)
    source = package_copy / name
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0x01
    source.write_bytes(bytes(data))
    _, hit = cached_export(cache, tmp_path / "b.onnx", random_model(0), **SETTINGS)
    assert not hit and counting.calls == 2


def test_a_change_outside_the_export_sources_keeps_the_key(package_copy: Path) -> None:
    before = key()
    for name in ("testing/asserts.py", "cli.py", "engine/run.py"):
        (package_copy / name).write_text("# edited\n" + (package_copy / name).read_text())
    assert key() == before


def test_a_new_import_of_export_brings_its_module_into_the_key(package_copy: Path) -> None:
    # Absolute, relative and function-level imports all count.
    assert not {"report.py", "paths.py", "imageio.py"} & {p.name for p in export_sources()}
    export_py, ops_py = package_copy / "export.py", package_copy / "ops.py"
    export_py.write_text(export_py.read_text() + "\nimport sr_model.report\n")
    ops_py.write_text(ops_py.read_text() + "\nfrom .paths import REPO_ROOT\n\ndef f():\n    from sr_model import imageio\n")
    assert {"report.py", "paths.py", "imageio.py"} <= {p.name for p in export_sources()}


def test_a_model_class_outside_the_package_is_hashed_by_its_source(tmp_path: Path, monkeypatch) -> None:
    module = tmp_path / "my_models.py"
    module.write_text("from sr_model.model import DynamicSRCNN\n\nclass Mine(DynamicSRCNN):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_models

    before = key(my_models.Mine().eval())
    module.write_text(module.read_text() + "\n# an edit beside the class\n")
    assert key(my_models.Mine().eval()) != before


@pytest.mark.parametrize("damage", ["truncated", "hash missing", "hash wrong"])
def test_a_damaged_entry_is_exported_again(tmp_path: Path, counting: CountingExporter, damage) -> None:
    cache = tmp_path / "cache"
    cached_export(cache, tmp_path / "a.onnx", random_model(0), **SETTINGS)
    entry = cache / f"{key()}.onnx"
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:-3])
    elif damage == "hash missing":
        entry.with_suffix(".sha256").unlink()
    else:
        entry.with_suffix(".sha256").write_text("0" * 64)
    path, hit = cached_export(cache, tmp_path / "b.onnx", random_model(0), **SETTINGS)
    assert not hit and counting.calls == 2
    assert path.read_bytes() == b"onnx torchscript 17 resize"
    # ... and the entry is repaired: the next call is a hit.
    assert cached_export(cache, tmp_path / "c.onnx", random_model(0), **SETTINGS)[1]


def test_a_failed_export_caches_nothing(tmp_path: Path, monkeypatch) -> None:
    def failing(*args, **kwargs):
        raise ExportError("simulated exporter failure")

    monkeypatch.setattr(export_module, "export_onnx", failing)
    with pytest.raises(ExportError, match="simulated"):
        cached_export(tmp_path / "cache", tmp_path / "a.onnx", random_model(0), **SETTINGS)
    assert not list((tmp_path / "cache").glob("*.onnx")) and not (tmp_path / "a.onnx").exists()


def test_concurrent_writers_of_one_key_export_once(tmp_path: Path, monkeypatch) -> None:
    # Two threads stand in for two xdist workers: flock excludes separate open files even in one process.
    slow = CountingExporter(delay=0.5)
    monkeypatch.setattr(export_module, "export_onnx", slow)
    results: dict[int, tuple[Path, bool]] = {}
    # Built before the threads start: random_model seeds torch's global generator, which threads share.
    models = [random_model(0), random_model(0)]

    def worker(index: int) -> None:
        results[index] = cached_export(tmp_path / "cache", tmp_path / f"{index}.onnx", models[index], **SETTINGS)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert slow.calls == 1
    assert sorted(hit for _, hit in results.values()) == [False, True]
    assert {path.read_bytes() for path, _ in results.values()} == {b"onnx torchscript 17 resize"}
