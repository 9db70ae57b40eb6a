"""Named layer ranges of style-based generators (GANSpace's and SeFa's coarse / middle /
fine) and parsing of user-typed ranges."""

from __future__ import annotations

import math

from guiapp.core.types import LayerRange

PRESETS = ("all", "coarse", "middle", "fine")


def layer_preset(name: str, num_ws: int) -> LayerRange:
    """The layers a preset names, for a generator with ``num_ws`` per-layer latents.

    Coarse is the first quarter (at most layers 0-3, StyleGAN's 4²-8² resolutions),
    middle the next as many, fine the rest: 0-3 / 4-7 / 8-17 for 18 latents. With too few
    layers to split, a preset falls back to something non-empty (all layers for 1).
    """
    if num_ws < 1:
        raise ValueError(f"num_ws must be at least 1, not {num_ws}")
    key = name.strip().lower()
    if key not in PRESETS:
        raise ValueError(f"unknown layer preset {name!r} (have: All, Coarse, Middle, Fine)")
    if key == "all" or num_ws == 1:
        return LayerRange.all(num_ws)
    coarse_stop = min(4, math.ceil(num_ws / 4))
    middle_stop = min(2 * coarse_stop, num_ws - 1)
    if key == "coarse":
        return LayerRange(0, coarse_stop)
    if key == "fine":
        return LayerRange(max(middle_stop, 1), num_ws)
    if middle_stop <= coarse_stop:  # 2 layers: no room for a middle band
        return LayerRange.all(num_ws)
    return LayerRange(coarse_stop, middle_stop)


def resolve_layers(text: str, num_ws: int) -> LayerRange:
    """A preset name (``coarse``...) or an inclusive ``START-END`` checked against
    ``num_ws``."""
    if text.strip().lower() in PRESETS:
        return layer_preset(text, num_ws)
    layers = LayerRange.parse_inclusive(text)
    layers.check(num_ws)
    return layers
