"""The torch-free half of model checkpoints: where a model is, its JSON description, its weights file, checks.

Shared by the torch loader (:func:`nugan.models.checkpoint.load_model`) and the NumPy engine
(:mod:`nugan.models.numpy_engine`), so that both give the same errors for a bad or mismatched checkpoint.
Weights are read with safetensors only (never pickle).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nugan.models.config import GANConfig
from nugan.models.transforms import VariableTransform

if TYPE_CHECKING:
    from nugan.models.flow import FlowConfig

__all__ = [
    "FORMAT",
    "FLOW_FORMAT",
    "SHIPPED_DIR",
    "Description",
    "read_description",
    "resolve_model_path",
    "shipped_models",
    "weights_sha256",
    "finite_error",
    "read_tensors",
    "check_tensor_shapes",
]

FORMAT = "nugan-cgan-1"
FLOW_FORMAT = "nugan-flow-1"
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "data" / "models"


def weights_sha256(path: str | Path) -> str:
    """sha256 (hex) of a weights file's bytes, recorded in model.json as ``weights_sha256``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shipped_models() -> dict[str, Path]:
    """Names of the models shipped with the package -> their JSON path."""
    if not SHIPPED_DIR.exists():
        return {}
    return {p.parent.name: p for p in sorted(SHIPPED_DIR.glob("*/model.json"))}


def resolve_model_path(spec: str | os.PathLike[str]) -> Path:
    """JSON path of a model given as a shipped name, a run directory, or a .json/.safetensors file."""
    shipped = shipped_models()
    if str(spec) in shipped:
        return shipped[str(spec)]
    p = Path(spec)
    if p.is_dir():
        p = p / "model.json"
    elif p.suffix == ".safetensors":
        p = p.with_suffix(".json")
    if not p.exists():
        names = ", ".join(shipped) or "none"
        raise FileNotFoundError(f"{spec}: no nugan model there (shipped models: {names})")
    return p


class Description:
    """A checked model description: JSON path, its contents, format and architecture section name."""

    def __init__(self, js: Path, info: dict[str, Any], fmt: str) -> None:
        self.js = js
        self.info = info
        self.format = fmt
        self.arch = "gan" if fmt == FORMAT else "flow"

    @property
    def weights(self) -> Path:
        """The ``.safetensors`` file beside the JSON."""
        return self.js.with_suffix(".safetensors")

    def architecture(self) -> tuple[GANConfig | FlowConfig, VariableTransform]:
        """(architecture config, variable transform); ValueError naming the file on a bad entry.

        A flow's config class lives with the (torch) flow network and is imported only for a flow.
        """
        try:
            if self.arch == "gan":
                return GANConfig.from_dict(self.info["gan"]), VariableTransform.from_dict(self.info["transform"])
            from nugan.models.flow import FlowConfig

            return FlowConfig.from_dict(self.info["flow"]), VariableTransform.from_dict(self.info["transform"])
        except (ValueError, TypeError) as err:
            raise ValueError(f"{self.js}: {err}") from None

    def checked_weights(self) -> Path:
        """The weights file after checking that it exists and matches the recorded sha256."""
        st = self.weights
        if not st.exists():
            raise FileNotFoundError(f"{st}: weights file missing next to {self.js.name}")
        expected_hash = self.info.get("weights_sha256")
        if expected_hash is not None and weights_sha256(st) != expected_hash:
            raise ValueError(
                f"{st}: the weights do not match the sha256 recorded in {self.js.name} (the file is corrupted "
                "or was replaced); restore it or train the model again"
            )
        return st


def read_description(spec: str | os.PathLike[str]) -> Description:
    """Find and read a model's JSON description; clear errors for a file that is not a nugan model."""
    js = resolve_model_path(spec)
    try:
        info = json.loads(js.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{js}: not a nugan model description (not valid JSON text: {err})") from err
    fmt = info.get("format") if isinstance(info, dict) else type(info).__name__
    if fmt not in (FORMAT, FLOW_FORMAT):
        raise ValueError(
            f"{js}: not a nugan model checkpoint (format {fmt!r}, expected {FORMAT!r} for a GAN "
            f"or {FLOW_FORMAT!r} for a flow)"
        )
    section = "gan" if fmt == FORMAT else "flow"
    missing = [k for k in (section, "transform") if not isinstance(info.get(k), dict)]
    if missing:
        raise ValueError(
            f"{js}: the model description lacks the {' and '.join(map(repr, missing))} table(s) "
            "(architecture / variable transform); it was not written by nugan or was edited"
        )
    return Description(js, info, str(fmt))


def read_tensors(st: Path, load: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """``load(st)`` (a safetensors ``load_file``: torch or NumPy tensors); ValueError for a damaged file."""
    from safetensors import SafetensorError

    try:
        return load(str(st))
    except (SafetensorError, OSError) as err:
        raise ValueError(f"{st}: corrupt or unreadable weights ({err})") from err


def finite_error(bad: list[str], where: str) -> None:
    """Raise ValueError for the weight tensors named in ``bad`` (NaN or infinite entries), if any."""
    if bad:
        raise ValueError(
            f"{where}: {len(bad)} weight tensor(s) hold NaN or infinite values (e.g. {bad[:3]}); "
            "the model diverged or the file is damaged"
        )


def check_tensor_shapes(
    tensors: Mapping[str, Any], expected: Mapping[str, tuple[int, ...]], prefix: str, st: Path, js: Path
) -> dict[str, Any]:
    """The ``prefix``-ed tensors (prefix removed) after checking names and shapes against ``expected``;
    ValueError when they do not fit the architecture."""
    sd = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing = sorted(set(expected) - set(sd))
    extra = sorted(set(sd) - set(expected))
    wrong = [k for k in expected if k in sd and tuple(sd[k].shape) != tuple(expected[k])]
    if missing or extra or wrong:
        raise ValueError(
            f"{st}: weights do not fit the architecture in {js.name} ({prefix[:-1]}: "
            f"{len(missing)} missing, {len(extra)} unexpected, {len(wrong)} wrong-shape tensors, "
            f"e.g. {(missing + extra + wrong)[:3]}); the checkpoint is for another architecture"
        )
    return sd
