"""Which direction sets a model can compare but not edit (no torch: the window's store asks).

A model with a mapping network edits w; z directions of the same model (an imported set, a
method run in z elsewhere) still have an effect in its images: a move in z, mapped to w.
Such a set joins the workspace to be compared with the w sets by effect
(:mod:`guiapp.core.compare_effect`); its directions are not edited there, since every edit
moves w.
"""

from __future__ import annotations

from typing import Any

from guiapp.core.types import DirectionSet


def compare_only(ds: DirectionSet, z_dim: int, w_dim: int | None) -> bool:
    """Whether ``ds`` holds plain z directions of a model that edits w (``w_dim`` given)."""
    return (w_dim is not None and ds.space == "z" and ds.dim == z_dim
            and ds.conditional is None)


def compare_only_in(workspace: Any, set_id: int | None, info: Any) -> bool:
    """Whether set ``set_id`` of ``workspace`` is compare-only on a model with ``info``
    (``z_dim``, ``w_dim``); False without a model or for a set not there."""
    if info is None or set_id is None or set_id not in workspace.ids:
        return False
    return compare_only(workspace.get(set_id).directions, info.z_dim, info.w_dim)
