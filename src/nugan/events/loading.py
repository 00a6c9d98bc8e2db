"""Shared machinery of the generator-file readers: per-event columns, then selection.

A format module turns its file into :class:`RawEvents` (one entry per event in the file, GeV)
with ordered rejection masks (e.g. 'not charged current'). :func:`select_events` keeps the CC
nu_mu / anti-nu_mu events with a muon, applies the optional probe/target filter and returns a
:class:`ReadResult` that counts every event it did not keep, per reason.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from nugan.constants import PROBES, probe_name, probe_pdg, target_name, target_za
from nugan.events.table import CHANNEL_CODES, EventTable, SampleMeta

__all__ = [
    "RawEvents",
    "ReadResult",
    "select_events",
    "cos_between",
    "channels_from_flags",
    "weight_or_none",
    "REASON_PROBE",
]

#: Rejection reason added by :func:`select_events` for beams other than nu_mu / anti-nu_mu.
REASON_PROBE = "beam is not nu_mu / anti-nu_mu"


@dataclass
class RawEvents:
    """Every event of a file as read, before selection (energies in GeV).

    Attributes:
        E_nu, E_mu, cos_theta: float64 columns (entries of rejected events may be NaN).
        probe_pdg: beam PDG code per event, or None if the file does not record it.
        target_Z, target_A: target nucleus per event, or None if the file does not record it.
        channel: int8 nugan channel codes, or None.
        weight: per-event weight, or None (unweighted).
        xsec_share: per-event share of the flux-averaged cross section [cm^2 per nucleon]:
            the cross section of any subset of events is the sum of its shares; None if unknown.
        rejects: ordered reason -> mask of events that are not CC nu_mu with a muon.
        meta: template metadata (source, model, version, seed, energy range); probe, target
            and xsec are filled by :func:`select_events`.
    """

    E_nu: np.ndarray
    E_mu: np.ndarray
    cos_theta: np.ndarray
    probe_pdg: np.ndarray | None = None
    target_Z: np.ndarray | None = None
    target_A: np.ndarray | None = None
    channel: np.ndarray | None = None
    weight: np.ndarray | None = None
    xsec_share: np.ndarray | None = None
    rejects: Mapping[str, np.ndarray] = field(default_factory=dict)
    meta: SampleMeta = field(default_factory=SampleMeta)

    def __len__(self) -> int:
        return len(self.E_nu)


@dataclass
class ReadResult:
    """A sample read from a file, with the bookkeeping of what was not kept.

    Attributes:
        table: the selected (and, if validation ran, valid) events.
        n_records: events in the file.
        skipped: reason -> events not kept (not CC nu_mu with a muon, probe/target filter).
        invalid: reason -> rows failing validation (empty when validation did not run).
        n_invalid: rows dropped by lenient validation.
        fmt: the format name the file was read as.
    """

    table: EventTable
    n_records: int
    skipped: dict[str, int] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)
    n_invalid: int = 0
    fmt: str = ""

    @property
    def n_skipped(self) -> int:
        """Events not kept by the selection or the filter."""
        return sum(self.skipped.values())

    def skipped_summary(self) -> str:
        """'reason (count), ...' or '' when nothing was skipped."""
        return ", ".join(f"{k} ({v})" for k, v in self.skipped.items() if v)


def cos_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of the angle between rows of two (n, 3) momentum arrays; NaN where one is zero."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norm > 0, np.einsum("ij,ij->i", a, b) / norm, np.nan)


def channels_from_flags(flags: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """int8 channel codes from boolean process flags keyed by nugan channel ('QE', 'MEC', ...).

    The first flag set, in the mapping's order, wins; events with no flag set are 'OTHER'.
    """
    out = np.full(n, CHANNEL_CODES["OTHER"], dtype=np.int8)
    unset = np.ones(n, dtype=bool)
    for name, mask in flags.items():
        m = np.asarray(mask, dtype=bool) & unset
        out[m] = CHANNEL_CODES[name]
        unset &= ~m
    return out


def weight_or_none(weight: np.ndarray | None) -> np.ndarray | None:
    """The weight column as float64, or None when absent or exactly 1 everywhere (unweighted)."""
    if weight is None:
        return None
    w = np.asarray(weight, dtype=np.float64)
    return None if np.all(w == 1.0) else w


def _first_reason(rejects: Mapping[str, np.ndarray], n: int) -> tuple[np.ndarray, dict[str, int]]:
    """Keep mask and counts; each rejected event is counted once, under its first reason."""
    keep = np.ones(n, dtype=bool)
    counts: dict[str, int] = {}
    for reason, mask in rejects.items():
        hit = np.asarray(mask, dtype=bool) & keep
        if hit.any():
            counts[reason] = int(hit.sum())
        keep &= ~hit
    return keep, counts


def _za_name(code: int) -> str:
    """Target name of a packed Z*1000+A code."""
    return target_name(code // 1000, code % 1000)


def _names(values: np.ndarray | None, fmt_value: Callable[[int], str]) -> list[str]:
    """Sorted distinct names of the values present, [] when not recorded."""
    return [] if values is None else sorted({fmt_value(int(v)) for v in np.unique(values)})


def _label(
    values: np.ndarray | None, wanted: int | None, what: str, path: str, fmt_value: Callable[[int], str]
) -> tuple[np.ndarray | None, int | None]:
    """Mask selecting ``wanted`` (None: all) and the single value left, or raise if mixed."""
    if values is None:
        return None, wanted
    if wanted is not None:
        return values == wanted, wanted
    uniq = np.unique(values)
    if len(uniq) > 1:
        shown = ", ".join(_names(uniq, fmt_value))
        raise ValueError(
            f"{path}: the file mixes several {what}s ({shown}); select one with the {what} "
            f"filter (e.g. --{what} {fmt_value(int(uniq[0]))})"
        )
    return None, (int(uniq[0]) if len(uniq) else None)


def select_events(raw: RawEvents, path: str, probe: str | int | None = None, target: str | None = None) -> ReadResult:
    """Keep CC nu_mu/anti-nu_mu events with a muon matching ``probe``/``target``; count the rest.

    Args:
        raw: the file's events as read.
        path: file name used in messages.
        probe: 'numu', 'numubar' or 14/-14 to keep only that beam; None: the file's only one.
        target: 'C12', 'Ar40', ... to keep only that nucleus; None: the file's only one.

    Raises:
        ValueError: the file mixes probes or targets and no filter was given, or the filter
            keeps no event of a file that has selected events.
    """
    n = len(raw)
    rejects = dict(raw.rejects)
    if raw.probe_pdg is not None:
        rejects = {REASON_PROBE: ~np.isin(raw.probe_pdg, list(PROBES.values())), **rejects}
    keep, skipped = _first_reason(rejects, n)
    want_probe = None if probe is None else probe_pdg(probe)
    want_za = None if target is None else target_za(target)
    want_code = None if want_za is None else want_za[0] * 1000 + want_za[1]

    probe_col = None if raw.probe_pdg is None else raw.probe_pdg[keep]
    za_col = None
    if raw.target_Z is not None and raw.target_A is not None:
        za_col = raw.target_Z[keep].astype(np.int64) * 1000 + raw.target_A[keep].astype(np.int64)
    pmask, pdg = _label(probe_col, want_probe, "probe", path, probe_name)
    tmask, za_code = _label(za_col, want_code, "target", path, _za_name)

    idx = np.flatnonzero(keep)
    sub = np.ones(len(idx), dtype=bool)
    if pmask is not None and want_probe is not None:
        if (~pmask).any():
            skipped[f"probe is not {probe_name(want_probe)}"] = int((~pmask).sum())
        sub &= pmask
    if tmask is not None and want_code is not None:
        miss = ~tmask & sub
        if miss.any():
            skipped[f"target is not {_za_name(want_code)}"] = int(miss.sum())
        sub &= tmask
    if len(idx) and not sub.any():
        have_p = _names(probe_col, probe_name) or "unrecorded"
        have_t = _names(za_col, _za_name) or "unrecorded"
        raise ValueError(
            f"{path}: no event matches probe={probe} target={target}; "
            f"the file has probe(s) {have_p} and target(s) {have_t}"
        )
    idx = idx[sub]

    meta = raw.meta
    if pdg is None:
        pdg = meta.probe_pdg
        if raw.probe_pdg is None:
            warnings.warn(
                f"{path}: the file does not record the beam; labelled as {probe_name(pdg)} (pass a probe to label it)",
                stacklevel=3,
            )
    if za_code is None:
        Z, A = meta.target_Z, meta.target_A
        if za_col is None:
            warnings.warn(
                f"{path}: the file does not record the target; labelled as "
                f"{target_name(Z, A)} (pass a target to label it)",
                stacklevel=3,
            )
    else:
        Z, A = za_code // 1000, za_code % 1000
    xsec = meta.xsec_cm2
    if raw.xsec_share is not None:
        xsec = float(np.sum(raw.xsec_share[idx])) if len(idx) else None
    weight = None if raw.weight is None else raw.weight[idx]
    table = EventTable(
        raw.E_nu[idx],
        raw.E_mu[idx],
        raw.cos_theta[idx],
        meta=meta.replace(probe_pdg=int(pdg), target_Z=int(Z), target_A=int(A), xsec_cm2=xsec),
        weight=weight,
        channel=None if raw.channel is None else raw.channel[idx],
    )
    return ReadResult(table=table, n_records=n, skipped=skipped)
