"""Tuning a conditional flow to a published measurement: importance-weighted predictions, the loss, slice folds.

A flow q_theta(x | E) starts as the base model p (x = the muon's network variables u, E = E_nu). A fixed sample of
N events is drawn once from the base through the measurement's flux x sigma(E) (as ``nugan predict`` does) and
binned once. The tuned model's prediction is the importance-weighted histogram of that sample,

    w_i = w0_i exp(log q_theta(u_i | e_i) - log p(u_i | e_i)) s(E_i),

so bin membership never changes (no soft binning) and the prediction is differentiable in theta and in s. The
variable transform is shared by q and p, so its Jacobian cancels in the ratio: the network-space log densities
are enough. s(E) = exp(sum_k c_k P_k(e)) is the tune's sigma(E) correction, P_k the Legendre polynomials of the
model's rescaled log energy e in [-1, 1] (:class:`SigmaCorrection`).

Loss (:func:`tune_flow`) = chi2(prediction of the fitted bins; the inverse of their sub-covariance)
+ lambda KL(p || q_theta) on base events over the model's whole energy range + sum_k (c_k / prior_width)^2.

Each step uses a minibatch of the N events (their log q evaluated afresh) while the others keep the value of their
last visit (a per-event cache, refreshed once per pass over the sample), and the minibatch's gradient is scaled
by N / batch: an estimate of the full-sample gradient at batch / N of its cost. After the last step the cache is
refreshed exactly, so the chi2, KL and effective sample size reported are those of the final model.

:func:`slice_folds` splits the cos_theta slices into folds (round robin) for held-out scoring
(:func:`heldout_chi2`).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.polynomial import legendre

from nugan.measurements.binning import SliceBinning, muon_momentum
from nugan.measurements.chi2 import Chi2, _inverse, chi2
from nugan.measurements.releases import Measurement
from nugan.models.flow import ConditionalFlow, freeze_flow_blocks
from nugan.models.transforms import VariableTransform
from nugan.physics.xsec import XsecCurve

__all__ = [
    "SIGMA_DEGREE",
    "SIGMA_PRIOR_WIDTH",
    "ESS_MIN_FRACTION",
    "SigmaCorrection",
    "DensitySample",
    "WeightedSample",
    "TuneTarget",
    "TuneSettings",
    "TuneResult",
    "legendre_design",
    "network_log_prob",
    "density_sample",
    "weighted_sample",
    "weighted_prediction",
    "effective_sample_fraction",
    "tune_flow",
    "slice_folds",
    "slice_bins",
    "other_bins",
    "sub_chi2",
    "heldout_chi2",
]

#: Degree of the Legendre series of log s(E): normalisation, tilt and curvature in log E.
SIGMA_DEGREE = 2
#: Gaussian prior width of each Legendre coefficient of log s(E) (0.1: about 10% on the normalisation).
SIGMA_PRIOR_WIDTH = 0.1
#: A tune stops when the effective sample size of its importance weights falls below this share of the events.
ESS_MIN_FRACTION = 0.5
_EVAL_BATCH = 65_536


# ------------------------------------------------------------------------------------------ sigma(E) correction
def legendre_design(e: np.ndarray, degree: int) -> np.ndarray:
    """(N, degree + 1) Legendre polynomials P_0..P_degree of ``e`` (clipped to [-1, 1])."""
    if degree < 0:
        raise ValueError(f"the sigma(E) correction needs a degree >= 0, got {degree}")
    return legendre.legvander(np.clip(np.asarray(e, dtype=np.float64), -1.0, 1.0), int(degree))


@dataclass(frozen=True)
class SigmaCorrection:
    """sigma(E) correction s(E) = exp(sum_k c_k P_k(e)), e in [-1, 1] linear in log E over [e_min, e_max] GeV
    (constant beyond the range: e is clipped). Smooth, and bounded by exp(sum_k |c_k|).

    Attributes:
        coefficients: c_0 (log normalisation), c_1 (tilt), ... c_degree.
        e_min, e_max: the model's energy range [GeV].
    """

    coefficients: tuple[float, ...]
    e_min: float
    e_max: float

    def __post_init__(self) -> None:
        if not self.coefficients or not all(math.isfinite(c) for c in self.coefficients):
            raise ValueError(f"sigma(E) correction needs finite coefficients, got {self.coefficients}")
        if not 0 < self.e_min < self.e_max:
            raise ValueError(
                f"sigma(E) correction range must satisfy 0 < e_min < e_max, got ({self.e_min}, {self.e_max})"
            )

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    def rescaled(self, E: np.ndarray | float) -> np.ndarray:
        """e in [-1, 1] of energies E [GeV] (the models' own energy encoding)."""
        return VariableTransform(self.e_min, self.e_max).encode_energy(np.atleast_1d(np.asarray(E, float)))

    def factor(self, E: np.ndarray | float) -> np.ndarray:
        """s(E) at energies E [GeV]."""
        return np.exp(legendre_design(self.rescaled(E), self.degree) @ np.asarray(self.coefficients))

    def apply(self, curve: XsecCurve, n_points: int = 200) -> XsecCurve:
        """The curve times s(E): the base curve's own points plus ``n_points`` log-spaced ones, so that between
        points the product follows s(E) closely (the base curve is linear in ln E between its points)."""
        grid = np.unique(np.concatenate([curve.E, np.geomspace(curve.E[0], curve.E[-1], n_points)]))
        return XsecCurve(grid, curve.total(grid) * self.factor(grid), f"{curve.source} x tune s(E)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "coefficients": [float(c) for c in self.coefficients],
            "e_min": self.e_min,
            "e_max": self.e_max,
            "basis": "s(E) = exp(sum_k c_k P_k(e)), P_k Legendre, e = 2 ln(E/e_min)/ln(e_max/e_min) - 1",
        }

    @classmethod
    def identity(cls, degree: int, e_min: float, e_max: float) -> SigmaCorrection:
        return cls(tuple(0.0 for _ in range(degree + 1)), e_min, e_max)


# ------------------------------------------------------------------------------------------------- samples
@dataclass(frozen=True, eq=False)
class DensitySample:
    """Events in a flow's network variables with their base log density.

    Attributes:
        u: (N, 2) float32 muon variables. e: (N, 1) float32 rescaled E_nu.
        log_p0: (N,) float64 log p_base(u | e) in network space [nats].
    """

    u: torch.Tensor
    e: torch.Tensor
    log_p0: torch.Tensor

    def __len__(self) -> int:
        return int(self.u.shape[0])


@dataclass(frozen=True, eq=False)
class WeightedSample:
    """The fixed, binned sample of a tune.

    Attributes:
        points: network variables and base log density. bin: (N,) flat bin index of each event; ``n_bins`` for
            events outside every bin (they count in the sigma(E) normalisation, not in the prediction).
        w0: (N,) float64 base weight [cm^2 per nucleon]. design: (N, K) float64 Legendre basis of each event's e
            (:func:`legendre_design`). n_bins: bins of the measurement.
    """

    points: DensitySample
    bin: torch.Tensor
    w0: torch.Tensor
    design: torch.Tensor
    n_bins: int

    def __len__(self) -> int:
        return len(self.points)

    @property
    def n_outside(self) -> int:
        """Events outside every bin."""
        return int((self.bin == self.n_bins).sum())


@torch.no_grad()
def network_log_prob(flow: ConditionalFlow, u: torch.Tensor, e: torch.Tensor, batch: int = _EVAL_BATCH) -> torch.Tensor:
    """log q(u | e) [nats] of every row, in batches, without gradients; float64 (N,)."""
    was = flow.training
    flow.eval()
    try:
        parts = [flow.log_prob(u[a : a + batch], e[a : a + batch]).double() for a in range(0, len(u), batch)]
    finally:
        flow.train(was)
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64)


