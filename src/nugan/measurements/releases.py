"""Published CC-inclusive measurements shipped with nugan (``nugan/data/measurements``), read with uproot.

Each :class:`Measurement` holds everything a prediction needs: binning, data and covariance in cm^2 / (GeV/c)
per nucleon or per nucleus, the beam flux, the signal definition, the target and, for results in reconstructed
variables, the smearing matrix that forward-folds a true-space prediction.

Shipped measurements (:data:`MEASUREMENTS`):

- ``t2k-nd280-ccinc-c-2018`` (and ``...-genie-prior``): T2K ND280 nu_mu CC-inclusive d2sigma/dp dcos on CH,
  PRD 98, 012004 (2018); data unfolded with a NEUT (GENIE) prior, 71 bins in 11 cos_theta slices, per nucleon,
  ND280 flux of the release (0-30 GeV); rows for the release's NEUT 5.3.2 and GENIE 2.8.0 predictions.
- ``microboone-ccinc-ar-2019``: MicroBooNE nu_mu CC-inclusive d2sigma/dp dcos on Ar, PRL 123, 131801 (2019);
  42 bins in 9 slices of reconstructed variables, per nucleon (see :data:`MICROBOONE_PER`), BNB flux; a prediction
  is forward-folded with the release's smearing matrix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from nugan.measurements.binning import SliceBinning

__all__ = [
    "Measurement",
    "MEASUREMENTS",
    "data_dir",
    "get_measurement",
    "list_measurements",
    "read_hist",
    "read_hist2d",
]


@dataclass(frozen=True, eq=False)
class Measurement:
    """One published double-differential cross section and how to predict it.

    Attributes:
        id: short name used on the command line.
        title: one-line description. citation: the paper. folder: release files.
        target: target label ('CH', 'Ar'). composition: default target composition, nucleus -> nucleons in one
            target unit (e.g. {'C12': 12, 'H1': 1}); see :func:`nugan.measurements.predict.composition_factor`.
        per: 'nucleon' or 'nucleus': the cross section is divided by the nucleons or nuclei of the target.
        nucleons_per_unit: nucleons of one target unit when ``per == 'nucleus'`` (40 for Ar), else 1.
        binning: the (p_mu, cos_theta) bins in the data vector's order.
        data: measured d2sigma/dp dcos [cm^2 / (GeV/c)] per ``per``. covariance: its covariance [cm^4].
        flux_edges, flux_content: the beam flux histogram [GeV; any units per bin]. flux_label: its origin;
            flux_spec: the same as FILE.root:HIST (for :func:`nugan.physics.flux.make_flux`).
        enu_range: signal definition's E_nu range [GeV] (CC-inclusive nu_mu with a muon; no other cut).
        smearing: (reco, true) matrix folding a true-space prediction (bin-integrated) into reconstructed bins,
            or None when the data are unfolded.
        stored: the release's own predictions, label -> values (same units as ``data``).
        data_unit: the release's display unit [cm^2/(GeV/c)], e.g. 1e-39. notes: caveats printed with results.
    """

    id: str
    title: str
    citation: str
    folder: Path
    target: str
    composition: Mapping[str, float]
    per: str
    nucleons_per_unit: int
    binning: SliceBinning
    data: np.ndarray
    covariance: np.ndarray
    flux_edges: np.ndarray
    flux_content: np.ndarray
    flux_label: str
    flux_spec: str
    enu_range: tuple[float, float]
    smearing: np.ndarray | None = None
    stored: Mapping[str, np.ndarray] = field(default_factory=dict)
    data_unit: float = 1e-38
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = self.binning.n_bins
        if np.shape(self.data) != (n,) or np.shape(self.covariance) != (n, n):
            raise ValueError(
                f"{self.id}: {n} bins but data {np.shape(self.data)}, covariance {np.shape(self.covariance)}"
            )
        if self.smearing is not None and np.shape(self.smearing) != (n, n):
            raise ValueError(f"{self.id}: smearing matrix {np.shape(self.smearing)} does not match {n} bins")
        if self.per not in ("nucleon", "nucleus"):
            raise ValueError(f"{self.id}: per must be 'nucleon' or 'nucleus', got {self.per!r}")

    @property
    def n_bins(self) -> int:
        return self.binning.n_bins

    @property
    def errors(self) -> np.ndarray:
        """Diagonal uncertainties sqrt(C_ii) [cm^2/(GeV/c)]."""
        return np.sqrt(np.diag(self.covariance))

    @property
    def unit_label(self) -> str:
        """e.g. '1e-39 cm^2/(GeV/c)/nucleon'."""
        return f"{self.data_unit:.0e} cm^2/(GeV/c)/{self.per}"

    def flux_fraction(self, lo: float, hi: float) -> float:
        """Share of the flux content in [lo, hi] GeV (bins split linearly)."""
        e = self.flux_edges
        inside = np.diff(np.clip(e, lo, hi)) / np.diff(e)
        return float(np.sum(self.flux_content * inside) / np.sum(self.flux_content))


def data_dir() -> Path:
    """The shipped releases: ``nugan/data/measurements``."""
    return Path(str(resources.files("nugan") / "data" / "measurements"))


def read_hist(path: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(contents, edges) of TH1 ``name`` in ROOT file ``path``."""
    import uproot

    with uproot.open(path) as f:
        if name not in f:
            raise ValueError(f"{path}: no histogram {name!r}")
        c, e = f[name].to_numpy()
    return np.asarray(c, dtype=np.float64), np.asarray(e, dtype=np.float64)


