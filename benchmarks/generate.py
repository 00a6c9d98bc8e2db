"""Generation throughput: nugan sampling (events/s vs batch size, CPU and CUDA) next to the
built-in simulator and NuWro.

Usage::

    python benchmarks/generate.py [--model CKPT] [--threads N] [--nuwro-dir ../shared/data/nuwro]

Without ``--model`` the default :class:`~nugan.models.GANConfig` architecture is used with random
weights (throughput does not depend on the weight values). "sample" rows time
``NuganModel.sample(E_nu, seed)`` on ``N`` energies drawn log-uniformly over the model's range
(network + decode + physical check; E_nu given); the "pipeline" row times ``generate_to_file``
to Parquet (monoenergetic 1 GeV, includes writing). The simulator row times
``nugan.physics.simulate`` (flat flux over the same range; tables already loaded). NuWro's rate is
``generation_rate_events_per_s`` of each sample's JSON in ``--nuwro-dir``.

"command" rows time whole ``nugan`` processes (start-up included; a fresh subprocess per run, median of
``--command-runs``): ``nugan --help``, ``nugan inspect`` of a small file (``--inspect-file``, default the
shared 500-event NuWro ROOT fixture when present, and the Parquet file of the first 10-event generate run),
and ``nugan generate --events N`` for each N of ``--command-events`` and each shipped model of
``--command-models`` (names that are not shipped are skipped). ``--commands-only`` times just these.
Results go to ``benchmarks/results/generate.json`` with the device names, the thread count and the
1-minute load average (timings on a busy machine are inflated; compare rows of one run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# idle OpenMP threads sleep instead of spinning (big effect on a shared machine); before torch
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
from provenance import cpu_model, stamp

from nugan.atomic import atomic_write_text

RESULTS = Path(__file__).resolve().parent / "results" / "generate.json"
BATCHES = (1_000, 10_000, 100_000, 1_000_000)
SRC = Path(__file__).resolve().parents[1] / "src"
INSPECT_FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "nuwro_numu_C12_small.root"
COMMAND_MODELS = ("numu-C12", "numu-C12-flow")


def device_name(device: str) -> str:
    """Human-readable name of a torch device."""
    return torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else cpu_model()


def timed_rate(fn: Callable[[], int], min_seconds: float) -> tuple[float, int]:
    """(events/s, repetitions): call ``fn`` (returns events made) until ``min_seconds`` have passed.

    One untimed warm-up call first; CUDA is synchronised before reading the clock.
    """
    fn()
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    n, reps, t0 = 0, 0, time.perf_counter()
    while True:
        n += fn()
        reps += 1
        sync()
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return n / dt, reps


def build_model(spec: str | None, device: str):
    """A checkpoint, or the default architecture with random weights (seed 0) over 0.3-10 GeV."""
    from nugan.generation.api import NuganModel
    from nugan.models import GANConfig, VariableTransform
    from nugan.models.checkpoint import ModelBundle
    from nugan.models.networks import Discriminator, Generator

    if spec:
        return NuganModel.load(spec, device)
    torch.manual_seed(0)
    cfg = GANConfig()
    bundle = ModelBundle(Generator(cfg), Discriminator(cfg), cfg, VariableTransform(0.3, 10.0), {})
    bundle.generator.to(device).eval()
    bundle.discriminator.to(device).eval()
    return NuganModel(bundle, torch.device(device))


def bench_nugan(model: Any, batches: tuple[int, ...], min_seconds: float) -> list[dict[str, Any]]:
    """events/s of ``model.sample`` for each number of events per call."""
    lo, hi = model.energy_range
    rows = []
    for n in batches:
        E = np.exp(np.random.default_rng(1).uniform(np.log(lo), np.log(hi), n))
        rate, reps = timed_rate(lambda E=E: len(model.sample(E, seed=7)), min_seconds)
        rows.append(
            {
                "what": "nugan sample",
                "device": str(model.device),
                "events_per_call": n,
                "events_per_s": rate,
                "repetitions": reps,
            }
        )
        print(f"  {model.device} {n:>9,} events/call: {rate:>12,.0f} events/s")
    return rows


def bench_pipeline(model: Any, n: int) -> dict[str, Any]:
    """events/s of generate_to_file to Parquet (monoenergetic 1 GeV), writing included."""
    from nugan.generation.generate import generate_to_file, make_plan

    plan = make_plan(model, n, 7, energy=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        generate_to_file(model, plan, Path(tmp) / "warm.parquet", progress=False)
        res = generate_to_file(model, plan, Path(tmp) / "bench.parquet", progress=False)
    print(f"  {model.device} pipeline to Parquet, {n:,} events: {res.events_per_s:,.0f} events/s")
    return {
        "what": "nugan generate -> parquet",
        "device": str(model.device),
        "events_per_call": n,
        "events_per_s": res.events_per_s,
        "repetitions": 1,
    }


def bench_simulator(n: int, energy: tuple[float, float], min_seconds: float) -> dict[str, Any] | None:
    """events/s of the built-in simulator (numu C12 default, flat flux), or None if absent."""
    try:
        from nugan.physics import simulate
    except ImportError:
        return None
    try:
        rate, reps = timed_rate(lambda: len(simulate("numu", "C12", "default", energy, "flat", n, 3)), min_seconds)
    except (ValueError, FileNotFoundError) as err:
        print(f"  simulator not measured: {err}")
        return None
    print(f"  simulator (numpy, 1 process) {n:,} events/call: {rate:,.0f} events/s")
    return {
        "what": "built-in simulator",
        "device": "cpu",
        "events_per_call": n,
        "events_per_s": rate,
        "repetitions": reps,
    }


def nuwro_rates(nuwro_dir: Path | None) -> list[dict[str, Any]]:
    """``generation_rate_events_per_s`` of every NuWro sample JSON under ``nuwro_dir``."""
    if nuwro_dir is None:
        return []
    if not nuwro_dir.is_dir():
        raise SystemExit(f"--nuwro-dir {nuwro_dir}: not a directory")
    rows = []
    for p in sorted(nuwro_dir.rglob("*.json")):
        try:
            info = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        rate = info.get("generation_rate_events_per_s") if isinstance(info, dict) else None
        if rate:
            rows.append(
                {
                    "what": "NuWro",
                    "sample": info.get("sample", p.stem),
                    "events_per_s": float(rate),
                    "version": info.get("nuwro_version", ""),
                }
            )
    return rows


def time_command(args: list[str], runs: int) -> dict[str, Any]:
    """Wall time [s] of ``python -m nugan.cli ARGS`` in a fresh process, ``runs`` times (median and all)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "nugan.cli", *args], env=env, capture_output=True, text=True, check=False
        )
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"nugan {' '.join(args)} failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}")
    label = "nugan " + " ".join(Path(a).name if os.sep in a else a for a in args)
    median = float(np.median(times))
    print(f"  {label:<60} {median:7.2f} s (median of {runs}: {', '.join(f'{t:.2f}' for t in times)})")
    return {
        "what": "command",
        "command": label,
        "median_s": median,
        "runs_s": times,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def bench_commands(
    models: list[str], events: list[int], runs: int, inspect_file: Path | None, tmp: Path
) -> list[dict[str, Any]]:
    """Whole-command timings: --help, inspect of small files, generate --events N per shipped model."""
    from nugan.models.checkpoint import shipped_models

    shipped = shipped_models()
    skipped = [m for m in models if m not in shipped]
    if skipped:
        print(f"  not shipped, skipped: {', '.join(skipped)}")
    rows = [time_command(["--help"], runs)]
    small: Path | None = None
    for m in (m for m in models if m in shipped):
        for n in events:
            out = tmp / f"{m}-{n}.parquet"
            rows.append(
                time_command(["generate", "-m", m, "-n", str(n), "-o", str(out), "--seed", "1", "--no-progress"], runs)
            )
            if small is None and n <= 1000:
                small = out
    for f in (inspect_file, small):
        if f is not None and f.exists():
            rows.append(time_command(["inspect", str(f)], runs))
    return rows


def print_table(rows: list[dict[str, Any]], nuwro: list[dict[str, Any]]) -> None:
    """Plain-text table of all rates."""
    print(f"\n{'generator':<28}{'device':<8}{'events/call':>13}{'events/s':>15}")
    for r in rows:
        if r["what"] == "command":
            continue
        print(f"{r['what']:<28}{r['device']:<8}{r['events_per_call']:>13,}{r['events_per_s']:>15,.0f}")
    if nuwro:
        rates = np.array([r["events_per_s"] for r in nuwro])
        print(
            f"{'NuWro (' + str(len(nuwro)) + ' samples)':<28}{'cpu':<8}{'':>13}{np.median(rates):>15,.0f}"
            f"  (median; {rates.min():,.0f}-{rates.max():,.0f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint to time (default: default architecture, random weights)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--batches", default=",".join(str(b) for b in BATCHES), help="events per call")
    ap.add_argument("--devices", default="cpu,cuda", help="devices to time (cuda skipped if absent)")
    ap.add_argument("--min-seconds", type=float, default=2.0, help="timed seconds per measurement")
    ap.add_argument("--simulator-events", type=int, default=1_000_000, help="events per simulator call")
    ap.add_argument("--nuwro-dir", type=Path, help="folder of NuWro sample JSONs")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    ap.add_argument("--command-runs", type=int, default=3, help="runs per whole-command timing (0: none)")
    ap.add_argument("--command-events", default="10,1000000", help="--events of the timed generate commands")
    ap.add_argument("--command-models", default=",".join(COMMAND_MODELS), help="shipped models to time")
    ap.add_argument(
        "--inspect-file",
        type=Path,
        default=INSPECT_FIXTURE if INSPECT_FIXTURE.exists() else None,
        help="small event file for the inspect timing",
    )
    ap.add_argument("--commands-only", action="store_true", help="only the whole-command timings")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    batches = tuple(int(float(b)) for b in args.batches.split(","))
    devices = [d for d in args.devices.split(",") if d and (d == "cpu" or torch.cuda.is_available())]
    rows: list[dict[str, Any]] = []
    names = {}
    lo, hi = 0.3, 10.0
    if args.command_runs > 0:
        print(f"whole commands (fresh process each; load average {os.getloadavg()[0]:.2f})")
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench_commands(
                [m for m in args.command_models.split(",") if m],
                [int(float(e)) for e in args.command_events.split(",") if e],
                args.command_runs,
                args.inspect_file,
                Path(tmp),
            )
    for dev in [] if args.commands_only else devices:
        model = build_model(args.model, dev)
        lo, hi = model.energy_range
        names[dev] = device_name(dev)
        print(f"nugan on {dev} ({names[dev]}), torch threads {torch.get_num_threads()}")
        rows += bench_nugan(model, batches, args.min_seconds)
        rows.append(bench_pipeline(model, 1 << 20))
    sim = None if args.commands_only else bench_simulator(args.simulator_events, (lo, hi), args.min_seconds)
    if sim:
        rows.append(sim)
    nuwro = nuwro_rates(args.nuwro_dir)
    print_table(rows, nuwro)
    out = {
        "model": args.model or "default GANConfig architecture, random weights (seed 0)",
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "torch_version": torch.__version__,
        "devices": names,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "results": rows,
        "nuwro": nuwro,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(out, indent=1))
    stamp(args.out)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
