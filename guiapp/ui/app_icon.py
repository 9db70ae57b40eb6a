"""The application icon (SVG plus PNG sizes from the package data) as a QIcon."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from guiapp.core.package_data import icon_files


def app_icon() -> QIcon:
    """Every size of the icon, so the window, the task bar and the launcher pick a sharp one."""
    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    return icon
