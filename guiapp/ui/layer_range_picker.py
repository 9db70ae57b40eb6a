"""Pick which per-layer latents a method works on: a preset or a custom range.

Style-based generators have ``num_ws`` per-layer latents; coarse ones change pose and
shape, middle ones features, fine ones colour and texture (StyleGAN-style presets; the SeFa
page also offers SeFa's own groups 0-1, 2-5, 6-end). Each preset's tooltip says which
layers it takes. Single-latent generators have one layer, so the picker is disabled and its
value is None. Shown inclusive (as a user counts layers), returned half-open (as the core
stores them).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget
from superqt import QLabeledRangeSlider

from guiapp.core.layers import layer_preset, preset_tooltip
from guiapp.core.types import LayerRange
from guiapp.ui.tooltips import set_tip

PRESETS = ("All", "Coarse", "Middle", "Fine", "Custom")
SEFA_PRESETS = ("SeFa 0-1", "SeFa 2-5", "SeFa 6-end")
CUSTOM_TIP = "Any range: drag the slider's two ends"


class LayerRangePicker(QWidget):
    """A preset combo box over a range slider (enabled for "Custom") and a caption."""

    changed = Signal()

    def __init__(
        self, tooltip: str, parent: QWidget | None = None, sefa_groups: bool = False
    ) -> None:
        super().__init__(parent)
        self._num_ws = 1
        self.preset = QComboBox()
        self.preset.addItems(PRESETS[:-1] + (SEFA_PRESETS if sefa_groups else ()) + PRESETS[-1:])
        set_tip(self.preset, tooltip)
        self.slider = QLabeledRangeSlider(Qt.Orientation.Horizontal)
        set_tip(self.slider, "Custom layer range, both ends included (layer numbers from 0)")
        self.caption = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preset)
        layout.addWidget(self.slider)
        layout.addWidget(self.caption)
        self.preset.currentTextChanged.connect(self._on_preset_text_changed)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.set_num_ws(1)

    def set_num_ws(self, num_ws: int) -> None:
        """Fit the picker to a generator with ``num_ws`` per-layer latents (the preset stays)."""
        self._num_ws = max(num_ws, 1)
        self.preset.setEnabled(self._num_ws > 1)
        self.slider.setVisible(self._num_ws > 1)  # one latent: nothing to choose
        self.slider.setRange(0, self._num_ws - 1)
        for i in range(self.preset.count()):
            name = self.preset.itemText(i)
            tip = CUSTOM_TIP if name == "Custom" else preset_tooltip(name, self._num_ws)
            self.preset.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self._on_preset_text_changed(self.preset.currentText())

    def value(self) -> LayerRange | None:
        """The chosen layers, half-open; None for a single-latent generator."""
        if self._num_ws <= 1:
            return None
        first, last = (int(v) for v in self.slider.value())
        return LayerRange(first, last + 1)

    def _on_preset_text_changed(self, name: str) -> None:
        custom = name == "Custom"
        self.slider.setEnabled(custom and self._num_ws > 1)
        if not custom:
            lr = layer_preset(name, self._num_ws)
            self.slider.setValue((lr.start, lr.stop - 1))
        self._on_slider_value_changed()

    def _on_slider_value_changed(self, *_: object) -> None:
        lr = self.value()
        self.caption.setText(
            "One latent for all layers"
            if lr is None
            else f"Layers {lr.inclusive_text()} of 0-{self._num_ws - 1}"
        )
        self.changed.emit()
