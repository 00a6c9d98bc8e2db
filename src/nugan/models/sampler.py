"""Conditional sampling of (E_mu, cos_theta) given E_nu from a generator network.

Random numbers: the latent vectors of events ``[k B, (k+1) B)`` (``B`` = :data:`LATENT_BLOCK`,
counted from ``offset``) form block ``k``. On CPU they are :func:`nugan.models.latents.latent_block`
(NumPy, shared with the torch-free engine); on CUDA they come from their own ``torch.Generator`` on
the device, seeded by :func:`latent_seed`. The output therefore depends only on the seed, the
energies, the block-aligned offset and the device, not on how the work is cut into network batches,
and a long sample can be produced in block-aligned chunks (``offset``) that together equal what one
call would give.

Speed (CPU): the network runs in eval mode under ``torch.inference_mode`` through
:func:`~nugan.models.fastforward.cached_fast_forward`, in float32, on at most
:data:`CPU_MAX_ROWS` rows at a time so that activations stay in cache; only the final decode to
physical variables is float64. Whole latent blocks go to ``torch.get_num_threads()`` worker threads,
each running its kernels on one thread, so the output does not depend on the thread count.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from nugan.models.fastforward import Sampler, cached_fast_forward, compiled_forward
from nugan.models.latents import LATENT_BLOCK, latent_block, latent_seed
from nugan.models.transforms import VariableTransform

__all__ = ["sample_muon", "pick_device", "latent_seed", "LATENT_BLOCK", "CPU_MAX_ROWS"]

#: Largest network batch on CPU (bigger batches fall out of cache and run slower).
CPU_MAX_ROWS = 4_096


def pick_device(device: str | torch.device | None = "auto") -> torch.device:
    """'auto' (or None) -> CUDA if available else CPU; otherwise the named device.

    Raises:
        ValueError: the device string is not a torch device, or CUDA is asked for but absent.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available here; use cpu or auto")
    return dev


def _device_latents(seed: int, first_block: int, n: int, dim: int, device: torch.device) -> torch.Tensor:
    """(n, dim) float32 latents of ``n`` events from block ``first_block`` on, drawn on a non-CPU ``device`` by
    one ``torch.Generator`` per block (the CPU path uses :func:`nugan.models.latents.latent_block`)."""
    parts = []
    for i, start in enumerate(range(0, n, LATENT_BLOCK)):
        rng = torch.Generator(device=device)
        rng.manual_seed(latent_seed(seed, first_block + i))
        rows = min(LATENT_BLOCK, n - start)
        parts.append(torch.randn(rows, dim, generator=rng, device=device, dtype=torch.float32))
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _forward(generator: Sampler, rows: int, compile: bool) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The network's inference function: compiled for ``rows``-row batches, or the cached eager one."""
    return compiled_forward(generator, rows) if compile else cached_fast_forward(generator)


