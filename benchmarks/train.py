"""Training throughput of the real :func:`nugan.training.loop.fit`: events/s of one iteration (a
discriminator step and a generator step on one batch).

Run: ``python benchmarks/train.py [--steps 5] [--warmup 2] [--threads 1 2] [--batch-sizes 256 ... 8192]``.

What is timed: ``fit`` itself, on a toy sample (no data needed), for every distinct architecture among the
default :class:`~nugan.models.GANConfig` and the ``configs/*.toml`` files, on CPU at each ``--threads``
and on CUDA (when available) with and without bf16 autocast (``amp``). ``fit`` always validates at its last
step; this benchmark sets ``val_every = steps`` so that it validates only there and excludes it: it wraps
``loop.BatchSampler.indices`` (called once at the start of every step) and ``loop.validation_metric`` (called
after the last step) to stamp the start of each step and the end of the last one (after a CUDA synchronise). The
first ``--warmup`` steps are dropped and the median step time gives ``events/s = batch / step time``.
The wrapper also times the batch indexing itself (``index ms``), which is part of the step. ``fit events/s``
is fit's own figure (whole run: warm-up and the final validation and checkpoint included).

Writes ``benchmarks/results/train.json`` (atomically) and prints a rich table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from provenance import stamp
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nugan.atomic import atomic_write_text
from nugan.constants import M_MU
from nugan.events import EventTable, SampleMeta
from nugan.models import GANConfig
from nugan.training import TrainConfig, load_run_config, loop
from nugan.training.runs import new_bundle

__all__ = ["toy", "architectures", "measure", "run", "main"]

ROOT = Path(__file__).resolve().parents[1]
BATCH_SIZES = (256, 512, 1024, 2048, 4096, 8192)
META = SampleMeta(14, 6, 12, model="toy", source="benchmark", energy_range=(0.3, 10.0))


def toy(n: int, seed: int) -> EventTable:
    """Synthetic physical events: E_nu log-uniform over 0.3-10 GeV, E_mu and cos_theta smooth."""
    rng = np.random.default_rng(seed)
    E = np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
    f = rng.beta(5.0, 2.0, n)
    cos = np.tanh(rng.normal(1.0 + 0.3 * np.log(E), 0.6, n))
    return EventTable(E, M_MU + f * (E - M_MU), cos, meta=META)


def architectures(config_paths: list[Path]) -> list[dict[str, Any]]:
    """Distinct GAN architectures: the default GANConfig and those of the config files.

    Returns one entry per distinct architecture: {label, gan, sources: [{name, batch_size, threads, amp}]}.
    Configs with the same [gan] table share an entry (their throughput is the same at equal settings).
    """
    sources: list[tuple[str, GANConfig, TrainConfig | None]] = [("default", GANConfig(), None)]
    for p in config_paths:
        run = load_run_config(p)
        sources.append((p.name, run.gan, run.train))
    out: list[dict[str, Any]] = []
    for name, gan, train in sources:
        entry = next((e for e in out if e["gan"] == gan), None)
        if entry is None:
            entry = {"label": "", "gan": gan, "sources": []}
            out.append(entry)
        entry["sources"].append(
            {
                "name": name,
                "batch_size": train.batch_size if train else None,
                "threads": train.threads if train else None,
                "amp": train.amp if train else None,
            }
        )
    for e in out:
        e["label"] = " = ".join(s["name"] for s in e["sources"])
    return out


def measure(
    gan: GANConfig,
    train: EventTable,
    val: EventTable,
    *,
    device: str,
    threads: int,
    amp: bool,
    batch: int,
    steps: int,
    warmup: int,
) -> dict[str, Any]:
    """Time ``steps`` iterations of ``fit`` after ``warmup`` ones (see the module docstring)."""
    dev = torch.device(device)
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    stamps: list[float] = []
    index_s: list[float] = []
    val_span: list[float] = []
    orig_idx, orig_val = loop.BatchSampler.indices, loop.validation_metric

    def timed_indices(*args: Any, **kw: Any) -> np.ndarray:
        sync()
        t = time.perf_counter()
        stamps.append(t)
        out = orig_idx(*args, **kw)
        index_s.append(time.perf_counter() - t)
        return out

    def timed_validation(*args: Any, **kw: Any) -> dict[str, float]:
        sync()
        t = time.perf_counter()
        out = orig_val(*args, **kw)
        val_span[:] = [t, time.perf_counter()]
        return out

    total = warmup + steps
    cfg = TrainConfig(
        steps=total,
        batch_size=batch,
        val_every=total,
        seed=0,
        amp=amp,
        device=device,
        threads=threads if dev.type == "cpu" else 0,
    )
    bundle = new_bundle(gan, train, (0.3, 10.0), seed=0)
    loop.BatchSampler.indices, loop.validation_metric = timed_indices, timed_validation
    try:
        with tempfile.TemporaryDirectory() as d:
            res = loop.fit(bundle, train, val, cfg, d, progress=False)
    finally:
        loop.BatchSampler.indices, loop.validation_metric = orig_idx, orig_val
    if len(stamps) != total or not val_span:
        raise RuntimeError(f"expected {total} steps and one validation, saw {len(stamps)} and {len(val_span)}")
    ends = stamps[1:] + [val_span[0]]
    step_s = [e - s for s, e in zip(stamps, ends, strict=True)][warmup:]
    med = statistics.median(step_s)
    return {
        "device": device,
        "threads": torch.get_num_threads() if dev.type == "cpu" else None,
        "amp": amp,
        "batch_size": batch,
        "step_ms_median": 1e3 * med,
        "step_ms_min": 1e3 * min(step_s),
        "step_ms_max": 1e3 * max(step_s),
        "events_per_s": batch / med,
        "index_ms": 1e3 * statistics.median(index_s[warmup:]),
        "validation_s": val_span[1] - val_span[0],
        "fit_events_per_s": res.events_per_s,
        "steps_timed": steps,
    }


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """All measurements; returns the JSON payload."""
    archs = architectures([Path(p) for p in args.configs])
    train, val = toy(args.n_train, 1), toy(args.n_val, 2)
    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    settings: list[tuple[str, int, bool]] = []
    for d in devices:
        if d.startswith("cuda"):
            if not torch.cuda.is_available():
                console.print(f"[yellow]skipping {d}: CUDA is not available[/]")
                continue
            settings += [(d, 0, False), (d, 0, True)]
        else:
            settings += [(d, t, amp) for t in args.threads for amp in ([False, True] if args.cpu_amp else [False])]
    rows: list[dict[str, Any]] = []
    for arch in archs:
        for device, threads, amp in settings:
            for batch in args.batch_sizes:
                r = measure(
                    arch["gan"],
                    train,
                    val,
                    device=device,
                    threads=threads,
                    amp=amp,
                    batch=batch,
                    steps=args.steps,
                    warmup=args.warmup,
                )
                r.update(config=arch["label"], device_name=_device_name(device))
                rows.append(r)
                console.print(
                    f"  {arch['label'].split(' = ')[0]} {device} threads={r['threads']} amp={amp} "
                    f"batch={batch}: {r['events_per_s']:,.0f} events/s",
                    highlight=False,
                )
    return {
        "rows": rows,
        "architectures": [{"label": a["label"], "gan": a["gan"].to_dict(), "sources": a["sources"]} for a in archs],
        "settings": {
            "n_train": args.n_train,
            "n_val": args.n_val,
            "steps": args.steps,
            "warmup": args.warmup,
            "batch_sizes": list(args.batch_sizes),
            "threads": list(args.threads),
            "devices": devices,
        },
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
        "note": (
            "events/s = batch / median step time of fit (D step + G step), warm-up steps and the final "
            "validation excluded; index_ms = time of loop.batch_indices inside the step; "
            "fit_events_per_s = fit's own whole-run figure; shared machine, load varies"
        ),
    }


def print_table(payload: dict[str, Any], console: Console) -> None:
    """Rich table of the rows; architectures and device names go in the caption."""
    m = payload["machine"]
    names = sorted({f"{r['device']}: {r['device_name']}" for r in payload["rows"]})
    caption = "; ".join(
        [
            *(a["label"] + " (same [gan])" for a in payload["architectures"] if " = " in a["label"]),
            *names,
            f"load avg {m['load_average_1min']:.1f} on {m['cpus']} CPUs",
        ]
    )
    table = Table(
        title=f"nugan fit throughput (torch {m['torch']}, n_train {payload['settings']['n_train']:,})",
        caption=escape(caption),
    )
    for col in ("config", "device", "thr", "amp", "batch", "step ms", "events/s", "idx ms", "fit ev/s"):
        table.add_column(col, justify="left" if col in ("config", "device") else "right")
    for r in payload["rows"]:
        table.add_row(
            r["config"].split(" = ")[0],
            r["device"],
            str(r["threads"] or "-"),
            "bf16" if r["amp"] else "-",
            str(r["batch_size"]),
            f"{r['step_ms_median']:.1f}",
            f"{r['events_per_s']:,.0f}",
            f"{r['index_ms']:.2f}",
            f"{r['fit_events_per_s']:,.0f}",
        )
    console.print(table)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--configs",
        nargs="*",
        default=[str(p) for p in sorted((ROOT / "configs").glob("*.toml"))],
        help="config files whose [gan] architectures to time (default: configs/*.toml)",
    )
    ap.add_argument("--batch-sizes", nargs="+", type=int, default=list(BATCH_SIZES))
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="CPU thread counts")
    ap.add_argument("--devices", nargs="*", default=None, help="cpu, cuda, cuda:N (default: cpu and cuda if any)")
    ap.add_argument("--cpu-amp", action="store_true", help="also time bf16 autocast on CPU")
    ap.add_argument("--steps", type=int, default=5, help="timed steps per setting")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--n-train", type=int, default=200_000, help="training-sample size (events)")
    ap.add_argument("--n-val", type=int, default=2_000, help="validation-sample size (events)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "train.json"))
    args = ap.parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        ap.error("--steps >= 1 and --warmup >= 0 are required")
    if args.n_train < max(args.batch_sizes):
        ap.error("--n-train must be at least the largest batch size")
    console = Console()
    payload = run(args, console)
    print_table(payload, console)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(payload, indent=1))
    stamp(out)
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
