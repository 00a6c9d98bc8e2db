"""The numbers an HTML report shows are the numbers of the ``metrics.json`` written beside it.

``write_report`` renders the comparison table and each model's detail table into ``index.html``
and dumps the same metrics into ``metrics.json``. Both files are parsed here: every row and cell of
the HTML tables is matched against the JSON (to the digits shown), in both directions, so a
number shown that the JSON lacks, a row the JSON has that the page omits, a swapped row or a stale
value fails. The checker itself is shown to fail on perturbed JSON.
"""

from __future__ import annotations

import copy
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nugan.events import EventTable, SampleMeta
from nugan.metrics import MetricsReport, comparison_table, evaluate_tables
from nugan.reports import write_report

META = SampleMeta(energy_range=(0.3, 10.0), source="toy")
CELL = re.compile(r"^(?P<num>-|-?\d+\.(?P<dec>\d+))(?: ± (?P<se>\d+\.\d+))?(?: \[(?P<bins>\d+) bins\])?$")


def toy_fixed(n: int, E: float, seed: int, y_scale: float = 1.0) -> EventTable:
    """Toy events at fixed E_nu [GeV]: y ~ Beta(2, 2), cos ~ 2 Beta(5, 2) - 1."""
    rng = np.random.default_rng(seed)
    e = np.full(n, E)
    y = rng.beta(2.0, 2.0, n) * y_scale
    return EventTable(e, np.maximum(y * e, 0.106), 2.0 * rng.beta(5.0, 2.0, n) - 1.0, meta=META)


@pytest.fixture(scope="module")
def reports() -> list[MetricsReport]:
    """Two evaluated models (the second with a flow's test NLL row), sharing one floor."""
    refs = {1.0: toy_fixed(2000, 1.0, 1), 3.0: toy_fixed(2000, 3.0, 2)}
    a = evaluate_tables(
        toy_fixed(2000, 1.0, 4, 0.9),
        refs[1.0],
        {1.0: toy_fixed(2000, 1.0, 3, 0.9), 3.0: toy_fixed(2000, 3.0, 5, 0.9)},
        refs,
        name="shrunk <y>",
        energy_range=(0.5, 2.0),
        auc_cap=1000,
        seed=1,
    )
    b = evaluate_tables(
        toy_fixed(2000, 1.0, 6),
        refs[1.0],
        {1.0: toy_fixed(2000, 1.0, 7), 3.0: toy_fixed(2000, 3.0, 8)},
        refs,
        name="same",
        energy_range=(0.5, 2.0),
        auc_cap=1000,
        seed=2,
        floor=a.floor,
    )
    b.info["test_nll"] = {"mean": 1.234567, "se": 0.0123, "n": 2000}
    return [a, b]


