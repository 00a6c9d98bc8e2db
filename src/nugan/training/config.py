"""Training configuration as typed dataclasses, loadable from TOML or YAML.

A config file has an optional ``[gan]`` table (:class:`nugan.models.GANConfig` fields) and a ``[train]``
table (:class:`TrainConfig` fields)::

    [gan]
    gen_width = 128
    [train]
    steps = 20000
    batch_size = 2048
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nugan.models.config import GANConfig, check_field_types
from nugan.models.losses import GENERATOR_LOSSES

__all__ = ["TrainConfig", "RunConfig", "load_run_config"]


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
            :data:`~nugan.training.loop.NOISE_SEEDS` generator seeds). 0: plain "lowest <MAP> wins".
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

    def __post_init__(self) -> None:
        check_field_types(self, "train config")
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


@dataclass(frozen=True)
class RunConfig:
    """Architecture plus training settings."""

    gan: GANConfig = field(default_factory=GANConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return {"gan": self.gan.to_dict(), "train": dataclasses.asdict(self.train)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        unknown = set(d) - {"gan", "train"}
        if unknown:
            raise ValueError(f"unknown config section(s) {sorted(unknown)}; expected 'gan' and 'train'")
        t = dict(d.get("train", {}))
        names = {f.name for f in dataclasses.fields(TrainConfig)}
        bad = set(t) - names
        if bad:
            raise ValueError(f"unknown train config field(s) {sorted(bad)}; known: {sorted(names)}")
        if isinstance(t.get("betas"), list):
            t["betas"] = tuple(t["betas"])
        return cls(GANConfig.from_dict(dict(d.get("gan", {}))), TrainConfig(**t))


def load_run_config(path: str | Path | None) -> RunConfig:
    """Read a TOML (.toml) or YAML (.yaml/.yml) config; None gives the defaults."""
    if path is None:
        return RunConfig()
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
    if not isinstance(d, dict) or not all(isinstance(v, dict) for v in d.values()):
        raise ValueError(f"{path}: a config holds tables [gan] and [train] of field = value lines")
    try:
        return RunConfig.from_dict(d)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from None
