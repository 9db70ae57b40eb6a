"""The list of discovered directions: one ``DirectionRow`` each, under a "Reset all" header.

A set can hold hundreds of directions (GANSpace on a 512-wide w) and a row costs a few
milliseconds to build, so rows are built when they scroll into view: until then an empty
placeholder of the same height holds the place. The store's selection is highlighted and
kept in view; Up and Down move it from anywhere in the list (sliders and number boxes
keep their own arrow keys).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from guiapp.ui.direction_row import DirectionRow
from guiapp.ui.tooltips import set_tip

if TYPE_CHECKING:
    from guiapp.ui.session_store import SessionStore

PLACEHOLDER_TEXT = "Run a method to discover directions"
METHOD_TITLES = {"ganspace": "GANSpace", "sefa": "SeFa", "latentclr": "LatentCLR"}
_ARROW_STEPS = {
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_PageUp: -10,
    Qt.Key.Key_PageDown: 10,
}


class DirectionList(QWidget):
    """Scrollable rows for every direction of the store's current set."""

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._slots: list[QWidget] = []  # a DirectionRow, or a placeholder until built
        self._count = 0  # slots [0, count) show the store's set; the rest wait, hidden
        self._stale: set[int] = set()  # kept rows that still show an earlier set
        self._column: QVBoxLayout | None = None
        self._row_height = 0
        self._row_min_width = 0  # a row's controls, number box and reset button included
        self._layer_lines = store.num_ws > 1  # rows have a layer-range line
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.title = QLabel("Directions")
        self.reset_all_button = QPushButton("Reset all")
        set_tip(self.reset_all_button,
            "Set every alpha to 0 and every layer range to its default (Ctrl+Z undoes it)"
        )
        header = QHBoxLayout()
        header.setContentsMargins(6, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.reset_all_button)

        self.placeholder = QLabel(PLACEHOLDER_TEXT)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        hint = self.placeholder.palette()  # greyed like a line edit's placeholder text
        hint.setColor(QPalette.ColorRole.WindowText, hint.color(QPalette.ColorRole.PlaceholderText))
        self.placeholder.setPalette(hint)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.installEventFilter(self)
        self.scroll_area.viewport().installEventFilter(self)
        self._stack = QStackedWidget()
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(self.scroll_area)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self._stack, 1)

        self.reset_all_button.clicked.connect(self._on_reset_all_button_clicked)
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._on_scroll_bar_moved)
        store.directions_changed.connect(self._on_store_directions_changed)
        store.selection_changed.connect(self._on_store_selection_changed)
        store.model_changed.connect(self._on_store_model_changed)
        self._on_store_directions_changed()

    def minimumSizeHint(self) -> QSize:
        """Never narrower than a row beside the scroll bar: the splitter and the window's
        minimum width keep every row's number box and reset button in view."""
        hint = super().minimumSizeHint()
        bar = self.scroll_area.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), self._row_min_width + bar), hint.height())

    # -- reading ---------------------------------------------------------------------------
    def row_count(self) -> int:
        return self._count

    def row(self, index: int) -> DirectionRow:
        """Row ``index`` of the shown set, built now if it has not been scrolled into view
        yet, and showing the current set (a reused row catches up here)."""
        if not 0 <= index < self._count:
            raise IndexError(f"no row {index}: the list shows {self._count}")
        slot = self._slots[index]
        if isinstance(slot, DirectionRow):
            if index in self._stale:
                self._stale.discard(index)
                slot.show_current_set()
            return slot
        assert self._column is not None
        row = DirectionRow(self.store, index)
        row.setFixedHeight(self._row_height)
        self._column.replaceWidget(slot, row)
        previous = slot  # a built row joins the Tab order where its placeholder was
        for widget in row.tab_order():
            QWidget.setTabOrder(previous, widget)
            previous = widget
        if slot.isVisible():
            row.show()  # now, not after the next event-loop turn: no blank flash
        slot.hide()
        slot.deleteLater()
        self._slots[index] = row
        return row

    def built_rows(self) -> list[DirectionRow]:
        """The rows of the shown set built so far (the others are placeholders)."""
        return [self.row(i) for i, s in enumerate(self._slots[: self._count])
                if isinstance(s, DirectionRow)]

    # -- store -> widget -------------------------------------------------------------------
    def _on_store_directions_changed(self) -> None:
        """Show the store's set. Rows are kept from set to set (building one costs a few
        milliseconds, showing another set in one costs a fraction of that): slot ``i``
        stays row ``i``; slots past the set's size are hidden, not destroyed, and a kept row
        shows the new set when it is next in view (:meth:`row`)."""
        k = len(self.store)
        if self._column is None or (k and self._row_height <= 0):
            self._rebuild_container()
        if k and self._row_height <= 0:
            self._measure_rows()
        column, slots = self._column, self._slots
        assert column is not None
        while len(slots) < k:
            slot = self._placeholder()
            slots.append(slot)
            column.insertWidget(len(slots) - 1, slot)
        self._stale = {i for i in range(k) if isinstance(slots[i], DirectionRow)}
        focus = QApplication.focusWidget()
        for i in list(self._stale):  # a row being typed in shows the new set at once
            if focus is not None and slots[i].isAncestorOf(focus):
                self.row(i)
        changed = [(slot, i < k) for i, slot in enumerate(slots) if slot.isHidden() != (i >= k)]
        if changed:  # shown or hidden together, under a hidden column: one layout pass
            container = self.scroll_area.widget()
            container.hide()
            for slot, visible in changed:
                slot.setVisible(visible)
            container.show()
        self._count = k
        self._build_visible_rows()

        ds = self.store.direction_set
        self._stack.setCurrentWidget(self.scroll_area if k else self.placeholder)
        self.reset_all_button.setEnabled(bool(k))
        if ds is None or not k:
            self.title.setText("Directions")
        else:
            method = METHOD_TITLES.get(ds.method, ds.method)
            self.title.setText(f"Directions: {k} from {method} in {ds.space}")

    def _rebuild_container(self) -> None:
        """Drop every row and start an empty column (first use, or rows of another shape)."""
        for old in self._slots:
            if isinstance(old, DirectionRow):
                old.disconnect_store()
        old_container = self.scroll_area.takeWidget()
        if old_container is not None:
            old_container.deleteLater()
        container = QWidget()
        self._column = QVBoxLayout(container)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        self._column.addStretch(1)
        self._slots, self._stale, self._count, self._row_height = [], set(), 0, 0
        self.scroll_area.setWidget(container)

    def _measure_rows(self) -> None:
        """Row 0, built first: its height is every row's, its width the list's minimum."""
        assert self._column is not None and not self._slots
        first = DirectionRow(self.store, 0)
        first.ensurePolished()  # the style may change sizes
        self._row_height = first.sizeHint().height()
        self._row_min_width = first.minimumSizeHint().width()
        self.updateGeometry()
        first.setFixedHeight(self._row_height)
        self._slots.append(first)
        self._column.insertWidget(0, first)

    def _placeholder(self) -> QWidget:
        slot = _Placeholder(self._on_placeholder_focused)
        slot.setFixedHeight(self._row_height)
        slot.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab builds the row and enters it
        return slot

    def _on_placeholder_focused(self, slot: QWidget) -> None:
        if slot in self._slots:
            self.row(self._slots.index(slot)).edit_label()  # Tab reached an unbuilt row

    def _on_store_model_changed(self) -> None:
        layer_lines = self.store.num_ws > 1
        if layer_lines != self._layer_lines:  # rows gain or lose a line: measure again
            self._layer_lines = layer_lines
            self._rebuild_container()
            self._on_store_directions_changed()

    def _on_store_selection_changed(self, index: int) -> None:
        if not 0 <= index < self._count:
            return
        self.row(index)  # built, so that it shows the highlight once scrolled to
        # Scrolling under a pressed mouse would pull the row away from the pointer.
        if QApplication.mouseButtons() == Qt.MouseButton.NoButton:
            self._scroll_to(index)

    def _scroll_to(self, index: int) -> None:
        """Bring row ``index`` fully into view (by arithmetic: the layout may be pending)."""
        bar = self.scroll_area.verticalScrollBar()
        top, height = index * self._row_height, self._row_height
        view = self.scroll_area.viewport().height()
        if top < bar.value():
            bar.setValue(top)
        elif top + height > bar.value() + view:
            bar.setValue(top + height - view)

    def _on_scroll_bar_moved(self, _value: int) -> None:
        self._build_visible_rows()

    def _build_visible_rows(self) -> None:
        """Build the rows in view and half a screen around them."""
        if not self._slots or self._row_height <= 0:
            return
        view = max(self.scroll_area.viewport().height(), self._row_height)
        top = self.scroll_area.verticalScrollBar().value() - view // 2
        first = max(0, top // self._row_height)
        last = min(self._count, math.ceil((top + 2 * view) / self._row_height) + 1)
        for i in range(first, last):
            self.row(i)

    # -- widget -> store -------------------------------------------------------------------
    def _on_reset_all_button_clicked(self) -> None:
        self.store.reset_all()

    def move_selection(self, step: int) -> None:
        """Select the row ``step`` away from the selected one; the focus moves along."""
        if not self._count:
            return
        current = max(self.store.selected, 0)
        target = min(max(current + step, 0), self._count - 1)
        focus = QApplication.focusWidget()
        inside = focus is not None and focus is not self and self.isAncestorOf(focus)
        self.store.select(target)
        row = self.row(target)
        if inside and isinstance(focus, DirectionRow):
            row.setFocus(Qt.FocusReason.OtherFocusReason)
        elif inside:
            row.edit_label()  # keep typing names down the list
        self._scroll_to(target)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_arrow(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.scroll_area and isinstance(event, QKeyEvent):
            # Arrows a row leaves unused bubble up to the scroll area, which would scroll.
            if kind == QEvent.Type.KeyPress and self._handle_arrow(event):
                return True
        elif watched is self.scroll_area.viewport() and kind == QEvent.Type.Resize:
            self._build_visible_rows()
        return super().eventFilter(watched, event)

    def _handle_arrow(self, event: QKeyEvent) -> bool:
        step = _ARROW_STEPS.get(Qt.Key(event.key()))
        if step is None or event.modifiers() not in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            return False
        if isinstance(QApplication.focusWidget(), QAbstractSlider | QAbstractSpinBox):
            return False  # it ignored the key, at the end of its range: leave it be
        self.move_selection(step)
        return True


class _Placeholder(QWidget):
    """An unbuilt row's place: Tab reaching it builds the row (a focus handler, not an
    event filter, which Python would be asked about for every move and resize)."""

    def __init__(self, on_focus: Callable[[QWidget], None]) -> None:
        super().__init__()
        self._on_focus = on_focus

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._on_focus(self)
