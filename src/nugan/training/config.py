"""Training configuration as typed dataclasses, loadable from TOML or YAML.

A config file has an optional top-level ``arch`` ("gan", the default, or "flow"), an optional ``[gan]`` table
(:class:`nugan.models.GANConfig` fields) or ``[flow]`` table (:class:`nugan.models.flow.FlowConfig` fields),
and a ``[train]`` table (:class:`TrainConfig` fields)::

    [gan]
    gen_width = 128
    [train]
    steps = 20000
    batch_size = 2048

A flow's ``[train]`` table starts from :data:`FLOW_TRAIN_DEFAULTS` (maximum-likelihood settings) rather than
the GAN's defaults; ``lr_g`` is the flow's learning rate and the discriminator fields are unused.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nugan.models.config import GANConfig, check_field_types
from nugan.models.flow import FlowConfig
from nugan.models.losses import GENERATOR_LOSSES

__all__ = ["TrainConfig", "RunConfig", "load_run_config", "FLOW_TRAIN_DEFAULTS", "ARCHS"]

#: Model families.
ARCHS = ("gan", "flow")


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Attributes:
        steps: optimiser steps of the generator (one discriminator step before each).
        batch_size: events per step (global; split across DDP ranks).
        lr_g, lr_d: Adam learning rates; betas: Adam betas.
        lr_decay: final learning rate as a fraction of the initial one (cosine schedule).
        gen_loss: 'hce' (hybrid, paper), 'heuristic' or 'minimax'.
        val_every: steps between validations (<MAP> on the validation split) and checkpoints.
        val_fraction: fraction of the data held out for validation; val_max_events caps it.
        patience: stop after this many validations without a better <MAP> (None: never).
        seed: seed of initialisation, data order, latents and noise.
        amp: bfloat16 autocast (GPU or CPU).
        device: 'auto', 'cpu', 'cuda', 'cuda:1', ...
        threads: torch intra-op threads on CPU (0: leave torch's default).
        ema: decay of the exponential moving average of the generator weights that is validated and saved
            (0 disables; warm-up min(ema, (1 + step) / (10 + step))). Smooths the GAN's step-to-step
            oscillations.
        energy_balance: alpha of E_nu-balanced batch sampling: rows drawn with probability proportional to
            (density of log E_nu)^-alpha (0: plain epochs, the paper; 1: flat in log E_nu; see
            :func:`nugan.training.loop.energy_balance_weights`).
        start_margin: with a validated starting point (transfer learning: the unadapted base model), a trained
            step replaces it only if its validation <MAP> is lower by more than ``start_margin`` times the
            starting point's validation noise (standard deviation of its <MAP> over
            :data:`~nugan.training.loop.NOISE_SEEDS` generator seeds). 0: plain "lowest <MAP> wins". Flows
            select on validation NLL: a trained step replaces the starting point only if its mean NLL is lower by
            more than ``start_margin`` standard errors of the per-event NLL difference (paired on the same events).
        grad_clip: clip the global gradient norm to this value (0: no clipping; flows use it).
    """

    steps: int = 20_000
    batch_size: int = 2048
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay: float = 0.1
    gen_loss: str = "hce"
    val_every: int = 1000
    val_fraction: float = 0.1
    val_max_events: int = 100_000
    patience: int | None = None
    seed: int = 0
    amp: bool = False
    device: str = "auto"
    threads: int = 0
    ema: float = 0.999
    energy_balance: float = 0.0
    start_margin: float = 0.0
    grad_clip: float = 0.0

    def __post_init__(self) -> None:
        check_field_types(self, "train config")
        if self.grad_clip < 0.0:
            raise ValueError(f"grad_clip must be >= 0, got {self.grad_clip}")
        if not 0.0 <= self.energy_balance <= 1.0:
            raise ValueError(f"energy_balance must be in [0, 1], got {self.energy_balance}")
        if self.start_margin < 0.0:
            raise ValueError(f"start_margin must be >= 0, got {self.start_margin}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), got {self.ema}")
        if self.gen_loss not in GENERATOR_LOSSES:
            raise ValueError(f"gen_loss must be one of {GENERATOR_LOSSES}, got {self.gen_loss!r}")
        if self.steps < 1 or self.batch_size < 2 or self.val_every < 1:
            raise ValueError("steps >= 1, batch_size >= 2 and val_every >= 1 are required")
        if not 0.0 < self.val_fraction < 0.5:
            raise ValueError(f"val_fraction must be in (0, 0.5), got {self.val_fraction}")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


#: Maximum-likelihood training of a flow from scratch (a nugan choice: Adam 1e-3 with standard betas, cosine
#: decay to 1e-5, gradient clipping, EMA of the weights, NLL validation every 500 steps).
FLOW_TRAIN_DEFAULTS = TrainConfig(
    steps=20_000, batch_size=4096, lr_g=1e-3, betas=(0.9, 0.999), lr_decay=0.01, val_every=500, ema=0.999, grad_clip=5.0
)


@dataclass(frozen=True)
class RunConfig:
    """Architecture (``arch`` selects the family) plus training settings."""

    gan: GANConfig = field(default_factory=GANConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    arch: str = "gan"
    flow: FlowConfig = field(default_factory=FlowConfig)

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")

    def to_dict(self) -> dict[str, Any]:
        if self.arch == "flow":
            return {"arch": "flow", "flow": self.flow.to_dict(), "train": dataclasses.asdict(self.train)}
        return {"gan": self.gan.to_dict(), "train": dataclasses.asdict(self.train)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], arch: str | None = None) -> RunConfig:
        """Build from a parsed file; ``arch`` (the command line's ``--arch``) overrides the file's."""
        unknown = set(d) - {"gan", "train", "flow", "arch"}
        if unknown:
            raise ValueError(f"unknown config section(s) {sorted(unknown)}; expected 'arch', 'gan', 'flow', 'train'")
        arch = arch or d.get("arch", "flow" if "flow" in d and "gan" not in d else "gan")
        if arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
        for sec in ("gan", "flow", "train"):
            if not isinstance(d.get(sec, {}), dict):
                raise ValueError(f"config section {sec!r} must be a table of fields, got {type(d[sec]).__name__}")
        t = dict(d.get("train", {}))
        names = {f.name for f in dataclasses.fields(TrainConfig)}
        bad = set(t) - names
        if bad:
            raise ValueError(f"unknown train config field(s) {sorted(bad)}; known: {sorted(names)}")
        if isinstance(t.get("betas"), list):
            t["betas"] = tuple(t["betas"])
        base = FLOW_TRAIN_DEFAULTS if arch == "flow" else TrainConfig()
        try:
            train = base.replace(**t)
        except TypeError as err:
            raise ValueError(f"invalid train config: {err}") from err
        return cls(
            GANConfig.from_dict(dict(d.get("gan", {}))), train, arch, FlowConfig.from_dict(dict(d.get("flow", {})))
        )


def load_run_config(path: str | Path | None, arch: str | None = None) -> RunConfig:
    """Read a TOML (.toml) or YAML (.yaml/.yml) config; None gives the defaults (of ``arch``, default GAN)."""
    if path is None:
        return RunConfig.from_dict({}, arch)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: config file not found")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            d = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            d = yaml.safe_load(text) or {}
        else:
            raise ValueError(f"{path}: config must be .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as err:
        raise ValueError(f"{path}: cannot parse config ({err})") from err
    if not isinstance(d, dict):
        raise ValueError(f"{path}: a config must be a mapping of sections, got {type(d).__name__}")
    try:
        return RunConfig.from_dict(d, arch)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None
