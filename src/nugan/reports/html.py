"""Self-contained HTML report: ``index.html`` + PNG plots in one folder (relative links, inline
CSS).

:func:`write_report` takes whatever a caller has: fixed-energy reference samples, models as
conditional samplers or as already generated samples per energy, metrics (reports or a comparison
table), training histories and discriminator scores. Every file is written atomically (temporary
file + os.replace) and ``index.html`` is written last, so a reader never sees a half-written
report; other files already in the folder are left alone.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import platform
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nugan.atomic import atomic_write_text
from nugan.events.table import EventTable
from nugan.metrics.emd import match_energies
from nugan.metrics.evaluate import GenFn, generate_fixed
from nugan.metrics.report import ComparisonTable, MetricsReport, comparison_table
from nugan.reports.plots import (
    DEFAULT_OBSERVABLES,
    plot_1d_comparison,
    plot_2d_maps,
    plot_disc_scores,
    plot_metrics_table,
    plot_training_curves,
    save_figure,
)

__all__ = ["write_report", "resolve_models", "slug", "CSS"]

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 0 auto;
       max-width: 1400px; padding: 1em 2em; color: #222; background: #fff; }
h1 { border-bottom: 3px solid #d62728; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .15em; margin-top: 1.6em; }
p.meta { color: #666; font-size: .9em; }
table.metrics { border-collapse: collapse; margin: .6em 0; font-size: .95em; }
table.metrics caption { text-align: left; font-weight: bold; padding: .3em 0; }
table.metrics th, table.metrics td { border: 1px solid #ccc; padding: .3em .7em;
                                     text-align: right; }
table.metrics th { background: #f2f2f2; }
table.metrics td:first-child, table.metrics th:first-child { text-align: left; }
table.metrics tr.floor td { background: #f7f7f7; font-style: italic; color: #555; }
table.kv td { border: 1px solid #ddd; padding: .2em .6em; font-size: .9em; vertical-align: top; }
table.kv td:first-child { font-weight: bold; background: #f7f7f7; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
.grid figure { margin: 0; flex: 0 0 auto; }
.grid img { width: 420px; border: 1px solid #eee; }
img.wide { width: 100%; max-width: 1150px; border: 1px solid #eee; }
figcaption { font-size: .8em; color: #666; text-align: center; }
details { margin: .5em 0; } summary { cursor: pointer; font-weight: bold; }
ul.notes { font-size: .9em; color: #444; }
.warn { color: #a60; }
"""

#: Model value: a conditional sampler, or generated samples per fixed energy [GeV].
ModelInput = GenFn | Mapping[float, EventTable]


