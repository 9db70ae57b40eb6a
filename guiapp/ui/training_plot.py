"""LatentCLR's training curves: the loss (left axis) and accuracy (right axis, %) by iteration.

The worker reports a mean loss and accuracy every few iterations; the curves grow as the
reports arrive, so a user sees whether training still improves and can cancel when it has
levelled off. Accuracy is the share of anchors whose positives beat their negatives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

LOSS_COLOR = QColor("#3d6ea8")
ACCURACY_COLOR = QColor("#2e8b57")


class TrainingPlot(pg.PlotWidget):
    """Two curves sharing the iteration axis, each with its own y axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        palette = parent.palette() if parent is not None else QPalette()
        super().__init__(parent, background=palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.WindowText)
        item = self.getPlotItem()
        item.setLabel("left", "Loss", color=LOSS_COLOR.name())
        item.setLabel("bottom", "Iteration")
        item.showAxis("right")
        item.setLabel("right", "Accuracy (%)", color=ACCURACY_COLOR.name())
        for name in ("left", "bottom", "right"):
            axis = item.getAxis(name)
            axis.enableAutoSIPrefix(False)  # losses near -0.26 read as such, not "x0.001"
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(text))
        self.loss_curve = item.plot([], pen=pg.mkPen(LOSS_COLOR, width=2))
        # Accuracy lives in its own view box, linked on x, drawn against the right axis.
        self.accuracy_box = pg.ViewBox()
        item.scene().addItem(self.accuracy_box)
        item.getAxis("right").linkToView(self.accuracy_box)
        self.accuracy_box.setXLink(item)
        self.accuracy_box.setYRange(0, 100, padding=0.05)
        self.accuracy_curve = pg.PlotDataItem([], pen=pg.mkPen(ACCURACY_COLOR, width=2))
        self.accuracy_box.addItem(self.accuracy_curve)
        item.getViewBox().sigResized.connect(self._sync_boxes)
        self._iterations: list[int] = []
        self._loss: list[float] = []
        self._accuracy: list[float] = []

    def set_history(
        self, iterations: Sequence[int], loss: Sequence[float], accuracy: Sequence[float]
    ) -> None:
        """Show a whole training history (one entry per report)."""
        self._iterations = [int(i) for i in iterations]
        self._loss = [float(v) for v in loss]
        self._accuracy = [float(v) for v in accuracy]
        self._redraw()

    def append(self, iteration: int, loss: float, accuracy: float) -> None:
        """Add the newest report."""
        self._iterations.append(int(iteration))
        self._loss.append(float(loss))
        self._accuracy.append(float(accuracy))
        self._redraw()

    def clear_history(self) -> None:
        self.set_history([], [], [])

    def is_empty(self) -> bool:
        return not self._iterations and not self._loss

    def history(self) -> tuple[list[int], list[float], list[float]]:
        """``(iterations, loss, accuracy)`` as shown (accuracy as a fraction)."""
        return list(self._iterations), list(self._loss), list(self._accuracy)

    def _redraw(self) -> None:
        x = np.asarray(self._iterations, dtype=float)
        self.loss_curve.setData(x, np.asarray(self._loss))
        n = min(len(self._accuracy), len(x))
        self.accuracy_curve.setData(x[:n], 100.0 * np.asarray(self._accuracy[:n]))

    def _sync_boxes(self) -> None:
        view = self.getPlotItem().getViewBox()
        self.accuracy_box.setGeometry(view.sceneBoundingRect())
        self.accuracy_box.linkedViewChanged(view, self.accuracy_box.XAxis)
