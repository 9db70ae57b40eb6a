"""Sane bounds for the structural settings a model file declares, and finite weights.

Every network builder checks its settings here before it allocates anything, so a file
of a few bytes that claims ``z_dim = 10**12``, 400 000 mapping layers, ``channel_base =
2**40`` or a 100 000-tap resampling kernel is refused with one line instead of building a
network the size of the claim. The bounds are far above every published generator
(StyleGAN3 at 1024 px: 512-D latents, 14 layers, 1024 channels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch

from guiapp.core.errors import ModelLoadError

MAX_LATENT = 8192
MAX_CLASSES = 100_000
MAX_RESOLUTION = 4096
MAX_CHANNELS = 8192
MAX_CHANNEL_BASE = 2**22
MAX_IMG_CHANNELS = 4
MAX_MAPPING_LAYERS = 64
MAX_LAYERS = 64
MAX_FILTER_TAPS = 64
MAX_MARGIN = 512
MAX_KERNEL = 15


def shown(value: Any) -> str:
    """A short repr, safe for 5000-digit integers and long strings."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"a {len(str(abs(value))) if abs(value) < 10**4000 else 'many'}-digit number"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_int(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in ``low..high``; ValueError naming the setting otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"setting {name}={shown(value)} is not an integer")
    if not low <= int(value) <= high:
        raise ValueError(f"setting {name}={shown(value)} is outside the supported {low}..{high}")
    return int(value)


def check_float(name: str, value: Any, low: float, high: float, *, none_ok: bool = False) -> Any:
    """``value`` as a finite float in ``low..high`` (or None where allowed)."""
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"setting {name}={shown(value)} is not a number")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(
            f"setting {name}={shown(value)} is outside the supported {low:g}..{high:g}"
        )
    return number


_SHARED_SIZES = (
    ("z_dim", 1, MAX_LATENT),
    ("w_dim", 1, MAX_LATENT),
    ("c_dim", 0, MAX_CLASSES),
    ("img_channels", 1, MAX_IMG_CHANNELS),
    ("channel_base", 1, MAX_CHANNEL_BASE),
    ("channel_max", 1, MAX_CHANNELS),
    ("mapping_layers", 1, MAX_MAPPING_LAYERS),
)


def check_style_sizes(config: Any) -> None:
    """The sizes StyleGAN2 and StyleGAN3 configs share: latents, classes, channels, mapping."""
    for name, low, high in _SHARED_SIZES:
        check_int(name, getattr(config, name), low, high)
    check_float("mapping_lr", config.mapping_lr, 1e-8, 1e3)


def check_filter(name: str, taps: Iterable[Any]) -> tuple[float, ...]:
    """A resampling kernel: 1..MAX_FILTER_TAPS finite taps that do not sum to zero."""
    taps = tuple(taps)
    if not 1 <= len(taps) <= MAX_FILTER_TAPS:
        raise ValueError(f"setting {name} has {len(taps)} taps; 1..{MAX_FILTER_TAPS} are supported")
    values = tuple(check_float(f"{name} tap", t, -1e6, 1e6) for t in taps)
    if sum(values) == 0:
        raise ValueError(f"setting {name} sums to zero, so it cannot be normalised")
    return values


def check_progressive_sizes(resolution: int, img_channels: int, channels: Mapping[int, int],
                            resolutions: list[int], low: int = 4) -> None:
    """The sizes progressive generators (PGGAN, StyleGAN v1) share: a power-of-two
    resolution, the image channels, and one channel width per resolution 4..full."""
    check_int("resolution", resolution, low, MAX_RESOLUTION)
    if resolution & (resolution - 1):
        raise ValueError(f"resolution {resolution} is not a power of two")
    check_int("num_channels", img_channels, 1, MAX_IMG_CHANNELS)
    if sorted(channels) != resolutions:
        raise ValueError("the channel widths do not cover every resolution 4..full")
    for r, c in channels.items():
        check_int(f"channels at {r}x{r}", c, 1, MAX_CHANNELS)


LOAD_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)
"""What a reader's checks raise on a malformed file (turned into one ModelLoadError)."""


def guarded_build(build: Callable[[], Any], family: str) -> Any:
    """``build()``, with a malformed file's error as one ``ModelLoadError`` naming the family."""
    try:
        return build()
    except ModelLoadError:
        raise
    except LOAD_ERRORS as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(
            f"malformed {family} generator ({type(exc).__name__}: {first})") from None


def _finite(value: torch.Tensor) -> bool:
    """One reduction pass (NaN propagates through min and max), 20x faster than
    ``isfinite(...).all()`` on a large tensor."""
    low, high = torch.aminmax(value.detach().reshape(-1).float() if value.dtype in (
        torch.float16, torch.bfloat16) else value.detach().reshape(-1))
    return bool(torch.isfinite(low)) and bool(torch.isfinite(high))


def check_finite(tensors: Mapping[str, torch.Tensor]) -> None:
    """Refuse NaN or infinite weights: they render a blank or garbage image silently."""
    for key, value in tensors.items():
        floating = isinstance(value, torch.Tensor) and value.is_floating_point()
        if floating and value.numel() and not _finite(value):
            raise ModelLoadError(
                f"weight {key!r} holds NaN or infinite values; the file is damaged"
            )
