"""Helpers shared by the CLI tests: run ``main`` in-process, and the built-in model's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from guiapp.cli import main

REF = "builtin:dcgan-digiface"
PREFIX = "guiapp-cli: error: "


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """``main`` on ``argv`` (paths as strings); returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def discover_sefa(folder: Path) -> Path:
    """Four SeFa directions of the built-in model, saved in ``folder``."""
    path = folder / "sefa.npz"
    assert main(["discover", REF, "--method", "sefa", "-k", "4", "-o", str(path)]) == 0
    return path
