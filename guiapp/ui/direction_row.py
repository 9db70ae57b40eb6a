"""One row of the direction list: name, alpha and layer range of one direction.

The store is the only source of truth. User input goes to the store's setters; the row
redraws itself from ``direction_changed`` with its controls' signals blocked, so a change
never echoes back. Layer ranges are half-open in the store and inclusive on screen, as in
GANSpace: the store's ``LayerRange(2, 6)`` shows as layers 2 to 5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QWidget,
)

from guiapp.core.types import LayerRange
from guiapp.ui.direction_tips import (
    NAME_TIP,
    RESET_TIP,
    alpha_tip,
    layers_tip,
    name_placeholder,
    name_tip,
    note_sentence,
)
from guiapp.ui.row_controls import (
    RowDoubleSpinBox,
    RowLineEdit,
    RowRangeSlider,
    RowSlider,
    RowSpinBox,
    RowToolButton,
)
from guiapp.ui.tooltips import set_tip
from guiapp.ui.undo_keys import UndoKeys

if TYPE_CHECKING:
    from guiapp.ui.session_store import SessionStore

#: Alpha slider positions per slider unit: 0.01-unit resolution.
ALPHA_STEPS = 100
_icons: dict[str, QIcon] = {}  # made once: a standard icon per row slows big lists down


class DirectionRow(QWidget):
    """Controls for direction ``index`` of ``store``: label, alpha, layers, reset.

    Clicking or focusing anything in the row selects the direction in the store; the
    selected row paints a highlight. F2 or a double-click starts renaming; Esc cancels.
    """

    def __init__(self, store: SessionStore, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.index = store, index
        self._selected = False
        self._shown: dict[str, object] = {}  # what the controls show, by store field
        self._config: tuple[object, ...] | None = None  # the set-dependent ranges and tips
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAccessibleName(f"Direction {index}")

        self.index_label = QLabel(str(index))
        self.index_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.label_edit = RowLineEdit(self)
        self.label_edit.setFrame(False)
        set_tip(self.label_edit, NAME_TIP)
        self._set_label_look(editing=False)
        self.alpha_slider = RowSlider(self, Qt.Orientation.Horizontal)
        self.alpha_slider.setSingleStep(ALPHA_STEPS // 10)
        self.alpha_slider.setPageStep(ALPHA_STEPS // 2)
        self.alpha_box = RowDoubleSpinBox(self)
        self.alpha_box.setDecimals(2)
        self.alpha_box.setSingleStep(0.1)
        self.alpha_box.setKeyboardTracking(False)  # send on Enter, arrows or leaving the box
        self.alpha_box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.layer_slider = RowRangeSlider(self, Qt.Orientation.Horizontal)
        self.layer_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no keys: the boxes take them
        self.first_layer_box, self.last_layer_box = RowSpinBox(self), RowSpinBox(self)
        for box in (self.first_layer_box, self.last_layer_box):
            box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
            box.setKeyboardTracking(False)
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.layers_caption = QLabel("layers")
        self.layers_caption.setEnabled(False)  # greyed: a caption, not a control
        self.reset_button = RowToolButton(self)
        if "reset" not in _icons:
            _icons["reset"] = self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
        self.reset_button.setIcon(_icons["reset"])
        set_tip(self.reset_button, RESET_TIP)
        self.reset_button.setAutoRaise(True)
        for widget, name in (
            (self.label_edit, "Label"),
            (self.alpha_slider, "Alpha"),
            (self.alpha_box, "Alpha value"),
            (self.first_layer_box, "First layer"),
            (self.last_layer_box, "Last layer"),
            (self.reset_button, "Reset"),
        ):
            widget.setAccessibleName(f"{name} of direction {index}")

        self._build_layout()
        self._configure_for_model()
        self.refresh()

        self.label_edit.editingFinished.connect(self._on_label_edit_finished)
        self.alpha_slider.valueChanged.connect(self._on_alpha_slider_changed)
        self.alpha_box.valueChanged.connect(self._on_alpha_box_changed)
        self.layer_slider.valueChanged.connect(self._on_layer_slider_changed)
        self.first_layer_box.valueChanged.connect(self._on_first_layer_box_changed)
        self.last_layer_box.valueChanged.connect(self._on_last_layer_box_changed)
        self.reset_button.clicked.connect(self._on_reset_button_clicked)
        for slider in (self.alpha_slider, self.layer_slider):
            slider.sliderPressed.connect(lambda: store.set_dragging(True))
            slider.sliderReleased.connect(lambda: store.set_dragging(False))
        for gesture_end in (self.alpha_slider.sliderReleased, self.alpha_box.editingFinished,
                            self.layer_slider.sliderReleased):
            gesture_end.connect(store.end_gesture)
        store.direction_changed.connect(self._on_store_direction_changed)
        store.selection_changed.connect(self._on_store_selection_changed)
        store.model_changed.connect(self._on_store_model_changed)
        store.commit_requested.connect(self._on_store_commit_requested)
        self._undo_keys = UndoKeys(store.undo_stack, self._show_store_values, self)
        self.set_selected(store.selected == index)

    def _build_layout(self) -> None:
        """Name, alpha slider, alpha box, reset on top; the layer range under the slider."""
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 3, 4, 3)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(1)
        for column, widget in enumerate(
            (self.index_label, self.label_edit, self.alpha_slider, self.alpha_box)
        ):
            grid.addWidget(widget, 0, column)
        first = QHBoxLayout()
        first.addStretch(1)
        first.addWidget(self.layers_caption)
        first.addWidget(self.first_layer_box)
        grid.addLayout(first, 1, 1)
        grid.addWidget(self.layer_slider, 1, 2)
        grid.addWidget(self.last_layer_box, 1, 3, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.reset_button, 0, 4)  # added last: last in the Tab order
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 3)
        metrics = self.fontMetrics()
        self.index_label.setMinimumWidth(metrics.horizontalAdvance("000"))
        for box in (self.first_layer_box, self.last_layer_box):
            box.setFixedWidth(metrics.horizontalAdvance("000") + 12)
        self.alpha_box.setMinimumWidth(metrics.horizontalAdvance("-00.00") + 34)
        self.label_edit.setMinimumWidth(metrics.horizontalAdvance("head tur"))
        self.alpha_slider.setMinimumWidth(100)  # a usable drag length even when squeezed
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def layer_widgets(self) -> tuple[QWidget, ...]:
        """The layer-range line under the slider (hidden for a single-latent model)."""
        return (self.layers_caption, self.first_layer_box, self.layer_slider,
                self.last_layer_box)

    def tab_order(self) -> list[QWidget]:
        """The row's keyboard controls, in the order Tab visits them."""
        boxes = [self.alpha_box, self.first_layer_box, self.last_layer_box]
        return [self.label_edit, self.alpha_slider, *boxes, self.reset_button]

    # -- store -> widget -------------------------------------------------------------------
    def _configure_for_set(self) -> None:
        """The alpha range and the tooltips, which depend on the direction set (skipped
        when they are what the row shows already: rows are reused from set to set)."""
        ds = self.store.direction_set
        notes = ds.directions[self.index].notes if ds is not None and self.index < len(ds) else ""
        limit = self.store.alpha_limit(self.index)
        config = (limit, self.store.unit_text(self.index), notes)
        if self._config == config:
            return
        self._config = config
        self._set_alpha_range(limit)
        self.label_edit.setPlaceholderText(name_placeholder(notes))
        set_tip(self.label_edit, name_tip(notes))  # the note in full
        set_tip(self.index_label, note_sentence(notes))
        self._shown.clear()  # the range may have clamped what the controls show

    def _configure_for_model(self) -> None:
        """Ranges and tooltips, which depend on the model and the direction set."""
        self._config = None
        self._configure_for_set()
        last = self.store.num_ws - 1
        with QSignalBlocker(self.layer_slider):
            self.layer_slider.setRange(0, last)
        for box in (self.first_layer_box, self.last_layer_box):
            with QSignalBlocker(box):
                box.setRange(0, last)
        tip = layers_tip(last)
        for widget in self.layer_widgets():
            set_tip(widget, tip)
            widget.setEnabled(last > 0 and widget is not self.layers_caption)  # caption: grey
            widget.setVisible(last > 0)  # one latent: no layer range to choose
        self._shown.clear()  # ranges may have clamped what the controls show

    def _set_alpha_range(self, limit: float) -> None:
        with QSignalBlocker(self.alpha_slider), QSignalBlocker(self.alpha_box):
            self.alpha_slider.setRange(-round(limit * ALPHA_STEPS), round(limit * ALPHA_STEPS))
            self.alpha_box.setRange(-limit, limit)
        tip = alpha_tip(limit, self.store.unit_text(self.index))
        set_tip(self.alpha_slider, tip)
        set_tip(self.alpha_box, tip)

    def refresh(self) -> None:
        """Show the store's current label, alpha and layers (only the parts that changed)."""
        if self.index >= len(self.store):
            return  # a stale row whose set is gone; the list is about to drop it
        label = self.store.label(self.index)
        if self._shown.get("label") != label:
            self._shown["label"] = label
            with QSignalBlocker(self.label_edit):
                self.label_edit.setText(label)
                self.label_edit.setCursorPosition(0)
        alpha = self.store.alpha(self.index)
        if self._shown.get("alpha") != alpha:
            self._shown["alpha"] = alpha
            if abs(alpha) > self.alpha_box.maximum():  # e.g. a session saved with a wider limit
                self._set_alpha_range(abs(alpha))
                self._config = None  # the next set shown here gets its own range back
            with QSignalBlocker(self.alpha_slider), QSignalBlocker(self.alpha_box):
                self.alpha_slider.setValue(round(alpha * ALPHA_STEPS))
                self.alpha_box.setValue(alpha)
        layers = self.store.layers(self.index)
        if self._shown.get("layers") != layers:
            self._shown["layers"] = layers
            first, last = layers.start, layers.stop - 1
            with QSignalBlocker(self.layer_slider):
                self.layer_slider.setValue((first, last))
            for box, value in ((self.first_layer_box, first), (self.last_layer_box, last)):
                with QSignalBlocker(box):
                    box.setValue(value)

    def show_current_set(self) -> None:
        """Show direction ``index`` of the store's set as it is now: the list reuses this
        row when another set is shown, and the ranges, tips and values may all differ."""
        if self.index < len(self.store):
            self._configure_for_set()
            self._shown.clear()  # typing not entered belonged to the set shown before
            self.refresh()
        self.set_selected(self.store.selected == self.index)

    def _show_store_values(self) -> None:
        """Show the store's values again, even where the boxes hold unentered typing."""
        if self.index < len(self.store):
            self._shown.clear()
            self.refresh()

    def _on_store_direction_changed(self, index: int) -> None:
        if index == self.index:
            self.refresh()

    def _on_store_model_changed(self) -> None:
        if self.index < len(self.store):
            self._configure_for_model()
            self.refresh()

    def _on_store_selection_changed(self, index: int) -> None:
        self.set_selected(index == self.index)

    def disconnect_store(self) -> None:
        """Stop listening to the store and stop talking to it (before the list drops this
        row): a focused label editor emits editingFinished when it is destroyed, which must
        not rename a direction of the next set."""
        for child in self.findChildren(QWidget):
            child.blockSignals(True)
        self.store.direction_changed.disconnect(self._on_store_direction_changed)
        self.store.selection_changed.disconnect(self._on_store_selection_changed)
        self.store.model_changed.disconnect(self._on_store_model_changed)
        self.store.commit_requested.disconnect(self._on_store_commit_requested)

    # -- widget -> store -------------------------------------------------------------------
    def _on_store_commit_requested(self) -> None:
        """The store is about to be saved or replaced: a name or number typed without
        Enter counts as entered."""
        if self.index >= len(self.store):
            return
        if self.label_edit.text().strip() != self.store.label(self.index):
            self.store.set_label(self.index, self.label_edit.text())
        for box in (self.alpha_box, self.first_layer_box, self.last_layer_box):
            box.interpretText()

    def _on_label_edit_finished(self) -> None:
        if self.index >= len(self.store):
            return  # a row the list has just hidden (the set shown now is smaller)
        self.store.set_label(self.index, self.label_edit.text())
        self._shown.pop("label", None)  # show the store's stripped text even if unchanged
        self.refresh()

    def _on_alpha_slider_changed(self, steps: int) -> None:
        self.store.set_alpha(self.index, steps / ALPHA_STEPS)

    def _on_alpha_box_changed(self, value: float) -> None:
        self.store.set_alpha(self.index, value)

    def _on_layer_slider_changed(self, values: tuple[int, ...]) -> None:
        self._send_layers(int(values[0]), int(values[-1]))

    def _on_first_layer_box_changed(self, first: int) -> None:
        self._send_layers(first, max(first, self.last_layer_box.value()))

    def _on_last_layer_box_changed(self, last: int) -> None:
        self._send_layers(min(last, self.first_layer_box.value()), last)

    def _send_layers(self, first: int, last: int) -> None:
        self.store.set_layers(self.index, LayerRange(first, last + 1))
        self._shown.pop("layers", None)  # also puts back a box whose other end was clamped
        self.refresh()

    def _on_reset_button_clicked(self) -> None:
        self.store.reset(self.index)

    # -- selection, renaming ----------------------------------------------------------------
    def is_selected(self) -> bool:
        return self._selected

    def set_selected(self, selected: bool) -> None:
        """Paint or clear the highlight (the store decides which row is selected)."""
        if selected != self._selected:
            self._selected = selected
            self.setAccessibleDescription("selected" if selected else "")
            self.update()

    def edit_label(self) -> None:
        """Focus the label with its text selected, ready to type a new name."""
        self.label_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.label_edit.selectAll()

    def _set_label_look(self, editing: bool) -> None:
        """Flat text on the row's background; an input field's background while editing."""
        palette = self.label_edit.palette()
        base = self.palette().color(QPalette.ColorRole.Base)
        palette.setColor(QPalette.ColorRole.Base, base if editing else QColor(0, 0, 0, 0))
        self.label_edit.setPalette(palette)

    # -- what the controls report (guiapp.ui.row_controls) ----------------------------------
    def control_pressed(self, control: QWidget) -> None:
        self.store.select(self.index)

    def control_focus(self, control: QWidget, focused: bool) -> None:
        if focused:
            self.store.select(self.index)
        if control is self.label_edit:
            self._set_label_look(editing=focused)

    def control_double_clicked(self, control: QWidget) -> bool:
        if control is self.label_edit:
            self.edit_label()
            return True
        return False

    def control_key(self, control: QWidget, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_F2:
            self.edit_label()
            return True
        if event.key() == Qt.Key.Key_Escape and control is self.label_edit:
            self._shown.pop("label", None)
            self.refresh()  # the store's label again
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        if isinstance(control, QAbstractSpinBox):
            return self._undo_keys.handle(event)  # Ctrl+Z: the session's history
        return False

    def control_wheel(self, control: QWidget) -> bool:
        return isinstance(control, QAbstractSlider | QAbstractSpinBox) and not control.hasFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F2:
            self.edit_label()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.store.select(self.index)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.edit_label()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self._selected:
            color = self.palette().highlight().color()
            fill = color.lighter(185) if color.lightness() < 160 else QColor(color)
            fill.setAlpha(90)
            painter.fillRect(self.rect(), fill)
            painter.fillRect(0, 0, 3, self.height(), color)
        painter.setPen(self.palette().color(QPalette.ColorRole.Midlight))
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        painter.end()
        super().paintEvent(event)
