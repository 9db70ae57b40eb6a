"""Seed lists and output names of a batch export, without torch (the CLI parses them).

Seeds are written as ``0-99,120,200-210``: inclusive ranges, order kept, repeats dropped,
at most :data:`MAX_SEEDS`. A folder export names its files with ``{seed}`` (``{seed:05d}``).
"""

from __future__ import annotations

import math
import string
from pathlib import Path

from guiapp.core.seeds import check_seed

MAX_SEEDS = 10_000
MAX_GRID_SEEDS = 400


def parse_seed_list(text: str, limit: int = MAX_SEEDS) -> list[int]:
    """``"0-99,120,200-210"`` -> the seeds in order without repeats, or ValueError."""
    seeds: dict[int, None] = {}
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise ValueError("the seed list is empty; write seeds such as 0-99,120")
    for part in parts:
        if not part:
            raise ValueError(f"seed list {text.strip()[:40]!r} has an empty entry")
        lo_text, dash, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if dash else lo
        except ValueError:
            raise ValueError(f"seed list entry {part[:40]!r} is not a seed or a range "
                             "FIRST-LAST") from None
        check_seed(lo), check_seed(hi)
        if hi < lo:
            raise ValueError(f"seed range {part!r} runs backwards; write {hi}-{lo}")
        if hi - lo + 1 <= limit:  # never build a range that is over the limit anyway
            seeds.update(dict.fromkeys(range(lo, hi + 1)))
        if hi - lo + 1 > limit or len(seeds) > limit:
            raise ValueError(f"at most {limit} seeds at a time; the list "
                             f"{text.strip()[:40]!r} has more")
    return list(seeds)


def check_pattern(pattern: str) -> None:
    """A folder export's name must hold ``{seed}`` (optionally formatted, ``{seed:04d}``)
    and no other field, and end in .png; ValueError otherwise."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        raise ValueError(f"output name {pattern!r}: {exc}; use {{seed}} for the seed") from None
    if fields != {"seed"}:
        raise ValueError(f"output name {pattern!r} must contain {{seed}} (and no other field)")
    try:
        pattern.format(seed=0)
    except ValueError as exc:
        raise ValueError(f"output name {pattern!r}: {exc}") from None
    if Path(pattern).suffix.lower() != ".png":
        raise ValueError(f"output name {pattern!r} must end in .png")


def seed_path(pattern: str, seed: int) -> Path:
    return Path(pattern.format(seed=seed))


def grid_columns(count: int, columns: int | None = None) -> int:
    """``columns`` (checked) or the smallest square's side that holds ``count`` images."""
    if columns is None:
        return max(1, math.ceil(math.sqrt(count)))
    if not 1 <= columns <= MAX_GRID_SEEDS:
        raise ValueError(f"a grid has 1 to {MAX_GRID_SEEDS} columns, not {columns}")
    return columns
