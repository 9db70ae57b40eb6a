"""Bar chart of how much each direction of the current set matters, plus a training loss.

The bars show what the method ranked by: GANSpace's explained-variance ratio (in %, with
the ratio along random directions as a dashed baseline, so components above it carry
structure), SeFa's eigenvalues, or LatentCLR's statistic. Clicking a bar selects its
direction in the store; the store's selection is drawn in another colour. LatentCLR's
loss and accuracy (:class:`~guiapp.ui.training_plot.TrainingPlot`) are shown in a second,
plot beside the bars, live while it trains and afterwards for its direction sets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from guiapp.core.run_results import RANKING_KINDS
from guiapp.ui.ranked_bars import (  # noqa: F401 - the colours, for readers of the plot
    BAR_COLOR,
    REPEAT_BAR_COLOR,
    SELECTED_BAR_COLOR,
    RankedBars,
)
from guiapp.ui.tooltips import set_tip
from guiapp.ui.training_plot import TrainingPlot

if TYPE_CHECKING:
    from guiapp.ui.session_store import SessionStore

pg.setConfigOptions(antialias=True)

BASELINE_COLOR = QColor("#c0392b")
MAX_TICKS = 20

_UNSET = object()



class RankingPlot(QWidget):
    """Scores of the store's direction set as bars; click a bar to select a direction."""

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._values = np.zeros(0)
        self._kind = ""
        self._applied: dict[str, Any] = {}  # what the axis label, ticks and legend show
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        set_tip(self, "Click a bar to select its direction (Left/Right move the selection)")

        self.plot_widget = self._make_plot_widget()
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMouseEnabled(x=True, y=False)
        self.plot_item.setLabel("bottom", "Direction")
        self.plot_item.showGrid(y=True, alpha=0.25)
        # Major ticks and grid lines only: the minor ones doubled the cost of repainting
        # the plot when a set arrives, and bars read against a few lines just as well.
        self.plot_item.getAxis("left").setStyle(maxTickLevel=0)
        self.bars = RankedBars(self.plot_item)
        pen = pg.mkPen(BASELINE_COLOR, width=1.5, style=Qt.PenStyle.DashLine)
        self.baseline_line = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        self.baseline_line.hide()
        self.plot_item.addItem(self.baseline_line)
        # The legend sits top right, where ranked bars are short; a label on the line
        # itself would run over the bars.
        self.legend = self.plot_item.addLegend(offset=(-8, 8), labelTextColor=self._text_color())
        self._legend_sample = pg.PlotDataItem(pen=pen)  # no data: only its legend entry
        self.baseline_text = ""

        self.training = TrainingPlot(self)
        self.training.hide()

        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setContentsMargins(6, 0, 6, 0)
        ranking = QVBoxLayout()
        ranking.setSpacing(2)
        ranking.addWidget(self.plot_widget, 1)
        ranking.addWidget(self.caption)
        layout = QHBoxLayout(self)  # the training curves beside the bars: both stay tall
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(ranking, 2)
        layout.addWidget(self.training, 1)

        self.plot_widget.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        store.directions_changed.connect(self._on_store_directions_changed)
        store.selection_changed.connect(self._on_store_selection_changed)
        store.direction_changed.connect(self._on_store_direction_changed)
        self._on_store_directions_changed()

    def _make_plot_widget(self) -> pg.PlotWidget:
        """A plot in the window's own colours (light background, text in the text colour)."""
        palette = self.palette()
        widget = pg.PlotWidget(background=palette.color(QPalette.ColorRole.Base))
        widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to this widget
        text = self._text_color()
        for name in ("left", "bottom"):
            axis = widget.getPlotItem().getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(text))
        return widget

    def _text_color(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.WindowText)

    # -- reading (for tests and the main window) -----------------------------------------
    def bar_count(self) -> int:
        return len(self._values)

    def bar_values(self) -> np.ndarray:
        """The heights drawn, in axis units (% for explained variance)."""
        return self._values.copy()

    def highlighted_index(self) -> int:
        """The bar drawn in the selection colour, or -1."""
        return self.bars.highlighted()

    def bar_at(self, x: float) -> int:
        """The direction whose bar column contains data x, or -1."""
        i = round(x)
        return i if 0 <= i < len(self._values) and abs(x - i) <= 0.5 else -1

    # -- store -> widget -------------------------------------------------------------------
    def _on_store_directions_changed(self) -> None:
        """Show the store's set: only what differs from the set shown before is set on
        the plot (a new axis label, ticks or legend costs a text layout each; a run's set
        arrives while the user waits for it)."""
        ds = self.store.direction_set
        ranking = ds.ranking if ds is not None else None
        self._kind = ranking.kind if ranking is not None else ""
        k = len(ds) if ds is not None else 0
        values = np.asarray(ranking.values if ranking is not None else (), np.float64)
        if len(values) < k:
            values = ds.scores if ds is not None else np.zeros(0)
        values = values[:k]
        scale = 100.0 if ranking is not None and ranking.percent else 1.0
        self._values = values * scale

        label = ranking.axis_label if ranking is not None else "Score"
        self._set_once("left label", label, lambda text: self.plot_item.setLabel("left", text))
        self.bars.set_values(self._values)
        self._mark_bars()
        step = max(1, math.ceil(k / MAX_TICKS))  # whole direction numbers, never 0.4
        self._set_once("ticks", (k, step), lambda _: self.plot_item.getAxis("bottom").setTicks(
            [[(i, str(i)) for i in range(0, k, step)]]))
        baseline = ranking.baseline if ranking is not None else None
        if baseline is not None and k:
            y = baseline * scale
            unit = " %" if scale == 100.0 else ""
            self.baseline_line.setValue(y)
            self.baseline_line.show()
            self.baseline_text = f"random directions: {y:.3g}{unit}"
        else:
            self.baseline_line.hide()
            self.baseline_text = ""
        self._set_once("legend", self.baseline_text, self._show_legend)
        self.show_set_training()
        self.plot_item.enableAutoRange()
        self._show_caption()

    def _set_once(self, what: str, value: Any, apply: Any) -> None:
        """``apply(value)`` unless ``value`` is what ``what`` shows already."""
        if self._applied.get(what, _UNSET) != value:
            self._applied[what] = value
            apply(value)

    def _show_legend(self, text: str) -> None:
        self.legend.clear()
        if text:
            self.legend.addItem(self._legend_sample, text)

    def _on_store_selection_changed(self, index: int) -> None:
        self._mark_bars()
        self._show_caption()

    def _on_store_direction_changed(self, index: int) -> None:
        if index == self.store.selected:
            self._show_caption()  # its label may have changed

    def _notes(self, index: int) -> str:
        ds = self.store.direction_set
        return ds.directions[index].notes if ds is not None and index < len(ds) else ""

    def _mark_bars(self) -> None:
        """The selected direction and the near-duplicates in their own colours."""
        ds = self.store.direction_set
        k = len(self._values)
        repeats = () if ds is None else tuple(
            i for i, d in enumerate(ds.directions[:k]) if d.notes.startswith("near-duplicate"))
        self.bars.mark(self.store.selected if 0 <= self.store.selected < k else -1, repeats)

    def _show_caption(self) -> None:
        i = self.store.selected
        if not len(self._values):
            self.caption.setText("No directions yet: run a method to rank some.")
        elif not 0 <= i < len(self._values):
            self.caption.setText("Click a bar to select its direction.")
        else:
            label = self.store.label(i)
            name = f"Direction {i}" + (f" \u201c{label}\u201d" if label else "")
            _, fmt = RANKING_KINDS.get(self._kind, ("", "score {:.4g}"))
            text = f"{name}: {fmt.format(self._values[i])}"
            if self.baseline_text:
                text += f" ({self.baseline_text})"
            if notes := self._notes(i):
                text += f"; {notes}"
            self.caption.setText(text)

    # -- widget -> store -------------------------------------------------------------------
    def _on_scene_clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        view_box = self.plot_item.getViewBox()
        if not view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        index = self.bar_at(view_box.mapSceneToView(event.scenePos()).x())
        if index >= 0:
            self.store.select(index)
            self.setFocus(Qt.FocusReason.MouseFocusReason)

    def _on_scene_mouse_moved(self, scene_pos: Any) -> None:
        view_box = self.plot_item.getViewBox()
        index = -1
        if view_box.sceneBoundingRect().contains(scene_pos):
            index = self.bar_at(view_box.mapSceneToView(scene_pos).x())
        tip = f"Direction {index}: {self._values[index]:.4g}" if index >= 0 else ""
        set_tip(self.plot_widget, tip)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
        if step is None or not len(self._values):
            super().keyPressEvent(event)
            return
        current = max(self.store.selected, 0)
        self.store.select(min(max(current + step, 0), len(self._values) - 1))

    # -- training curves -------------------------------------------------------------------
    def show_training(
        self, iterations: Sequence[int], loss: Sequence[float], accuracy: Sequence[float]
    ) -> None:
        """Show a whole training history (one entry per report)."""
        self.training.set_history(iterations, loss, accuracy)
        self.training.show()

    def append_training(self, iteration: int, loss: float, accuracy: float) -> None:
        """Add the newest training report (a run in progress)."""
        self.training.append(iteration, loss, accuracy)
        self.training.show()

    def show_set_training(self) -> None:
        """The current set's own training curves, or none (also after a run that was
        cancelled or failed, so its partial curve does not stay beside other bars)."""
        ds = self.store.direction_set
        curve = ds.training if ds is not None else None
        if curve is not None:
            self.show_training(curve.iterations, curve.loss, curve.accuracy)
        else:
            self.hide_training()

    def hide_training(self) -> None:
        if not self.training.is_empty():
            self.training.clear_history()
        self.training.hide()
