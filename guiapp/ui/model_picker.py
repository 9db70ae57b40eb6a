"""Which generator to use and where it runs: built-in models, recent files, a file dialog.

The picker only asks (``model_requested``, ``device_requested``); the main window loads the
model off the GUI thread and the store's ``model_changed`` brings the answer back. It knows
nothing of torch: the window tells it which devices exist.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QLabel, QWidget

from guiapp.core.models.catalog import builtin_models
from guiapp.ui.session_store import SessionStore
from guiapp.ui.tooltips import set_tip

log = logging.getLogger(__name__)

FILE_FILTER = "Generators (*.pkl *.pt *.pth *.safetensors);;All files (*)"
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1
_OPEN_FILE = "open-file"


def _builtin_entries() -> list[tuple[str, str, str]]:
    """(ref, title, tooltip) of each built-in model; none when the resources are missing."""
    try:
        models = builtin_models()
    except (OSError, ValueError) as exc:
        log.warning("cannot list the built-in models: %s", exc)
        return []
    entries = []
    for m in models:
        res = m.card.get("resolution")
        size = f"{res}×{res}, " if res else ""
        entries.append((m.ref, str(m.card.get("title", m.name)), f"{m.ref} ({size}built in)"))
    return entries


class ModelPicker(QWidget):
    """Model combo (built-ins, recent files, "Open model file…"), device combo, model facts."""

    model_requested = Signal(str)
    device_requested = Signal(str)

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._builtins = _builtin_entries()
        self._recent: list[str] = []
        self._device = "cpu"
        self._device_text = "CPU"

        self._model_combo = QComboBox()
        self._model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._model_combo.setMinimumContentsLength(16)
        set_tip(self._model_combo,
            "The generator to explore: a built-in model, a recent file, "
            "or any generator file on disk"
        )
        self._device_combo = QComboBox()
        self._device_combo.addItem("CPU", "cpu")
        set_tip(self._device_combo, "Where the generator runs; a GPU (CUDA) is much faster")
        self._info = QLabel()
        self._info.setWordWrap(True)
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_tip(self._info,
            "resolution: image size in pixels; z_dim: size of the input "
            "latent; w_dim: size of the style latent (— without a mapping "
            "network); num_ws: how many per-layer latents the generator reads"
        )

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Model:", self._model_combo)
        form.addRow("&Device:", self._device_combo)
        form.addRow(self._info)

        self._model_combo.activated.connect(self._on_model_combo_activated)
        self._device_combo.activated.connect(self._on_device_combo_activated)
        store.model_changed.connect(self._on_store_model_changed)
        self._rebuild()
        self._update_info()

    # -- public ------------------------------------------------------------------------------
    def set_recent(self, paths: list[str]) -> None:
        """Recently opened files, newest first (shown between built-ins and "Open…")."""
        self._recent = list(dict.fromkeys(paths))
        self._rebuild()

    def set_devices(self, choices: list[tuple[str, str]]) -> None:
        """The devices to offer, as (device id, what to show) pairs, e.g. ``("cuda:0",
        "CUDA 0: NVIDIA H100")`` (:func:`guiapp.core.devices.device_choices`); the CPU is
        offered even when ``choices`` leaves it out."""
        current = self._device_combo.currentData()
        self._device_combo.clear()
        if all(device != "cpu" for device, _ in choices):
            self._device_combo.addItem("CPU", "cpu")
        for device, text in choices:
            self._device_combo.addItem(text, device)
        self.set_current_device(current)

    def devices(self) -> list[tuple[str, str]]:
        """What the device box offers now, as (device id, text) pairs."""
        combo = self._device_combo
        return [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]

    def set_current_device(self, device: str) -> None:
        """Show ``device`` ("cpu", "cuda:0") as chosen, without emitting a request."""
        index = max(self._device_combo.findData(device), 0)
        self._device_combo.setCurrentIndex(index)
        self._device = self._device_combo.itemData(index)

    def set_device_text(self, text: str) -> None:
        """What the info line says the model runs on, e.g. "CUDA 0 (NVIDIA H100)"."""
        self._device_text = text
        self._update_info()

    def open_file_dialog(self) -> None:
        """Ask for a generator file and request it (also File ▸ Open model…)."""
        path = self._ask_for_file()
        if not path:
            self._select_ref(self._store.model_ref)  # undo the "Open…" selection
            return
        if path not in self._recent:
            self._recent.insert(0, path)
            self._rebuild()
        self._select_ref(path)
        if path != self._store.model_ref:
            self.model_requested.emit(path)

    def set_busy(self, busy: bool) -> None:
        """Lock the choices while a model loads; unlocking shows the store's model again
        (so a failed load does not leave the failed choice selected)."""
        self._model_combo.setEnabled(not busy)
        self._device_combo.setEnabled(not busy)
        if not busy:
            self._select_ref(self._store.model_ref)

    # -- building the list -----------------------------------------------------------------
    def _rebuild(self) -> None:
        combo = self._model_combo
        combo.blockSignals(True)
        combo.clear()
        for ref, title, tip in self._builtins:
            self._add_item(title, ref, "builtin", tip)
        files = list(self._recent)
        current = self._store.model_ref
        if current and self._find(current) < 0 and current not in files:
            files.insert(0, current)
        if files:
            combo.insertSeparator(combo.count())
            for path in files:
                self._add_item(Path(path).name or path, path, "file", path)
        combo.insertSeparator(combo.count())
        self._add_item(
            "Open model file…",
            None,
            _OPEN_FILE,
            "Choose a generator file (.safetensors, .pt, .pth, .pkl)",
        )
        combo.blockSignals(False)
        self._select_ref(current)

    def _add_item(self, text: str, ref: str | None, kind: str, tip: str) -> None:
        combo = self._model_combo
        combo.addItem(text, ref)
        combo.setItemData(combo.count() - 1, kind, _KIND_ROLE)
        combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)

    def _find(self, ref: str) -> int:
        """Row of ``ref``; a bare built-in name matches its ``builtin:`` entry."""
        index = self._model_combo.findData(ref)
        if index < 0 and ":" not in ref:
            index = self._model_combo.findData("builtin:" + ref)
        return index

    def _select_ref(self, ref: str | None) -> None:
        """Show ``ref`` as chosen (the first entry when nothing is loaded yet)."""
        index = self._find(ref) if ref else 0
        if index < 0:
            return
        self._model_combo.blockSignals(True)
        self._model_combo.setCurrentIndex(index)
        self._model_combo.blockSignals(False)

    def _update_info(self) -> None:
        info = self._store.model_info
        if info is None:
            lines = ["No model loaded"]
        else:
            w_dim = "—" if info.w_dim is None else str(info.w_dim)
            lines = [
                f"Resolution {info.resolution}×{info.resolution} · num_ws {info.num_ws}",
                f"z_dim {info.z_dim} · w_dim {w_dim}"
                + (f" · {info.c_dim} classes" if info.c_dim else ""),
            ]
        self._info.setText("\n".join([*lines, f"Runs on {self._device_text}"]))

    def _ask_for_file(self) -> str | None:
        """The file the user picks, or None when they cancel (tests replace this)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open model file", "", FILE_FILTER)
        return path or None

    # -- slots -------------------------------------------------------------------------------
    def _on_model_combo_activated(self, index: int) -> None:
        if self._model_combo.itemData(index, _KIND_ROLE) == _OPEN_FILE:
            self.open_file_dialog()
            return
        ref = self._model_combo.itemData(index)
        if ref != self._store.model_ref:
            self.model_requested.emit(ref)

    def _on_device_combo_activated(self, index: int) -> None:
        device = self._device_combo.itemData(index)
        if device != self._device:
            self._device = device
            self.device_requested.emit(device)

    def _on_store_model_changed(self) -> None:
        ref = self._store.model_ref
        if ref and self._find(ref) < 0:
            self._rebuild()  # lists ``ref`` (e.g. a path opened elsewhere) and selects it
        else:
            self._select_ref(ref)
        self._update_info()
