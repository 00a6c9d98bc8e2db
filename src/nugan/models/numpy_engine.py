"""The GAN generator's inference in NumPy (float32), without torch: the engine of short runs on CPU.

``import torch`` alone costs about 2 s; a GAN generator is three small dense blocks, which NumPy evaluates at
about the speed of the torch engine with one thread (slower than torch's multi-threaded network). A run of up to a
few million events is therefore done sooner without torch (``nugan generate --engine auto``; the crossover is
measured by ``benchmarks/startup.py``).

The network is the same function as :class:`nugan.models.networks.Generator` in eval mode, rewritten for speed:

* LayerNorm's mean-centring is folded into the dense weights (``W - mean_j W``, ``b - mean b``) and so is its
  scale ``gamma`` (when no ``gamma`` is near 0); the variance is then one matrix-vector product.
* Every activation buffer carries E_nu and a constant 1 in two extra columns, so the bias and the E_nu
  injection ride in the matrix product.
* The latent category (``floor(K Phi(z_0))``) is found by comparing ``z_0`` with the normal quantiles
  ``Phi^-1(j / K)`` (the same category except within rounding of a boundary, a set of measure zero).
* PReLU is ``max(x, a x)`` when every slope ``a <= 1`` (else the general form).

Rows are evaluated in groups of :data:`ROWS` (a divisor of the latent block), always full groups: an event's
output depends only on its latent vector and E_nu, bitwise, whatever the sample size, its cut into chunks or
the number of threads. The torch engine on CPU draws the same latents (:mod:`nugan.models.latents`) and agrees
to float32 rounding (about 1e-5 relative in E_mu and cos_theta; docs/generation.md gives the measured figure).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from nugan.models.config import GANConfig
from nugan.models.description import (
    FORMAT,
    Description,
    check_tensor_shapes,
    finite_error,
    read_description,
    read_tensors,
)
from nugan.models.latents import LATENT_BLOCK, latent_block
from nugan.models.transforms import VariableTransform

__all__ = [
    "ROWS",
    "NumpyGenerator",
    "NumpyBundle",
    "generator_shapes",
    "load_numpy_model",
    "sample_muon_numpy",
    "default_threads",
]

#: Rows per evaluation group (divides LATENT_BLOCK; small enough that activations stay in cache).
ROWS = 512
_EPS = 1e-5  # torch.nn.LayerNorm's default
_GAMMA_FOLD_MIN = 1e-3  # |gamma| below this (relative to the largest) is not folded into the weights


def generator_shapes(cfg: GANConfig) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the generator's tensors for ``cfg`` (as in the ``generator.`` part of a checkpoint)."""
    w = cfg.gen_width
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(cfg.gen_blocks):
        n_in = cfg.latent_dim + cfg.latent_categories + 1 if i == 0 else w + 1
        p = f"blocks.block{i}."
        shapes[p + "linear.weight"] = (w, n_in)
        shapes[p + "linear.bias"] = (w,)
        shapes[p + "norm.weight"] = (w,)
        shapes[p + "norm.bias"] = (w,)
        if cfg.activation == "prelu":
            shapes[p + "act.weight"] = (w,)
    shapes["head.weight"] = (2, w)
    shapes["head.bias"] = (2,)
    return shapes


@dataclass(frozen=True)
class _Block:
    """One dense block, folded: ``x = [h | e | 1] @ M``, then normalise, scale, shift, activate.

    Every per-feature array has two padding entries for the E_nu and 1 columns, so that the element-wise steps run
    over whole contiguous rows (a strided view would be ~3x slower); those columns are rewritten after the block.
    """

    M: np.ndarray  # (n_in + 1, width + 2) float32: centred (and gamma-scaled) weights, centred bias as last row
    inv_var_weights: np.ndarray  # (width + 2,): variance = (x * x) @ this (1/width, or 1/(gamma^2 width) if folded)
    gamma: np.ndarray | None  # applied after normalising when not folded into M
    beta: np.ndarray
    slope: np.ndarray | None  # PReLU slopes; None for ReLU
    max_form: bool  # PReLU as max(x, a x) (every slope <= 1)
    residual: bool


def _fold(
    weight: np.ndarray, bias: np.ndarray, gamma: np.ndarray, beta: np.ndarray, slope: np.ndarray | None, residual: bool
) -> _Block:
    """A torch ``DenseBlock`` (Linear -> LayerNorm -> activation) in folded form (float64 folding, float32 result)."""
    W = weight.astype(np.float64)
    b = bias.astype(np.float64)
    g = gamma.astype(np.float64)
    width = W.shape[0]
    M = np.concatenate([(W - W.mean(0, keepdims=True)).T, (b - b.mean())[None]], axis=0)
    fold = bool(np.all(np.abs(g) >= _GAMMA_FOLD_MIN * max(float(np.abs(g).max()), 1e-30)))
    if fold:
        M = M * g
        inv_var = 1.0 / (g * g) / width
    else:
        inv_var = np.full(width, 1.0 / width)
    return _Block(
        M=np.ascontiguousarray(np.pad(M, ((0, 0), (0, 2))), dtype=np.float32),
        inv_var_weights=_padded(inv_var, 0.0),
        gamma=None if fold else _padded(gamma, 1.0),
        beta=_padded(beta, 0.0),
        slope=None if slope is None else _padded(slope, 1.0),
        max_form=slope is not None and bool(np.all(slope <= 1.0)),
        residual=residual,
    )


