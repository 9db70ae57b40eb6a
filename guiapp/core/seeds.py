"""The one range of valid seeds, shared by the store, the CLI, sessions and the seed field.

A seed picks ``z = numpy.random.RandomState(seed).randn(z_dim)``, and RandomState takes
0 .. 2**32 - 1; anything outside would fail deep inside numpy, or be clipped by a widget.
"""

from __future__ import annotations

SEED_MAX = 2**32 - 1
"""The largest seed (RandomState's limit); the smallest is 0."""


def check_seed(seed: int, what: str = "seed") -> int:
    """``seed`` as an int, or ValueError with a one-line reason when it is out of range."""
    value = int(seed)
    if not 0 <= value <= SEED_MAX:
        raise ValueError(f"{what} must be between 0 and {SEED_MAX}, not {value}")
    return value


def step_seed(seed: int, step: int) -> int:
    """The seed ``step`` places on (negative: back), wrapping around at both ends."""
    return (int(seed) + step) % (SEED_MAX + 1)
