"""Backwards-compatible home of model checkpoints; the code lives in :mod:`nugan.models.checkpoint`."""

from nugan.models.checkpoint import (
    FLOW_FORMAT,
    FORMAT,
    SHIPPED_DIR,
    Bundle,
    FlowBundle,
    ModelBundle,
    check_finite,
    data_fingerprint,
    load_model,
    resolve_model_path,
    save_model,
    shipped_models,
    weights_sha256,
)

__all__ = [
    "FORMAT",
    "FLOW_FORMAT",
    "SHIPPED_DIR",
    "ModelBundle",
    "FlowBundle",
    "Bundle",
    "save_model",
    "load_model",
    "resolve_model_path",
    "data_fingerprint",
    "shipped_models",
    "weights_sha256",
    "check_finite",
]
