"""The two export dialogs of the File menu: "Save animation…" (the walk of the selected
direction or a morph to a second seed: frames, length, size, format) and "Export seeds…"
(a seed list to a folder of PNGs or one grid). They only collect plain options; the jobs
live in :mod:`guiapp.ui.export_actions`. No torch here."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from guiapp.core.animation_limits import MAX_FRAMES, MIN_FRAMES
from guiapp.ui import form_fields
from guiapp.ui.tooltips import set_tip

FORMATS = {"mp4": "MP4 video (H.264)", "gif": "GIF", "webp": "WebP", "apng": "Animated PNG"}
SUFFIXES = {"mp4": ".mp4", "gif": ".gif", "webp": ".webp", "apng": ".png"}
MIN_FPS, MAX_FPS = 1.0, 60.0  # as core.video says; that module imports Pillow


@dataclass(frozen=True)
class AnimationOptions:
    """What the user asked for. ``frames``: from -A to +A (or seed to seed), before the way
    back; ``seconds``: the whole file; ``size`` 0: the model's own."""

    kind: str = "walk"  # or "morph"
    amplitude: float = 3.0
    frames: int = 30
    seconds: float = 4.0
    size: int = 0
    format: str = "mp4"
    hold_edits: bool = True
    bounce: bool = True
    morph_seed: int = 1
    morph_space: str = "z"

    @property
    def total_frames(self) -> int:
        return 2 * self.frames - 2 if self.bounce and self.frames > 2 else self.frames

    @property
    def fps(self) -> float:
        return self.total_frames / self.seconds


@dataclass(frozen=True)
class SeedExportOptions:
    """A seed list (``0-99,120``) to a folder of PNGs, or to one grid ``columns`` wide
    (0: a square)."""

    seeds: str = "0-15"
    target: str = "folder"  # or "grid"
    columns: int = 0


def mp4_available() -> bool:
    """PyAV is installed (the ``[video]`` extra); found without importing it."""
    return importlib.util.find_spec("av") is not None


class AnimationDialog(QDialog):
    """Options of one animation; ``walk_possible`` False (no direction selected) offers
    only the morph."""

    def __init__(self, parent: QWidget | None, defaults: AnimationOptions,
                 walk_possible: bool, direction_name: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Save animation")
        form = QFormLayout(self)
        self._kind = form_fields.choice(
            {"walk": f"Walk along {direction_name or 'the selected direction'}",
             "morph": "Morph to another seed"},
            defaults.kind if walk_possible else "morph", "What moves from frame to frame")
        self._kind.model().item(0).setEnabled(walk_possible)  # type: ignore[attr-defined]
        form.addRow("Animation", self._kind)
        self._amplitude = form_fields.number(0.1, 1000.0, defaults.amplitude, 2, 0.5,
                                             "The walk goes from -A to +A (slider units)")
        form.addRow("Alpha range ±", self._amplitude)
        self._hold = QCheckBox("Keep the other directions' edits")
        self._hold.setChecked(defaults.hold_edits)
        form.addRow("", self._hold)
        self._seed_b = form_fields.seed(defaults.morph_seed, "The seed the morph ends on")
        form.addRow("Second seed", self._seed_b)
        self._space = form_fields.choice(
            {"z": "z (spherical)", "w": "w (straight line)"}, defaults.morph_space,
            "z: slerp between the two Gaussian latents; w: a line between the mapped ones")
        form.addRow("Interpolate in", self._space)
        self._frames = form_fields.spin(MIN_FRAMES, MAX_FRAMES, defaults.frames,
                                        "Frames from start to end, before the way back")
        form.addRow("Frames", self._frames)
        self._bounce = QCheckBox("Come back to the start (a seamless loop)")
        self._bounce.setChecked(defaults.bounce)
        form.addRow("", self._bounce)
        self._seconds = form_fields.number(0.1, 600.0, defaults.seconds, 1, 0.5,
                                           "Length of the whole file")
        form.addRow("Length (s)", self._seconds)
        self._size = QSpinBox()
        self._size.setRange(0, 4096)
        self._size.setSpecialValueText("model's own")
        self._size.setValue(defaults.size)
        self._size.setSuffix(" px")
        set_tip(self._size, "Frame size (longer side); MP4 frames become even and at least "
                              "128 px by a whole factor")
        form.addRow("Size", self._size)
        self._format = form_fields.choice(FORMATS, defaults.format, "File format")
        if not mp4_available():
            item = self._format.model().item(0)  # type: ignore[attr-defined]
            item.setEnabled(False)
            item.setText('MP4 (needs: pip install "guiapp[video]")')
            if self._format.currentIndex() == 0:
                self._format.setCurrentIndex(1)
        form.addRow("Format", self._format)
        self._summary = QLabel()
        form.addRow("", self._summary)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                         | QDialogButtonBox.StandardButton.Cancel)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        form.addRow(self._buttons)
        for box in (self._frames, self._seconds):
            box.valueChanged.connect(self._update)
        self._bounce.toggled.connect(self._update)
        self._kind.currentIndexChanged.connect(self._update)
        self._update()

    def options(self) -> AnimationOptions:
        return AnimationOptions(
            kind=self._kind.currentData(), amplitude=self._amplitude.value(),
            frames=self._frames.value(), seconds=self._seconds.value(),
            size=self._size.value(), format=self._format.currentData(),
            hold_edits=self._hold.isChecked(), bounce=self._bounce.isChecked(),
            morph_seed=self._seed_b.seed(), morph_space=self._space.currentData())

    def _update(self) -> None:
        walk = self._kind.currentData() == "walk"
        for box in (self._amplitude, self._hold):
            box.setEnabled(walk)
        for box in (self._seed_b, self._space):
            box.setEnabled(not walk)
        opts = self.options()
        ok = MIN_FPS <= opts.fps <= MAX_FPS
        self._summary.setText(f"{opts.total_frames} frames in the file, {opts.fps:.3g} fps"
                              + ("" if ok else f" (must be {MIN_FPS:g} to {MAX_FPS:g})"))
        self._buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(ok)


class SeedExportDialog(QDialog):
    """A seed list and where its images go."""

    def __init__(self, parent: QWidget | None, defaults: SeedExportOptions) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export seeds")
        form = QFormLayout(self)
        self._seeds = QLineEdit(defaults.seeds)
        self._seeds.setPlaceholderText("0-99,120,200-210")
        set_tip(self._seeds, "Seeds and inclusive ranges, comma separated; the current "
                               "edits are applied to each")
        form.addRow("Seeds", self._seeds)
        self._target = form_fields.choice(
            {"folder": "A folder of PNGs (one per seed)", "grid": "One grid image"},
            defaults.target, "Where the images go")
        form.addRow("Save as", self._target)
        self._columns = QSpinBox()
        self._columns.setRange(0, 400)
        self._columns.setSpecialValueText("square")
        self._columns.setValue(defaults.columns)
        form.addRow("Grid columns", self._columns)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._target.currentIndexChanged.connect(
            lambda: self._columns.setEnabled(self._target.currentData() == "grid"))
        self._columns.setEnabled(defaults.target == "grid")

    def options(self) -> SeedExportOptions:
        return SeedExportOptions(self._seeds.text().strip(), self._target.currentData(),
                                 self._columns.value())


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when the user accepted."""
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    return dialog.exec() == QDialog.DialogCode.Accepted
