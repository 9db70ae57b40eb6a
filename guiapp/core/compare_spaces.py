"""Which direction sets a model can compare but not edit (no torch: the window's store asks).

A model with a mapping network edits w; z directions of the same model (an imported set, a
method run in z elsewhere) still have an effect in its images: a move in z, mapped to w.
Such a set joins the workspace to be compared with the w sets by effect
(:mod:`guiapp.core.compare_effect`); its directions are not edited there, since every edit
moves w.
"""

from __future__ import annotations

from guiapp.core.types import DirectionSet


def compare_only(ds: DirectionSet, z_dim: int, w_dim: int | None) -> bool:
    """Whether ``ds`` holds plain z directions of a model that edits w (``w_dim`` given)."""
    return (w_dim is not None and ds.space == "z" and ds.dim == z_dim
            and ds.conditional is None)
