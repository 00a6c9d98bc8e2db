"""Result containers: :class:`MetricsReport` (one model, every metric with its floor) and
:class:`ComparisonTable` (rows = models/runs and the MC-vs-MC floor; columns = the headline
metrics)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nugan.metrics.classifier import AucResult
from nugan.metrics.emd import EmdResult
from nugan.metrics.floor import FloorSet
from nugan.metrics.map3d import MapResult

__all__ = ["MetricsReport", "ComparisonTable", "comparison_table", "COLUMNS", "FLOOR_LABEL"]

#: Headline columns of a comparison table: key -> header.
COLUMNS: dict[str, str] = {
    "map3d": "MAP-3D",
    "map3d_no_tails": "MAP-3D w/o tails",
    "mean_map": "<MAP>",
    "emd": "EMD",
    "auc": "AUC",
}
FLOOR_LABEL = "MC vs MC floor"


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


_DIGITS = {"map3d": 3, "map3d_no_tails": 3, "mean_map": 3, "emd": 4, "auc": 3}


@dataclass
class MetricsReport:
    """Every metric of one generator against one reference set, each with its MC-vs-MC floor.

    Attributes:
        name: label of the model/run ('TL 10k', 'scratch 100k', 'zero-shot', ...).
        map: MAP-3D result on the main reference.
        emd: EMD over the fixed energies (None without fixed-energy references).
        auc: classifier AUC on the main reference (None if not computed).
        auc_by_energy: E_nu [GeV] -> classifier AUC at that fixed energy.
        floor: MC-vs-MC floors (None if not computed).
        seed: seed of generation and of the stochastic metrics.
        k: generated events per reference event.
        info: provenance (reference/model domains, sizes, timing in seconds, ...).
    """

    name: str
    map: MapResult
    emd: EmdResult | None = None
    auc: AucResult | None = None
    auc_by_energy: dict[float, AucResult] = field(default_factory=dict)
    floor: FloorSet | None = None
    seed: int = 0
    k: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ headline numbers
    @property
    def map3d(self) -> float:
        """MAP-3D with tails."""
        return self.map.map3d

    @property
    def map3d_no_tails(self) -> float:
        """MAP-3D over bins with r >= 25."""
        return self.map.map3d_no_tails

    @property
    def mean_map(self) -> float:
        """<MAP> = (MAP-3D + MAP-3D w/o tails) / 2, the model-selection figure."""
        return self.map.mean_map

    @property
    def emd_value(self) -> float | None:
        """EMD (mean over variables and energies), None if not computed."""
        return None if self.emd is None else self.emd.value

    @property
    def auc_value(self) -> float | None:
        """Classifier AUC on the main reference, None if not computed."""
        return None if self.auc is None else self.auc.auc

    def headline(self) -> dict[str, float | None]:
        """Column key -> value for :data:`COLUMNS`."""
        return {
            "map3d": self.map3d,
            "map3d_no_tails": self.map3d_no_tails,
            "mean_map": self.mean_map,
            "emd": self.emd_value,
            "auc": self.auc_value,
        }

    def floor_headline(self) -> dict[str, float | None]:
        """Column key -> floor value (None where no floor)."""
        f = self.floor
        if f is None:
            return dict.fromkeys(COLUMNS)
        return {
            "map3d": None if f.map is None else f.map.map3d,
            "map3d_no_tails": None if f.map is None else f.map.map3d_no_tails,
            "mean_map": None if f.map is None else f.map.mean_map,
            "emd": None if f.emd is None else f.emd.value,
            "auc": None if f.auc is None else f.auc.auc,
        }

    # ------------------------------------------------------------ detail rows
    def rows(self) -> list[tuple[str, str, str, str]]:
        """(metric, value, MC-vs-MC floor, floor method) rows: headline metrics then breakdowns."""
        f = self.floor or FloorSet()
        out: list[tuple[str, str, str, str]] = []
        fh = self.floor_headline()
        map_how = f.map.comparison if f.map else ""
        for key, label in COLUMNS.items():
            val = self.headline()[key]
            if key == "emd" and self.emd is None:
                continue
            if key == "auc" and self.auc is None:
                continue
            digits = _DIGITS[key]
            v = _fmt(val, digits)
            fl = _fmt(fh[key], digits)
            how = map_how
            if key == "auc":
                v += f" ± {self.auc.auc_se:.3f}"  # type: ignore[union-attr]
                if f.auc:
                    fl += f" ± {f.auc.auc_se:.3f}"
                how = f.auc.comparison if f.auc else ""
            if key == "emd":
                how = f.emd.comparison if f.emd else ""
            if key in ("map3d", "map3d_no_tails"):  # how many bins the mean runs over matters
                attr = "n_bins_used" if key == "map3d" else "n_bins_no_tails"
                v += f" [{getattr(self.map, attr)} bins]"
                if f.map:
                    fl += f" [{getattr(f.map, attr)} bins]"
            out.append((label, v, fl, how))
        if self.emd is not None:
            for e, d in self.emd.per_energy.items():
                fd = f.emd.per_energy.get(e, {}) if f.emd else {}
                for var, x in d.items():
                    out.append((f"EMD {var} @ {e:g} GeV", _fmt(x, 4), _fmt(fd.get(var), 4), ""))
        nll = self.info.get("test_nll")
        if nll:  # flows: exact likelihood of the reference events (no MC-vs-MC floor: it is a model property)
            out.append(
                ("test NLL [nats/event]", f"{nll['mean']:.4f} ± {nll['se']:.4f}", "-", f"{nll['n']:,} reference events")
            )
        for e, a in sorted(self.auc_by_energy.items()):
            fa = f.auc_by_energy.get(e)
            fl = "-" if fa is None else f"{fa.auc:.3f} ± {fa.auc_se:.3f}"
            out.append((f"AUC @ {e:g} GeV", f"{a.auc:.3f} ± {a.auc_se:.3f}", fl, ""))
        return out

    # ------------------------------------------------------------ renderings
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (inverse: :meth:`from_dict`)."""
        return {
            "name": self.name,
            "headline": self.headline(),
            "floor_headline": self.floor_headline(),
            "map": self.map.to_dict(),
            "emd": None if self.emd is None else self.emd.to_dict(),
            "auc": None if self.auc is None else self.auc.to_dict(),
            "auc_by_energy": {f"{e:g}": a.to_dict() for e, a in self.auc_by_energy.items()},
            "floor": None if self.floor is None else self.floor.to_dict(),
            "seed": self.seed,
            "k": self.k,
            "info": dict(self.info),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricsReport:
        """Rebuild a report saved with :meth:`to_dict` (e.g. from a metrics.json)."""
        return cls(
            name=d["name"],
            map=MapResult.from_dict(d["map"]),
            emd=EmdResult.from_dict(d["emd"]) if d.get("emd") else None,
            auc=AucResult.from_dict(d["auc"]) if d.get("auc") else None,
            auc_by_energy={float(e): AucResult.from_dict(a) for e, a in d.get("auc_by_energy", {}).items()},
            floor=FloorSet.from_dict(d["floor"]) if d.get("floor") else None,
            seed=int(d.get("seed", 0)),
            k=float(d.get("k", 1.0)),
            info=dict(d.get("info", {})),
        )

    def to_markdown(self) -> str:
        """Markdown table: metric | value | MC-vs-MC floor | floor method."""
        lines = [
            f"**{self.name}** (k = {self.k:g}, seed {self.seed})",
            "",
            "| metric | value | MC-vs-MC floor | floor method |",
            "|---|---:|---:|---|",
        ]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.rows()]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """HTML table (same content as :meth:`to_markdown`)."""
        head = "<tr><th>metric</th><th>value</th><th>MC-vs-MC floor</th><th>floor method</th></tr>"
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.rows())
        cap = html.escape(f"{self.name} (k = {self.k:g}, seed {self.seed})")
        return f'<table class="metrics"><caption>{cap}</caption>{head}{body}</table>'

    def rich_table(self):
        """A :class:`rich.table.Table` of :meth:`rows`."""
        from rich.table import Table

        t = Table(title=f"{self.name} (k = {self.k:g}, seed {self.seed})")
        t.add_column("metric")
        t.add_column("value", justify="right")
        t.add_column("MC-vs-MC floor", justify="right")
        t.add_column("floor method")
        for row in self.rows():
            t.add_row(*row)
        return t


