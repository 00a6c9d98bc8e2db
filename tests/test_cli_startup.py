"""Start-up cost of short commands: heavy libraries are imported only by the commands that need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_toy_events

_PROBE = """\
import json, sys
from pathlib import Path

import pytest
import nugan.cli
from nugan.commands.inspect_cmd import inspect
inspect.__wrapped__(Path(sys.argv[1]))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {mods!r})))
"""


def _modules_after_inspect(path: Path, mods: set[str]) -> list[str]:
    """Top-level packages among ``mods`` that the CLI plus ``nugan inspect PATH`` imported (subprocess)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(mods=sorted(mods)), str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(out.splitlines()[-1])


def test_inspect_of_parquet_imports_neither_torch_nor_root_libraries(tmp_path: Path) -> None:
    from nugan.events import write_parquet

    path = write_parquet(make_toy_events(50), tmp_path / "toy.parquet")
    heavy = {"torch", "uproot", "awkward", "matplotlib", "scipy", "sklearn", "pyhepmc", "zuko"}
    assert _modules_after_inspect(path, heavy) == []


def test_inspect_of_nuhepmc_does_not_import_torch(tmp_path: Path) -> None:
    from nugan.events.nuhepmc import write_nuhepmc

    t = make_toy_events(20)
    path = write_nuhepmc(t, tmp_path / "toy.hepmc3", xsec_cm2=1e-38)
    assert _modules_after_inspect(path, {"torch", "matplotlib", "awkward"}) == []


def test_cli_import_alone_is_light() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    code = (
        "import sys, nugan.cli; print(sorted(m for m in ('torch', 'numpy', 'pyarrow', 'uproot', 'pyhepmc', "
        "'typer.rich_utils') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert out.strip() == "[]"


def test_inspect_of_genie_root_does_not_import_torch(tmp_path: Path) -> None:
    from test_formats_root_synthetic import _gst

    _gst(tmp_path / "g.root")
    assert _modules_after_inspect(tmp_path / "g.root", {"torch", "matplotlib", "scipy"}) == []


_CLI_PROBE = """\
import json, sys
from nugan.cli import app
try:
    app(sys.argv[1:])
except SystemExit as e:
    code = e.code
else:
    code = 0
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in {mods!r})]))
"""


def _cli_modules(args: list[str], mods: set[str], cwd: Path) -> tuple[int, list[str], str]:
    """(exit code, top-level packages among ``mods`` imported, stderr) of ``nugan ARGS`` run in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    res = subprocess.run(
        [sys.executable, "-c", _CLI_PROBE.format(mods=sorted(mods)), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    code, found = json.loads(res.stdout.splitlines()[-1])
    return code, found, res.stderr


def test_short_generate_of_a_gan_on_cpu_does_not_import_torch(tmp_path: Path) -> None:
    args = ["generate", "-m", "nuwro-C12", "-n", "10", "-o", "x.parquet", "--device", "cpu", "--no-progress"]
    code, found, err = _cli_modules(args, {"torch", "matplotlib", "scipy", "zuko"}, tmp_path)
    assert (code, found) == (0, []), err
    assert (tmp_path / "x.parquet").exists()


def test_device_auto_without_nvidia_driver_does_not_import_torch(tmp_path: Path) -> None:
    from nugan.generation.engines import NVIDIA_DRIVER_FILE

    if not sys.platform.startswith("linux") or NVIDIA_DRIVER_FILE.exists():
        pytest.skip("needs a Linux machine without an NVIDIA driver")
    code, found, err = _cli_modules(
        ["generate", "-m", "numu-C12", "-n", "5", "-o", "y.hepmc3", "--no-progress"], {"torch"}, tmp_path
    )
    assert (code, found) == (0, []), err


def test_numpy_engine_for_a_flow_is_a_clean_error(tmp_path: Path) -> None:
    args = ["generate", "-m", "nuwro-C12-flow", "-n", "10", "-o", "x.parquet", "--engine", "numpy"]
    code, found, err = _cli_modules(args, {"torch"}, tmp_path)
    assert code == 2 and "normalising flow" in err and "Traceback" not in err
    assert found == []  # refused from the model description, before any network is built


def test_inspect_of_nuwro_root_does_not_import_torch(nuwro_root_fixture: Path) -> None:
    assert _modules_after_inspect(nuwro_root_fixture, {"torch", "matplotlib", "scipy", "zuko"}) == []
