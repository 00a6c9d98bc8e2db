"""Weighted event-level Monte Carlo of each channel (spec Sec. 1 recipe), vectorised over trials.

:func:`weighted_events` returns lab-frame (E_mu, cos_theta) and weights [cm^2] such that the mean weight
over the ``n`` trials is the cross section per target nucleon of that channel. This is the exact (slow) tier;
:mod:`nugan.physics.tables` histograms it for the fast sampler.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nugan.constants import GEV2_TO_CM2, M_MU, M_NEUTRON, M_NUCLEON, M_PROTON
from nugan.physics import delta, dis, hyperon, quasielastic
from nugan.physics.mec import M_PAIR, mec_q2_shape, mec_scale
from nugan.physics.models import ModelParams
from nugan.physics.nucleus import REACTION_THRESHOLD, NuclearConfig, coulomb_potential, sample_nucleons
from nugan.physics.twobody import cm_setup, lepton_lab

__all__ = ["SIM_CHANNELS", "WeightedEvents", "weighted_events", "all_channels", "sample_q2", "transition_factors"]

#: Channels produced by the simulator (names from :data:`nugan.events.CHANNELS`).
SIM_CHANNELS: tuple[str, ...] = ("QE", "MEC", "RES", "DIS", "HYP")


@dataclass
class WeightedEvents:
    """Weighted lab-frame events of one channel at one neutrino energy.

    Attributes: E_mu [GeV], cos_theta, weight [cm^2] (mean over all ``n_trials`` = sigma per nucleon),
    n_trials (trials drawn, including zero-weight ones).
    """

    E_mu: np.ndarray
    cos_theta: np.ndarray
    weight: np.ndarray
    n_trials: int

    @property
    def sigma(self) -> float:
        """Cross section per nucleon [cm^2]."""
        return float(self.weight.sum() / max(self.n_trials, 1))


def sample_q2(
    lo: np.ndarray, hi: np.ndarray, lam2: np.ndarray | float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw Q2 in [lo, hi] with density ~ (1 + Q2/lam2)^-2; returns (Q2, 1/pdf) [GeV^2, GeV^2]."""
    lo = np.maximum(lo, 0.0)
    ta = 1.0 / (1.0 + lo / lam2)
    tb = 1.0 / (1.0 + hi / lam2)
    t = tb + (ta - tb) * rng.random(len(lo))
    q2 = lam2 * (1.0 / t - 1.0)
    inv_pdf = lam2 * (ta - tb) / (t * t)
    return q2, inv_pdf


def transition_factors(W: np.ndarray, model: ModelParams, pure_i32: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Delta factor, DIS factor) of the RES-DIS transition at hadronic mass ``W`` [GeV] (spec Sec. 4.3).

    ``pure_i32`` marks nu p / nubar n (alpha0 = 0). 'blend': Delta (1 - alpha), DIS alpha;
    'cut': Delta below W_cut, DIS x dis_below_cut below and x1 above.
    """
    W = np.asarray(W, dtype=np.float64)
    if model.transition == "cut":
        below = model.W_cut > W
        return below.astype(np.float64), np.where(below, model.dis_below_cut, 1.0)
    a0 = np.where(pure_i32, 0.0, model.alpha0)
    lo = a0 * (W - delta.W_MIN) / (model.W_s - delta.W_MIN)
    mid = a0 + (1.0 - a0) * (W - model.W_s) / (model.W_e - model.W_s)
    alpha = np.where(model.W_s > W, lo, np.where(model.W_e > W, mid, 1.0))
    alpha = np.clip(alpha, 0.0, 1.0)
    return 1.0 - alpha, alpha


def moving_flux(p: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Flux factor of a moving target nucleon, (k.p)/(E_nu E_N) = 1 - p_z/E_N (on-shell E_N; beam along +z).

    ``p`` (n, 3) momenta [GeV], ``mass`` (n,) on-shell masses [GeV]; 1 for a nucleon at rest.
    """
    e_n = np.sqrt(mass * mass + np.einsum("ij,ij->i", p, p))
    return 1.0 - p[:, 2] / e_n