def _draw_size(rows: int) -> int:
    """Rows per latent draw for network calls of ``rows`` rows: a whole number of blocks."""
    return max(LATENT_BLOCK, (rows // LATENT_BLOCK) * LATENT_BLOCK)


def sample_muon(
    generator: Sampler,
    transform: VariableTransform,
    E_nu: np.ndarray,
    seed: int,
    batch_size: int = 262_144,
    device: torch.device | None = None,
    *,
    offset: int = 0,
    compile: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one (E_mu, cos_theta) [GeV, -] per entry of ``E_nu`` [GeV]; physical by construction.

    Args:
        generator: the generator network (eval mode for the call; modes restored after).
        transform: the model's variable transform.
        E_nu: neutrino energies [GeV].
        seed: non-negative seed; same seed, energies, offset and device give identical output.
        batch_size: events per network call (memory knob; capped at :data:`CPU_MAX_ROWS` on CPU).
        device: sampling device; default the generator's.
        offset: index of the first event in a longer sample, a multiple of :data:`LATENT_BLOCK`
            (streaming in chunks); 0 for a standalone sample.
        compile: run a GAN's network compiled by ``torch.compile`` (:func:`~nugan.models.fastforward.compiled_forward`):
            4-5 s to compile, no reliable gain on the 2-core CPU measured (docs/generation.md), float32 rounding
            ~1e-6 from the eager result; reproducible for the same seed, batch size and kind of CPU.
    """
    if batch_size <= 0:
        raise ValueError(f"batch size must be > 0, got {batch_size}")
    if offset < 0 or offset % LATENT_BLOCK:
        raise ValueError(f"offset must be a non-negative multiple of {LATENT_BLOCK}, got {offset}")
    device = device or next(generator.parameters()).device
    # eval mode for the call; each submodule's own mode is restored after (frozen blocks stay eval)
    modes = [(m, m.training) for m in generator.modules() if m.training]
    if modes:
        generator.eval()
    try:
        with torch.inference_mode():
            return _sample(
                generator,
                transform,
                np.asarray(E_nu, dtype=np.float64),
                int(seed),
                batch_size,
                device,
                offset // LATENT_BLOCK,
                compile,
            )
    finally:
        for m, _ in modes:
            m.training = True


def _sample(
    generator: Sampler,
    transform: VariableTransform,
    E: np.ndarray,
    seed: int,
    batch_size: int,
    device: torch.device,
    first_block: int,
    compile: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Body of :func:`sample_muon` (eval mode, inference mode)."""
    if device.type == "cpu":
        return _sample_cpu(generator, transform, E, seed, min(batch_size, CPU_MAX_ROWS), first_block, compile)
    n = len(E)
    forward = _forward(generator, batch_size, compile)
    e_all = torch.as_tensor(transform.encode_energy(E), dtype=torch.float32).to(device).unsqueeze(1)
    E_t = torch.as_tensor(E).to(device)
    out_mu = torch.empty(n, dtype=torch.float64, device=device)
    out_cos = torch.empty(n, dtype=torch.float64, device=device)
    rows, draw = batch_size, _draw_size(batch_size)
    for start in range(0, n, draw):
        stop = min(start + draw, n)
        z = _device_latents(seed, first_block + start // LATENT_BLOCK, stop - start, generator.latent_dim, device)
        for a in range(start, stop, rows):
            b = min(a + rows, stop)
            u = forward(z[a - start : b - start], e_all[a:b])
            out_mu[a:b], out_cos[a:b] = transform.decode_muon_torch(E_t[a:b], u)
    return out_mu.cpu().numpy(), out_cos.cpu().numpy()


def _sample_cpu(
    generator: Sampler,
    transform: VariableTransform,
    E: np.ndarray,
    seed: int,
    rows: int,
    first_block: int,
    compile: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """CPU body: latent blocks are shared out to ``torch.get_num_threads()`` worker threads.

    Each block is drawn, run through the network (``rows`` events per call, one intra-op thread) and
    decoded by one worker, so the result is the same for any number of workers; torch releases the
    GIL inside its kernels, and whole blocks per thread scale better than splitting each small matrix
    product across threads.
    """
    n = len(E)
    forward = _forward(generator, min(rows, LATENT_BLOCK), compile)
    e_all = torch.as_tensor(transform.encode_energy(E), dtype=torch.float32).unsqueeze(1)
    E_t = torch.from_numpy(E)
    out_mu = torch.empty(n, dtype=torch.float64)
    out_cos = torch.empty(n, dtype=torch.float64)

    def block(k: int) -> None:
        start = k * LATENT_BLOCK
        stop = min(start + LATENT_BLOCK, n)
        with torch.inference_mode():  # thread-local: each worker enters it
            z = torch.from_numpy(latent_block(seed, first_block + k, stop - start, generator.latent_dim))
            for a in range(start, stop, rows):
                b = min(a + rows, stop)
                u = forward(z[a - start : b - start], e_all[a:b])
                out_mu[a:b], out_cos[a:b] = transform.decode_muon_torch(E_t[a:b], u)

    n_blocks = -(-n // LATENT_BLOCK)
    threads = torch.get_num_threads()
    workers = min(threads, n_blocks)
    torch.set_num_threads(1)
    try:
        if workers <= 1:
            for k in range(n_blocks):
                block(k)
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="nugan-sample") as pool:
                list(pool.map(block, range(n_blocks)))  # list(): re-raises a worker's exception
    finally:
        torch.set_num_threads(threads)
    return out_mu.numpy(), out_cos.numpy()