def _encode(
    transform: VariableTransform, E_nu: np.ndarray, E_mu: np.ndarray, cos: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    u = torch.as_tensor(transform.encode_muon(E_nu, E_mu, cos), dtype=torch.float32)
    e = torch.as_tensor(transform.encode_energy(E_nu), dtype=torch.float32).unsqueeze(1)
    return u, e


def density_sample(
    flow: ConditionalFlow, transform: VariableTransform, E_nu: np.ndarray, E_mu: np.ndarray, cos: np.ndarray
) -> DensitySample:
    """Events (GeV) in network variables with the base flow's log density."""
    u, e = _encode(transform, E_nu, E_mu, cos)
    return DensitySample(u, e, network_log_prob(flow, u, e))


def weighted_sample(
    flow: ConditionalFlow,
    transform: VariableTransform,
    binning: SliceBinning,
    E_nu: np.ndarray,
    E_mu: np.ndarray,
    cos: np.ndarray,
    weights: np.ndarray,
    degree: int = SIGMA_DEGREE,
) -> WeightedSample:
    """Bin a base sample once (p_mu, cos_theta; events outside every bin get index ``n_bins``) and evaluate its
    base log density."""
    k = binning.index(muon_momentum(E_mu), cos)
    k[k < 0] = binning.n_bins
    points = density_sample(flow, transform, E_nu, E_mu, cos)
    design = legendre_design(transform.encode_energy(E_nu), degree)
    return WeightedSample(
        points,
        torch.as_tensor(k),
        torch.as_tensor(np.asarray(weights, dtype=np.float64)),
        torch.as_tensor(design),
        binning.n_bins,
    )


# --------------------------------------------------------------------------------------------- prediction
@dataclass(frozen=True, eq=False)
class TuneTarget:
    """What a tune fits: the data of ``bins`` with the inverse of their sub-covariance, in the release's unit.

    Attributes:
        data: (n_bins,) data / unit. bins: fitted flat bin indices. inv_cov: inverse sub-covariance / unit^-2.
        areas: bin areas dp dcos. smearing: (reco, true) folding matrix or None. factor: target composition
            factor. unit: the release's display unit [cm^2/(GeV/c)] (values are divided by it).
    """

    data: torch.Tensor
    bins: torch.Tensor
    inv_cov: torch.Tensor
    areas: torch.Tensor
    smearing: torch.Tensor | None
    factor: float
    unit: float

    @classmethod
    def of(cls, m: Measurement, bins: np.ndarray, factor: float) -> TuneTarget:
        """The target fitting ``bins`` of measurement ``m`` with the sub-covariance of those bins."""
        b = np.asarray(bins, dtype=np.int64)
        if len(b) == 0 or len(np.unique(b)) != len(b) or b.min() < 0 or b.max() >= m.n_bins:
            raise ValueError(f"fitted bins must be distinct indices in 0..{m.n_bins - 1}, got {len(b)} bins")
        u = float(m.data_unit)
        inv = _inverse(np.asarray(m.covariance)[np.ix_(b, b)] / u**2)
        smear = None if m.smearing is None else torch.as_tensor(np.asarray(m.smearing, dtype=np.float64))
        return cls(
            torch.as_tensor(np.asarray(m.data) / u),
            torch.as_tensor(b),
            torch.as_tensor(inv),
            torch.as_tensor(m.binning.areas()),
            smear,
            float(factor),
            u,
        )

    @property
    def ndf(self) -> int:
        return int(len(self.bins))

    def predict(self, integrated: torch.Tensor) -> torch.Tensor:
        """Bin-integrated cross sections [cm^2] -> d2sigma/dp dcos / unit (forward-folded when smeared)."""
        folded = integrated if self.smearing is None else self.smearing @ integrated
        return self.factor * folded / self.areas / self.unit

    def chi2(self, prediction: torch.Tensor) -> torch.Tensor:
        """(d - p)^T C^-1 (d - p) over the fitted bins (prediction in the target's unit)."""
        r = (self.data - prediction)[self.bins]
        return r @ self.inv_cov @ r


def weighted_prediction(
    sample: WeightedSample, target: TuneTarget, delta: torch.Tensor, coefficients: torch.Tensor
) -> torch.Tensor:
    """Prediction (in the target's unit) of the sample reweighted by exp(delta) s(E): delta = log q - log p_base
    per event, s from ``coefficients``; at delta = 0, coefficients = 0 it is the base's flux-folded prediction."""
    w = sample.w0 * torch.exp(sample.design @ coefficients + delta)
    integrated = torch.zeros(sample.n_bins + 1, dtype=w.dtype).index_add(0, sample.bin, w)
    return target.predict(integrated[:-1])


def effective_sample_fraction(log_w: torch.Tensor) -> float:
    """(sum w)^2 / (N sum w^2) of weights exp(log_w): 1 for equal weights."""
    lw = log_w.detach().double()
    if len(lw) == 0:
        return math.nan
    w = torch.exp(lw - lw.max())
    return float(w.sum() ** 2 / (len(w) * (w * w).sum()))


# ------------------------------------------------------------------------------------------------------ tune
@dataclass(frozen=True)
class TuneSettings:
    """Settings of one tune.

    Attributes:
        kl_weight: lambda, the weight of KL(base || tuned) [nats per event] against chi2.
        steps: Adam steps. batch: events of the fixed sample per step (their log q evaluated afresh).
        kl_batch: base events per step for the KL estimate. lr: Adam learning rate of the flow; lr_sigma: of the
            sigma(E) coefficients. lr_decay: cosine decay to this fraction of the learning rates.
        sigma_degree: degree of log s(E) (-1 or 0 without fit_normalisation: sigma(E) fixed). sigma_prior: prior
            width of each fitted coefficient. fit_normalisation: fit c_0 (the normalisation) too; otherwise c_0
            keeps the flux-averaged cross section of the sample (sum_i w0_i s(E_i) = sum_i w0_i) and s(E) changes
            only the energy dependence.
        freeze: blocks frozen in sampling order (1: the first, as in transfer learning).
        ess_min: stop when the effective sample fraction of the weights falls below it. seed: minibatch order.
    """

    kl_weight: float = 10_000.0
    steps: int = 200
    batch: int = 10_000
    kl_batch: int = 5_000
    lr: float = 3e-5
    lr_sigma: float = 1e-2
    lr_decay: float = 0.1
    sigma_degree: int = SIGMA_DEGREE
    sigma_prior: float = SIGMA_PRIOR_WIDTH
    fit_normalisation: bool = False
    freeze: int = 1
    ess_min: float = ESS_MIN_FRACTION
    seed: int = 0

    def __post_init__(self) -> None:
        if not (self.kl_weight >= 0 and math.isfinite(self.kl_weight)):
            raise ValueError(f"the KL weight lambda must be finite and >= 0, got {self.kl_weight}")
        if self.steps < 1 or self.batch < 1 or self.kl_batch < 1:
            raise ValueError(f"steps, batch and kl_batch must be >= 1, got {self.steps}, {self.batch}, {self.kl_batch}")
        if not (self.lr > 0 and self.lr_sigma > 0 and 0 < self.lr_decay <= 1):
            raise ValueError("learning rates must be > 0 and lr_decay in (0, 1]")
        if self.sigma_degree < -1 or not self.sigma_prior > 0:
            raise ValueError(
                f"sigma_degree must be >= -1 and sigma_prior > 0, got {self.sigma_degree}, {self.sigma_prior}"
            )
        if not 0 <= self.ess_min < 1:
            raise ValueError(f"ess_min must be in [0, 1), got {self.ess_min}")


@dataclass
class TuneResult:
    """Outcome of :func:`tune_flow` (values of the final model, from an exact pass over the samples).

    Attributes:
        flow: the tuned flow. sigma: its sigma(E) coefficients. chi2: importance-weighted chi2 of the fitted bins
            on the tuning sample; ndf: their number; chi2_start: the same at the base. prediction: (n_bins,)
            importance-weighted prediction [cm^2/(GeV/c)]. kl: KL(base || tuned) [nats] on ``kl_test`` (or the
            whole KL sample).
        ess_fraction: effective sample fraction of the final weights. steps_done: Adam steps taken.
        stopped: why the tune stopped early (None: all steps). frozen: frozen block names. history: per step
            {step, loss, chi2, kl, prior, ess}. seconds: wall time.
    """

    flow: ConditionalFlow
    sigma: tuple[float, ...]
    chi2: float
    ndf: int
    chi2_start: float
    prediction: np.ndarray
    kl: float
    ess_fraction: float
    steps_done: int
    stopped: str | None
    frozen: list[str]
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def _sigma_coefficients(
    design: torch.Tensor, log_w0: torch.Tensor, fit_normalisation: bool
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Map the fitted coefficients to all of c_0..c_K-1: without ``fit_normalisation`` c_0 is set so that the
    sample's summed weight, sum_i w0_i s(E_i), stays that of the base (P_0 = 1)."""
    k = design.shape[1]
    log_w0n = log_w0 - torch.logsumexp(log_w0, 0)

    def full(free: torch.Tensor) -> torch.Tensor:
        if fit_normalisation or k == 0:
            return free
        c0 = -torch.logsumexp(design[:, 1:] @ free + log_w0n, 0)
        return torch.cat([c0.reshape(1), free])

    return full


def _cosine(step: int, steps: int, floor: float) -> float:
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * step / max(steps, 1)))


