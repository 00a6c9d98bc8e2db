"""CLI: nugan simulate / xsec / models."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from nugan.cli import app
from nugan.events import read_parquet

runner = CliRunner()


def test_simulate_cli(tmp_path: Path) -> None:
    out = tmp_path / "ev.parquet"
    r = runner.invoke(
        app,
        [
            "simulate",
            "--probe",
            "numu",
            "--target",
            "Ar40",
            "--model",
            "default",
            "--energy",
            "0.3:10",
            "--flux",
            "flat",
            "--events",
            "5000",
            "--seed",
            "3",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    t = read_parquet(out)
    assert len(t) == 5000 and t.meta.target == "Ar40" and t.meta.seed == 3
    mono = tmp_path / "mono.parquet"
    r = runner.invoke(app, ["simulate", "--energy", "1.0", "--events", "100", "-o", str(mono), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert set(read_parquet(mono).E_nu) == {1.0}


def test_simulate_cli_bad_arguments(tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    for args, msg in (
        (["--target", "Xx1"], "unknown target"),
        (["--energy", "abc"], "--energy"),
        (["--energy", "0.3:30"], "outside the model range"),
        (["--events", "0"], "> 0"),
        (["--model", "nope"], "unknown model"),
    ):
        r = runner.invoke(app, ["simulate", "-o", str(out), *args])
        assert r.exit_code == 2, (args, r.output)
        assert msg in r.output, (args, r.output)
    assert not out.exists()


def test_xsec_cli(tmp_path: Path) -> None:
    r = runner.invoke(app, ["xsec", "--probe", "numu", "--target", "C12", "--model", "default", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "total/E" in r.output
    csv = tmp_path / "xsec_C12_numu_default.csv"
    png = tmp_path / "xsec_C12_numu_default.png"
    assert csv.exists() and png.stat().st_size > 1000
    assert csv.read_text().splitlines()[0].startswith("E_nu_GeV,sigma_QE_cm2")


def test_models_cli() -> None:
    r = runner.invoke(app, ["models"])
    assert r.exit_code == 0
    for name in ("default", "genie-like", "high-ma-nomec", "strong-nuclear", "default-2.3"):
        assert name in r.output
    r = runner.invoke(app, ["models", "--show", "genie-like"])
    assert r.exit_code == 0 and "M_A" in r.output
