"""The bounds of an animation, without torch (the CLI's argument parser reads them)."""

from __future__ import annotations

MIN_FRAMES = 2
MAX_FRAMES = 2000
"""Frames of one animation: 2000 is over a minute at 30 fps; a bigger number is a typo."""
DEFAULT_BATCH = 8
"""Latents rendered together."""
MORPH_SPACES = ("z", "w")
