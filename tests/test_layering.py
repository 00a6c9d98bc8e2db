"""The import graph obeys the stage order: a module never imports a module of a higher stage.

Every module under ``src/nugan`` is parsed with :mod:`ast`; every ``import``/``from ... import`` counts, including
those inside functions (lazy imports are still dependencies). ``nugan/__init__.py`` is the package facade and may
reach up to ``nugan.generation``; it is the only exemption.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "nugan"

# Lowest first. The base layer (rank 0) is usable by every stage. Two places differ from the data-flow picture
# "physics -> events -> models -> training -> metrics": the simulator (physics) writes EventTables, so the
# event types sit below physics; training validates and stops early on MAP-3D, so metrics sit below training.
STAGES: tuple[tuple[str, ...], ...] = (
    ("nugan", "nugan.constants", "nugan.atomic"),
    ("nugan.events",),
    ("nugan.physics",),
    ("nugan.models",),
    ("nugan.metrics",),
    ("nugan.training",),
    ("nugan.measurements",),
    ("nugan.reports",),
    ("nugan.generation",),
    ("nugan.workflows",),
    ("nugan.commands", "nugan.cli"),
)
EXEMPT = {"nugan"}  # the facade: nugan.load lazily imports nugan.generation


def module_name(path: Path, src: Path = SRC) -> str:
    """Dotted module name of a file under ``src``."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> int:
    """Rank of the stage owning ``module`` (longest matching prefix); -1 for anything outside nugan."""
    best, best_len = -1, -1
    for rank, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = rank, len(prefix)
    return best


def imported_modules(path: Path, src: Path = SRC) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative imports resolved."""
    name = module_name(path, src)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from nugan import generation` imports a submodule: count each name as a possible module
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if base == "nugan"]
    return found


def back_edges(src: Path = SRC) -> list[str]:
    """Every import from a module to a module of a strictly higher stage."""
    edges = []
    for path in sorted((src / "nugan").rglob("*.py")):
        source = module_name(path, src)
        if source in EXEMPT:
            continue
        rank = stage_of(source)
        for line, target in imported_modules(path, src):
            if stage_of(target) > rank:
                edges.append(f"{path.relative_to(src)}:{line}: {source} -> {target}")
    return edges


def test_every_module_has_a_stage() -> None:
    unplaced = [module_name(p) for p in PACKAGE.rglob("*.py") if stage_of(module_name(p)) < 0]
    assert not unplaced


def test_no_import_from_a_lower_stage_to_a_higher_one() -> None:
    edges = back_edges()
    assert not edges, "back-edges in the stage order:\n" + "\n".join(edges)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from nugan.generation.sampler import sample_muon", True),
        ("def f():\n    from nugan.training import fit\n", True),
        ("import nugan.reports.html", True),
        ("from nugan import generation", True),
        ("from nugan.events.table import EventTable", False),
        ("from nugan.physics.xsec import XsecCurve", False),
        ("from nugan.metrics.map3d import map3d_result", True),
        ("from nugan.atomic import atomic_path", False),
        ("from . import table", False),
        ("from ..training import fit", True),
    ],
)
def test_the_checker_sees_back_edges(tmp_path: Path, source: str, expected: bool) -> None:
    """The checker itself: a module of nugan.models importing these is (or is not) a back-edge."""
    module = tmp_path / "nugan" / "models" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    assert bool(back_edges(tmp_path)) is expected