def _finish(E: float, e_lab: np.ndarray, p_lab: np.ndarray, w: np.ndarray, n: int) -> WeightedEvents:
    pm = np.linalg.norm(p_lab, axis=1)
    cos = np.where(pm > 0, p_lab[:, 2] / np.where(pm > 0, pm, 1.0), 1.0)
    w = np.where(np.isfinite(w) & (e_lab >= M_MU) & (e_lab <= E), w, 0.0)
    return WeightedEvents(e_lab, np.clip(cos, -1.0, 1.0), w * GEV2_TO_CM2, n)


def _mec_tem(
    E: float, n: int, rng: np.random.Generator, cfg: NuclearConfig, model: ModelParams, eta: int
) -> WeightedEvents:
    """2p2h on a nucleon pair: TEM rate (:func:`quasielastic.tem_dsigma_dQ2`), pair kinematics.

    The pair is two nucleons of the nuclear model (the active one: n for nu, p for nubar; the partner with
    the nucleus' isospin mix), so it carries their Fermi motion and removal energies. Its final invariant
    mass is Gaussian (``model.mec_w_mass``, ``model.mec_w_width``) above 2 M; Q2 is weighted with the
    transverse-enhancement cross section at the neutrino energy in the active nucleon's rest frame, times
    the active-nucleon share (N/A or Z/A) like QE.
    """
    Z, A = cfg.Z, cfg.A
    active_p = eta < 0
    frac = (Z if active_p else A - Z) / A
    n1 = sample_nucleons(cfg, n, rng, 1.0 if active_p else 0.0)
    n2 = sample_nucleons(cfg, n, rng, Z / A)
    P = n1.p + n2.p
    e_pair = n1.energy + n2.energy
    w_min = n1.mass + n2.mass
    e_rest = E * (np.sqrt(n1.mass**2 + np.einsum("ij,ij->i", n1.p, n1.p)) - n1.p[:, 2]) / n1.mass
    gauss = model.mec_w_mass + model.mec_w_width * rng.standard_normal(n)
    if model.mec_w_lepton:
        # Q2 first (widest range: pair at threshold), then the pair mass that puts the lepton-level W of a pair
        # at rest, W_N^2 = M^2 + (W_f^2 - 4 M^2)/2 - Q2/2, at the Gaussian value
        tb0 = cm_setup(E, P, e_pair, w_min + 1e-6)
        q2, inv = sample_q2(tb0.q2_min, tb0.q2_max, 0.3, rng)
        wf2 = 4.0 * M_NUCLEON**2 + 2.0 * (gauss * gauss - M_NUCLEON**2) + q2
        inside = tb0.ok & (wf2 > w_min * w_min)
        tb = cm_setup(E, P, e_pair, np.sqrt(np.where(inside, wf2, (w_min + 0.01) ** 2)))
        inside &= (q2 >= tb.q2_min) & (q2 <= tb.q2_max)
    else:
        inside = gauss > w_min
        tb = cm_setup(E, P, e_pair, np.where(inside, gauss, M_PAIR + 0.01))
        q2, inv = sample_q2(tb.q2_min, tb.q2_max, 0.3, rng)
    w = quasielastic.tem_dsigma_dQ2(e_rest, q2, eta, model.M_A, model.vector_ff) * inv * frac
    if model.moving_flux:
        w = w * moving_flux(n1.p, n1.mass)
    w = np.where(tb.ok & inside, w, 0.0)
    e_lab, p_lab = lepton_lab(tb, q2, rng)
    return _finish(E, e_lab, p_lab, w, n)


