"""Generation throughput of the shipped models (GAN and flow) against the machine's compute bound, next to the
built-in simulator and NuWro, plus whole-command timings.

Usage::

    python benchmarks/generate.py [--models nuwro-C12,nuwro-C12-flow] [--threads N] [--nuwro-dir ../shared/data/nuwro]

"sample" rows time ``NuganModel.sample(E_nu, seed)`` in-process on ``N`` energies (``--batches``, 1e3-1e7
events per call) drawn log-uniformly over the model's range (latents + network + decode + physical check;
E_nu given). Each row carries the compute bound: the machine's measured float32 matrix-product rate (a
2048x2048 ``torch.mm`` at the same thread count) divided by the model's matrix-product FLOPs per event
(``torch.utils.flop_counter`` on the sampling network), and the fraction of it reached. "pipeline" rows
time ``generate_to_file`` (flat flux over the model's range folded with its sigma(E), writing included) to
Parquet and to NuHepMC, each beside the in-process rate of the same events, with the file's bytes per event and
the storage's write rate (as many bytes, up to 1 GiB, written the same way to the same folder): their ratio is
the most events per second any writer of that format can put on this machine's storage. The simulator row times
``nugan.physics.simulate`` (flat flux; tables loaded). NuWro's rate is ``generation_rate_events_per_s`` of
each sample's JSON in ``--nuwro-dir``.

"command" rows time whole ``nugan`` processes (start-up included; a fresh subprocess per run, median of
``--command-runs``): ``nugan --help``, ``nugan inspect`` of a small file (``--inspect-file``, default the
shared 500-event NuWro ROOT fixture when present, and the Parquet file of the first small generate run),
and ``nugan generate --events N -o x.parquet`` for each N of ``--command-events`` and each shipped model of
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
BATCHES = (1_000, 10_000, 100_000, 1_000_000, 10_000_000)
MODELS = ("nuwro-C12", "nuwro-C12-flow")
FLOW_COMMAND_MAX = 2_000_000  # the flow samples ~5x slower: its command and pipeline runs are capped here
STORAGE_PROBE_MAX = 1 << 30  # bytes written to measure the storage write rate beside a pipeline run
SRC = Path(__file__).resolve().parents[1] / "src"
INSPECT_FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "nuwro_numu_C12_small.root"
COMMAND_MODELS = ("nuwro-C12", "nuwro-C12-flow")


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


def build_model(spec: str, device: str) -> Any:
    """A checkpoint (run directory, model.json or shipped name) on ``device``."""
    from nugan.generation.api import NuganModel

    return NuganModel.load(spec, device)


def flops_per_event(model: Any) -> float:
    """Matrix-product FLOPs per event of the model's sampling network (torch.utils.flop_counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    net = model.bundle.generator
    n = 1024
    z = torch.zeros(n, net.latent_dim, device=model.device)
    e = torch.zeros(n, 1, device=model.device)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        net.eval()(z, e)
    return counter.get_total_flops() / n


