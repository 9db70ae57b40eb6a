"""Upscaling saved images by a whole factor, with the filters named in the PNG metadata
(``resample``). No torch: the window imports it at start-up."""

from __future__ import annotations

import numpy as np
from PIL import Image

RESAMPLE = {"nearest": Image.Resampling.NEAREST, "lanczos": Image.Resampling.LANCZOS}
"""Filters by the names the CLI (``--resample``) and the image metadata use."""


def upscale(image: np.ndarray, scale: int, resample: str = "nearest") -> np.ndarray:
    """(H, W, 3) uint8 -> (H*scale, W*scale, 3); "nearest" keeps pixels crisp, "lanczos"
    smooths (the window's choice)."""
    if resample not in RESAMPLE:
        raise ValueError(f"resample must be one of {', '.join(RESAMPLE)}, not {resample!r}")
    if scale == 1:
        return image
    h, w = image.shape[:2]
    return np.asarray(Image.fromarray(image).resize((w * scale, h * scale), RESAMPLE[resample]))
