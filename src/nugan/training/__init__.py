"""Training: pre-training, transfer learning, training from scratch, checkpoints, distributed."""

from __future__ import annotations

from nugan.models.checkpoint import ModelBundle, load_model, save_model
from nugan.training.config import RunConfig, TrainConfig, load_run_config
from nugan.training.loop import FitResult, fit
from nugan.training.runs import pretrain, scratch, transfer

__all__ = [
    "ModelBundle",
    "load_model",
    "save_model",
    "RunConfig",
    "TrainConfig",
    "load_run_config",
    "FitResult",
    "fit",
    "pretrain",
    "transfer",
    "scratch",
]
