"""The ranking plot's bars: every direction in one colour, with the selected direction and
the near-duplicates drawn over them in their own colours.

One colour for all bars lets pyqtgraph draw them in one call; a colour per bar made it
record and replay a picture of every bar, and rebuild it whenever the selection moved.
Now a new selection moves one overlay bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

BAR_COLOR = QColor("#7ea6d8")
SELECTED_BAR_COLOR = QColor("#e8710a")
REPEAT_BAR_COLOR = QColor("#c9d6e6")  # a direction whose notes say it repeats another
BAR_WIDTH = 0.8


class RankedBars:
    """Bars of ``values`` on ``plot_item``; ``mark`` colours the selected and repeated ones."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        pen = pg.mkPen(BAR_COLOR.darker(130))
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=BAR_WIDTH, pen=pen,
                                    brush=pg.mkBrush(BAR_COLOR))
        self.repeats = pg.BarGraphItem(x=[0], height=[0], width=BAR_WIDTH, pen=pen,
                                       brush=pg.mkBrush(REPEAT_BAR_COLOR))
        self.selected = pg.BarGraphItem(x=[0], height=[0], width=BAR_WIDTH, pen=pen,
                                        brush=pg.mkBrush(SELECTED_BAR_COLOR))
        for item in (self.bars, self.repeats, self.selected):
            item.hide()
            plot_item.addItem(item)
        self._values = np.zeros(0)
        self._marks: tuple[int, tuple[int, ...]] = (-1, ())

    def set_values(self, values: np.ndarray) -> None:
        self._values = values
        self._marks = (-1, ())
        if len(values):
            self.bars.setOpts(x=np.arange(len(values)), height=values)
            self.bars.show()
        else:
            self.bars.hide()
        self.repeats.hide()
        self.selected.hide()

    def mark(self, selected: int, repeats: Sequence[int]) -> None:
        """Draw bar ``selected`` (-1: none) and the ``repeats`` in their colours."""
        marks = (selected, tuple(repeats))
        if marks == self._marks:
            return
        if marks[1] != self._marks[1]:
            self._overlay(self.repeats, list(marks[1]))
        if selected != self._marks[0]:
            self._overlay(self.selected, [selected] if selected >= 0 else [])
        self._marks = marks

    def _overlay(self, item: pg.BarGraphItem, indices: list[int]) -> None:
        if indices:
            item.setOpts(x=np.asarray(indices), height=self._values[indices])
            item.show()
        else:
            item.hide()

    def colors(self) -> list[QColor]:
        """The colour each bar shows (for tests and the reader)."""
        selected, repeats = self._marks
        colors = [BAR_COLOR] * len(self._values)
        for i in repeats:
            colors[i] = REPEAT_BAR_COLOR
        if selected >= 0:
            colors[selected] = SELECTED_BAR_COLOR
        return colors

    def highlighted(self) -> int:
        return self._marks[0]

    def isVisible(self) -> bool:  # reads like the item it stands for
        return self.bars.isVisible()
