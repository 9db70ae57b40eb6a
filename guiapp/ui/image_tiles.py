"""A row of images, each scaled smoothly to fit its cell with its aspect kept, with a
caption under each (the image view's panes and its preview strip)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

_PAD = 2  # pixels between tiles


class TileCanvas(QWidget):
    """Paints pixmaps side by side, each scaled smoothly to fit its cell, with a caption
    under each when given."""

    painted = Signal()

    def __init__(self, min_size: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tiles: list[QPixmap] = []
        self._captions: list[str] = []
        self.setMinimumSize(min_size)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_tiles(self, tiles: list[QPixmap], captions: list[str] | None = None) -> None:
        self._tiles, self._captions = tiles, captions or []
        self.update()

    def tiles(self) -> list[QPixmap]:
        return list(self._tiles)

    def caption(self) -> str:
        """The first tile's caption ("" when it has none)."""
        return self._captions[0] if self._captions else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        n = len(self._tiles)
        caption_h = painter.fontMetrics().height() + 2 if self._captions else 0
        for i, pixmap in enumerate(self._tiles):
            cell = QRect(i * self.width() // n, 0, self.width() // n, self.height() - caption_h)
            room = cell.adjusted(_PAD, _PAD, -_PAD, -_PAD).size()
            size = pixmap.size().scaled(room, Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(cell.center())
            painter.drawPixmap(target, pixmap)
            if i < len(self._captions):
                text = QRect(cell.left(), target.bottom() + 2, cell.width(), caption_h)
                painter.drawText(text, Qt.AlignmentFlag.AlignHCenter, self._captions[i])
        painter.end()
        self.painted.emit()