def read_hist2d(path: Path, name: str) -> np.ndarray:
    """Contents [x, y] of TH2 ``name`` in ROOT file ``path``."""
    import uproot

    with uproot.open(path) as f:
        if name not in f:
            raise ValueError(f"{path}: no histogram {name!r}")
        return np.asarray(f[name].to_numpy()[0], dtype=np.float64)


# ---------------------------------------------------------------------------------------------- T2K ND280 2018
T2K_COS_EDGES = (-1.0, -0.25, 0.25, 0.45, 0.6, 0.71, 0.80, 0.87, 0.92, 0.96, 0.985, 1.0)
T2K_CITATION = (
    "K. Abe et al. (T2K), Measurement of inclusive double-differential nu_mu charged-current cross "
    "section with improved acceptance in the T2K off-axis near detector, Phys. Rev. D 98, 012004 "
    "(2018), arXiv:1801.05148"
)


def _t2k(prior: str) -> Measurement:
    folder = data_dir() / "t2k_nd280_ccinc_c_2018"
    path = folder / "histograms.root"
    unit = 1e-39
    data: list[np.ndarray] = []
    p_edges: list[np.ndarray] = []
    stored: dict[str, list[np.ndarray]] = {"NEUT 5.3.2": [], "GENIE 2.8.0": []}
    for i in range(len(T2K_COS_EDGES) - 1):
        c, e = read_hist(path, f"hist_xsec_data_prior_{prior}_cthbin{i}")
        data.append(c)
        p_edges.append(e)
        stored["NEUT 5.3.2"].append(read_hist(path, f"hist_xsec_neut_cthbin{i}")[0])
        stored["GENIE 2.8.0"].append(read_hist(path, f"hist_xsec_genie_cthbin{i}")[0])
    binning = SliceBinning.from_lists(T2K_COS_EDGES, p_edges)
    n = binning.n_bins
    cov = read_hist2d(path, f"covariance_matrix_{prior}")[:n, :n]  # cm^4 (the TH2 has one spare bin)
    flux, fedges = read_hist(path, "hflux")
    return Measurement(
        id="t2k-nd280-ccinc-c-2018" + ("" if prior == "neut" else "-genie-prior"),
        title=f"T2K ND280 nu_mu CC-inclusive d2sigma/dp dcos on CH ({prior.upper()}-prior unfolding)",
        citation=T2K_CITATION,
        folder=folder,
        target="CH",
        composition={"C12": 1.0},
        per="nucleon",
        nucleons_per_unit=1,
        binning=binning,
        data=np.concatenate(data) * unit,
        covariance=cov,
        flux_edges=fedges,
        flux_content=flux,
        flux_label="histograms.root:hflux (ND280 nu_mu, 0-30 GeV)",
        flux_spec=f"{path}:hflux",
        enu_range=(0.0, 30.0),
        smearing=None,
        stored={k: np.concatenate(v) * unit for k, v in stored.items()},
        data_unit=unit,
        notes=(
            "Target CH, per nucleon. Default composition C12=1: the per-nucleon carbon cross section stands for "
            "CH (the hydrogen proton counted as an average carbon nucleon). With C12=12,H1=1 hydrogen "
            "contributes zero (no free-nucleon model): a lower bound; the truth lies between.",
        ),
    )


