"""Physics kernels and the weighted Monte Carlo against the validation targets of physics.md Sec. 6."""

from __future__ import annotations

import numpy as np
import pytest

from nugan.constants import GEV2_TO_CM2, M_MU, M_NUCLEON
from nugan.physics import delta, dis
from nugan.physics.channels import SIM_CHANNELS, weighted_events
from nugan.physics.models import get_model
from nugan.physics.nucleus import nuclear_config
from nugan.physics.quasielastic import free_sigma, q2_range

S38 = 1e-38


def _free_inel(E: float, eta: int, kernel: str, w_lo: float, w_hi: float, on_proton: bool) -> float:
    """Free-nucleon inelastic sigma [1e-38 cm^2] integrated on a (W, ln Q2) grid."""
    s = M_NUCLEON**2 + 2 * M_NUCLEON * E
    Ws = np.linspace(w_lo, min(w_hi, np.sqrt(s) - M_MU), 161)
    Wm = 0.5 * (Ws[1:] + Ws[:-1])
    lo, hi = q2_range(np.full_like(Wm, E), M_NUCLEON, Wm)
    u = np.linspace(0, 1, 201)
    tot = 0.0
    for W, a, b in zip(Wm, lo, hi, strict=True):
        q = np.exp(np.log(max(a, 1e-6)) + u * (np.log(b) - np.log(max(a, 1e-6))))
        qm, dq = np.sqrt(q[1:] * q[:-1]), np.diff(q)
        if kernel == "delta":
            f = delta.d2sigma_dQ2dW(np.full_like(qm, E), qm, np.full_like(qm, W), eta)
        else:
            f = dis.d2sigma_dQ2dW(np.full_like(qm, E), qm, np.full_like(qm, W), eta, np.full(qm.shape, on_proton))
        tot += np.sum(f * dq)
    return tot * (Ws[1] - Ws[0]) * GEV2_TO_CM2 / S38


@pytest.mark.parametrize(
    ("E", "pdg", "target", "tol"),
    [
        (1.0, 14, 1.07, 0.03),
        (10.0, 14, 0.96, 0.03),
        (1.0, -14, 0.40, 0.05),
        (3.0, -14, 0.68, 0.05),
    ],
)
def test_free_qe_llewellyn_smith(E: float, pdg: int, target: float, tol: float) -> None:
    assert free_sigma(E, pdg) / S38 == pytest.approx(target, rel=tol)


def test_free_qe_axial_mass_and_threshold() -> None:
    assert free_sigma(1.0, 14, M_A=1.2) / free_sigma(1.0, 14) == pytest.approx(1.16, abs=0.03)
    assert free_sigma(0.105, 14) == 0.0
    assert free_sigma(20.0, -14) / S38 > 0.85  # nubar QE keeps rising towards ~0.9


@pytest.mark.parametrize(("E", "target"), [(1.0, 0.54), (3.0, 0.81)])
def test_free_delta_nu_p(E: float, target: float) -> None:
    assert _free_inel(E, 1, "delta", 1.08, 1.6, True) == pytest.approx(target, rel=0.08)


def test_free_delta_peak_position() -> None:
    W = np.linspace(1.10, 1.40, 61)
    lo, hi = q2_range(np.full_like(W, 1.0), M_NUCLEON, W)
    dsdw = []
    for w, a, b in zip(W, lo, hi, strict=True):
        q = np.linspace(a, b, 400)
        dsdw.append(np.trapezoid(delta.d2sigma_dQ2dW(np.full_like(q, 1.0), q, np.full_like(q, w), 1), q))
    assert 1.20 <= W[int(np.argmax(dsdw))] <= 1.24


def test_dis_isoscalar_high_energy() -> None:
    """BY-GRV94, W > 1.6: sigma/E at 20 GeV vs the [checked] 50 GeV values and the PDG numbers."""
    E = 20.0
    nu = 0.5 * sum(_free_inel(E, 1, "dis", 1.6, 99.0, p) for p in (True, False)) / E
    nub = 0.5 * sum(_free_inel(E, -1, "dis", 1.6, 99.0, p) for p in (True, False)) / E
    assert 0.55 < nu < 0.70  # PDG 0.677; BY-GRV94 with norm 1 is ~7 % lower
    assert 0.22 < nub < 0.33  # PDG 0.334; ~13 % lower
    assert nub / nu == pytest.approx(0.46, abs=0.05)


def _nuclear(
    probe: int, target: str, E: float, model: str = "default", n: int = 150_000, seed: int = 1
) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    m = get_model(model)
    cfg = nuclear_config(target, m)
    out: dict[str, float] = {}
    for ch in SIM_CHANNELS:
        out[ch] = weighted_events(ch, E, n, rng, cfg, m, probe, sigma_qe=out.get("QE")).sigma
    return {k: v / S38 for k, v in out.items()}


def test_total_sigma_over_E_nu_c12_at_1_GeV() -> None:
    """Issue 20's window, NuWro 25.11's 0.909 +- 10 %; measured 0.961 (default 2.4), 0.943 (2.0), 1.004 before issue
    20. The project spec's 0.75-0.95 predates the NuWro comparison (2.4's Delta pole shift adds 4 % at 1 GeV)."""
    assert 0.818 <= sum(_nuclear(14, "C12", 1.0).values()) <= 1.0


def test_total_sigma_over_E_nu_c12_at_3_GeV() -> None:
    assert 0.65 <= sum(_nuclear(14, "C12", 3.0).values()) / 3.0 <= 0.76


