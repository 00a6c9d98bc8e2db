"""nugan's built-in CC-inclusive nu_mu / anti-nu_mu - nucleus event simulator (spec ``physics.md``).

NuWro-classic-like physics (Fermi gas + Llewellyn-Smith QE + Delta(1232) + Bodek-Yang DIS + 2p2h); the default
model adds an SRC tail, per-nucleus binding, a Coulomb shift, TEM 2p2h on moving pairs and the second/third
resonance region (docs/physics.md). Tabulated once per (probe, target, model) and sampled at > 1e6 events/s.
"""

from __future__ import annotations

from nugan.physics.models import ModelParams, get_model, list_models
from nugan.physics.simulate import simulate, simulate_to_file
from nugan.physics.tables import XsecTable, cross_section_table

__all__ = [
    "simulate",
    "simulate_to_file",
    "cross_section_table",
    "XsecTable",
    "list_models",
    "get_model",
    "ModelParams",
]
