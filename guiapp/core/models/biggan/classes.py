"""ImageNet-1k class names (package data) and BigGAN's truncated-normal seeds.

The names are torchvision's list (BSD-3-Clause, see
``guiapp/resources/biggan/imagenet_classes.LICENSE``), one per line in class-index order.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from guiapp.core.package_data import package_resources

IMAGENET_CLASSES = 1000
TRUNCATION_BOUND = 2.0
"""``truncated_noise_sample`` draws from the standard normal truncated to [-2, 2]."""


@lru_cache(maxsize=1)
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet-1k names, index ``i`` naming class ``i``."""
    path = package_resources() / "biggan" / "imagenet_classes.txt"
    names = tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip())
    if len(names) != IMAGENET_CLASSES:
        raise RuntimeError(f"{path} lists {len(names)} names, not {IMAGENET_CLASSES}")
    return names


def class_names(num_classes: int) -> tuple[str, ...]:
    """ImageNet's names for a 1000-class model, else ``class 0`` ... ``class n-1``."""
    if num_classes == IMAGENET_CLASSES:
        return imagenet_class_names()
    return tuple(f"class {i}" for i in range(num_classes))


def find_class(names: tuple[str, ...], text: str) -> int:
    """The index of the class called ``text`` (case-insensitive; a number is an index)."""
    text = text.strip()
    if text.isdigit() and int(text) < len(names):
        return int(text)
    lowered = [n.lower() for n in names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    matches = [i for i, n in enumerate(lowered) if text.lower() in n]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"no single class matches {text!r}"
                     + (f" ({len(matches)} contain it)" if matches else ""))


def truncated_noise(n: int, z_dim: int, seed: int) -> np.ndarray:
    """(n, z_dim) float64 latents of ``seed``, exactly ``pytorch_pretrained_biggan``'s
    ``truncated_noise_sample(n, z_dim, 1.0, seed)``: ``scipy.stats.truncnorm(-2, 2)``
    drawn from ``RandomState(seed)``, rounded to float32. Truncation psi scales them."""
    from scipy.stats import truncnorm

    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in 0..{2**32 - 1}, not {seed}")
    values = truncnorm.rvs(-TRUNCATION_BOUND, TRUNCATION_BOUND, size=(n, z_dim),
                           random_state=np.random.RandomState(seed))
    return values.astype(np.float32).astype(np.float64)
