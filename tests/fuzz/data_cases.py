"""The data-file campaign: hostile direction sets, sessions, output targets and arguments.

Each :class:`DataCase` says what must happen: ``refuse`` (exit 2, one line naming the file
and, with ``must_say``, saying why), ``ok`` (a valid file that must work), or ``either``
(a mutation that may be harmless: a clean refusal or a real image are both fine). After a
run, protected files must hold the same bytes, keep their kind (FIFO, symlink, device) and
their mode; an image written by an exit 0 must be a real picture, not a blank.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.fuzz.harness import Outcome, classify

EXPECTS = ("refuse", "ok", "either")


@dataclass
class DataCase:
    id: str
    family: str
    kind: str  # "cli" or "session"
    argv: list[str] = field(default_factory=list)
    path: str = ""
    expect: str = "refuse"
    names: list[str] = field(default_factory=list)
    must_say: list[str] = field(default_factory=list)
    """A refusal must contain one of these (lower case), e.g. "pipe" for a FIFO."""
    protected: list[str] = field(default_factory=list)
    keep_kind: dict[str, str] = field(default_factory=dict)
    keep_mode: dict[str, int] = field(default_factory=dict)
    output: str | None = None
    fsize: int | None = None

    def spec(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "argv": self.argv, "path": self.path,
                "fsize": self.fsize}


def file_kind(path: str) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    for test, name in ((stat.S_ISLNK, "symlink"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISCHR, "chr"), (stat.S_ISREG, "file"), (stat.S_ISDIR, "dir")):
        if test(mode):
            return name
    return "other"


@dataclass
class Before:
    """What a case's protected paths held before it ran."""

    data: dict[str, bytes]
    kinds: dict[str, str]


def before(case: DataCase) -> Before:
    return Before({p: Path(p).read_bytes() for p in case.protected},
                  {p: file_kind(p) for p in case.keep_kind})


def _real_image(path: str | None) -> bool:
    """An exit 0 left a real picture (not uniform, not missing)."""
    if path is None:
        return True
    try:
        with Image.open(path) as img:
            pixels = np.asarray(img.convert("RGB"))
    except OSError:
        return False
    return pixels.size > 0 and int(np.ptp(pixels)) > 0


def outcome_class(case: DataCase, outcome: Outcome, was: Before) -> str:
    """The harness classes, plus this campaign's kind, mode, message and image checks."""
    if any(file_kind(p) != was.kinds[p] for p in case.keep_kind) or any(
        file_kind(p) == "file" and stat.S_IMODE(os.stat(p).st_mode) != mode
        for p, mode in case.keep_mode.items()
    ):
        return "destroyed"
    cls = classify(outcome, expect_refusal=case.expect != "ok", names=case.names,
                   protected={p: b for p, b in was.data.items()
                              if file_kind(p) in ("file", "symlink")})
    if cls == "wrong_result" and case.expect == "either":
        cls = "ok"
    if cls == "ok" and not _real_image(case.output):
        return "wrong_result"
    if cls == "refused" and case.must_say:
        text = outcome.stderr.lower()
        if not any(word in text for word in case.must_say):
            return "unclear"
    return cls
