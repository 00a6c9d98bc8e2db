"""Model checkpoints: safetensors weights + a JSON description, written atomically.

A model is ``NAME.safetensors`` beside ``NAME.json``. Two model families share the layout, told apart by the
JSON ``format``: a conditional GAN (``nugan-cgan-1``; tensors prefixed ``generator.`` and ``discriminator.``)
and a conditional normalising flow (``nugan-flow-1``; tensors prefixed ``flow.``). The JSON holds: format
version, architecture config, variable transform,
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
from safetensors.torch import load_file, save_file

from nugan import __version__
from nugan.atomic import atomic_path, atomic_write_text
from nugan.models.config import GANConfig
from nugan.models.description import (
    FLOW_FORMAT,
    FORMAT,
    SHIPPED_DIR,
    check_tensor_shapes,
    finite_error,
    read_description,
    read_tensors,
    resolve_model_path,
    shipped_models,
    weights_sha256,
)
from nugan.models.flow import ConditionalFlow, FlowConfig, FlowSampler
from nugan.models.networks import Discriminator, Generator
from nugan.models.transforms import VariableTransform

__all__ = [
    "FORMAT",
    "FLOW_FORMAT",
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
    "SHIPPED_DIR",
]


def data_fingerprint(*arrays: np.ndarray) -> str:
    """sha256 over the raw bytes of the given arrays (first 16 hex digits) and their length."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return f"{h.hexdigest()[:16]}:{len(arrays[0]) if arrays else 0}"


def check_finite(tensors: dict[str, torch.Tensor], where: str) -> None:
    """Raise ValueError naming the first tensors with NaN or infinite entries."""
    finite_error([k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())], where)


class _BundleDescription:
    """What both model families share: the energy range and the JSON description. Subclasses set ``arch``
    (the ``--arch`` name, also the JSON section of the architecture) and ``format`` (the JSON ``format``)."""

    arch: str
    format: str
    config: GANConfig | FlowConfig
    transform: VariableTransform
    info: dict[str, Any]

    @property
    def energy_range(self) -> tuple[float, float]:
        return (self.transform.e_min, self.transform.e_max)

    def describe(self) -> dict[str, Any]:
        """The JSON description (architecture and transform refreshed from the objects)."""
        d = {k: v for k, v in self.info.items() if k != "path"}
        d.update(
            {
                "format": self.format,
                self.arch: self.config.to_dict(),
                "transform": self.transform.to_dict(),
                "energy_range": list(self.energy_range),
            }
        )
        d.setdefault("nugan_version", __version__)
        return d


@dataclass
class ModelBundle(_BundleDescription):
    """A trained model in memory: networks, transform, config and its JSON description."""

    generator: Generator
    discriminator: Discriminator
    config: GANConfig
    transform: VariableTransform
    info: dict[str, Any] = field(default_factory=dict)

    arch = "gan"
    format = FORMAT

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every weight, prefixed by its network's name, on CPU."""
        t = {f"generator.{k}": v for k, v in self.generator.state_dict().items()}
        t.update({f"discriminator.{k}": v for k, v in self.discriminator.state_dict().items()})
        return {k: v.detach().cpu().contiguous() for k, v in t.items()}


@dataclass
class FlowBundle(_BundleDescription):
    """A conditional normalising flow in memory: network, transform, config and JSON description.

    ``generator`` is the flow seen as a sampler ``(z, e) -> u`` (latent dimension 2), so that sampling code
    serves both families; ``flow.log_prob(u, e)`` is its exact density in network space.
    """

    flow: ConditionalFlow
    config: FlowConfig
    transform: VariableTransform
    info: dict[str, Any] = field(default_factory=dict)

    arch = "flow"
    format = FLOW_FORMAT

    @property
    def generator(self) -> FlowSampler:
        return FlowSampler(self.flow)

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every weight, prefixed ``flow.``, on CPU."""
        return {f"flow.{k}": v.detach().cpu().contiguous() for k, v in self.flow.state_dict().items()}


#: Either model family.
Bundle = ModelBundle | FlowBundle


def save_model(bundle: Bundle, directory: str | Path, name: str = "model") -> Path:
    """Write ``directory/name.safetensors`` and ``directory/name.json`` atomically; returns the .json path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = bundle.tensors()
    check_finite(tensors, str(directory / f"{name}.safetensors"))
    with atomic_path(directory / f"{name}.safetensors") as tmp:
        save_file(tensors, str(tmp), metadata={"format": bundle.format})
        digest = weights_sha256(tmp)
    js = directory / f"{name}.json"
    atomic_write_text(js, json.dumps({**bundle.describe(), "weights_sha256": digest}, indent=1, sort_keys=True))
    return js


def load_model(spec: str | Path, device: str | torch.device = "cpu") -> Bundle:
    """Load a model of either family; clear errors for a corrupt file or a checkpoint of another architecture."""
    desc = read_description(spec)
    js, info = desc.js, desc.info
    cfg, transform = desc.architecture()
    st = desc.checked_weights()
    tensors = read_tensors(st, load_file)
    check_finite(tensors, str(st))
    info["path"] = str(js)
    if isinstance(cfg, FlowConfig):
        flow = ConditionalFlow(cfg)
        _load_weights(flow, tensors, "flow.", st, js)
        flow.to(device).eval()
        return FlowBundle(flow, cfg, transform, info)
    gen, disc = Generator(cfg), Discriminator(cfg, transform)
    for prefix, net in (("generator.", gen), ("discriminator.", disc)):
        _load_weights(net, tensors, prefix, st, js)
    gen.to(device).eval()
    disc.to(device).eval()
    return ModelBundle(gen, disc, cfg, transform, info)


def _load_weights(net: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str, st: Path, js: Path) -> None:
    """Load the ``prefix``-ed tensors into ``net``; a clear error when they do not fit its architecture."""
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    net.load_state_dict(check_tensor_shapes(tensors, expected, prefix, st, js))