@dataclass
class ComparisonTable:
    """Rows = models/runs (and the MC-vs-MC floor), columns = MAP-3D, MAP-3D w/o tails, <MAP>,
    EMD, AUC.

    Attributes:
        rows: one dict per row: 'name', 'kind' ('model' or 'floor'), and a value (or None) per
            :data:`COLUMNS` key, plus 'auc_se'.
        title: caption.
        notes: free text shown under the table (e.g. which floor method was used).
    """

    rows: list[dict[str, Any]]
    title: str = ""
    notes: list[str] = field(default_factory=list)

    def best(self, key: str = "mean_map") -> str | None:
        """Name of the model row with the lowest value of ``key`` (AUC: closest to 0.5)."""
        models = [r for r in self.rows if r.get("kind") == "model" and r.get(key) is not None]
        if not models:
            return None
        score = (lambda r: abs(r[key] - 0.5)) if key == "auc" else (lambda r: r[key])
        return min(models, key=score)["name"]

    def format_row(self, row: dict[str, Any]) -> list[str]:
        """Display strings of one row: name, then each :data:`COLUMNS` value ('-' when missing)."""
        cells = [str(row["name"])]
        for key in COLUMNS:
            s = _fmt(row.get(key), _DIGITS[key])
            if key == "auc" and row.get("auc") is not None and row.get("auc_se") is not None:
                s += f" ± {row['auc_se']:.3f}"
            cells.append(s)
        return cells

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "title": self.title,
            "columns": dict(COLUMNS),
            "rows": self.rows,
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ComparisonTable:
        """Inverse of :meth:`to_dict`."""
        return cls(rows=list(d["rows"]), title=d.get("title", ""), notes=list(d.get("notes", [])))

    def to_markdown(self) -> str:
        """Markdown table; the floor row in italics."""
        head = "| model | " + " | ".join(COLUMNS.values()) + " |"
        sep = "|---|" + "---:|" * len(COLUMNS)
        lines = [head, sep]
        for row in self.rows:
            cells = self.format_row(row)
            if row.get("kind") == "floor":
                cells = [f"*{c}*" if c != "-" else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        lines += [""] + [f"- {n}" for n in self.notes] if self.notes else []
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """HTML table; the floor row carries class 'floor'."""
        head = "<tr><th>model</th>" + "".join(f"<th>{html.escape(h)}</th>" for h in COLUMNS.values())
        body = []
        for row in self.rows:
            cls = ' class="floor"' if row.get("kind") == "floor" else ""
            body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in self.format_row(row)) + "</tr>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        cap = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return (
            f'<table class="metrics">{cap}{head}</tr>'
            + "".join(body)
            + "</table>"
            + (f'<ul class="notes">{notes}</ul>' if notes else "")
        )

    def rich_table(self):
        """A :class:`rich.table.Table`; the floor row dimmed."""
        from rich.table import Table

        t = Table(title=self.title or None)
        t.add_column("model")
        for h in COLUMNS.values():
            t.add_column(h, justify="right")
        for row in self.rows:
            t.add_row(*self.format_row(row), style="dim" if row.get("kind") == "floor" else None)
        return t


