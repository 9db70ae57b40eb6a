"""Where the files the app needs at run time live: package data under ``guiapp/resources``.

They are read through :mod:`importlib.resources`, so a wheel install, an editable install
and a PyInstaller bundle all find them without knowing the current directory.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from guiapp.core.errors import ModelLoadError

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
APP_ID = "org.guiapp.Guiapp"


def package_resources() -> Path:
    """``guiapp/resources`` inside the installed package, as a real folder."""
    root = files("guiapp") / "resources"
    # Every way the app is installed (wheel, editable, bundle) unpacks it onto disk.
    return Path(str(root))


def resources_dir() -> Path:
    """The folder holding ``models/``: $GUIAPP_RESOURCES if set, else the package's own."""
    env = os.environ.get("GUIAPP_RESOURCES")
    path = Path(env) if env else package_resources()
    if not (path / "models").is_dir():
        where = "$GUIAPP_RESOURCES" if env else "the installed package"
        raise ModelLoadError(f"the built-in models folder ({path / 'models'}, from {where}) "
                             "is missing")
    return path


def icon_files() -> list[Path]:
    """The application icon: one PNG per size in :data:`ICON_SIZES`, then the SVG (last, so
    a QIcon keeps the drawn sizes and scales the SVG only for the others)."""
    icons = package_resources() / "icons"
    found = [icons / f"{APP_ID}-{size}.png" for size in ICON_SIZES]
    found.append(icons / f"{APP_ID}.svg")
    return [path for path in found if path.is_file()]