def _padded(v: np.ndarray, value: float) -> np.ndarray:
    """``v`` as float32 with two entries ``value`` appended (the E_nu and 1 columns)."""
    return np.concatenate([np.asarray(v, dtype=np.float32), np.full(2, value, dtype=np.float32)])


class _Workspace:
    """Preallocated buffers for one thread: input, two activation buffers ``[h | e | 1]``, scratch."""

    def __init__(self, n_in: int, width: int) -> None:
        self.inp = np.zeros((ROWS, n_in + 2), dtype=np.float32)
        self.act = [np.zeros((ROWS, width + 2), dtype=np.float32) for _ in range(2)]
        self.tmp = np.zeros((ROWS, width + 2), dtype=np.float32)
        self.var = np.zeros(ROWS, dtype=np.float32)
        self.out = np.zeros((ROWS, 2), dtype=np.float32)
        self.rows = np.arange(ROWS)


class NumpyGenerator:
    """The generator network of a GAN checkpoint evaluated with NumPy: ``(z, e) -> u`` (float32).

    Args:
        tensors: the generator's tensors (names without the ``generator.`` prefix), shapes as
            :func:`generator_shapes` gives for ``cfg``.
        cfg: the architecture.
    """

    def __init__(self, tensors: dict[str, np.ndarray], cfg: GANConfig) -> None:
        self.latent_dim = cfg.latent_dim
        self.latent_categories = cfg.latent_categories
        self.width = cfg.gen_width
        k = cfg.latent_categories
        #: float64 normal quantiles Phi^-1(j/K), j = 1..K-1: z_0 in [q_j, q_(j+1)) is category j
        self.edges = np.array([NormalDist().inv_cdf(j / k) for j in range(1, k)]) if k else np.empty(0)
        self.blocks = []
        for i in range(cfg.gen_blocks):
            p = f"blocks.block{i}."
            self.blocks.append(
                _fold(
                    tensors[p + "linear.weight"],
                    tensors[p + "linear.bias"],
                    tensors[p + "norm.weight"],
                    tensors[p + "norm.bias"],
                    tensors.get(p + "act.weight") if cfg.activation == "prelu" else None,
                    residual=i > 0 and cfg.skip,
                )
            )
        self.head_w = np.ascontiguousarray(np.pad(tensors["head.weight"].T, ((0, 2), (0, 0))), dtype=np.float32)
        self.head_b = tensors["head.bias"].astype(np.float32)

    def workspace(self) -> _Workspace:
        """Buffers for :meth:`forward` (one per thread)."""
        return _Workspace(self.latent_dim + self.latent_categories, self.width)

    def categories(self, z0: np.ndarray) -> np.ndarray:
        """Latent category index of each first latent component (``floor(K Phi(z_0))``)."""
        return np.searchsorted(self.edges, z0.astype(np.float64), side="right")

    def forward(self, z: np.ndarray, e: np.ndarray, ws: _Workspace | None = None) -> np.ndarray:
        """Network output (n, 2) float32 for latents ``z`` (n, latent_dim) and encoded energies ``e`` (n,)."""
        ws = ws or self.workspace()
        n = len(z)
        out = np.empty((n, 2), dtype=np.float32)
        for s in range(0, n, ROWS):
            m = min(ROWS, n - s)
            out[s : s + m] = self._group(z[s : s + m], e[s : s + m], ws)[:m]
        return out

    def _group(self, z: np.ndarray, e: np.ndarray, ws: _Workspace) -> np.ndarray:
        """Output of one group of <= ROWS events (computed on all ROWS rows: the result of a row never
        depends on how many rows are real)."""
        m, L, K = len(z), self.latent_dim, self.latent_categories
        inp = ws.inp
        inp[:m, :L] = z
        if K:
            inp[:, L : L + K] = 0.0
            inp[ws.rows[:m], L + self.categories(z[:, 0])] = 1.0
        inp[:m, L + K] = e
        inp[:, L + K + 1] = 1.0
        h = inp
        for j, blk in enumerate(self.blocks):
            x = ws.act[j % 2]  # whole rows [features | E_nu | 1]: the last two columns are rewritten below
            np.matmul(h, blk.M, out=x)
            np.multiply(x, x, out=ws.tmp)
            np.matmul(ws.tmp, blk.inv_var_weights, out=ws.var)
            ws.var += np.float32(_EPS)
            np.sqrt(ws.var, out=ws.var)
            np.reciprocal(ws.var, out=ws.var)
            x *= ws.var[:, None]
            if blk.gamma is not None:
                x *= blk.gamma
            x += blk.beta
            if blk.slope is None:
                np.maximum(x, np.float32(0.0), out=x)
            elif blk.max_form:
                np.multiply(x, blk.slope, out=ws.tmp)
                np.maximum(x, ws.tmp, out=x)
            else:
                np.multiply(x, blk.slope, out=ws.tmp)
                np.copyto(x, ws.tmp, where=x < 0)
            if blk.residual:
                x += h
            x[:m, self.width] = e
            x[:, self.width + 1] = 1.0
            h = x
        np.matmul(h, self.head_w, out=ws.out)
        ws.out += self.head_b
        return ws.out