@pytest.fixture(scope="module")
def written(reports: list[MetricsReport], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The report of ``reports`` (metrics only) and its parsed metrics.json."""
    out = tmp_path_factory.mktemp("report")
    index = write_report(out, {}, metrics=reports, title="numbers")
    return index, json.loads((out / "metrics.json").read_text())


# ------------------------------------------------------------------------------ parsing
class _Tables(HTMLParser):
    """Every ``<table class="metrics">``: caption, rows of (tr class, cell texts), and the notes list
    (``<ul class="notes">``) that follows a comparison table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self._table: dict[str, Any] | None = None  # the metrics table being read
        self._notes: list[str] | None = None  # the notes list being read
        self._text: str | None = None  # text of the open cell, caption or note

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class")
        if tag == "table" and cls == "metrics":
            self._table = {"caption": None, "rows": [], "notes": []}
            self.tables.append(self._table)
        elif tag == "ul" and cls == "notes" and self.tables:
            self._notes = self.tables[-1]["notes"]
        elif self._table is not None and tag == "tr":
            self._table["rows"].append((cls, []))
        elif (self._table is not None and tag in ("td", "th", "caption")) or (self._notes is not None and tag == "li"):
            self._text = ""

    def handle_endtag(self, tag: str) -> None:
        if self._table is not None and tag in ("td", "th"):
            self._table["rows"][-1][1].append(self._text)
        elif self._table is not None and tag == "caption":
            self._table["caption"] = self._text
        elif self._notes is not None and tag == "li":
            self._notes.append(self._text)
        elif tag == "table":
            self._table = None
        elif tag == "ul":
            self._notes = None
        if tag in ("td", "th", "caption", "li"):
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text += data


def parse_tables(index: Path) -> list[dict[str, Any]]:
    p = _Tables()
    p.feed(index.read_text())
    return p.tables


# ------------------------------------------------------------------------------ checking
def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def check_cell(cell: str, value: Any, se: Any = None, bins: Any = None, where: str = "") -> None:
    """``cell`` shows ``value`` to its printed digits (and ``± se``, ``[bins bins]`` when given)."""
    m = CELL.match(cell)
    assert m, f"{where}: unexpected cell {cell!r}"
    if _missing(value):
        assert m["num"] == "-", f"{where}: {cell!r} shown, JSON has no value"
    else:
        assert m["num"] != "-", f"{where}: '-' shown, JSON has {value!r}"
        assert len(m["dec"]) >= 3, f"{where}: {cell!r} shows too few digits"
        assert abs(float(m["num"]) - value) <= 0.5 * 10 ** -len(m["dec"]) + 1e-12, (
            f"{where}: {cell!r} shown, JSON has {value!r}"
        )
    if se is None:
        assert m["se"] is None, f"{where}: {cell!r} shows an error the JSON lacks"
    else:
        assert m["se"] is not None and abs(float(m["se"]) - se) <= 0.5e-3 + 1e-12, (
            f"{where}: {cell!r} shown, JSON error {se!r}"
        )
    assert (m["bins"] is None) == (bins is None), f"{where}: {cell!r}, JSON bins {bins!r}"
    if bins is not None:
        assert int(m["bins"]) == bins, f"{where}: {cell!r} shown, JSON has {bins} bins"


def check_comparison(table: dict[str, Any], data: dict[str, Any]) -> None:
    """The comparison table against ``metrics.json['table']``."""
    columns = data["columns"]
    (_, header), *rows = table["rows"]
    assert header == ["model", *columns.values()]
    assert [r[1][0] for r in rows] == [r["name"] for r in data["rows"]], "rows differ"
    for (cls, cells), row in zip(rows, data["rows"], strict=True):
        assert (cls == "floor") == (row["kind"] == "floor"), row["name"]
        for cell, key in zip(cells[1:], columns, strict=True):
            se = row.get("auc_se") if key == "auc" and not _missing(row[key]) else None
            check_cell(cell, row[key], se=se, where=f"table {row['name']} {key}")
    assert table["notes"] == data["notes"]


def _expected_detail(rep: dict[str, Any], columns: dict[str, str]) -> dict[str, tuple[dict, dict]]:
    """Label -> (value spec, floor spec) of every row a report's detail table must show."""
    fl = rep["floor"] or {}
    fmap, fauc, femd = fl.get("map"), fl.get("auc"), fl.get("emd")
    out: dict[str, tuple[dict, dict]] = {}
    for key, label in columns.items():
        if key in ("emd", "auc") and rep[key] is None:
            continue
        val = {"value": rep["headline"][key]}
        flo = {"value": rep["floor_headline"][key]}
        if key in ("map3d", "map3d_no_tails"):
            attr = "n_bins_used" if key == "map3d" else "n_bins_no_tails"
            val["bins"] = rep["map"][attr]
            flo["bins"] = fmap[attr] if fmap else None
        if key == "auc":
            val["se"] = rep["auc"]["auc_se"]
            flo["se"] = fauc["auc_se"] if fauc else None
        out[label] = (val, flo)
    for e, per_var in (rep["emd"] or {}).get("per_energy", {}).items():
        for var, x in per_var.items():
            fx = (femd or {}).get("per_energy", {}).get(e, {}).get(var)
            out[f"EMD {var} @ {e} GeV"] = ({"value": x}, {"value": fx})
    nll = rep["info"].get("test_nll")
    if nll:
        out["test NLL [nats/event]"] = ({"nll": nll}, {"value": None})
    for e, a in rep["auc_by_energy"].items():
        fa = fl.get("auc_by_energy", {}).get(e)
        out[f"AUC @ {e} GeV"] = (
            {"value": a["auc"], "se": a["auc_se"]},
            {"value": fa["auc"], "se": fa["auc_se"]} if fa else {"value": None},
        )
    return out


def check_detail(table: dict[str, Any], rep: dict[str, Any], columns: dict[str, str]) -> None:
    """One model's detail table against its ``metrics.json['reports'][i]``."""
    cap = re.fullmatch(r"(?P<name>.+) \(k = (?P<k>[\d.e+-]+), seed (?P<seed>-?\d+)\)", table["caption"])
    assert cap and cap["name"] == rep["name"], table["caption"]
    assert float(cap["k"]) == rep["k"] and int(cap["seed"]) == rep["seed"], table["caption"]
    (_, header), *rows = table["rows"]
    assert header == ["metric", "value", "MC-vs-MC floor", "floor method"]
    expected = _expected_detail(rep, columns)
    shown = {cells[0]: cells for _, cells in rows}
    assert len(shown) == len(rows), "a metric is shown twice"
    assert set(shown) == set(expected), (
        f"{rep['name']}: shown only {set(shown) - set(expected)}, in the JSON only {set(expected) - set(shown)}"
    )
    for label, (val, flo) in expected.items():
        _, value_cell, floor_cell, _how = shown[label]
        where = f"{rep['name']} / {label}"
        if "nll" in val:
            m = re.fullmatch(r"(-?\d+\.(\d+)) ± (\d+\.(\d+))", value_cell)
            assert m, f"{where}: {value_cell!r}"
            assert abs(float(m[1]) - val["nll"]["mean"]) <= 0.5 * 10 ** -len(m[2]) + 1e-12, where
            assert abs(float(m[3]) - val["nll"]["se"]) <= 0.5 * 10 ** -len(m[4]) + 1e-12, where
        else:
            check_cell(value_cell, val["value"], se=val.get("se"), bins=val.get("bins"), where=where)
        if "nll" in val or (_missing(flo["value"]) and label.startswith("AUC @")):
            assert floor_cell == "-", f"{where}: floor {floor_cell!r}"
        else:
            check_cell(floor_cell, flo["value"], se=flo.get("se"), bins=flo.get("bins"), where=f"{where} (floor)")


def check_report(index: Path, data: dict[str, Any]) -> None:
    """Every metrics table of ``index`` matches ``data`` (the parsed metrics.json), and vice versa."""
    tables = parse_tables(index)
    reps = data.get("reports", [])
    assert len(tables) == 1 + len(reps), f"{len(tables)} metrics tables for {len(reps)} reports"
    check_comparison(tables[0], data["table"])
    for table, rep in zip(tables[1:], reps, strict=True):
        check_detail(table, rep, data["table"]["columns"])


def _same(a: Any, b: Any) -> bool:
    return (_missing(a) and _missing(b)) or a == b


# ------------------------------------------------------------------------------ tests
def test_report_numbers_equal_metrics_json(reports: list[MetricsReport], written: tuple[Path, dict]) -> None:
    index, data = written
    check_report(index, data)
    # and the JSON holds the reports given (not a stale or reordered copy)
    assert [r["name"] for r in data["reports"]] == [r.name for r in reports]
    for got, rep in zip(data["reports"], reports, strict=True):
        assert all(_same(got["headline"][k], v) for k, v in rep.headline().items()), rep.name
        assert all(_same(got["floor_headline"][k], v) for k, v in rep.floor_headline().items()), rep.name
    html = index.read_text()
    assert "shrunk &lt;y&gt;" in html and "test NLL" in html


def test_report_numbers_of_a_ready_comparison_table(reports: list[MetricsReport], tmp_path: Path) -> None:
    table = comparison_table(reports, title="ready")
    index = write_report(tmp_path, {}, metrics=table)
    data = json.loads((tmp_path / "metrics.json").read_text())
    assert "reports" not in data
    check_report(index, data)
    assert data["table"]["rows"][-1]["kind"] == "floor" and data["table"]["title"] == "ready"


def _bump(path: tuple[Any, ...], by: float = 0.01) -> Any:
    def edit(d: dict[str, Any]) -> None:
        *head, last = path
        for k in head:
            d = d[k]
        d[last] = d[last] + by

    return edit


def _drop_row(d: dict[str, Any]) -> None:
    d["reports"][1]["auc_by_energy"].pop("3")


def _swap_rows(d: dict[str, Any]) -> None:
    rows = d["table"]["rows"]
    rows[0], rows[1] = rows[1], rows[0]


@pytest.mark.parametrize(
    "edit",
    [
        _bump(("table", "rows", 0, "map3d")),
        _bump(("table", "rows", 1, "auc_se")),
        _bump(("table", "rows", 2, "emd"), by=0.001),
        _bump(("reports", 0, "headline", "mean_map")),
        _bump(("reports", 0, "map", "n_bins_used"), by=1),
        _bump(("reports", 1, "emd", "per_energy", "3", "cos_theta"), by=0.001),
        _bump(("reports", 1, "floor", "auc", "auc_se")),
        _bump(("reports", 1, "info", "test_nll", "mean"), by=0.001),
        _drop_row,
        _swap_rows,
    ],
    ids=[
        "table-map3d",
        "table-auc-se",
        "floor-emd",
        "detail-mean-map",
        "detail-bins",
        "detail-emd-energy",
        "detail-floor-auc-se",
        "detail-nll",
        "row-missing-from-json",
        "rows-swapped",
    ],
)
def test_checker_catches_a_mismatch(written: tuple[Path, dict], edit: Any) -> None:
    """The checker is not a tautology: each perturbed copy of metrics.json fails it."""
    index, data = written
    check_report(index, data)
    bad = copy.deepcopy(data)
    edit(bad)
    with pytest.raises(AssertionError):
        check_report(index, bad)