def test_total_sigma_over_E_nubar_c12() -> None:
    """Spec estimate 0.30-0.35 (F&Z Fig. 10); NuWro 25.11 gives 0.284 and default 2.2 0.275 (2.1: 0.266; within
    issue 20's +-10 %), so the window is NuWro's +-12 %."""
    assert 0.25 <= sum(_nuclear(-14, "C12", 1.0).values()) <= 0.32


def test_high_energy_total_ratio() -> None:
    nu = sum(_nuclear(14, "C12", 18.0, n=60_000).values()) / 18.0
    nub = sum(_nuclear(-14, "C12", 18.0, n=60_000).values()) / 18.0
    assert nu == pytest.approx(0.677, rel=0.08)
    assert nub == pytest.approx(0.334, rel=0.15)
    assert nub / nu == pytest.approx(0.49, abs=0.06)


def test_channel_fractions_c12() -> None:
    f1 = _nuclear(14, "C12", 1.0)
    t1 = sum(f1.values())
    assert 0.40 < f1["QE"] / t1 < 0.60
    assert 0.25 < (f1["RES"]) / t1 < 0.45
    assert 0.05 < f1["MEC"] / t1 < 0.18
    assert f1["DIS"] / t1 < 0.08
    f3 = _nuclear(14, "C12", 3.0)
    t3 = sum(f3.values())
    assert 0.15 < f3["QE"] / t3 < 0.35
    # RES label: Delta + 2nd/3rd resonances, blended up to W = 1.9 (default 2.0: 0.35; NuWro's label: 0.52)
    assert 0.15 < f3["RES"] / t3 < 0.42
    assert 0.02 < f3["MEC"] / t3 < 0.10
    # DIS label: 0.33 in default 2.4 (no DIS background under the Delta), 0.36 in 2.3
    assert 0.28 < f3["DIS"] / t3 < 0.60


def test_pauli_blocking_reduces_qe() -> None:
    s = _nuclear(14, "C12", 1.0)["QE"]
    free = 0.5 * free_sigma(1.0, 14) / S38
    assert 0.80 < s / free < 0.97


def test_ar40_vs_c12_per_nucleon() -> None:
    c, a = _nuclear(14, "C12", 1.0), _nuclear(14, "Ar40", 1.0)
    assert a["QE"] / c["QE"] == pytest.approx(1.10, abs=0.06)
    assert 0.88 < a["RES"] / c["RES"] < 1.02
    cb, ab = _nuclear(-14, "C12", 1.0), _nuclear(-14, "Ar40", 1.0)
    assert ab["QE"] / cb["QE"] == pytest.approx(0.90, abs=0.06)


def test_qe_peak_position_and_width() -> None:
    """QE omega at |q| = 0.5 GeV: free 0.125 + binding; half-width ~ q k_F / M (spec Sec. 2.3)."""
    m = get_model("default")
    cfg = nuclear_config("C12", m)
    ev = weighted_events("QE", 1.5, 600_000, np.random.default_rng(3), cfg, m, 14)
    E = 1.5
    om = E - ev.E_mu
    pm = np.sqrt(ev.E_mu**2 - M_MU**2)
    q3 = np.sqrt(E * E + pm * pm - 2 * E * pm * ev.cos_theta)
    sel = (np.abs(q3 - 0.5) < 0.02) & (ev.weight > 0)
    h, e = np.histogram(om[sel], bins=np.arange(0.0, 0.4, 0.01), weights=ev.weight[sel])
    c = 0.5 * (e[1:] + e[:-1])
    assert 0.12 <= c[np.argmax(h)] <= 0.18  # mode
    # 0.125 + eps; the default model's SRC tail (20 %, removal 27-300 MeV) and Coulomb shift add ~10 MeV
    assert 0.14 <= np.average(om[sel], weights=ev.weight[sel]) <= 0.175
    # half of the Fermi-broadened support (RFG: q k_F / M = 0.118)
    above = c[h > 0.05 * h.max()]
    half_width = 0.5 * (above.max() - above.min() + 0.01)
    assert 0.08 <= half_width <= 0.15


def test_models_shift_physics() -> None:
    d = _nuclear(14, "C12", 1.0, n=80_000)
    b = _nuclear(14, "C12", 1.0, model="high-ma-nomec", n=80_000)
    c = _nuclear(14, "C12", 1.0, model="strong-nuclear", n=80_000)
    g = _nuclear(14, "C12", 1.0, model="genie-like", n=80_000)
    assert b["MEC"] == 0.0 and b["QE"] > 1.1 * d["QE"]
    # on C12 (6 neutrons) sigma_MEC / sigma_QE is the model's mec_fraction, whatever its value
    assert c["MEC"] / c["QE"] == pytest.approx(get_model("strong-nuclear").mec_fraction, rel=0.02)
    # the default model's 2p2h is the TEM rate (not a fraction of QE): 0.20 of QE at 1 GeV (NuWro 0.24)
    assert 0.15 < d["MEC"] / d["QE"] < 0.26
    assert c["RES"] < 0.85 * d["RES"]  # C5A(0) 1.00 vs 1.19
    # larger M_A(Delta) than default 2.3 (1.12 against 1.05; 2.4's lower Delta pole raises its RES above both)
    assert g["RES"] > _nuclear(14, "C12", 1.0, model="default-2.3", n=80_000)["RES"]


def test_weighted_events_bad_channel() -> None:
    m = get_model("default")
    with pytest.raises(ValueError, match="unknown channel"):
        weighted_events("COH", 1.0, 10, np.random.default_rng(0), nuclear_config("C12", m), m, 14)
    e = get_model("strong-nuclear")  # empirical MEC: normalised to sigma_QE
    with pytest.raises(ValueError, match="sigma_qe"):
        weighted_events("MEC", 1.0, 10, np.random.default_rng(0), nuclear_config("C12", e), e, 14)
