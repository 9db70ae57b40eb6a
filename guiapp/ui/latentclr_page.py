"""The LatentCLR page of the method panel: every training setting, with the core's defaults.

LatentCLR (Yüksel et al., ICCV 2021) trains K directions so that each causes one consistent
change in a layer's features and different directions cause different changes. The
defaults come from :class:`guiapp.core.latentclr_params.Params` (torch-free, so the window
starts fast); the tooltips say what each setting does and in which unit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QWidget

from guiapp.core.latentclr_params import LOSSES, MODEL_TYPES, Params, default_layer
from guiapp.ui.form_fields import choice, number, seed, shrinkable, spin
from guiapp.ui.layer_range_picker import LayerRangePicker
from guiapp.ui.tooltips import set_tip

DEFAULTS = Params()
MODEL_TYPE_TEXT = {
    "global": "Global (one vector each)",
    "linear": "Linear (depends on the latent)",
    "nonlinear": "Non-linear (small MLP each)",
}
LOSS_TEXT = {"paper": "Paper", "official": "Official code"}


class LatentCLRPage(QWidget):
    """LatentCLR's settings as a form; :meth:`params` gives them as the core's names."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = DEFAULTS
        self.k = spin(2, 512, d.k, "How many directions to learn (count)")
        self.model_type = choice(
            {t: MODEL_TYPE_TEXT[t] for t in MODEL_TYPES}, d.model_type,
            "Global: the same direction everywhere (plain vectors, like SeFa and GANSpace). "
            "Linear and non-linear: the direction depends on the latent it edits",
        )
        self.depth = spin(1, 8, d.depth, "Linear layers in each non-linear direction's MLP")
        self.steps = spin(
            1, 100, d.steps,
            "Linear and non-linear directions change along the way: an edit of alpha "
            "follows them in this many small steps (1: one straight step)",
        )
        self.iterations = spin(
            2, 1_000_000, d.iterations,
            "Training steps (count); the learning rate drops x0.2 at 10% and 50% of them. "
            f"{d.iterations} take a few minutes on a CPU for the built-in model",
            step=100,
        )
        self.batch = spin(2, 1024, d.batch, "Latents per training step (N, count)")
        self.lr = number(
            1e-6, 1.0, d.lr, 6, 1e-4,
            "Adam's learning rate. The official 0.001 is for 10,000 iterations; the default "
            "suits the shorter schedule (chosen by measurement, see the README)",
        )
        self.weight_decay = number(0.0, 1.0, d.weight_decay, 6, 1e-4, "Adam's weight decay")
        self.tau = number(0.01, 100.0, d.tau, 3, 0.05, "Temperature of the contrastive loss")
        self.alpha = number(
            0.001, 100.0, d.alpha, 3, 0.05,
            "How far each direction moves a latent during training (latent units)",
        )
        self.loss = choice(
            {name: LOSS_TEXT[name] for name in LOSSES}, d.loss,
            "Paper: cosine similarity over a temperature. Official code: absolute cosine "
            "(a direction and its opposite count as one) multiplied by the temperature, "
            "with means instead of sums",
        )
        self.layer = QComboBox()
        shrinkable(self.layer)
        set_tip(self.layer,
            "Layer whose features the directions must change (the contrastive target)"
        )
        self.layers = LayerRangePicker(
            "Which per-layer latents the directions move while training and by default "
            "when editing: coarse layers change pose and shape, middle ones features, "
            "fine ones colour and texture"
        )
        self.seed = seed(d.seed, "Random seed of the initial directions and training latents")
        self.keep_best = QCheckBox("Keep the best")
        self.keep_best.setChecked(True)
        set_tip(self.keep_best,
            "On Cancel, use the directions with the lowest running loss so far "
            "instead of discarding the training"
        )
        self._form = form = QFormLayout(self)
        for label, widget in (
            ("Directions (&k):", self.k), ("&Model:", self.model_type), ("Depth:", self.depth),
            ("Edit steps:", self.steps),
            ("&Iterations:", self.iterations), ("Batch (N):", self.batch),
            ("Learning rate:", self.lr), ("Weight decay:", self.weight_decay),
            ("Temperature (τ):", self.tau), ("Edit size (α):", self.alpha),
            ("Loss:", self.loss), ("Feature &layer:", self.layer),
            ("La&yers:", self.layers), ("Seed:", self.seed), ("On Cancel:", self.keep_best),
        ):
            form.addRow(label, widget)
        self.model_type.currentIndexChanged.connect(self._on_model_type_changed)
        self._on_model_type_changed()

    def set_feature_layers(self, names: list[str]) -> None:
        """The model's feature layers; the core's default target is chosen."""
        self.layer.clear()
        self.layer.addItems(names)
        chosen = default_layer(names)
        self.layer.setCurrentIndex(names.index(chosen) if chosen is not None else -1)

    def set_num_ws(self, num_ws: int) -> None:
        """Fit the layer picker to the model; a single-latent model has no layers to pick."""
        self.layers.set_num_ws(num_ws)
        self._form.setRowVisible(self.layers, num_ws > 1)

    def params(self) -> dict[str, Any]:
        """The settings under :class:`~guiapp.core.latentclr_params.Params`' names."""
        return {
            "k": self.k.value(),
            "model_type": self.model_type.currentData(),
            "depth": self.depth.value(),
            "steps": self.steps.value(),
            "iterations": self.iterations.value(),
            "batch": self.batch.value(),
            "lr": self.lr.value(),
            "weight_decay": self.weight_decay.value(),
            "tau": self.tau.value(),
            "alpha": self.alpha.value(),
            "loss": self.loss.currentData(),
            "layer": self.layer.currentText() or None,
            "layers": self.layers.value(),
            "seed": self.seed.seed(),
            "keep_best_on_cancel": self.keep_best.isChecked(),
        }

    def _on_model_type_changed(self, *_: object) -> None:
        """Depth applies to non-linear directions only, edit steps to both latent-dependent
        kinds: the rows that do not apply are hidden (the page then fits without scrolling)."""
        kind = self.model_type.currentData()
        for box, applies in ((self.depth, kind == "nonlinear"), (self.steps, kind != "global")):
            box.setEnabled(applies)
            self._form.setRowVisible(box, applies)