def slug(text: str) -> str:
    """File-name-safe form of a label ('TL 10k (Ar40)' -> 'tl-10k-ar40')."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s or "model"


def resolve_models(
    models: Mapping[str, ModelInput], reference_fixed: Mapping[float, EventTable], seed: int = 0
) -> tuple[dict[str, dict[float, EventTable]], list[str]]:
    """Generated samples per model and reference energy, plus notes on what was missing.

    A callable model is sampled at each reference energy with as many events as the reference;
    a mapping is matched to the reference energies (an energy it lacks is skipped with a note).
    """
    out: dict[str, dict[float, EventTable]] = {}
    notes: list[str] = []
    for i, (name, m) in enumerate(models.items()):
        if callable(m):
            out[name] = generate_fixed(m, reference_fixed, k=1, seed=seed + 1000 * i)
            continue
        if not isinstance(m, Mapping):
            raise TypeError(
                f"model {name!r}: expected a sampler gen_fn(E_nu, seed) or a dict "
                "energy -> EventTable, "
                f"got {type(m).__name__}"
            )
        got: dict[float, EventTable] = {}
        for e in reference_fixed:
            try:
                key = match_energies(list(m), [e])[float(e)]
            except ValueError:
                notes.append(f"{name}: no generated sample at E_nu = {float(e):g} GeV")
                continue
            got[float(e)] = m[key]
        out[name] = got
    return out, notes


def _img(name: str, caption: str, wide: bool = False) -> str:
    cls = ' class="wide"' if wide else ""
    return (
        f'<figure><a href="{html.escape(name)}"><img{cls} src="{html.escape(name)}" '
        f'alt="{html.escape(caption)}"></a><figcaption>{html.escape(caption)}</figcaption></figure>'
    )


def _kv_table(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _sample_desc(t: EventTable) -> str:
    m = t.meta
    parts = [f"{len(t)} events", m.domain, f"source {m.source}"]
    if m.generator_version:
        parts.append(f"version {m.generator_version}")
    if m.seed is not None:
        parts.append(f"seed {m.seed}")
    return ", ".join(parts)


def _metrics_section(
    metrics: Sequence[MetricsReport] | ComparisonTable | None,
) -> tuple[str, dict[str, Any] | None]:
    if metrics is None:
        return "", None
    if isinstance(metrics, ComparisonTable):
        return metrics.to_html(), {"table": metrics.to_dict()}
    reports = list(metrics)
    if not reports:
        return "", None
    table = comparison_table(reports)
    details = "".join(
        f"<details><summary>{html.escape(r.name)}: every metric with its floor</summary>{r.to_html()}</details>"
        for r in reports
    )
    data = {"table": table.to_dict(), "reports": [r.to_dict() for r in reports]}
    return table.to_html() + details, data


def write_report(
    out_dir: str | os.PathLike[str],
    reference_fixed: Mapping[float, EventTable],
    models: Mapping[str, ModelInput] | None = None,
    metrics: Sequence[MetricsReport] | ComparisonTable | None = None,
    histories: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    disc_scores: Mapping[str, Mapping[float, np.ndarray]] | None = None,
    title: str = "nugan report",
    notes: str | Sequence[str] | None = None,
    observables: Sequence[str] = DEFAULT_OBSERVABLES,
    maps_2d: bool = True,
    seed: int = 0,
    reference_label: str = "MC (reference)",
    provenance: Mapping[str, Any] | None = None,
    map_floor: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write an HTML report (``out_dir/index.html`` + PNGs + ``metrics.json``); returns
    index.html's path.

    Args:
        out_dir: folder (created); existing unrelated files are kept, report files are replaced.
        reference_fixed: E_nu [GeV] -> reference (MC) sample at that fixed energy.
        models: label -> a sampler ``gen_fn(E_nu, seed) -> EventTable`` (sampled here, as many
            events as the reference) or a dict E_nu -> already generated EventTable.
        metrics: :class:`MetricsReport` per model (table + floors + breakdowns) or a ready
            :class:`ComparisonTable`.
        histories: run label -> list of dicts (step, loss_g, loss_d, mean_map; keys may be
        missing).
        disc_scores: model label -> E_nu -> array of discriminator outputs in [0, 1].
        title: page title. notes: paragraph(s) shown under the title.
        observables: 1D distributions drawn per energy.
        maps_2d: draw (E_mu, cos_theta) maps and pull maps per model and energy.
        seed: seed for sampling callable models.
        reference_label: legend label of the reference.
        provenance: extra key -> value rows of the provenance section (command line,
        checkpoints...).
        map_floor: MC-vs-MC <MAP> drawn on the training curves (default: from ``metrics`` if any).
        progress: called with a short message before each plot (e.g. a CLI status line).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    models = dict(models or {})
    if not reference_fixed and metrics is None and not histories and not disc_scores:
        raise ValueError("nothing to report: give reference samples, metrics, histories or scores")
    generated, gen_notes = resolve_models(models, reference_fixed, seed)
    energies = sorted(float(e) for e in reference_fixed)
    refs = {float(e): t for e, t in reference_fixed.items()}
    sections: list[str] = []
    written: list[str] = []

    def save(fig: Any, name: str) -> str:
        save_figure(fig, out / name)
        written.append(name)
        return name

    # -- metrics
    metrics_html, metrics_data = _metrics_section(metrics)
    if metrics_html:
        table = metrics if isinstance(metrics, ComparisonTable) else comparison_table(list(metrics or []))
        png = _img(save(plot_metrics_table(table), "metrics_table.png"), "metrics table (PNG, for slides)")
        sections.append(
            f"<h2 id='metrics'>Metrics</h2>{metrics_html}<details><summary>as an image</summary>{png}</details>"
        )
    if map_floor is None and isinstance(metrics, Sequence) and not isinstance(metrics, str):
        fm = next((r.floor.map for r in metrics if r.floor is not None and r.floor.map), None)
        map_floor = fm.mean_map if fm else None

    # -- 1D distributions per energy
    if energies:
        parts = [
            "<h2 id='distributions'>Distributions at fixed neutrino energy</h2>",
            "<p class='meta'>Reference: black points with statistical errors; models: lines "
            "normalised to the reference's event count, ratio panel model / reference.</p>",
        ]
        for e in energies:
            mods = {name: g[e] for name, g in generated.items() if e in g}
            figs = []
            for obs in observables:
                say(f"distribution {obs} at {e:g} GeV")
                fig = plot_1d_comparison(refs[e], mods, obs, E_nu=e, reference_label=reference_label)
                name = save(fig, f"dist_E{e:g}_{slug(obs)}.png")
                figs.append(_img(name, f"{obs} at E_nu = {e:g} GeV"))
            parts.append(f"<h3>E<sub>&nu;</sub> = {e:g} GeV</h3><div class='grid'>{''.join(figs)}</div>")
        sections.append("".join(parts))

    # -- 2D maps
    if maps_2d and generated and energies:
        parts = ["<h2 id='maps'>(E<sub>&mu;</sub>, cos&theta;) maps and pulls</h2>"]
        for name, g in generated.items():
            for e in energies:
                if e not in g:
                    continue
                say(f"2D map {name} at {e:g} GeV")
                fig = plot_2d_maps(refs[e], g[e], E_nu=e, model_label=name, reference_label=reference_label)
                parts.append(
                    _img(
                        save(fig, f"map2d_{slug(name)}_E{e:g}.png"),
                        f"{name} at E_nu = {e:g} GeV",
                        wide=True,
                    )
                )
        sections.append("".join(parts))

    # -- discriminator outputs
    if disc_scores:
        figs = []
        for name, scores in disc_scores.items():
            if not scores:
                continue
            say(f"discriminator {name}")
            fig = plot_disc_scores(scores, title=f"discriminator output: {name}")
            figs.append(_img(save(fig, f"disc_{slug(name)}.png"), f"D output, {name}"))
        if figs:
            sections.append(
                "<h2 id='discriminator'>Discriminator output per energy</h2>"
                "<p class='meta'>Centred at 0.5 when the generator fools the "
                f"discriminator.</p><div class='grid'>{''.join(figs)}</div>"
            )

    # -- training curves
    if histories:
        say("training curves")
        fig = plot_training_curves(histories, floor=map_floor)
        sections.append(
            "<h2 id='training'>Training</h2>" + _img(save(fig, "training.png"), "losses and <MAP> vs step", wide=True)
        )

    # -- provenance
    from nugan import __version__ as nugan_version

    prov: list[tuple[str, Any]] = [
        ("written (UTC)", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("nugan", nugan_version),
        ("python", sys.version.split()[0]),
        ("numpy", np.__version__),
        ("platform", platform.platform()),
        ("seed (sampling)", seed),
    ]
    prov += [(f"reference @ {e:g} GeV", _sample_desc(refs[e])) for e in energies]
    for name, g in generated.items():
        kind = "sampler (generated here)" if callable(models.get(name)) else "given samples"
        desc = "; ".join(f"{e:g} GeV: {_sample_desc(t)}" for e, t in sorted(g.items()))
        prov.append((f"model {name}", f"{kind}; {desc}"))
    prov += [(str(k), v) for k, v in (provenance or {}).items()]
    sections.append("<h2 id='provenance'>Provenance</h2>" + _kv_table(prov))

    # -- page
    note_list = [notes] if isinstance(notes, str) else list(notes or [])
    note_list += [f"<span class='warn'>{html.escape(n)}</span>" for n in gen_notes]
    notes_html = "".join(f"<p>{n if n.startswith('<span') else html.escape(n)}</p>" for n in note_list)
    nav = " | ".join(
        f"<a href='#{a}'>{b}</a>"
        for a, b in (
            ("metrics", "metrics"),
            ("distributions", "distributions"),
            ("maps", "2D maps"),
            ("discriminator", "discriminator"),
            ("training", "training"),
            ("provenance", "provenance"),
        )
        if f"id='{a}'" in "".join(sections)
    )
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>{nav}</p>{notes_html}" + "".join(sections) + "</body></html>\n"
    )
    if metrics_data is not None:
        atomic_write_text(out / "metrics.json", json.dumps(metrics_data, indent=1, default=float))
    index = out / "index.html"
    atomic_write_text(index, page)
    return index
