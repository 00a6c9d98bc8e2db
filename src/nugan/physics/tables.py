"""Tier 1 of the simulator (spec Sec. 8): build, cache and load the per-channel kinematic tables.

For one (probe, target, model) the builder runs the weighted Monte Carlo of :mod:`nugan.physics.channels`
at ``n_E`` log-spaced neutrino energies and histograms the weights of every channel in the scaled lepton
variables

    t = sqrt(omega / E_nu)  in [0, 1]     and     x = Q2 / (2 M omega)  in [0, x_max]

(M = 0.9389 GeV, struck nucleon at rest). t resolves the forward, low-omega QE peak at high E_nu and
x = 1 - (W^2 - M^2)/(2 M omega) resolves the QE and Delta peaks in W. It also stores sigma_channel(E)
[cm^2 per nucleon]. Tables are ``.npz`` files (float32 histograms, compressed), looked up first among the
tables shipped in ``nugan/data/xsec_tables`` and then in the cache directory (env ``NUGAN_CACHE``,
default ``~/.cache/nugan``); new ones are written atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nugan.atomic import atomic_path
from nugan.constants import M_NUCLEON, probe_name, probe_pdg, target_za
from nugan.constants import target_name as _target_name
from nugan.physics.channels import SIM_CHANNELS, weighted_events
from nugan.physics.models import ModelParams, get_model
from nugan.physics.nucleus import nuclear_config

__all__ = [
    "BUILDER_VERSION",
    "TableGrid",
    "default_grid",
    "KinematicTables",
    "XsecTable",
    "build_tables",
    "load_tables",
    "get_tables",
    "cache_dir",
    "shipped_dir",
    "table_filename",
    "cross_section_table",
    "canonical_target",
    "save_tables",
    "SHIPPED",
    "build_shipped",
]

BUILDER_VERSION = "1"


@dataclass(frozen=True)
class TableGrid:
    """Binning of the kinematic tables.

    Attributes:
        E_min, E_max: neutrino energy range of the log-spaced nodes [GeV]; n_E: number of nodes.
        n_t: bins of t = sqrt(omega/E) in [0, 1]; n_x, x_max: bins of x in [0, x_max].
        trials: weighted trials per (node, channel).
    """

    E_min: float = 0.1
    E_max: float = 20.0
    n_E: int = 56
    n_t: int = 100
    n_x: int = 120
    x_max: float = 3.0
    trials: int = 150_000

    def nodes(self) -> np.ndarray:
        """Neutrino energies of the table nodes [GeV]."""
        return np.geomspace(self.E_min, self.E_max, self.n_E)


def default_grid(pdg: int) -> TableGrid:
    """The binning used unless one is given: x up to 3 for nu, up to 6 for anti-nu (same x bin width 0.025).

    The mu+ leaves the nucleus with Coulomb energy gained (2 V_C for QE with ``neutron_coulomb``), which puts
    events at small omega and large x near the reaction threshold: with x <= 3, anti-nu_mu-Ar40 lost 2.3 % of
    its cross section at 0.3 GeV (0.1 % beyond x = 6).
    """
    return TableGrid(n_x=240, x_max=6.0) if pdg < 0 else TableGrid()


@dataclass
class KinematicTables:
    """Built tables of one (probe, target, model).

    Attributes:
        probe_pdg, target, model_name, model_version, fingerprint: what was built.
        grid: the binning. E_nodes: (n_E,) [GeV]. sigma: (n_ch, n_E) [cm^2 per nucleon].
        hist: (n_ch, n_E, n_t, n_x) float32, each (channel, node) slice normalised to sum 1 (or all 0).
        overflow: (n_ch, n_E) fraction of the weight outside the (t, x) range.
        info: provenance (builder version, build time, seconds).
    """

    probe_pdg: int
    target: str
    model_name: str
    model_version: str
    fingerprint: str
    grid: TableGrid
    E_nodes: np.ndarray
    sigma: np.ndarray
    hist: np.ndarray
    overflow: np.ndarray
    info: dict = field(default_factory=dict)

    channels: tuple[str, ...] = SIM_CHANNELS


@dataclass(frozen=True)
class XsecTable:
    """Cross sections of one (probe, target, model) per channel on the table's energy grid.

    Attributes:
        probe_pdg, target, model: identification. E_nu: (n,) energies [GeV].
        sigma: channel -> (n,) cross section per nucleon [cm^2].
    """

    probe_pdg: int
    target: str
    model: str
    E_nu: np.ndarray
    sigma: dict[str, np.ndarray]

    def channel(self, name: str, E: np.ndarray | float) -> np.ndarray:
        """sigma of one channel at ``E`` [GeV] (linear interpolation in ln E) [cm^2 per nucleon]."""
        if name not in self.sigma:
            raise KeyError(f"no channel {name!r}; channels: {sorted(self.sigma)}")
        E = np.asarray(E, dtype=np.float64)
        return np.interp(np.log(E), np.log(self.E_nu), self.sigma[name], left=np.nan, right=np.nan)

    def total(self, E: np.ndarray | float) -> np.ndarray:
        """Total cross section at ``E`` [GeV] [cm^2 per nucleon]; NaN outside the grid."""
        return np.sum([self.channel(c, E) for c in self.sigma], axis=0)

    @property
    def sigma_total(self) -> np.ndarray:
        """Total cross section on the grid [cm^2 per nucleon]."""
        return np.sum(list(self.sigma.values()), axis=0)


def canonical_target(target: str) -> str:
    """'C12', 'O16', 'Ar40' or 'Fe56' from any accepted spelling (raises ValueError otherwise)."""
    Z, A = target_za(target)
    name = _target_name(Z, A)
    if name.startswith("Z"):
        raise ValueError(f"unsupported target {target!r}; the simulator supports C12, O16, Ar40, Fe56")
    return name


def cache_dir() -> Path:
    """User table cache: ``$NUGAN_CACHE`` or ``~/.cache/nugan`` (subfolder ``xsec_tables``)."""
    root = os.environ.get("NUGAN_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "nugan"
    return base / "xsec_tables"


def shipped_dir() -> Path:
    """Tables shipped with the package (``nugan/data/xsec_tables``)."""
    return Path(__file__).resolve().parents[1] / "data" / "xsec_tables"


def table_filename(pdg: int, target: str, model: ModelParams, grid: TableGrid) -> str:
    """File name keyed by probe, target, model name and a hash of the physics parameters and grid."""
    import hashlib

    key = json.dumps({"m": model.fingerprint(), "g": asdict(grid), "b": BUILDER_VERSION}, sort_keys=True)
    h = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{probe_name(pdg)}_{target}_{model.name}_{h}.npz"


def _accumulate(E: float, ev, grid: TableGrid) -> tuple[np.ndarray, float]:
    """Histogram (n_t, n_x) of weights of WeightedEvents ``ev`` and the out-of-range weight."""
    from nugan.events.kinematics import Q2

    om = E - ev.E_mu
    q2 = Q2(np.full(len(om), E), ev.E_mu, ev.cos_theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.sqrt(np.clip(om / E, 0.0, None))
        x = q2 / (2.0 * M_NUCLEON * om)
    it = np.floor(t * grid.n_t).astype(np.int64)
    ix = np.floor(x / grid.x_max * grid.n_x)
    good = (om > 0) & (it >= 0) & (it < grid.n_t) & (ix >= 0) & (ix < grid.n_x) & (ev.weight > 0)
    idx = it[good] * grid.n_x + ix[good].astype(np.int64)
    h = np.bincount(idx, weights=ev.weight[good], minlength=grid.n_t * grid.n_x)
    out = float(ev.weight[~good & (ev.weight > 0)].sum())
    return h.reshape(grid.n_t, grid.n_x), out


def build_tables(
    probe: str | int,
    target: str,
    model: str | ModelParams,
    grid: TableGrid | None = None,
    seed: int = 12345,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 200_000,
) -> KinematicTables:
    """Run the weighted Monte Carlo at every node and histogram it (see module docstring).

    Args:
        probe: 'numu'/'numubar' or 14/-14. target: 'C12', 'O16', 'Ar40', 'Fe56'. model: name, file or params.
        grid: binning and trial count. seed: builder random seed. progress: callback(done, total) per node.
        chunk: trials per vectorised batch (bounds memory).
    """
    pdg = probe_pdg(probe)
    target = canonical_target(target)
    m = get_model(model)
    grid = grid or default_grid(pdg)
    cfg = nuclear_config(target, m)
    nodes = grid.nodes()
    n_ch = len(SIM_CHANNELS)
    sigma = np.zeros((n_ch, grid.n_E))
    hist = np.zeros((n_ch, grid.n_E, grid.n_t, grid.n_x), dtype=np.float32)
    overflow = np.zeros((n_ch, grid.n_E))
    rng = np.random.Generator(np.random.PCG64(seed))
    t0 = time.time()
    for j, E in enumerate(nodes):
        for c, ch in enumerate(SIM_CHANNELS):
            h = np.zeros((grid.n_t, grid.n_x))
            wsum = 0.0
            out = 0.0
            done = 0
            while done < grid.trials:
                n = min(chunk, grid.trials - done)
                ev = weighted_events(
                    ch, float(E), n, rng, cfg, m, pdg, sigma_qe=float(sigma[0, j]) if ch == "MEC" else None
                )
                hh, oo = _accumulate(float(E), ev, grid)
                h += hh
                out += oo
                wsum += float(ev.weight.sum())
                done += n
            sigma[c, j] = wsum / grid.trials
            tot = h.sum()
            if tot > 0:
                hist[c, j] = (h / tot).astype(np.float32)
            overflow[c, j] = out / wsum if wsum > 0 else 0.0
        if progress is not None:
            progress(j + 1, grid.n_E)
    info = {
        "builder_version": BUILDER_VERSION,
        "seed": seed,
        "build_seconds": round(time.time() - t0, 2),
        "built_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return KinematicTables(pdg, target, m.name, m.version, m.fingerprint(), grid, nodes, sigma, hist, overflow, info)


def save_tables(tables: KinematicTables, path: str | os.PathLike[str]) -> Path:
    """Write ``tables`` to a compressed ``.npz`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "probe_pdg": tables.probe_pdg,
        "target": tables.target,
        "model_name": tables.model_name,
        "model_version": tables.model_version,
        "fingerprint": tables.fingerprint,
        "grid": asdict(tables.grid),
        "channels": list(tables.channels),
        "info": tables.info,
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f,
            meta=np.array(json.dumps(meta)),
            E_nodes=tables.E_nodes,
            sigma=tables.sigma,
            hist=tables.hist.astype(np.float32),
            overflow=tables.overflow,
        )
    return path


def load_tables(path: str | os.PathLike[str]) -> KinematicTables:
    """Read tables written by :func:`save_tables`."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return KinematicTables(
            int(meta["probe_pdg"]),
            meta["target"],
            meta["model_name"],
            meta["model_version"],
            meta["fingerprint"],
            TableGrid(**meta["grid"]),
            z["E_nodes"],
            z["sigma"],
            z["hist"],
            z["overflow"],
            meta.get("info", {}),
            tuple(meta["channels"]),
        )


_MEMO: dict[str, KinematicTables] = {}


def get_tables(
    probe: str | int,
    target: str,
    model: str | ModelParams,
    grid: TableGrid | None = None,
    build: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> KinematicTables:
    """Tables for (probe, target, model): memory, shipped tables, cache, else built (and cached)."""
    pdg = probe_pdg(probe)
    target = canonical_target(target)
    m = get_model(model)
    grid = grid or default_grid(pdg)
    name = table_filename(pdg, target, m, grid)
    if name in _MEMO:
        return _MEMO[name]
    for d in (shipped_dir(), cache_dir()):
        p = d / name
        if p.exists():
            _MEMO[name] = load_tables(p)
            return _MEMO[name]
    if not build:
        raise FileNotFoundError(f"no table {name} in {shipped_dir()} or {cache_dir()}")
    tables = build_tables(pdg, target, m, grid, progress=progress)
    with contextlib.suppress(OSError):  # read-only home: keep in memory only
        save_tables(tables, cache_dir() / name)
    _MEMO[name] = tables
    return tables


def cross_section_table(
    probe: str | int = "numu", target: str = "C12", model: str | ModelParams = "default"
) -> XsecTable:
    """Per-channel cross sections [cm^2 per nucleon] on the table energy grid (builds tables if needed)."""
    t = get_tables(probe, target, model)
    return XsecTable(
        t.probe_pdg, t.target, t.model_name, t.E_nodes.copy(), {c: t.sigma[i].copy() for i, c in enumerate(t.channels)}
    )


#: (probe, target, model) combinations whose tables ship with the package (``nugan/data/xsec_tables``).
SHIPPED: tuple[tuple[str, str, str], ...] = (
    ("numu", "C12", "default"),
    ("numu", "Ar40", "default"),
    ("numubar", "C12", "default"),
    ("numubar", "Ar40", "default"),
)


def build_shipped(out_dir: Path | None = None) -> list[Path]:
    """(Re)build the shipped tables into ``out_dir`` (default :func:`shipped_dir`); a maintainer task."""
    out = Path(out_dir) if out_dir else shipped_dir()
    paths = []
    for probe, target, model in SHIPPED:
        m = get_model(model)
        t = build_tables(probe, target, m)
        paths.append(save_tables(t, out / table_filename(t.probe_pdg, target, m, t.grid)))
        print(f"{paths[-1].name}: {t.info['build_seconds']} s, {paths[-1].stat().st_size / 1e6:.2f} MB")
    return paths


if __name__ == "__main__":
    build_shipped()
