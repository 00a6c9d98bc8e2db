"""``nugan convert``: outputs by extension, printed counts, strict/lenient, clean errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nugan.cli import app
from nugan.commands import common
from nugan.events import read_parquet
from nugan.events.readers import read_events


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """No line wrapping of messages in the captured output."""
    monkeypatch.setattr(common.console, "width", 300)
    monkeypatch.setattr(common.err_console, "width", 300)


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["convert", *map(str, args)])
    return result.exit_code, " ".join(result.output.split())


def _bad_csv(path: Path) -> Path:
    path.write_text("E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n2.0,,0.2\n3.0,1.5,-0.3\n1.0,1.2,0.4\n")
    return path


def test_convert_nuwro_to_parquet_and_nuhepmc(nuwro_root_fixture: Path, tmp_path: Path) -> None:
    code, out = _run(nuwro_root_fixture, tmp_path / "a.parquet")
    assert code == 0, out
    assert "read 500 events from" in out and "(nuwro-root)" in out
    assert "wrote 500 events (numu-C12) to" in out and "skipped" not in out
    src = read_events(nuwro_root_fixture)
    a = read_parquet(tmp_path / "a.parquet")
    np.testing.assert_array_equal(a.E_mu, src.E_mu)
    code, out = _run(tmp_path / "a.parquet", tmp_path / "b.hepmc3", "--chunk", "128")
    assert code == 0, out
    assert "wrote 500 events (numu-C12)" in out and "(nuhepmc)" in out
    b = read_events(tmp_path / "b.hepmc3")
    np.testing.assert_allclose(b.cos_theta, src.cos_theta, rtol=1e-12, atol=1e-14)


def test_convert_strict_fails_lenient_drops(tmp_path: Path) -> None:
    src = _bad_csv(tmp_path / "v.csv")
    code, out = _run(src, tmp_path / "o.parquet", "--probe", "numu", "--target", "C12")
    assert code == 2
    assert "error:" in out and "2 of 4 rows invalid" in out and "E_mu > E_nu (1)" in out
    assert not (tmp_path / "o.parquet").exists()
    code, out = _run(src, tmp_path / "o.parquet", "--probe", "numu", "--target", "C12", "--lenient")
    assert code == 0, out
    assert "read 4 events" in out
    assert "dropped 2 invalid: 2 of 4 rows invalid: non-finite value (NaN/inf) (1)" in out
    assert "wrote 2 events (numu-C12)" in out
    np.testing.assert_array_equal(read_parquet(tmp_path / "o.parquet").E_nu, [1.0, 3.0])


def test_convert_reports_skipped_events(tmp_path: Path) -> None:
    src = tmp_path / "m.csv"
    src.write_text(
        "E_nu,E_mu,cos_theta,pdg_nu,target_Z,target_A\n1.0,0.5,0.1,14,6,12\n2.0,1.0,0.2,12,6,12\n3.0,1.0,0.3,-14,6,12\n"
    )
    code, out = _run(src, tmp_path / "x.parquet", "--probe", "numubar")
    assert code == 0, out
    assert "read 3 events" in out
    assert "skipped 2: beam is not nu_mu / anti-nu_mu (1), probe is not numubar (1)" in out
    assert "wrote 1 events (numubar-C12)" in out


def test_convert_filter_without_match_fails(nuwro_root_fixture: Path, tmp_path: Path) -> None:
    code, out = _run(nuwro_root_fixture, tmp_path / "x.parquet", "--probe", "numubar")
    assert code == 2
    assert "no event matches probe=numubar" in out and "['numu']" in out


def test_convert_to_nuhepmc_needs_cross_section(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text("E_nu,E_mu,cos_theta,channel\n1.0,0.5,0.1,QE\n2.0,1.0,0.2,RES\n")
    code, out = _run(src, tmp_path / "o.hepmc3", "--target", "Ar40", "--probe", "numu")
    assert code == 2
    assert "needs the flux-averaged total cross section" in out and "--xsec" in out
    assert not list(tmp_path.glob("o.hepmc3*"))
    code, out = _run(src, tmp_path / "o.hepmc3", "--target", "Ar40", "--probe", "numu", "--xsec", "1.5e-38")
    assert code == 0, out
    back = read_events(tmp_path / "o.hepmc3")
    assert back.meta.target == "Ar40" and back.meta.xsec_cm2 == pytest.approx(1.5e-38, rel=1e-6, abs=0)
    assert back.channel.tolist() == [0, 2]


def test_convert_warns_about_unlabelled_csv(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text("E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n")
    code, out = _run(src, tmp_path / "o.parquet")
    assert code == 0, out
    assert "warning:" in out and "does not record the beam" in out


def test_convert_bad_output_extension_and_same_path(tmp_path: Path) -> None:
    src = tmp_path / "s.csv"
    src.write_text("E_nu,E_mu,cos_theta\n1.0,0.5,0.1\n")
    code, out = _run(src, tmp_path / "o.root")
    assert code == 2 and "cannot tell the output format from the extension '.root'" in out
    code, out = _run(src, src)
    assert code == 2 and "output would overwrite the input" in out
