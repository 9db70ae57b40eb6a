"""Named layer ranges of style-based generators, and parsing of user-typed ranges.

Two families of presets:

- StyleGAN-style coarse / middle / fine (Karras et al. 2019 name the 4²-8², 16²-32² and
  64²+ resolutions so): the first quarter of the per-layer latents (at most 4), the next
  as many, the rest; 0-3 / 4-7 / 8-13 at 14 latents. The methods' papers do not define
  these; they are the common StyleGAN convention.
- SeFa's own groups, as its interface offers them (Shen & Zhou 2021, genforce/sefa
  ``interface.py``: "all", "0-1", "2-5", "6-13"): layers 0-1, 2-5 and 6 to the end.
"""

from __future__ import annotations

import math

from guiapp.core.types import LayerRange

PRESETS = ("all", "coarse", "middle", "fine")
"""The StyleGAN-style presets (every method's layer pickers)."""
SEFA_PRESETS = ("sefa 0-1", "sefa 2-5", "sefa 6-end")
"""SeFa's interface groups (the SeFa page offers them besides :data:`PRESETS`)."""
ALL_PRESETS = PRESETS + SEFA_PRESETS
_SEFA_GROUPS = {"sefa 0-1": (0, 2), "sefa 2-5": (2, 6), "sefa 6-end": (6, None)}


def _key(name: str) -> str:
    """``"SeFa 0-1"``, ``"sefa-0-1"`` and ``"sefa 0-1"`` name the same preset."""
    key = " ".join(name.strip().lower().split())
    return key.replace("sefa-", "sefa ", 1) if key.startswith("sefa-") else key


def is_preset(name: str) -> bool:
    """Whether ``name`` names a preset of :data:`ALL_PRESETS` (any case, '-' or ' ')."""
    return _key(name) in ALL_PRESETS


def layer_preset(name: str, num_ws: int) -> LayerRange:
    """The layers a preset names, for a generator with ``num_ws`` per-layer latents.

    Coarse is the first quarter (at most layers 0-3, StyleGAN's 4²-8² resolutions),
    middle the next as many, fine the rest: 0-3 / 4-7 / 8-17 for 18 latents. SeFa's groups
    are fixed: 0-1, 2-5, 6-end. With too few layers to split, a preset falls back to
    something non-empty (all layers for 1; the last layers for a SeFa group past the end).
    """
    if num_ws < 1:
        raise ValueError(f"num_ws must be at least 1, not {num_ws}")
    key = _key(name)
    if key not in ALL_PRESETS:
        raise ValueError(
            f"unknown layer preset {name!r} (have: All, Coarse, Middle, Fine, "
            "SeFa 0-1, SeFa 2-5, SeFa 6-end)"
        )
    if key == "all" or num_ws == 1:
        return LayerRange.all(num_ws)
    if key in _SEFA_GROUPS:
        start, stop = _SEFA_GROUPS[key]
        stop = num_ws if stop is None else min(stop, num_ws)
        return LayerRange(min(start, num_ws - 1), max(stop, min(start, num_ws - 1) + 1))
    coarse_stop = min(4, math.ceil(num_ws / 4))
    middle_stop = min(2 * coarse_stop, num_ws - 1)
    if key == "coarse":
        return LayerRange(0, coarse_stop)
    if key == "fine":
        return LayerRange(max(middle_stop, 1), num_ws)
    if middle_stop <= coarse_stop:  # 2 layers: no room for a middle band
        return LayerRange.all(num_ws)
    return LayerRange(coarse_stop, middle_stop)


def preset_tooltip(name: str, num_ws: int) -> str:
    """One line saying which layers ``name`` takes at ``num_ws`` latents, and whose
    grouping it is."""
    layers = layer_preset(name, num_ws).inclusive_text()
    key = _key(name)
    if key == "all":
        return f"Layers {layers}: every per-layer latent"
    if key in _SEFA_GROUPS:
        return f"Layers {layers} of 0-{num_ws - 1}: SeFa's own layer group ({key[5:]})"
    return (f"Layers {layers} of 0-{num_ws - 1}: StyleGAN-style {key} layers "
            "(first quarter, at most 4 / the next as many / the rest)")


def resolve_layers(text: str, num_ws: int) -> LayerRange:
    """A preset name (``coarse``, ``sefa 0-1``...) or an inclusive ``START-END`` checked
    against ``num_ws``."""
    if is_preset(text):
        return layer_preset(text, num_ws)
    layers = LayerRange.parse_inclusive(text)
    layers.check(num_ws)
    return layers
