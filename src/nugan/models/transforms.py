"""Variable transforms that live with the model: physical <-> network space.

E_nu -> e in [-1, 1], linear in log E_nu over the model's energy range.
Muon variables -> two unbounded, standardised variables:
    u1 = logit(f), f = (E_mu - m_mu) / (E_nu - m_mu) in (0, 1)
    u2 = atanh(cos_theta) = 0.5 log((1 + cos) / (1 - cos))
The inverse maps through sigmoid and tanh, so every generated event satisfies m_mu <= E_mu <= E_nu and
|cos_theta| <= 1 by construction. Values at the edges are clipped by ``eps`` before the forward map
(the count of clipped inputs is not needed: the clip only touches values within ``eps`` of a boundary).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nugan.constants import M_MU

if TYPE_CHECKING:  # torch is imported only by the torch decode: the NumPy engine loads this module without it
    import torch

__all__ = ["VariableTransform"]

_EPS = 1e-7


@dataclass(frozen=True)
class VariableTransform:
    """Physical <-> network variable map with its fitted standardisation constants.

    Attributes:
        e_min, e_max: energy range of the model [GeV]; E_nu outside it is extrapolation.
        mean, std: per-variable standardisation of (u1, u2), fitted on the training sample.
    """

    e_min: float
    e_max: float
    mean: tuple[float, float] = (0.0, 0.0)
    std: tuple[float, float] = (1.0, 1.0)

    @classmethod
    def fit(
        cls, E_nu: np.ndarray, E_mu: np.ndarray, cos: np.ndarray, energy_range: tuple[float, float] | None = None
    ) -> VariableTransform:
        """Fit standardisation on a training sample; energy range from ``energy_range`` or the data."""
        lo, hi = energy_range if energy_range else (float(np.min(E_nu)), float(np.max(E_nu)))
        if not (0 < lo < hi):
            raise ValueError(f"invalid energy range ({lo}, {hi}) GeV")
        t = cls(lo, hi)
        u = t._raw_muon(E_nu, E_mu, cos)
        return cls(lo, hi, _pair(u.mean(0)), _pair(u.std(0) + 1e-12))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __post_init__(self) -> None:
        e_min, e_max = self.e_min, self.e_max
        if not (np.isfinite(e_min) and np.isfinite(e_max) and 0 < e_min <= e_max):
            raise ValueError(
                f"transform energy range must satisfy 0 < e_min <= e_max (finite), got ({e_min}, {e_max}) GeV"
            )
        if len(self.mean) != 2 or len(self.std) != 2 or not np.all(np.isfinite(self.mean)):
            raise ValueError(f"transform.mean must be two finite numbers, got {list(self.mean)}")
        if not (np.all(np.isfinite(self.std)) and np.all(np.asarray(self.std) > 0)):
            raise ValueError(
                f"transform.std must be two finite numbers > 0, got {list(self.std)} (a zero or NaN "
                "scale would give every event the same or no muon)"
            )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VariableTransform:
        """Read the transform from a model description; ValueError naming the field on a bad entry."""
        if not isinstance(d, dict):
            raise ValueError(f"transform must be a mapping, got {type(d).__name__}")
        missing = [k for k in ("e_min", "e_max", "mean", "std") if k not in d]
        if missing:
            raise ValueError(f"transform lacks {missing}")
        try:
            mean = _pair(d["mean"])
            std = _pair(d["std"])
            e_min, e_max = float(d["e_min"]), float(d["e_max"])
        except (TypeError, ValueError) as err:
            raise ValueError(f"transform entries must be numbers (mean and std pairs): {err}") from None
        return cls(e_min, e_max, mean, std)

    # ------------------------------------------------------------------ E_nu
    def encode_energy(self, E_nu: np.ndarray) -> np.ndarray:
        """E_nu [GeV] -> e in [-1, 1] over the model range (log scale)."""
        l0, l1 = np.log(self.e_min), np.log(self.e_max)
        if l1 == l0:
            return np.zeros_like(np.asarray(E_nu, dtype=np.float64))
        return 2.0 * (np.log(np.asarray(E_nu, dtype=np.float64)) - l0) / (l1 - l0) - 1.0

    def in_range(self, E_nu: np.ndarray, tol: float = 1e-6) -> np.ndarray:
        """Mask of energies inside the model's training range."""
        E = np.asarray(E_nu)
        return (self.e_min * (1 - tol) <= E) & (self.e_max * (1 + tol) >= E)

    # ------------------------------------------------------------- muon vars
    @staticmethod
    def _raw_muon(E_nu: np.ndarray, E_mu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        E_nu = np.asarray(E_nu, dtype=np.float64)
        f = (np.asarray(E_mu, dtype=np.float64) - M_MU) / (E_nu - M_MU)
        f = np.clip(f, _EPS, 1 - _EPS)
        c = np.clip(np.asarray(cos, dtype=np.float64), -1 + _EPS, 1 - _EPS)
        return np.stack([np.log(f) - np.log1p(-f), np.arctanh(c)], axis=1)

    def encode_muon(self, E_nu: np.ndarray, E_mu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        """(E_nu, E_mu, cos) -> standardised (u1, u2), shape (N, 2)."""
        u = self._raw_muon(E_nu, E_mu, cos)
        return (u - np.asarray(self.mean)) / np.asarray(self.std)

    def log_jacobian(self, E_nu: np.ndarray, E_mu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        """log |det d(u1, u2) / d(E_mu, cos_theta)| per event [log GeV^-1]: turns a density in network
        space into one in physical variables, log p(E_mu, cos | E_nu) = log p(u | e) + log_jacobian."""
        E_nu = np.asarray(E_nu, dtype=np.float64)
        f = (np.asarray(E_mu, dtype=np.float64) - M_MU) / (E_nu - M_MU)
        f = np.clip(f, _EPS, 1 - _EPS)
        c = np.clip(np.asarray(cos, dtype=np.float64), -1 + _EPS, 1 - _EPS)
        # du1/dE_mu = 1 / (std1 f (1 - f) (E_nu - m_mu)),  du2/dcos = 1 / (std2 (1 - cos^2))
        return -(
            np.log(f)
            + np.log1p(-f)
            + np.log(E_nu - M_MU)
            + np.log1p(-c * c)
            + np.log(self.std[0])
            + np.log(self.std[1])
        )

    def decode_muon_torch(self, E_nu: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Network output (N, 2) -> (E_mu, cos_theta), physical by construction (float64 math; the same
        formula as :meth:`decode_muon`)."""
        import torch

        u = u.double()
        mean = torch.tensor(self.mean, dtype=torch.float64, device=u.device)
        std = torch.tensor(self.std, dtype=torch.float64, device=u.device)
        raw = u * std + mean
        f = torch.sigmoid(raw[:, 0])
        cos = torch.tanh(raw[:, 1])
        E_nu = E_nu.double()
        # min() only removes the last-ulp rounding of M_MU + (E_nu - M_MU) when f rounds to 1
        E_mu = torch.minimum(M_MU + f * (E_nu - M_MU), E_nu)
        return E_mu, cos

    def decode_muon(self, E_nu: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """NumPy version of :meth:`decode_muon_torch` (float64; agrees with it to the last bits of
        ``exp``/``tanh``)."""
        raw = np.asarray(u, dtype=np.float64) * np.asarray(self.std) + np.asarray(self.mean)
        with np.errstate(over="ignore"):  # exp(-x) -> inf for x << 0 gives f = 0, as sigmoid does
            f = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        cos = np.tanh(raw[:, 1])
        E_nu = np.asarray(E_nu, dtype=np.float64)
        E_mu = np.minimum(M_MU + f * (E_nu - M_MU), E_nu)
        return E_mu, cos


def _pair(values: Any) -> tuple[float, float]:
    """Two floats from a length-2 sequence or array (a mean or std pair); ValueError otherwise."""
    v = [float(x) for x in values]
    if len(v) != 2:
        raise ValueError(f"expected 2 values, got {len(v)}")
    return v[0], v[1]
