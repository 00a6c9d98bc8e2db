"""Model checkpoints: safetensors weights + a JSON description, written atomically.

A model is ``NAME.safetensors`` (generator and discriminator tensors, prefixed ``generator.`` and
``discriminator.``) beside ``NAME.json`` holding: format version, architecture config, variable transform,
domain (probe, target, interaction model), energy range, training-data fingerprint, parent model,
package version, training summary. Training state for ``--resume`` is ``state.safetensors`` (optimisers, RNG,
step, history).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from nugan import __version__
from nugan.atomic import atomic_path, atomic_write_text
from nugan.models.config import GANConfig
from nugan.models.networks import Discriminator, Generator
from nugan.models.transforms import VariableTransform

__all__ = [
    "FORMAT",
    "ModelBundle",
    "save_model",
    "load_model",
    "resolve_model_path",
    "data_fingerprint",
    "atomic_write_text",
    "shipped_models",
    "weights_sha256",
    "check_finite",
]

FORMAT = "nugan-cgan-1"
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "data" / "models"


def data_fingerprint(*arrays: np.ndarray) -> str:
    """sha256 over the raw bytes of the given arrays (first 16 hex digits) and their length."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return f"{h.hexdigest()[:16]}:{len(arrays[0]) if arrays else 0}"


def weights_sha256(path: str | Path) -> str:
    """sha256 (hex) of a weights file's bytes, recorded in model.json as ``weights_sha256``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_finite(tensors: dict[str, torch.Tensor], where: str) -> None:
    """Raise ValueError naming the first tensors with NaN or infinite entries."""
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"{where}: {len(bad)} weight tensor(s) hold NaN or infinite values (e.g. {bad[:3]}); "
                         "the model diverged or the file is damaged")


@dataclass
class ModelBundle:
    """A trained model in memory: networks, transform, config and its JSON description."""

    generator: Generator
    discriminator: Discriminator
    config: GANConfig
    transform: VariableTransform
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def energy_range(self) -> tuple[float, float]:
        return (self.transform.e_min, self.transform.e_max)

    def describe(self) -> dict[str, Any]:
        """The JSON description (architecture and transform refreshed from the objects)."""
        d = {k: v for k, v in self.info.items() if k != "path"}
        d.update(format=FORMAT, gan=self.config.to_dict(), transform=self.transform.to_dict(),
                 energy_range=list(self.energy_range))
        d.setdefault("nugan_version", __version__)
        return d


def save_model(bundle: ModelBundle, directory: str | Path, name: str = "model") -> Path:
    """Write ``directory/name.safetensors`` and ``directory/name.json`` atomically; returns the .json path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {f"generator.{k}": v.detach().cpu().contiguous() for k, v in bundle.generator.state_dict().items()}
    tensors.update(
        {f"discriminator.{k}": v.detach().cpu().contiguous() for k, v in bundle.discriminator.state_dict().items()}
    )
    check_finite(tensors, str(directory / f"{name}.safetensors"))
    with atomic_path(directory / f"{name}.safetensors") as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT})
        digest = weights_sha256(tmp)
    js = directory / f"{name}.json"
    atomic_write_text(js, json.dumps({**bundle.describe(), "weights_sha256": digest}, indent=1, sort_keys=True))
    return js


def shipped_models() -> dict[str, Path]:
    """Names of the models shipped with the package -> their JSON path."""
    if not SHIPPED_DIR.exists():
        return {}
    return {p.parent.name: p for p in sorted(SHIPPED_DIR.glob("*/model.json"))}


def resolve_model_path(spec: str | Path) -> Path:
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


def load_model(spec: str | Path, device: str | torch.device = "cpu") -> ModelBundle:
    """Load a model; clear errors for a corrupt file or a checkpoint of another architecture."""
    js = resolve_model_path(spec)
    try:
        info = json.loads(js.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{js}: not a nugan model description (not valid JSON text: {err})") from err
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        fmt = info.get("format") if isinstance(info, dict) else type(info).__name__
        raise ValueError(f"{js}: not a nugan cGAN checkpoint (format {fmt!r}, expected {FORMAT!r})")
    missing = [k for k in ("gan", "transform") if not isinstance(info.get(k), dict)]
    if missing:
        raise ValueError(f"{js}: the model description lacks the {' and '.join(map(repr, missing))} table(s) "
                         "(architecture / variable transform); it was not written by nugan or was edited")
    try:
        cfg = GANConfig.from_dict(info["gan"])
        transform = VariableTransform.from_dict(info["transform"])
    except (ValueError, TypeError) as err:
        raise ValueError(f"{js}: {err}") from None
    st = js.with_suffix(".safetensors")
    if not st.exists():
        raise FileNotFoundError(f"{st}: weights file missing next to {js.name}")
    expected_hash = info.get("weights_sha256")
    if expected_hash is not None and weights_sha256(st) != expected_hash:
        raise ValueError(f"{st}: the weights do not match the sha256 recorded in {js.name} (the file is corrupted "
                         "or was replaced); restore it or train the model again")
    try:
        tensors = load_file(str(st))
    except (SafetensorError, OSError) as err:
        raise ValueError(f"{st}: corrupt or unreadable weights ({err})") from err
    check_finite(tensors, str(st))
    gen, disc = Generator(cfg), Discriminator(cfg, transform)
    for prefix, net in (("generator.", gen), ("discriminator.", disc)):
        sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        expected = net.state_dict()
        missing = sorted(set(expected) - set(sd))
        extra = sorted(set(sd) - set(expected))
        wrong = [k for k in expected if k in sd and sd[k].shape != expected[k].shape]
        if missing or extra or wrong:
            raise ValueError(
                f"{st}: weights do not fit the architecture in {js.name} ({prefix[:-1]}: "
                f"{len(missing)} missing, {len(extra)} unexpected, {len(wrong)} wrong-shape tensors, "
                f"e.g. {(missing + extra + wrong)[:3]}); the checkpoint is for another architecture"
            )
        net.load_state_dict(sd)
    gen.to(device).eval()
    disc.to(device).eval()
    info["path"] = str(js)
    return ModelBundle(gen, disc, cfg, transform, info)