def matmul_rate(device: str, size: int = 2048, reps: int = 10) -> float:
    """Measured float32 FLOP/s of a ``size``-square ``torch.mm`` on ``device`` (current thread count)."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    torch.mm(a, b)
    sync()
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    sync()
    return 2.0 * size**3 * reps / (time.perf_counter() - t0)


def bench_nugan(
    model: Any, name: str, batches: tuple[int, ...], min_seconds: float, flops: float, peak: float
) -> list[dict[str, Any]]:
    """events/s of ``model.sample`` for each number of events per call, with the compute bound
    ``peak`` [FLOP/s] / ``flops`` [FLOP/event]."""
    lo, hi = model.energy_range
    bound = peak / flops
    rows = []
    for n in batches:
        E = np.exp(np.random.default_rng(1).uniform(np.log(lo), np.log(hi), n))
        rate, reps = timed_rate(lambda E=E: len(model.sample(E, seed=7)), min_seconds)
        rows.append(
            {
                "what": "nugan sample",
                "model": name,
                "arch": model.arch,
                "engine": model.engine,
                "device": str(model.device),
                "events_per_call": n,
                "events_per_s": rate,
                "repetitions": reps,
                "flops_per_event": flops,
                "matmul_flops_per_s": peak,
                "compute_bound_events_per_s": bound,
                "fraction_of_bound": rate / bound,
            }
        )
        print(
            f"  {model.device} {model.engine:<6} {n:>11,} events/call: {rate:>12,.0f} events/s "
            f"({rate / bound:.0%} of the bound)"
        )
    return rows


def bench_pipeline(model: Any, name: str, n: int, fmt: str, min_seconds: float) -> list[dict[str, Any]]:
    """events/s of generate_to_file (flat flux over the model's range, writing included) to ``fmt``
    ('parquet' or 'hepmc3'), beside ``model.sample`` of the same energies in-process."""
    from nugan.generation.generate import chunk_energies, generate_to_file, make_plan

    plan = make_plan(model, n, 7)
    energies = np.concatenate([chunk_energies(plan, k) for k in range(plan.n_chunks)])
    rate_in, _ = timed_rate(lambda: len(model.sample(energies, seed=7)), min_seconds)
    with tempfile.TemporaryDirectory() as tmp:
        res = generate_to_file(model, plan, Path(tmp) / f"bench.{fmt}", progress=False)
        size = res.path.stat().st_size
        res.path.unlink()
        disk = storage_write_rate(Path(tmp), min(size, STORAGE_PROBE_MAX))
    per_event = size / n
    io_bound = disk / per_event
    print(
        f"  {model.device} {model.engine} {name} -> {fmt}, {n:,} events: {res.events_per_s:,.0f} events/s "
        f"({res.events_per_s / rate_in:.0%} of in-process sampling, {rate_in:,.0f}/s); {per_event:.0f} bytes/event, "
        f"storage {disk / 1e6:,.0f} MB/s -> at most {io_bound:,.0f} events/s written"
    )
    return [
        {
            "what": f"nugan generate -> {fmt}",
            "model": name,
            "arch": model.arch,
            "engine": model.engine,
            "device": str(model.device),
            "events_per_call": n,
            "events_per_s": res.events_per_s,
            "in_process_events_per_s": rate_in,
            "write_cost_ratio": res.events_per_s / rate_in,
            "bytes_per_event": per_event,
            "storage_write_bytes_per_s": disk,
            "storage_bound_events_per_s": io_bound,
            "repetitions": 1,
        }
    ]


def storage_write_rate(folder: Path, size: int, block: int = 4 << 20) -> float:
    """bytes/s of writing ``size`` bytes to a new file in ``folder`` in ``block``-byte writes, as the writers do
    (buffered, no fsync: the page cache and its write-back, what a generate command meets), file removed after."""
    data = os.urandom(block)
    path = folder / "storage-probe.bin"
    t0 = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(max(1, size // block)):
            f.write(data)
    dt = time.perf_counter() - t0
    path.unlink()
    return max(1, size // block) * block / dt


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


def time_command(args: list[str], runs: int, events: int | None = None) -> dict[str, Any]:
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
    rate = f", {events / median:,.0f} events/s" if events else ""
    print(f"  {label:<60} {median:7.2f} s (median of {runs}: {', '.join(f'{t:.2f}' for t in times)}){rate}")
    return {
        "what": "command",
        "command": label,
        "events": events,
        "events_per_s": events / median if events else None,
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
        flow = json.loads(shipped[m].read_text()).get("arch") == "flow"
        for n in sorted({min(n, FLOW_COMMAND_MAX) if flow else n for n in events}):
            out = tmp / f"{m}-{n}.parquet"
            args = ["generate", "-m", m, "-n", str(n), "-o", str(out), "--seed", "1", "--no-progress"]
            rows.append(time_command(args, runs, n))
            if small is None and n <= 1000:
                small = out
            if not flow and n == max(events):  # the compiled network, for the longest run
                rows.append(time_command([*args, "--engine", "compile"], runs, n))
    for f in (inspect_file, small):
        if f is not None and f.exists():
            rows.append(time_command(["inspect", str(f)], runs))
    return rows


def print_table(rows: list[dict[str, Any]], nuwro: list[dict[str, Any]]) -> None:
    """Plain-text table of all rates."""
    print(
        f"\n{'generator':<28}{'model':<16}{'engine':<8}{'device':<8}{'events/call':>13}{'events/s':>15}{'of bound':>10}"
    )
    for r in rows:
        if r["what"] == "command" or "error" in r:
            continue
        frac = f"{r['fraction_of_bound']:.0%}" if "fraction_of_bound" in r else ""
        print(
            f"{r['what']:<28}{r.get('model', ''):<16}{r.get('engine', ''):<8}{r['device']:<8}"
            f"{r['events_per_call']:>13,}{r['events_per_s']:>15,.0f}{frac:>10}"
        )
    if nuwro:
        rates = np.array([r["events_per_s"] for r in nuwro])
        print(
            f"{'NuWro (' + str(len(nuwro)) + ' samples)':<28}{'cpu':<8}{'':>13}{np.median(rates):>15,.0f}"
            f"  (median; {rates.min():,.0f}-{rates.max():,.0f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help="checkpoints to time (shipped names or paths)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--batches", default=",".join(str(b) for b in BATCHES), help="events per call")
    ap.add_argument("--devices", default="cpu,cuda", help="devices to time (cuda skipped if absent)")
    ap.add_argument("--min-seconds", type=float, default=2.0, help="timed seconds per measurement")
    ap.add_argument("--pipeline-events", default="parquet:10000000,hepmc3:200000", help="FMT:N pipeline runs")
    ap.add_argument("--simulator-events", type=int, default=1_000_000, help="events per simulator call")
    ap.add_argument("--nuwro-dir", type=Path, help="folder of NuWro sample JSONs")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    ap.add_argument("--command-runs", type=int, default=3, help="runs per whole-command timing (0: none)")
    ap.add_argument("--command-events", default="10,10000000", help="--events of the timed generate commands")
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
    pipelines = [(f, int(float(n))) for f, n in (p.split(":") for p in args.pipeline_events.split(",") if p)]
    for dev in [] if args.commands_only else devices:
        names[dev] = device_name(dev)
        print(f"nugan on {dev} ({names[dev]}), torch threads {torch.get_num_threads()}")
        for spec in (m for m in args.models.split(",") if m):
            model = build_model(spec, dev)
            lo, hi = model.energy_range
            flops = flops_per_event(model)
            peak = matmul_rate(dev)
            print(
                f"  {spec}: {flops / 1e3:.1f} kFLOP/event (matrix products); "
                f"mm {peak / 1e9:.0f} GFLOP/s -> bound {peak / flops:,.0f}/s"
            )
            engines = [model]
            if model.arch == "gan" and dev == "cpu":  # the torch-free engine samples GANs on CPU
                import nugan

                engines.append(nugan.load(spec, engine="numpy"))
                if args.threads:
                    engines[-1].threads = args.threads
            if model.arch == "gan":  # torch.compile'd network (compiled by the untimed warm-up call)
                from nugan.generation.api import NuganModel

                engines.append(NuganModel.load(spec, dev, compile=True))
            for m in engines:
                try:
                    rows += bench_nugan(m, spec, batches, args.min_seconds, flops, peak)
                    for fmt, n in pipelines:
                        n_run = n if model.arch == "gan" else min(n, FLOW_COMMAND_MAX)
                        rows += bench_pipeline(m, spec, n_run, fmt, args.min_seconds)
                except Exception as err:  # noqa: BLE001 - torch.compile needs a compiler (CPU) or triton (CUDA)
                    if m.engine != "compile":
                        raise
                    print(f"  {dev} compile engine unavailable: {type(err).__name__}: {err}"[:400])
                    rows.append(
                        {
                            "what": "nugan sample",
                            "model": spec,
                            "engine": "compile",
                            "device": dev,
                            "error": f"{type(err).__name__}: {err}"[:400],
                        }
                    )
    sim = None if args.commands_only else bench_simulator(args.simulator_events, (lo, hi), args.min_seconds)
    if sim:
        rows.append(sim)
    nuwro = nuwro_rates(args.nuwro_dir)
    print_table(rows, nuwro)
    out = {
        "models": [m for m in args.models.split(",") if m],
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
