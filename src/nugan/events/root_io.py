"""uproot helpers shared by the ROOT readers: open a tree, read leaves, with clear errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["root_keys", "open_tree", "read_leaves", "root_error"]


def root_error(path: str | os.PathLike[str], err: Exception) -> ValueError:
    """ValueError naming the file for a failure inside uproot (truncated or corrupt file)."""
    return ValueError(
        f"{path}: cannot read the ROOT file; it looks truncated or corrupt "
        f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
    )


def root_keys(path: str | os.PathLike[str]) -> dict[str, str]:
    """Top-level object names (cycle stripped) -> ROOT class name."""
    import uproot

    try:
        with uproot.open(path) as f:
            return {k.split(";")[0]: v for k, v in f.classnames().items()}
    except Exception as err:  # uproot raises many types for damaged files
        raise root_error(path, err) from err


def open_tree(path: str | os.PathLike[str], name: str) -> Any:
    """The TTree ``name`` of a ROOT file (the file stays open until the tree is dropped)."""
    import uproot

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        f = uproot.open(path)
    except Exception as err:
        raise root_error(path, err) from err
    if name not in f:
        keys = sorted({k.split(";")[0] for k in f.keys(recursive=False)})
        raise ValueError(f"{path}: ROOT file has no tree {name!r} (it holds {keys})")
    try:
        return f[name]
    except Exception as err:
        raise root_error(path, err) from err


def read_leaves(
    tree: Any, leaves: dict[str, str], path: str | os.PathLike[str], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Read ``{alias: leaf path}`` from ``tree`` as awkward arrays.

    Aliases listed in ``optional`` are left out when their leaf is absent; a missing required leaf
    raises ValueError naming it.
    """
    present = set(tree.keys(recursive=True))
    missing = [v for k, v in leaves.items() if v not in present and k not in optional]
    if missing:
        raise ValueError(f"{path}: tree {tree.name!r} lacks the branch(es) {missing}")
    out: dict[str, Any] = {}
    for alias, leaf in leaves.items():
        if leaf not in present:
            continue
        try:
            out[alias] = tree[leaf].array(library="ak")
        except Exception as err:
            raise root_error(path, err) from err
    return out