# ----------------------------------------------------------------------------------------- MicroBooNE 2019
UB_COS_EDGES = (-1.0, -0.5, 0.0, 0.27, 0.45, 0.62, 0.76, 0.86, 0.94, 1.0)
_UB_P3 = (0.0, 0.18, 0.30, 0.45, 0.77, 2.50)
_UB_P4 = (0.0, 0.30, 0.45, 0.77, 2.50)
_UB_P5 = (0.0, 0.30, 0.45, 0.77, 1.28, 2.50)
UB_P_EDGES = (_UB_P3,) * 3 + (_UB_P4,) * 3 + (_UB_P5,) * 3
UB_CITATION = (
    "P. Abratti et al. (MicroBooNE), First measurement of inclusive muon neutrino charged current "
    "differential cross sections on argon at E_nu ~ 0.8 GeV with the MicroBooNE detector, Phys. Rev. "
    "Lett. 123, 131801 (2019), arXiv:1905.09694"
)
#: Normalisation of the MicroBooNE release: per nucleon (NUISANCE treats it so, and the data integrate to
#: 0.695e-38 cm^2, the paper's flux-averaged total cross section per nucleon; per argon nucleus it would be 40x).
MICROBOONE_PER = "nucleon"


def _microboone() -> Measurement:
    folder = data_dir() / "microboone_ccinc_ar_2019"
    path = folder / "microboone_numu_cc_inclusive.root"
    unit = 1e-38
    binning = SliceBinning.from_lists(UB_COS_EDGES, UB_P_EDGES)
    n = binning.n_bins
    data, _ = read_hist(path, "xsec_data")
    cov = read_hist2d(path, "covariance_matrix")[:n, :n] * unit**2
    # TH2 x = reconstructed bin, y = true bin; columns sum to 1 including a 43rd (overflow) bin, which is left out
    smear = read_hist2d(path, "smearing_matrix")[:n, :n]
    flux_path = data_dir() / "flux" / "BNB_uBooNE_numu_flux_2019.root"
    flux, fedges = read_hist(flux_path, "numu")
    return Measurement(
        id="microboone-ccinc-ar-2019",
        title="MicroBooNE nu_mu CC-inclusive d2sigma/dp dcos on Ar (reconstructed variables)",
        citation=UB_CITATION,
        folder=folder,
        target="Ar",
        composition={"Ar40": 1.0},
        per=MICROBOONE_PER,
        nucleons_per_unit=40 if MICROBOONE_PER == "nucleus" else 1,
        binning=binning,
        data=data * unit,
        covariance=cov,
        flux_edges=fedges,
        flux_content=flux,
        flux_label="BNB_uBooNE_numu_flux_2019.root:numu (BNB nu_mu at MicroBooNE)",
        flux_spec=f"{flux_path}:numu",
        enu_range=(0.0, 10.0),
        smearing=smear,
        data_unit=unit,
        notes=(
            "Data in reconstructed p_mu, cos_theta: predictions are forward-folded with the release's smearing "
            "matrix (true bins with p_mu > 2.5 GeV/c, the matrix's overflow bin, are left out).",
        ),
    )


MEASUREMENTS: dict[str, Callable[[], Measurement]] = {
    "t2k-nd280-ccinc-c-2018": lambda: _t2k("neut"),
    "t2k-nd280-ccinc-c-2018-genie-prior": lambda: _t2k("genie"),
    "microboone-ccinc-ar-2019": _microboone,
}


def list_measurements() -> list[str]:
    """IDs of the shipped measurements."""
    return list(MEASUREMENTS)


@functools.lru_cache(maxsize=8)
def get_measurement(measurement_id: str) -> Measurement:
    """The measurement ``measurement_id`` (see :data:`MEASUREMENTS`); ValueError names the known IDs."""
    key = measurement_id.strip().lower()
    if key not in MEASUREMENTS:
        raise ValueError(
            f"unknown measurement {measurement_id!r}; known: {', '.join(MEASUREMENTS)} "
            "(`nugan measurements` lists them)"
        )
    return MEASUREMENTS[key]()
