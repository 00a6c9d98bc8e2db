"""``nugan --help`` uses the full width: rich's 80-column fallback (no terminal) would wrap every option table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _help(*args: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "TERMINAL_WIDTH", "LINES")}
    base["PYTHONPATH"] = os.pathsep.join([str(SRC), base.get("PYTHONPATH", "")])
    code = "import sys; from nugan.cli import main; sys.argv = ['nugan', *sys.argv[1:]]; main()"
    r = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code, *args, "--help"],
        capture_output=True,
        text=True,
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_help_is_not_wrapped_at_80_columns_without_a_terminal() -> None:
    out = _help()
    assert max(len(line) for line in out.splitlines()) > 120
    line = next(x for x in out.splitlines() if "│ transfer " in x)
    assert "with the first block(s) frozen." in line  # the whole description on its command's line
    options = _help("train")
    assert any("Model family: gan (default) or flow; overrides the config's." in x for x in options.splitlines())


def test_help_width_set_by_the_user_wins() -> None:
    out = _help(COLUMNS="90")
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 90
