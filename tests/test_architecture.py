"""The dependency rule: core imports no Qt; the window's modules import no torch at start."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import guiapp.core
import guiapp.ui


def modules_of(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def imported_after(modules: list[str]) -> set[str]:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return {line.split(".")[0] for line in out.stdout.splitlines()}


def test_core_imports_no_qt():
    loaded = imported_after([*modules_of(guiapp.core), "guiapp.cli"])
    assert not {"PySide6", "shiboken6", "pyqtgraph", "superqt"} & loaded


def test_ui_and_workers_do_not_import_torch_at_module_level():
    loaded = imported_after([*modules_of(guiapp.ui), "guiapp.workers", "guiapp.app"])
    assert "PySide6" in loaded
    assert "torch" not in loaded
