"""Installed as a stranger would: the data ships in the wheel, and `sr-model --help` is fast.

The wheel is built from a copy of the sources in a temporary folder, so nothing is written into the
checkout and parallel workers do not share a build folder.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import sr_model
from sr_model import cli

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "onnx", "onnxruntime", "onnxscript", "numpy")
DATA_FILES = ("sr_model/data/srcnn.pth", "sr_model/data/face.png")

# Runs `main(argv)` in a fresh interpreter and prints the exit code and which modules got imported.
_PROBE = """
import json, sys
from sr_model.cli import main
try:
    code = main(json.loads(sys.argv[1]))
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _probe(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[dict, str]:
    """Exit code and imported modules of `sr-model <argv>` in a fresh interpreter, and its stdout head."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)], capture_output=True, text=True, check=True,
        cwd=cwd, env=env,
    )
    *printed, last = done.stdout.splitlines()
    return json.loads(last), "\n".join(printed)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []], ids=["help", "version", "no-command"])
def test_top_level_help_and_version_import_no_heavy_library(argv: list[str]) -> None:
    result, _ = _probe(argv)
    assert result["code"] in (0, 2)
    heavy = [name for name in HEAVY if name in result["modules"]]
    commands = [name for name in result["modules"] if name.startswith("sr_model.commands.")]
    assert heavy == [] and commands == [], f"sr-model {' '.join(argv)} imported {heavy + commands}"


def test_a_subcommand_imports_only_its_own_module() -> None:
    result, out = _probe(["export", "--help"])
    assert result["code"] == 0 and "sr-model export" in out
    loaded = {name for name in result["modules"] if name.startswith("sr_model.commands.")}
    assert loaded <= {"sr_model.commands.export", "sr_model.commands.common"}, loaded


def test_version_prints_the_pyproject_version() -> None:
    expected = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    done = subprocess.run([sys.executable, "-m", "sr_model.cli", "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"sr-model {expected}\n", "")


def test_import_sr_model_is_lazy_and_every_public_name_resolves() -> None:
    code = "import sys, sr_model; print(sorted(n for n in sys.modules if n in %r))" % (HEAVY,)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", f"import sr_model imported {done.stdout.strip()}"
    # The modules the public names come from (as the eager `sr_model/__init__.py` imported them).
    sources = [importlib.import_module(f"sr_model.{m}") for m in ("checkpoint", "errors", "export", "model")]
    for name in sr_model.__all__:
        value = getattr(sr_model, name)
        assert any(getattr(module, name, None) is value for module in sources), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sr_model.nope  # noqa: B018


def test_the_static_table_matches_what_each_subcommand_registers() -> None:
    parser = cli.build_parser()  # loads every module
    (subparsers,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    registered = {choice.dest: choice.help for choice in subparsers._choices_actions}
    assert registered == {command.name: command.help for command in cli.SUBCOMMANDS}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built (no dependencies, no network) from a copy of pyproject.toml, README.md, sr_model/."""
    # Without build isolation the build backend must be in this environment (pyproject's build-system).
    pytest.importorskip("setuptools", minversion="68", reason="building the wheel offline needs setuptools>=68 here")
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "sr_model", source / "sr_model", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(out), str(source)],
        check=True, capture_output=True, text=True,
    )
    (path,) = out.glob("sr_model-*.whl")
    return path


def test_the_wheel_ships_the_weights_and_the_face(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for name in DATA_FILES:
            assert name in names, f"{name} is not in {wheel.name}; check [tool.setuptools.package-data]"
            assert archive.read(name) == (REPO / name).read_bytes(), name
    assert not [name for name in names if name.startswith("fixtures/")], "fixtures/ is the repo's, not the wheel's"


def test_an_unpacked_wheel_finds_its_data_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    # A pure wheel installs by unpacking it; PYTHONPATH puts that copy before the editable install.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import json, sr_model, sr_model.paths as p; print(json.dumps([sr_model.__file__, "
            "str(p.DEFAULT_CHECKPOINT), str(p.FACE_IMAGE), p.DEFAULT_CHECKPOINT.is_file(), p.FACE_IMAGE.is_file()]))")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": ""},
    )
    init, checkpoint, face, *exist = json.loads(done.stdout)
    assert Path(init).is_relative_to(site), f"sr_model imported from {init}, not the unpacked wheel"
    assert Path(checkpoint) == site / DATA_FILES[0] and Path(face) == site / DATA_FILES[1]
    assert exist == [True, True]