def _hyperon(
    E: float, n: int, rng: np.random.Generator, cfg: NuclearConfig, model: ModelParams, eta: int
) -> WeightedEvents:
    """Quasi-elastic hyperon production (:mod:`nugan.physics.hyperon`; anti-nu only, zero weights for nu).

    Each trial draws a struck nucleon of the nuclear model (Fermi motion, removal energy), a proton with
    probability 2/3, then Lambda or Sigma0 on a proton (1/2 each) or Sigma- on a neutron: each hyperon has
    probability 1/3 (weight x3). No Pauli blocking (the hyperon is not a nucleon) and no hyperon potential.
    ``model.hyperons`` False switches the channel off.
    """
    if eta > 0 or not model.hyperons:
        return WeightedEvents(np.full(n, E), np.ones(n), np.zeros(n), n)
    Z, A = cfg.Z, cfg.A
    nuc = sample_nucleons(cfg, n, rng, 2.0 / 3.0)
    on_p = nuc.on_proton
    kind = np.where(on_p, (rng.random(n) < 0.5).astype(np.int64), 2)  # HYPERONS: Lambda, Sigma0 (p); Sigma- (n)
    m_y = np.array([h[2] for h in hyperon.HYPERONS])[kind]
    tb = cm_setup(E, nuc.p, nuc.energy, m_y)
    e_rest = E * (np.sqrt(nuc.mass**2 + np.einsum("ij,ij->i", nuc.p, nuc.p)) - nuc.p[:, 2]) / nuc.mass
    q2, inv = sample_q2(tb.q2_min, tb.q2_max, 0.5, rng)
    w = np.zeros(n)
    for k, (name, _, _) in enumerate(hyperon.HYPERONS):
        sel = kind == k
        w[sel] = hyperon.dsigma_dQ2(e_rest[sel], q2[sel], name, model.M_A, model.vector_ff)
    frac = np.where(on_p, Z, A - Z) / A
    w = np.where(tb.ok, w * inv * frac * len(hyperon.HYPERONS), 0.0)
    e_lab, p_lab = lepton_lab(tb, q2, rng)
    return _finish(E, e_lab, p_lab, w, n)


def coulomb_shift(ev: WeightedEvents, E: float, shift: float | np.ndarray) -> WeightedEvents:
    """Outgoing-muon energy E_mu - ``shift`` [GeV] (direction kept); events leaving [m_mu, E] get weight 0."""
    e_mu = ev.E_mu - shift
    w = np.where((e_mu >= M_MU) & (e_mu <= E), ev.weight, 0.0)
    return WeightedEvents(np.clip(e_mu, M_MU, E), ev.cos_theta, w, ev.n_trials)


def qe_potential(ev: WeightedEvents, E: float, model: ModelParams) -> np.ndarray:
    """U(T) [GeV] of the outgoing QE nucleon per event: min(u0 + slope T, 0), T = Q2/2M from the muon."""
    p_mu = np.sqrt(np.clip(ev.E_mu * ev.E_mu - M_MU * M_MU, 0.0, None))
    q2 = 2.0 * E * (ev.E_mu - p_mu * ev.cos_theta) - M_MU * M_MU
    return np.minimum(model.qe_potential_u0 + model.qe_potential_slope * q2 / (2.0 * M_NUCLEON), 0.0)


def weighted_events(
    channel: str,
    E: float,
    n: int,
    rng: np.random.Generator,
    cfg: NuclearConfig,
    model: ModelParams,
    probe_pdg: int,
    sigma_qe: float | None = None,
) -> WeightedEvents:
    """``n`` weighted trials of ``channel`` ('QE', 'MEC', 'RES', 'DIS') at neutrino energy ``E`` [GeV].

    ``sigma_qe`` (cm^2 per nucleon, nuclear QE at this E) is required for the 'empirical' MEC (its
    normalisation). With ``model.coulomb`` the muon leaves the nucleus' Coulomb field: mu- lose, mu+ gain
    :func:`~nugan.physics.nucleus.coulomb_potential` V_C (effective momentum approximation, energy shift only);
    with ``model.neutron_coulomb`` the mu+ of anti-nu QE gains 2 V_C: the second V_C is the Coulomb part of the
    outgoing-proton potential that the tuned binding carries and that an outgoing neutron does not feel.
    With ``model.separation_binding`` energy transfers below the ground-state reaction threshold
    (:data:`~nugan.physics.nucleus.REACTION_THRESHOLD`) get weight 0.
    """
    ev = _weighted_events(channel, E, n, rng, cfg, model, probe_pdg, sigma_qe)
    if channel == "QE" and (model.qe_potential_u0 < 0 or model.qe_potential_slope > 0):
        ev = coulomb_shift(ev, E, qe_potential(ev, E, model))  # an attractive U < 0 leaves the muon more energy
    if model.coulomb:
        v_c = coulomb_potential(cfg.Z, cfg.A)
        shift = v_c if probe_pdg > 0 else -v_c
        if model.neutron_coulomb and channel == "QE" and probe_pdg < 0:
            shift -= v_c  # the outgoing neutron lacks the Coulomb part of the proton's potential (U_n = U_p - V_C)
        ev = coulomb_shift(ev, E, shift)
    if model.separation_binding:  # no energy transfer below the ground-state reaction threshold
        thr = REACTION_THRESHOLD[cfg.target][0 if probe_pdg > 0 else 1]
        ev = WeightedEvents(ev.E_mu, ev.cos_theta, np.where(E - ev.E_mu >= thr, ev.weight, 0.0), ev.n_trials)
    return ev


