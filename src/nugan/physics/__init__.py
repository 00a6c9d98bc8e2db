"""nugan's built-in CC-inclusive nu_mu / anti-nu_mu - nucleus event simulator (spec ``physics.md``).

NuWro-classic-like physics (Fermi gas + Llewellyn-Smith QE + Delta(1232) + Bodek-Yang DIS + empirical MEC),
tabulated once per (probe, target, model) and sampled at > 5e5 events/s.
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
