"""Choose a discovery method and its parameters, then ask for a run.

GANSpace (Härkönen et al., NeurIPS 2020) runs PCA on sampled latents or activations; SeFa
(Shen & Zhou, CVPR 2021) factorises the weights that read the latent, optionally only
those of some layers; LatentCLR (Yüksel et al., ICCV 2021) trains directions
contrastively (its page is :class:`~guiapp.ui.latentclr_page.LatentCLRPage`). The panel
emits ``run_requested``; the main window starts the job and calls ``set_running``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from guiapp.ui.form_fields import seed, spin
from guiapp.ui.latentclr_page import LatentCLRPage
from guiapp.ui.layer_range_picker import LayerRangePicker
from guiapp.ui.session_store import SessionStore
from guiapp.ui.tooltips import set_tip

METHODS = ("ganspace", "sefa", "latentclr")
W_SAMPLES, ACTIVATION_SAMPLES = 1_000_000, 100_000  # GANSpace's defaults (core/methods)


class MethodPanel(QWidget):
    """One tab per method with its parameters, and a Run button."""

    run_requested = Signal(str, dict)

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._running = False
        self._tabs = QTabWidget()
        self._tabs.addTab(self._ganspace_page(), "GANSpace")
        self._tabs.addTab(self._sefa_page(), "SeFa")
        self.latentclr = LatentCLRPage()
        self._tabs.addTab(self._scrolled(self.latentclr), "LatentCLR")
        self._tabs.setTabToolTip(0, "PCA of sampled latents (or of a layer's activations)")
        self._tabs.setTabToolTip(1, "Closed-form factorisation of the generator's weights")
        self._tabs.setTabToolTip(2, "Contrastive training of directions (takes minutes)")
        self._run = QPushButton("&Run")
        set_tip(self._run, "Find directions with the chosen method and parameters")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._tabs)
        layout.addWidget(self._run, alignment=Qt.AlignmentFlag.AlignRight)

        self._run.clicked.connect(self._on_run_clicked)
        self._tabs.currentChanged.connect(self._on_tabs_current_changed)
        store.model_changed.connect(self._on_store_model_changed)
        self._on_store_model_changed()

    # -- pages -------------------------------------------------------------------------------
    def _ganspace_page(self) -> QWidget:
        page = QWidget()
        self._gs_k = spin(
            1,
            512,
            50,
            "How many principal components to keep, ranked by explained variance (count)",
        )
        self._gs_samples = spin(
            1_000,
            10_000_000,
            ACTIVATION_SAMPLES,
            "How many random latents PCA is computed from (count); more "
            "gives steadier components but takes longer. Default: 1,000,000 for models "
            "with a mapping network (PCA of w, streamed), 100,000 for the others "
            "(PCA of cached activations)",
            step=1_000,
        )
        self._gs_samples_chosen = False  # the user's number wins over the model's default
        self._gs_samples.valueChanged.connect(self._on_gs_samples_value_changed)
        self._gs_seed = seed(
            0, "Random seed for sampling those latents; the same seed gives the same directions"
        )
        self._gs_layer = QComboBox()
        set_tip(self._gs_layer,
            "Layer whose activations PCA runs on, for generators without "
            "a mapping network (the result is regressed back to z)"
        )
        self._gs_layer.setPlaceholderText("(from the model)")
        self._gs_form = QFormLayout(page)
        self._gs_form.addRow("Directions (&k):", self._gs_k)
        self._gs_form.addRow("Samples (N):", self._gs_samples)
        self._gs_form.addRow("Seed:", self._gs_seed)
        self._gs_form.addRow("Feature &layer:", self._gs_layer)
        return page

    def _sefa_page(self) -> QWidget:
        page = QWidget()
        self._sefa_k = spin(
            1,
            512,
            20,
            "How many directions to keep, ranked by eigenvalue (count; at most the latent size)",
        )
        self.sefa_layers = LayerRangePicker(
            "Which per-layer latents' weights SeFa factorises: coarse "
            "layers change pose and shape, middle ones features, fine ones "
            "colour and texture (StyleGAN-style groups; SeFa's own: 0-1, 2-5, 6-end)",
            sefa_groups=True,
        )
        form = QFormLayout(page)
        form.addRow("Directions (&k):", self._sefa_k)
        form.addRow("La&yers:", self.sefa_layers)
        return page

    @staticmethod
    def _scrolled(page: QWidget) -> QScrollArea:
        """``page`` in a frameless scroll area, for a panel shorter than the form."""
        area = QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # No field may hide under the vertical scroll bar: the panel is never narrower
        # than the form beside it.
        bar = area.verticalScrollBar().sizeHint().width()
        area.setMinimumWidth(page.minimumSizeHint().width() + bar)
        return area

    # -- public ------------------------------------------------------------------------------
    def set_feature_layers(self, names: list[str]) -> None:
        """Layers GANSpace can analyse (the model's ``feature_layers``); the first is chosen."""
        self._gs_layer.clear()
        self._gs_layer.addItems(names)
        self._gs_layer.setCurrentIndex(0 if names else -1)
        self.latentclr.set_feature_layers(names)

    def set_running(self, running: bool) -> None:
        """Block new runs while a job runs."""
        self._running = running
        self._update_run()

    def current_method(self) -> str:
        return METHODS[self._tabs.currentIndex()]

    def params(self, method: str | None = None) -> dict[str, Any]:
        """What a run of ``method`` (default: the open tab) would get: k, samples, seed,
        layer, layers; keys a method does not use are None."""
        method = method or self.current_method()
        if method == "ganspace":
            uses_layer = self._gs_form.isRowVisible(self._gs_layer) and self._gs_layer.count()
            return {
                "k": self._gs_k.value(),
                "samples": self._gs_samples.value(),
                "seed": self._gs_seed.seed(),
                "layer": self._gs_layer.currentText() if uses_layer else None,
                "layers": None,
            }
        if method == "sefa":
            return {
                "k": self._sefa_k.value(),
                "samples": None,
                "seed": None,
                "layer": None,
                "layers": self.sefa_layers.value(),
            }
        if method == "latentclr":
            return {**self.latentclr.params(), "samples": None}
        raise ValueError(f"unknown method {method!r}")

    # -- helpers -----------------------------------------------------------------------------
    def _update_run(self) -> None:
        runnable = self._store.model_info is not None
        self._run.setEnabled(runnable and not self._running)

    # -- slots -------------------------------------------------------------------------------
    def _on_store_model_changed(self) -> None:
        info = self._store.model_info
        num_ws = self._store.num_ws
        self._gs_form.setRowVisible(self._gs_layer, info is None or info.w_dim is None)
        if info is not None:
            self._sefa_k.setMaximum(info.w_dim if info.w_dim is not None else info.z_dim)
        self.sefa_layers.set_num_ws(num_ws)
        self.latentclr.set_num_ws(num_ws)
        if info is not None and not self._gs_samples_chosen:
            self._gs_samples.blockSignals(True)
            self._gs_samples.setValue(W_SAMPLES if info.w_dim is not None else ACTIVATION_SAMPLES)
            self._gs_samples.blockSignals(False)
        self._update_run()

    def _on_gs_samples_value_changed(self, _value: int) -> None:
        self._gs_samples_chosen = True

    def _on_tabs_current_changed(self, _index: int) -> None:
        self._update_run()

    def _on_run_clicked(self) -> None:
        method = self.current_method()
        self.run_requested.emit(method, self.params(method))