def all_channels(
    E: float, n: int, rng: np.random.Generator, cfg: NuclearConfig, model: ModelParams, probe_pdg: int
) -> list[tuple[str, WeightedEvents]]:
    """:func:`weighted_events` of every channel of :data:`SIM_CHANNELS` at energy ``E`` [GeV], ``n`` trials each,
    in that order from ``rng``; the MEC channel gets this QE's cross section (the 'empirical' MEC's normalisation)."""
    out: list[tuple[str, WeightedEvents]] = []
    sigma_qe = None
    for ch in SIM_CHANNELS:
        ev = weighted_events(ch, E, n, rng, cfg, model, probe_pdg, sigma_qe=sigma_qe)
        if ch == "QE":
            sigma_qe = ev.sigma
        out.append((ch, ev))
    return out


def _weighted_events(
    channel: str,
    E: float,
    n: int,
    rng: np.random.Generator,
    cfg: NuclearConfig,
    model: ModelParams,
    probe_pdg: int,
    sigma_qe: float | None = None,
) -> WeightedEvents:
    eta = 1 if probe_pdg > 0 else -1
    Z, A = cfg.Z, cfg.A
    if channel == "QE":
        # nu scatters on neutrons only, nubar on protons only: draw only the active species
        active_p = eta < 0
        frac = (Z if active_p else A - Z) / A
        nuc = sample_nucleons(cfg, n, rng, 1.0 if active_p else 0.0)
        m_f = M_NEUTRON if active_p else M_PROTON
        W = np.full(n, m_f)
        tb = cm_setup(E, nuc.p, nuc.energy, W)
        q2, inv = sample_q2(tb.q2_min, tb.q2_max, 0.5, rng)
        e_lab, p_lab = lepton_lab(tb, q2, rng)
        e_on = np.sqrt(nuc.mass**2 + np.einsum("ij,ij->i", nuc.p, nuc.p))  # on-shell energy of the struck nucleon
        if model.qe_deforest:  # the hadronic vertex off shell, from the lepton's kinematics
            binding = e_on - nuc.energy
            xs = quasielastic.deforest_dsigma_dQ2(E, e_lab, p_lab, nuc.p, binding, eta, model.M_A, model.vector_ff)
        else:  # the free cross section at the neutrino energy in the nucleon's rest frame
            e_rest = E * (e_on - nuc.p[:, 2]) / nuc.mass
            xs = quasielastic.dsigma_dQ2(e_rest, q2, eta, model.M_A, model.vector_ff)
        w = xs * inv * frac
        if model.moving_flux:
            w = w * moving_flux(nuc.p, nuc.mass)
        if model.qe_rpa > 0.0:
            w = w * (1.0 + model.qe_rpa * (quasielastic.berpa(q2) - 1.0))
        w = np.where(tb.ok, w, 0.0)
        if model.pauli_blocking:
            pf = nuc.p - p_lab
            pf[:, 2] += E
            if model.pauli_kf == "global":
                kf_final = np.full(n, cfg.pb_kf_n if active_p else cfg.pb_kf_p)
            else:
                kf_final = nuc.kf_n if active_p else nuc.kf_p
            w = np.where(np.einsum("ij,ij->i", pf, pf) < kf_final**2, 0.0, w)
        return _finish(E, e_lab, p_lab, w, n)

    if channel == "HYP":
        return _hyperon(E, n, rng, cfg, model, eta)

    if channel == "MEC" and model.mec_model == "tem":
        if model.mec_fraction <= 0.0:  # MEC switched off (the TEM rate has no other normalisation)
            return WeightedEvents(np.full(n, E), np.ones(n), np.zeros(n), n)
        return _mec_tem(E, n, rng, cfg, model, eta)

    if channel == "MEC":
        if sigma_qe is None:
            raise ValueError("MEC weights need the nuclear QE cross section sigma_qe at this energy")
        scale = mec_scale(model.mec_fraction, A - Z, model.mec_apower)
        if scale <= 0.0 or sigma_qe <= 0.0:
            return WeightedEvents(np.full(n, E), np.ones(n), np.zeros(n), n)
        p0 = np.zeros((n, 3))
        e0 = np.full(n, M_PAIR)
        W2 = model.mec_w_mass + model.mec_w_width * rng.standard_normal(n)
        W2 = np.maximum(W2, M_PAIR)
        tb = cm_setup(E, p0, e0, W2)
        inside = tb.ok & (W2 > M_PAIR)
        q2, inv = sample_q2(tb.q2_min, tb.q2_max, 0.3, rng)
        shape = np.where(inside, mec_q2_shape(E, q2) * inv, 0.0)
        e_lab, p_lab = lepton_lab(tb, q2, rng)
        # per-W2 normalisation of the Q2 shape is not needed: the W2 Gaussian carries the W2 dependence,
        # the total is fixed to scale * sigma_QE * (accessible fraction of the W2 Gaussian)
        tot = shape.sum()
        if tot <= 0:
            return WeightedEvents(e_lab, np.ones(n), np.zeros(n), n)
        sigma = scale * sigma_qe * inside.mean()
        w = shape / tot * sigma * n / GEV2_TO_CM2
        return _finish(E, e_lab, p_lab, w, n)

    if channel not in ("RES", "DIS"):
        raise ValueError(f"unknown channel {channel!r}; simulator channels are {SIM_CHANNELS}")
    nuc = sample_nucleons(cfg, n, rng, Z / A)
    pure = nuc.on_proton if eta > 0 else ~nuc.on_proton
    # available hadronic mass: sqrt(s) - m_mu with the off-shell initial state
    P = nuc.p.copy()
    P[:, 2] += E
    s = (E + nuc.energy) ** 2 - np.einsum("ij,ij->i", P, P)
    w_hi = np.sqrt(np.clip(s, 0.0, None)) - M_MU
    if channel == "RES":
        top = model.W_e if model.transition == "blend" else model.W_cut
        if model.res2_share > 0:
            top = max(top, delta.RES2_WINDOW[1])
        w_hi = np.minimum(w_hi, top)
    w_lo = delta.W_MIN
    span = np.clip(w_hi - w_lo, 0.0, None)
    W = w_lo + span * rng.random(n)
    tb = cm_setup(E, nuc.p, nuc.energy, W)
    e_rest = E * (np.sqrt(nuc.mass**2 + np.einsum("ij,ij->i", nuc.p, nuc.p)) - nuc.p[:, 2]) / nuc.mass
    lam2 = 0.6 if channel == "RES" else 0.5 + 0.1 * E
    q2, inv = sample_q2(tb.q2_min, tb.q2_max, lam2, rng)
    f_res, f_dis = transition_factors(W, model, pure)
    b2 = delta.second_res_shape(W) if model.res2_share > 0 else None
    if channel == "RES":
        xs = delta.d2sigma_dQ2dW(e_rest, q2, W, eta, model.C5A0, model.MA_delta, model.delta_pole_shift)
        xs = xs * delta.isospin_factor(eta, nuc.on_proton) * f_res
        if b2 is not None:  # second resonance region: the resonant share of the DIS continuum
            cont = dis.d2sigma_dQ2dW(e_rest, q2, W, eta, nuc.on_proton) * f_dis * model.dis_norm
            xs = xs + cont * model.res2_share * b2
    else:
        xs = dis.d2sigma_dQ2dW(e_rest, q2, W, eta, nuc.on_proton) * f_dis * model.dis_norm
        if b2 is not None:
            lo, hi = delta.RES2_WINDOW
            xs = xs * np.where((lo <= W) & (hi >= W), 1.0 - model.res2_share, 1.0)
    if model.moving_flux:
        xs = xs * moving_flux(nuc.p, nuc.mass)
    w = np.where(tb.ok & (span > 0), xs * inv * span, 0.0)
    e_lab, p_lab = lepton_lab(tb, q2, rng)
    return _finish(E, e_lab, p_lab, w, n)