def _batches(n: int, size: int, gen: torch.Generator) -> Callable[[], torch.Tensor]:
    """Endless minibatches of ``size`` indices of range(n): passes over shuffled orders."""
    size = min(size, n)
    state: dict[str, Any] = {"perm": torch.randperm(n, generator=gen), "at": 0}

    def nxt() -> torch.Tensor:
        if state["at"] + size > n:
            state["perm"], state["at"] = torch.randperm(n, generator=gen), 0
        idx = state["perm"][state["at"] : state["at"] + size]
        state["at"] += size
        return idx

    return nxt


def tune_flow(
    base: ConditionalFlow,
    sample: WeightedSample,
    target: TuneTarget,
    kl_sample: DensitySample,
    settings: TuneSettings,
    on_step: Callable[[dict[str, float]], None] | None = None,
    kl_test: DensitySample | None = None,
) -> TuneResult:
    """Tune a copy of ``base`` so that the reweighted ``sample`` fits ``target`` (see the module docstring).

    Args:
        base: the base flow (not modified); its log densities are ``sample.points.log_p0`` / ``kl_sample.log_p0``.
        sample: the fixed, binned base sample (:func:`weighted_sample`).
        target: data and inverse sub-covariance of the fitted bins.
        kl_sample: base events for KL(base || tuned), e.g. over the model's whole energy range.
        settings: lambda, steps, batches, learning rates, prior, freezing, ESS threshold.
        on_step: called after every step with that step's record.
        kl_test: independent base events on which the final KL is estimated (the KL sample itself, which the tune
            minimises on, gives an estimate biased low); None: the KL sample.

    Raises:
        ValueError: an empty sample, a sample whose design does not match ``settings.sigma_degree``, or a
            non-finite loss.
    """
    t0 = time.perf_counter()
    n = len(sample)
    if n == 0 or len(kl_sample) == 0:
        raise ValueError("tuning needs events in the measurement's bins and base events for the KL term")
    k = settings.sigma_degree + 1
    if k > sample.design.shape[1]:
        raise ValueError(
            f"the sample's sigma(E) basis has degree {sample.design.shape[1] - 1}, the settings ask "
            f"for {settings.sigma_degree}"
        )
    design = sample.design[:, :k]
    sample = WeightedSample(sample.points, sample.bin, sample.w0, design, sample.n_bins)
    flow = copy.deepcopy(base)
    for p in flow.parameters():
        p.requires_grad_(True)
    frozen = freeze_flow_blocks(flow, settings.freeze) if settings.freeze else []
    flow.eval()
    log_w0 = torch.log(sample.w0)
    coefficients = _sigma_coefficients(design, log_w0, settings.fit_normalisation)
    free = torch.zeros(max(k - (0 if settings.fit_normalisation else 1), 0), dtype=torch.float64, requires_grad=True)
    params = [p for p in flow.parameters() if p.requires_grad]
    groups: list[dict[str, Any]] = [{"params": params, "lr": settings.lr}]
    if len(free):
        groups.append({"params": [free], "lr": settings.lr_sigma})
    opt = torch.optim.Adam(groups)
    gen = torch.Generator().manual_seed(int(settings.seed))
    next_batch = _batches(n, settings.batch, gen)
    next_kl = _batches(len(kl_sample), settings.kl_batch, gen)
    cache = torch.zeros(n, dtype=torch.float64)  # log q - log p of each event at its last visit (0: the base)
    pts = sample.points
    with torch.no_grad():
        chi2_start = float(target.chi2(weighted_prediction(sample, target, cache, coefficients(free))))
    history: list[dict[str, float]] = []
    stopped: str | None = None
    last_good = (copy.deepcopy(flow.state_dict()), free.detach().clone())
    step = 0
    for step in range(settings.steps):
        for g, lr in zip(opt.param_groups, (settings.lr, settings.lr_sigma), strict=False):
            g["lr"] = lr * _cosine(step, settings.steps, settings.lr_decay)
        idx = next_batch()
        fresh = flow.log_prob(pts.u[idx], pts.e[idx]).double() - pts.log_p0[idx]
        scale = n / len(idx)  # the minibatch's gradient stands for the whole sample's
        delta = cache.index_put((idx,), fresh.detach() + scale * (fresh - fresh.detach()))
        coeffs = coefficients(free)
        ess = effective_sample_fraction(log_w0 + design @ coeffs.detach() + delta.detach())
        if ess < settings.ess_min:
            flow.load_state_dict(last_good[0])
            with torch.no_grad():
                free.copy_(last_good[1])
            stopped = (
                f"step {step}: effective sample fraction {ess:.3f} of the importance weights fell below "
                f"{settings.ess_min:g}; kept the parameters of the step before"
            )
            break
        last_good = (copy.deepcopy(flow.state_dict()), free.detach().clone())
        c2 = target.chi2(weighted_prediction(sample, target, delta, coeffs))
        kidx = next_kl()
        kl = (kl_sample.log_p0[kidx] - flow.log_prob(kl_sample.u[kidx], kl_sample.e[kidx]).double()).mean()
        prior = ((free / settings.sigma_prior) ** 2).sum()
        loss = c2 + settings.kl_weight * kl + prior
        if not torch.isfinite(loss):
            raise ValueError(f"the tuning loss became {float(loss)} at step {step}; lower the learning rate")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        cache[idx] = fresh.detach()
        rec = {
            "step": float(step + 1),
            "loss": float(loss.detach()),
            "chi2": float(c2.detach()),
            "kl": float(kl.detach()),
            "prior": float(prior.detach()),
            "ess": ess,
        }
        history.append(rec)
        if on_step is not None:
            on_step(rec)
    else:
        step = settings.steps
    # exact pass: the final model's weights for every event, chi2, ESS and KL
    delta = network_log_prob(flow, pts.u, pts.e) - pts.log_p0
    with torch.no_grad():
        coeffs = coefficients(free)
        pred = weighted_prediction(sample, target, delta, coeffs)
        chi2_end = float(target.chi2(pred))
        ess_end = effective_sample_fraction(log_w0 + design @ coeffs + delta)
    check = kl_test if kl_test is not None else kl_sample
    kl_end = float((check.log_p0 - network_log_prob(flow, check.u, check.e)).mean())
    for p in flow.parameters():
        p.requires_grad_(False)
    return TuneResult(
        flow,
        tuple(float(c) for c in coeffs.detach()),
        chi2_end,
        target.ndf,
        chi2_start,
        pred.numpy() * target.unit,
        kl_end,
        ess_end,
        step,
        stopped,
        frozen,
        history,
        time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------------------------------------- folds
def slice_folds(n_slices: int, k: int) -> tuple[tuple[int, ...], ...]:
    """k folds of the cos_theta slices, round robin: fold j holds slices j, j + k, j + 2k, ... (each held-out
    slice has fitted neighbours: the folds test interpolation across angle, not extrapolation)."""
    if not 2 <= k <= n_slices:
        raise ValueError(f"k-fold over {n_slices} cos_theta slices needs 2 <= k <= {n_slices}, got {k}")
    return tuple(tuple(range(j, n_slices, k)) for j in range(k))


def slice_bins(binning: SliceBinning, slices: Sequence[int]) -> np.ndarray:
    """Flat bin indices of the given slices, ascending."""
    bad = [s for s in slices if not 0 <= s < binning.n_slices]
    if bad:
        raise ValueError(f"no cos_theta slice(s) {bad}; the binning has {binning.n_slices}")
    idx = [np.arange(binning.slice_of(s).start, binning.slice_of(s).stop) for s in sorted(set(slices))]
    return np.concatenate(idx).astype(np.int64) if idx else np.zeros(0, dtype=np.int64)


def other_bins(binning: SliceBinning, slices: Sequence[int]) -> np.ndarray:
    """Flat bin indices of every slice not in ``slices``, ascending."""
    return slice_bins(binning, [s for s in range(binning.n_slices) if s not in set(slices)])


def sub_chi2(data: np.ndarray, prediction: np.ndarray, cov: np.ndarray, bins: np.ndarray) -> Chi2:
    """chi2 of ``bins`` alone, with their sub-covariance C[bins, bins]."""
    b = np.asarray(bins, dtype=np.int64)
    return chi2(np.asarray(data)[b], np.asarray(prediction)[b], np.asarray(cov)[np.ix_(b, b)])


def heldout_chi2(
    data: np.ndarray,
    cov: np.ndarray,
    binning: SliceBinning,
    folds: Sequence[Sequence[int]],
    predictions: Sequence[np.ndarray],
) -> tuple[Chi2, list[Chi2]]:
    """Sum over folds of the held-out chi2: fold j's held-out slices scored with ``predictions[j]`` (the model
    tuned without them; the same vector for every fold for an untuned prediction) and the sub-covariance of those
    bins. Returns (sum, per fold); the sum's ndf is the number of held-out bins."""
    if len(predictions) != len(folds):
        raise ValueError(f"{len(folds)} folds but {len(predictions)} predictions")
    per = [sub_chi2(data, p, cov, slice_bins(binning, f)) for f, p in zip(folds, predictions, strict=True)]
    return Chi2(float(sum(c.chi2 for c in per)), int(sum(c.ndf for c in per))), per
