"""Which engine samples a model: NumPy (GANs on CPU, no torch import) or torch (everything else).

``import torch`` costs about 2 s of start-up; the NumPy engine skips it and evaluates the network about as fast
as torch on one thread, slower than torch on several. ``auto`` therefore picks NumPy for a GAN on CPU when the run
is short enough that the saved import outweighs a slower network (:data:`AUTO_NUMPY_MAX_EVENTS`, measured by
``benchmarks/startup.py``), and torch otherwise; flows always run on torch. Deciding that the device is the CPU
does not import torch when the machine has no NVIDIA driver (:func:`cuda_possible`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nugan.generation.model_base import SamplingModel
from nugan.models.description import read_description

if TYPE_CHECKING:
    import torch

__all__ = ["ENGINES", "AUTO_NUMPY_MAX_EVENTS", "EngineChoice", "cuda_possible", "choose_engine", "load_for_generation"]

ENGINES = ("auto", "numpy", "torch", "compile")
#: ``auto`` uses the NumPy engine for a GAN on CPU up to this many events. Whole ``nugan generate`` runs of
#: nuwro-C12 (benchmarks/startup.py, 2 cores shared with other jobs, load 1.3-2.6), fitted as T0 + N / rate:
#: with one thread NumPy 0.48 s + N / 541k/s against torch 2.01 s + N / 437k/s, and 0.73 s + N / 437k/s against
#: 2.53 s + N / 366k/s (NumPy never slower); with two threads 0.71 s + N / 309k/s against 3.24 s + N / 424k/s
#: (crossover 2.9e6 events) and 0.94 s + N / 365k/s against 3.30 s + N / 580k/s (2.3e6). The threshold sits below
#: the two-thread crossovers.
AUTO_NUMPY_MAX_EVENTS = 2_000_000
#: Present on Linux whenever an NVIDIA driver is loaded (without it CUDA cannot be available).
NVIDIA_DRIVER_FILE = Path("/proc/driver/nvidia/version")


def cuda_possible() -> bool:
    """Whether CUDA may be available: False without importing torch on a Linux machine with no NVIDIA driver,
    otherwise torch's answer."""
    if sys.platform.startswith("linux") and not NVIDIA_DRIVER_FILE.exists():
        return False
    import torch

    return bool(torch.cuda.is_available())


class EngineChoice:
    """The engine and device a model samples with, and why (printed by ``nugan generate``)."""

    def __init__(self, engine: str, device: str, reason: str) -> None:
        self.engine, self.device, self.reason = engine, device, reason

    def __repr__(self) -> str:
        return f"EngineChoice({self.engine!r}, {self.device!r}, {self.reason!r})"


def choose_engine(arch: str, device: str | None, n_events: int | None, engine: str = "auto") -> EngineChoice:
    """The engine for a model of family ``arch`` ('gan' or 'flow') on ``device`` for ``n_events`` events.

    ``engine``: 'auto' (NumPy for a GAN on CPU up to :data:`AUTO_NUMPY_MAX_EVENTS` events or an unknown count,
    else torch), 'numpy' (GANs on CPU only), 'torch' or 'compile' (torch with the GAN's network compiled by
    ``torch.compile``; GANs only, never chosen by 'auto'). ``device``: None/'auto', 'cpu', 'cuda', 'cuda:N'
    (checked by torch when torch runs).

    Raises:
        ValueError: an unknown engine, the NumPy engine for a flow or on a GPU.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use {', '.join(ENGINES)}")
    dev = "auto" if device is None else str(device)
    if arch != "gan":
        if engine in ("numpy", "compile"):
            raise ValueError(
                f"the {engine} engine evaluates GANs only; this model is a normalising flow: use --engine torch or auto"
            )
        return EngineChoice("torch", dev, f"a {arch} runs on torch")
    if engine == "torch":
        return EngineChoice("torch", dev, "--engine torch")
    if engine == "compile":
        return EngineChoice("compile", dev, "--engine compile")
    if engine == "numpy":
        if dev not in ("auto", "cpu"):
            raise ValueError(f"the NumPy engine runs on CPU only, not on {dev!r}; use --device cpu or --engine torch")
        return EngineChoice("numpy", "cpu", "--engine numpy")
    on_cpu = dev == "cpu" or (dev == "auto" and not cuda_possible())
    if not on_cpu:
        return EngineChoice("torch", dev, "GPU")
    if n_events is not None and n_events > AUTO_NUMPY_MAX_EVENTS:
        return EngineChoice("torch", "cpu", f"{n_events:,} events > {AUTO_NUMPY_MAX_EVENTS:,}: torch's network pays")
    size = "" if n_events is None else f", {n_events:,} events <= {AUTO_NUMPY_MAX_EVENTS:,}"
    return EngineChoice("numpy", "cpu", f"GAN on CPU{size}: no torch start-up")


def load_for_generation(
    spec: str | os.PathLike[str],
    *,
    engine: str = "auto",
    device: str | torch.device | None = "auto",
    n_events: int | None = None,
    threads: int = 0,
) -> tuple[SamplingModel, EngineChoice]:
    """Load a model with the engine :func:`choose_engine` picks; returns (model, choice).

    ``threads`` > 0 sets the CPU threads (torch's intra-op threads, or the NumPy engine's workers); 0 keeps each
    engine's default (all cores).
    """
    if threads < 0:
        raise ValueError(f"--threads must be >= 0, got {threads}")
    desc = read_description(spec)
    choice = choose_engine(desc.arch, None if device is None else str(device), n_events, engine)
    if choice.engine == "numpy":
        from nugan.generation.numpy_model import NumpyGanModel

        return NumpyGanModel.load(desc, threads), choice
    import torch

    from nugan.generation.api import NuganModel

    if threads:
        torch.set_num_threads(threads)
    return NuganModel.load(desc.js, choice.device, compile=choice.engine == "compile"), choice
