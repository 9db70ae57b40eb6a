"""The edited image, the original beside it, a preview strip of the selected direction, and
the seed and truncation that pick the face.

For a projected photo (:meth:`ImageView.set_photo`) the row reads photo → reconstruction →
edited: the photo's crop (what the projection reproduced), the unedited render of its latent
and the edited one, each captioned; a seed's face shows edited and original as before.

Images are scaled smoothly with their aspect kept, so a 64×64 generator fills the view
instead of sitting in a corner. ``image_shown`` fires once the new image is painted, which
is what a user perceives as latency.
"""

from __future__ import annotations

import random

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.seeds import SEED_MAX, step_seed
from guiapp.ui.class_search import ClassSearch
from guiapp.ui.image_tiles import TileCanvas
from guiapp.ui.qimage import array_to_pixmap
from guiapp.ui.seed_box import SeedBox
from guiapp.ui.session_store import SessionStore
from guiapp.ui.tooltips import set_tip


class ImageView(QWidget):
    """Edited image (and optionally the original), direction preview strip, seed and
    truncation controls over the store."""

    image_shown = Signal(int)

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._images: QHBoxLayout
        self._pending_id: int | None = None
        self._shown_original: np.ndarray | None = None
        self._preview_resolution: int | None = None  # of the edited image shown, if a preview
        self._updating = False  # a newer image is being rendered (slow models)
        self._shown_strip: np.ndarray | None = None
        self._strip_alphas: list[float] = []
        self._edited = TileCanvas(QSize(192, 192))
        self._original = TileCanvas(QSize(192, 192))
        self._original.setVisible(False)
        self._photo = TileCanvas(QSize(192, 192))  # a projected photo's crop
        self._photo.setVisible(False)
        set_tip(self._photo, "The part of the photo the projection reproduced")
        self._photo_of: tuple[object, np.ndarray] | None = None  # (latent, crop)
        self._strip = TileCanvas(QSize(192, 90))
        self._strip.setMaximumHeight(180)
        set_tip(self._strip,
            "The same face moved along the selected direction; "
            "the number under each image is its alpha"
        )
        self._strip_title = QLabel("Selected direction at several alphas:")
        self._strip_title.setVisible(False)
        self._strip.setVisible(False)

        self._seed = SeedBox()
        set_tip(self._seed, f"Random seed of the latent z (0 to {SEED_MAX}): each seed is "
                              "a different face")
        self._prev = QPushButton("&Prev")
        set_tip(self._prev, "Previous seed")
        self._next = QPushButton("&Next")
        set_tip(self._next, "Next seed")
        self._random = QPushButton("R&andom")
        set_tip(self._random, "Jump to a random seed")
        self._psi = QSlider(Qt.Orientation.Horizontal)
        self._psi.setRange(0, 100)
        self._psi.setPageStep(10)
        self._psi.setMinimumWidth(120)
        set_tip(self._psi,
            "Truncation ψ: pulls the latent towards the average latent "
            "(w̄, or 0 for z). 1.00 leaves it as sampled, 0.00 gives the "
            "average face; lower values look more typical, less varied"
        )
        self._psi_value = QLabel()
        self._psi_value.setMinimumWidth(self._psi_value.fontMetrics().horizontalAdvance("0.00"))
        self._cutoff = QSpinBox()
        self._cutoff.setSpecialValueText("all layers")  # 0 stands for "no cutoff"
        self._cutoff.setPrefix("first ")
        self._cutoff.setSuffix(" layers")
        set_tip(self._cutoff,
            "Truncate only the first N per-layer latents (coarse: pose and shape) and "
            "leave the finer ones as sampled; 'all layers' truncates every one"
        )
        self._class = QSpinBox()
        set_tip(self._class, "The class a conditional generator draws (0 .. classes - 1)")
        self._class_label = QLabel("&Class:")
        self._class_label.setBuddy(self._class)
        self._class_search = ClassSearch()  # hook: biggan (the class box searchable by name)
        self._show_original = QCheckBox("Show &original")
        set_tip(self._show_original, "Show the unedited image beside the edited one (for a "
                "projected photo, the photo and its reconstruction)")

        self._build_layout()
        self._seed.seed_changed.connect(self._store.set_seed)
        self._prev.clicked.connect(self._on_prev_clicked)
        self._next.clicked.connect(self._on_next_clicked)
        self._random.clicked.connect(self._on_random_clicked)
        self._psi.valueChanged.connect(self._on_psi_value_changed)
        self._psi.sliderPressed.connect(lambda: self._store.set_dragging(True))
        self._psi.sliderReleased.connect(lambda: self._store.set_dragging(False))
        self._cutoff.valueChanged.connect(
            lambda n: self._store.set_truncation_cutoff(n if n > 0 else None)
        )
        self._class.valueChanged.connect(self._store.set_class_index)
        self._class_search.chosen.connect(self._store.set_class_index)  # hook: biggan
        store.model_changed.connect(self._on_store_model_changed)
        self._show_original.toggled.connect(self._on_show_original_toggled)
        self._show_original.setChecked(True)  # comparing is the point of editing
        self._edited.painted.connect(self._on_edited_painted)
        store.view_changed.connect(self._on_store_view_changed)
        self._on_store_model_changed()

    def _build_layout(self) -> None:
        self._images = images = QHBoxLayout()
        images.addWidget(self._edited)
        images.addWidget(self._original)
        images.addWidget(self._photo)
        seed_label = QLabel("&Seed:")
        seed_label.setBuddy(self._seed)
        psi_label = QLabel("&Truncation ψ:")
        psi_label.setBuddy(self._psi)
        seed_row = QHBoxLayout()
        for w in (seed_label, self._seed, self._prev, self._next, self._random):
            seed_row.addWidget(w)
        seed_row.addSpacing(12)
        seed_row.addWidget(self._class_label)
        seed_row.addWidget(self._class)
        seed_row.addWidget(self._class_search)  # hook: biggan
        seed_row.addStretch(1)
        view_row = QHBoxLayout()
        for w in (psi_label, self._psi, self._psi_value, self._cutoff):
            view_row.addWidget(w)
        view_row.addSpacing(12)
        view_row.addWidget(self._show_original)
        layout = QVBoxLayout(self)
        layout.addLayout(images, stretch=4)
        layout.addWidget(self._strip_title)
        layout.addWidget(self._strip, stretch=1)
        layout.addLayout(seed_row)
        layout.addLayout(view_row)

    # -- public ------------------------------------------------------------------------------
    def set_images(
        self, edited: np.ndarray, original: np.ndarray | None = None, request_id: int | None = None,
        preview_resolution: int | None = None,
    ) -> None:
        """Show a rendered result; ``image_shown(request_id)`` follows once it is painted.
        ``preview_resolution``: the quick preview's resolution while a slider is held (the
        caption says so), None for a full image."""
        self._preview_resolution = preview_resolution
        self._edited.set_tiles([array_to_pixmap(edited)])
        if original is not self._shown_original:  # the renderer reuses its cached array
            self._shown_original = original
            self._original.set_tiles([array_to_pixmap(original)] if original is not None else [])
        self._update_captions()
        self._pending_id = request_id
        if request_id is not None and not self._edited.isVisible():
            self._on_edited_painted()  # nothing will be painted; report it as set

    def set_strip(self, strip: np.ndarray | None, alphas: list[float]) -> None:
        """Show the selected direction at ``alphas``: ``strip`` is (n, H, W, 3) tiles or one
        (H, n·W, 3) row; None hides the strip."""
        if strip is self._shown_strip and alphas == self._strip_alphas:
            return  # unchanged: the renderer hands back its cached strip
        self._shown_strip, self._strip_alphas = strip, list(alphas)
        if strip is None or not alphas:
            self._strip.set_tiles([])
            self._strip.setVisible(False)
            self._strip_title.setVisible(False)
            return
        tiles = list(strip) if strip.ndim == 4 else np.array_split(strip, len(alphas), axis=1)
        if len(tiles) != len(alphas):
            raise ValueError(f"strip has {len(tiles)} images but {len(alphas)} alphas")
        self._strip.set_tiles(
            [array_to_pixmap(t) for t in tiles], [f"α = {a:+g}" if a else "α = 0" for a in alphas]
        )
        self._strip.setVisible(True)
        self._strip_title.setVisible(True)

    def current_pixmap(self) -> QPixmap | None:
        """The edited image as shown (before scaling), or None before the first result."""
        tiles = self._edited.tiles()
        return tiles[0] if tiles else None

    def original_pixmap(self) -> QPixmap | None:
        tiles = self._original.tiles()
        return tiles[0] if tiles else None

    def strip_pixmaps(self) -> list[QPixmap]:
        return self._strip.tiles()

    def set_photo(self, latent: object, crop: np.ndarray) -> None:
        """``crop`` (H, W, 3) is the photo that ``latent`` (a projected face) reproduces:
        while the store's face is that latent, the row shows photo, reconstruction, edited."""
        self._photo_of = (latent, crop)
        self._photo.set_tiles([array_to_pixmap(crop)])
        self._apply_face_layout()

    def photo_pixmap(self) -> QPixmap | None:
        """The photo crop shown for the current projected face, or None (a seed's face)."""
        tiles = self._photo.tiles()
        return tiles[0] if tiles and self.showing_photo() else None

    def showing_photo(self) -> bool:
        """Whether the face is a projected photo whose crop this view holds."""
        return self._photo_of is not None and self._photo_of[0] is self._store.latent

    def pane_captions(self) -> list[str]:
        """The captions of the image row's visible panes, left to right."""
        out = []
        for i in range(self._images.count()):
            canvas = self._images.itemAt(i).widget()
            if isinstance(canvas, TileCanvas) and canvas.isVisibleTo(self):
                out.append(canvas.caption())
        return out

    # -- helpers -----------------------------------------------------------------------------
    def set_updating(self, updating: bool) -> None:
        """Say in the caption that a newer image is on its way (a render that takes long)."""
        if updating != self._updating:
            self._updating = updating
            self._update_captions()

    def edited_caption(self) -> str:
        """"Edited", with what a drag preview is and whether a newer image is coming."""
        notes = [f"preview, {self._preview_resolution} px"] if self._preview_resolution else []
        notes += ["updating…"] if self._updating else []
        return f"Edited ({', '.join(notes)})" if notes else "Edited"

    def _update_captions(self) -> None:
        both = self._original.isVisibleTo(self)
        noted = self._preview_resolution is not None or self._updating
        photo = self.showing_photo()
        for canvas, caption, shown in (
                (self._edited, self.edited_caption(), both or noted),
                (self._original, "Reconstruction" if photo else "Original", both),
                (self._photo, "Photo", photo)):
            canvas.set_tiles(canvas.tiles(), [caption] if shown and canvas.tiles() else [])

    def _apply_face_layout(self) -> None:
        """Photo, reconstruction, edited for a projected photo; edited, original else."""
        photo = self.showing_photo()
        order = ([self._photo, self._original, self._edited] if photo
                 else [self._edited, self._original, self._photo])
        for i, canvas in enumerate(order):
            if self._images.indexOf(canvas) != i:
                self._images.removeWidget(canvas)
                self._images.insertWidget(i, canvas)
        self._photo.setVisible(photo and self._show_original.isChecked())
        self._update_captions()

    # -- slots -------------------------------------------------------------------------------
    def _on_edited_painted(self) -> None:
        if self._pending_id is not None:
            request_id, self._pending_id = self._pending_id, None
            self.image_shown.emit(request_id)

    def _on_prev_clicked(self) -> None:
        self._store.set_seed(step_seed(self._store.seed, -1))

    def _on_next_clicked(self) -> None:
        self._store.set_seed(step_seed(self._store.seed, 1))

    def _on_random_clicked(self) -> None:
        self._store.set_seed(random.randint(0, SEED_MAX))

    def _on_psi_value_changed(self, value: int) -> None:
        self._psi_value.setText(f"{value / 100:.2f}")
        self._store.set_truncation(value / 100)

    def _on_show_original_toggled(self, checked: bool) -> None:
        self._original.setVisible(checked)
        self._apply_face_layout()

    def _on_store_model_changed(self) -> None:
        """Class box for conditional generators, cutoff box for style-based ones."""
        info = self._store.model_info
        classes = info.c_dim if info else 0
        num_ws = info.num_ws if info else 1
        for w in (self._class_label, self._class):
            w.setVisible(classes > 0)
        self._cutoff.setVisible(num_ws > 1)
        self._class_search.set_names(info.class_names if info else ())  # hook: biggan
        for box, top in ((self._class, max(classes - 1, 0)), (self._cutoff, max(num_ws - 1, 0))):
            box.blockSignals(True)
            box.setRange(0, top)
            box.blockSignals(False)
        self._on_store_view_changed()

    def _on_store_view_changed(self) -> None:
        for box, value in ((self._class, self._store.class_index),
                           (self._cutoff, self._store.truncation_cutoff or 0)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._seed.set_seed(self._store.seed)
        self._class_search.show_index(self._store.class_index)  # hook: biggan
        self._psi.blockSignals(True)
        self._psi.setValue(round(self._store.truncation * 100))
        self._psi.blockSignals(False)
        self._psi_value.setText(f"{self._store.truncation:.2f}")
        if self._photo_of is not None and not self.showing_photo():
            self._photo_of = None  # another face: the photo is no longer its source
            self._photo.set_tiles([])
        self._apply_face_layout()
