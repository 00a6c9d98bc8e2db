"""Model parameter sets: built-ins, validation, TOML/YAML user models."""

from __future__ import annotations

from pathlib import Path

import pytest

from nugan.physics import get_model, list_models
from nugan.physics.models import ModelParams


def test_builtin_models() -> None:
    names = [m.name for m in list_models()]
    assert names == ["default", "genie-like", "high-ma-nomec", "strong-nuclear", "default-2.3"]
    for m in list_models():
        assert m.version and m.description and "\n" not in m.description
    assert len({m.fingerprint() for m in list_models()}) == 5
    high, default = get_model("high-ma-nomec"), get_model("default")
    assert high.M_A > default.M_A and high.mec_fraction == 0.0  # what its name promises
    assert get_model("genie-like").transition == "cut"
    old = get_model("default-2.3")  # the previous default, kept for the figures measured with it
    assert (old.version, old.delta_pole_shift, old.qe_rpa, old.alpha0, old.qe_potential_u0) == (
        "2.3",
        0.0,
        0.5,
        0.25,
        0.0,
    )
    assert (default.version, default.delta_pole_shift, default.alpha0, default.qe_potential_u0) == (
        "2.4",
        -0.02,
        0.0,
        -0.01,
    )


def test_unknown_model_message() -> None:
    with pytest.raises(ValueError, match="unknown model 'nope'.*default"):
        get_model("nope")


def test_bad_parameters_rejected() -> None:
    with pytest.raises(ValueError, match="M_A must be > 0"):
        ModelParams(name="x", version="1", description="d", M_A=-1.0)
    with pytest.raises(ValueError, match="nuclear_model"):
        ModelParams(name="x", version="1", description="d", nuclear_model="shell")


def test_toml_and_yaml_models(tmp_path: Path) -> None:
    t = tmp_path / "my.toml"
    t.write_text('name = "my"\nbase = "genie-like"\nM_A = 1.1\n')
    m = get_model(str(t))
    assert m.name == "my" and m.M_A == 1.1 and m.transition == "cut"
    assert m.fingerprint() != get_model("genie-like").fingerprint()
    y = tmp_path / "m.yaml"
    y.write_text("mec_fraction: 0.2\nversion: '7'\n")
    my = get_model(str(y))
    assert my.name == "m" and my.version == "7" and my.mec_fraction == 0.2
    bad = tmp_path / "bad.toml"
    bad.write_text("M_AA = 1.0\n")
    with pytest.raises(ValueError, match="unknown model parameter"):
        get_model(str(bad))
    with pytest.raises(FileNotFoundError):
        get_model(str(tmp_path / "missing.toml"))