def _row(name: str, kind: str, values: dict[str, float | None], auc_se: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "kind": kind}
    out.update(values)
    out["auc_se"] = auc_se
    return out


def comparison_table(
    reports: Sequence[MetricsReport],
    floor: bool | FloorSet = True,
    floor_label: str = FLOOR_LABEL,
    title: str = "",
) -> ComparisonTable:
    """Build the comparison table of several evaluations (same reference set).

    Args:
        reports: one :class:`MetricsReport` per model/run (row order kept); include the
            zero-shot and domain-distance evaluations as ordinary reports.
        floor: True adds the floor row from the first report that has one; a :class:`FloorSet` is
            used as given; False adds none.
        floor_label: name of the floor row.
        title: caption.
    """
    rows = [_row(r.name, "model", r.headline(), None if r.auc is None else r.auc.auc_se) for r in reports]
    notes: list[str] = []
    fs: FloorSet | None = None
    if isinstance(floor, FloorSet):
        fs = floor
    elif floor:
        fs = next((r.floor for r in reports if r.floor is not None), None)
    if fs is not None:
        fr = MetricsReport(name=floor_label, map=fs.map, emd=fs.emd, auc=fs.auc) if fs.map else None
        vals = fr.headline() if fr else dict.fromkeys(COLUMNS)
        if fr is None and fs.emd is not None:
            vals["emd"] = fs.emd.value
        if fr is None and fs.auc is not None:
            vals["auc"] = fs.auc.auc
        rows.append(_row(floor_label, "floor", vals, None if fs.auc is None else fs.auc.auc_se))
        hows = {m.comparison for m in (fs.map, fs.emd, fs.auc) if m is not None}
        notes += [f"floor: {h}" for h in sorted(hows)]
    ks = sorted({r.k for r in reports})
    if ks:
        notes.append("k (generated events per reference event): " + ", ".join(f"{k:g}" for k in ks))
    return ComparisonTable(rows=rows, title=title, notes=notes)