@dataclass
class NumpyBundle:
    """A GAN checkpoint loaded for the NumPy engine: its generator, config, transform and JSON description."""

    generator: NumpyGenerator
    config: GANConfig
    transform: VariableTransform
    info: dict[str, Any]

    arch = "gan"
    format = FORMAT

    @property
    def energy_range(self) -> tuple[float, float]:
        return (self.transform.e_min, self.transform.e_max)


def load_numpy_model(spec: str | os.PathLike[str] | Description) -> NumpyBundle:
    """Load a GAN checkpoint for the NumPy engine (safetensors only, never pickle).

    The checks and their messages are those of :func:`nugan.models.checkpoint.load_model`; a flow is refused
    (its coupling transforms are evaluated with torch only).
    """
    desc = spec if isinstance(spec, Description) else read_description(spec)
    if desc.arch != "gan":
        raise ValueError(
            f"{desc.js}: a normalising flow runs on the torch engine only; use --engine torch or auto "
            "(the NumPy engine evaluates GANs)"
        )
    cfg, transform = desc.architecture()
    assert isinstance(cfg, GANConfig)
    st = desc.checked_weights()
    from safetensors.numpy import load_file

    tensors = read_tensors(st, load_file)
    finite_error([k for k, v in tensors.items() if v.dtype.kind == "f" and not np.isfinite(v).all()], str(st))
    gen = check_tensor_shapes(tensors, generator_shapes(cfg), "generator.", st, desc.js)
    info = dict(desc.info)
    info["path"] = str(desc.js)
    return NumpyBundle(NumpyGenerator(gen, cfg), cfg, transform, info)


_BLAS_CONTROLLER: Any = None


def _one_blas_thread() -> Any:
    """Context manager holding NumPy's BLAS to one thread (the library list is read once: ~7 ms, then ~20 us)."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def default_threads() -> int:
    """Worker threads when none are asked for: ``OMP_NUM_THREADS`` when set (as torch does), else the CPU cores
    this process may use."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def sample_muon_numpy(
    bundle: NumpyBundle, E_nu: np.ndarray, seed: int, *, offset: int = 0, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one (E_mu, cos_theta) [GeV, -] per entry of ``E_nu`` [GeV] with the NumPy engine.

    The latents are those of the torch engine on CPU (:func:`nugan.models.latents.latent_block`, block ``k``
    for events ``[offset + k B, offset + (k+1) B)``). Latent blocks are spread over ``threads`` threads (BLAS
    held to one thread each); the output is bitwise the same for any ``threads``.

    Args:
        bundle: the loaded model (:func:`load_numpy_model`).
        E_nu: neutrino energies [GeV].
        seed: non-negative seed.
        offset: index of the first event in a longer sample, a multiple of LATENT_BLOCK.
        threads: worker threads (>= 1).
    """
    if offset < 0 or offset % LATENT_BLOCK:
        raise ValueError(f"offset must be a non-negative multiple of {LATENT_BLOCK}, got {offset}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    E = np.asarray(E_nu, dtype=np.float64).reshape(-1)
    n = len(E)
    gen, transform = bundle.generator, bundle.transform
    e_all = transform.encode_energy(E).astype(np.float32)
    E_mu = np.empty(n, dtype=np.float64)
    cos = np.empty(n, dtype=np.float64)
    first = offset // LATENT_BLOCK
    starts = list(range(0, n, LATENT_BLOCK))

    def run(starts_part: list[int]) -> None:
        ws = gen.workspace()
        for a in starts_part:
            b = min(a + LATENT_BLOCK, n)
            z = latent_block(seed, first + a // LATENT_BLOCK, b - a, gen.latent_dim)
            u = gen.forward(z, e_all[a:b], ws)
            E_mu[a:b], cos[a:b] = transform.decode_muon(E[a:b], u)

    workers = min(threads, len(starts))
    with _one_blas_thread():  # parallel over blocks only (``threads`` cores in all), and the same BLAS path always
        if workers <= 1:
            run(starts)
        else:
            with ThreadPoolExecutor(workers) as pool:
                for f in [pool.submit(run, starts[i::workers]) for i in range(workers)]:
                    f.result()
    return E_mu, cos
