"""Cross-section curves of a checkpoint: :func:`attach_xsec` stores one in a model's JSON.

The curves themselves (:class:`XsecCurve`, :func:`from_simulator`, ...) live in :mod:`nugan.physics.xsec`;
they are re-exported here for backwards compatibility.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nugan.atomic import atomic_write_text
from nugan.models.checkpoint import resolve_model_path
from nugan.physics.xsec import (
    SOURCE_FLAT_FLUX,
    SOURCE_SIMULATOR,
    SOURCE_USER,
    XsecCurve,
    check_xsec_dict,
    estimate_from_flat_flux_sample,
    from_simulator,
    is_flat_flux_sample,
    load_user_xsec,
    xsec_for_training_data,
)

__all__ = [
    "SOURCE_SIMULATOR",
    "SOURCE_FLAT_FLUX",
    "SOURCE_USER",
    "XsecCurve",
    "estimate_from_flat_flux_sample",
    "from_simulator",
    "load_user_xsec",
    "xsec_for_training_data",
    "is_flat_flux_sample",
    "attach_xsec",
    "check_xsec_dict",
]


def attach_xsec(model_json_path: str | os.PathLike[str], xsec_dict: Mapping[str, Any]) -> Path:
    """Store ``xsec_dict`` as ``info["xsec"]`` of an existing checkpoint JSON, atomically.

    Args:
        model_json_path: the checkpoint's ``model.json``, its directory or a shipped model name.
        xsec_dict: ``{"E", "sigma_cm2", "source"}`` (validated; extra keys are kept).

    Returns:
        The JSON path written.
    """
    js = resolve_model_path(model_json_path)
    try:
        info = json.loads(js.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{js}: model description is not valid JSON ({err})") from None
    if not isinstance(info, dict):
        raise ValueError(f"{js}: model description is not a JSON object")
    entry = {**dict(xsec_dict), **check_xsec_dict(xsec_dict)}
    for k, v in entry.items():
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"cross section entry {k!r} is not finite")
    info["xsec"] = entry
    atomic_write_text(js, json.dumps(info, indent=1, sort_keys=True))
    return js
