"""Persistent preferences (QSettings, INI format): window geometry, recent model files, the
last device, and where the last session is autosaved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

MAX_RECENT = 8


class AppSettings:
    """``root`` holds ``guiapp.ini`` and ``last_session.json`` (default: the user's app data
    folder; tests pass a temporary folder)."""

    def __init__(self, root: str | Path | None = None) -> None:
        if root is None:
            root = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
            root = Path(root or Path.home() / ".guiapp")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(self.root / "guiapp.ini"), QSettings.Format.IniFormat)

    @property
    def last_session_path(self) -> Path:
        return self.root / "last_session.json"

    def recent_models(self) -> list[str]:
        value = self._qs.value("recent_models", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if Path(str(v)).exists()]

    def add_recent_model(self, path: str) -> list[str]:
        recent = [path, *(p for p in self.recent_models() if p != path)][:MAX_RECENT]
        self._qs.setValue("recent_models", recent)
        return recent

    def device(self) -> str:
        return str(self._qs.value("device", "cpu"))

    def set_device(self, device: str) -> None:
        self._qs.setValue("device", device)

    def geometry(self) -> QByteArray | None:
        value = self._qs.value("geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self._qs.setValue("geometry", geometry)

    def sync(self) -> None:
        self._qs.sync()
