"""The set picker above the direction list: which set of the workspace is shown, and
rename, duplicate and remove it (each one undo step in the store).

Every run and import adds a set; the picker lists them by name in the workspace's order
with their size, and choosing one shows it in the list (edits of the other sets stay
applied). ``ask_name`` is the one method that opens a dialog, so tests answer it there.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from guiapp.ui.session_store import SessionStore
from guiapp.ui.tooltips import set_tip


class SetPicker(QWidget):
    """A combo box of the workspace's sets with Rename, Duplicate and Remove beside it."""

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        set_tip(self.combo, "The direction set the list shows; every run and import adds "
                              "one, and the edits of every set stay applied")
        self.combo.setAccessibleName("Direction set")
        caption = QLabel("&Set:")
        caption.setBuddy(self.combo)
        self.rename_button = self._button("Rename…", "Rename the shown set")
        self.duplicate_button = self._button("Duplicate", "A copy of the shown set, its "
                                             "layer ranges kept and alphas at 0")
        self.remove_button = self._button("Remove", "Remove the shown set and its edits "
                                          "(Ctrl+Z brings it back)")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 0, 0)
        row.addWidget(caption)
        row.addWidget(self.combo, 1)
        for button in (self.rename_button, self.duplicate_button, self.remove_button):
            row.addWidget(button)

        self.combo.activated.connect(self._on_combo_activated)
        self.rename_button.clicked.connect(self.rename_shown)
        self.duplicate_button.clicked.connect(self.duplicate_shown)
        self.remove_button.clicked.connect(self.remove_shown)
        store.sets_changed.connect(self._on_store_sets_changed)
        self._on_store_sets_changed()

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        set_tip(button, tip)
        button.setAutoRaise(True)
        return button

    # -- dialogs (tests replace this) --------------------------------------------------------
    def ask_name(self, title: str, current: str) -> str | None:
        name, ok = QInputDialog.getText(self, title, "Name:", text=current)
        return name if ok else None

    # -- store -> widget -------------------------------------------------------------------
    def _on_store_sets_changed(self) -> None:
        ws = self.store.workspace
        with QSignalBlocker(self.combo):
            self.combo.clear()
            for named in ws.sets:
                self.combo.addItem(f"{named.name}  ({len(named.directions)})", named.set_id)
            if ws.selected is not None:
                self.combo.setCurrentIndex(ws.position(ws.selected))
        has = ws.selected is not None
        for widget in (self.combo, self.rename_button, self.duplicate_button,
                       self.remove_button):
            widget.setEnabled(has)

    def names(self) -> list[str]:
        """The sets as the picker lists them."""
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    # -- widget -> store -------------------------------------------------------------------
    def _on_combo_activated(self, position: int) -> None:
        self.store.select_set(self.combo.itemData(position))

    def rename_shown(self) -> None:
        named = self.store.workspace.selected_set
        if named is None:
            return
        name = self.ask_name("Rename the direction set", named.name)
        if name is not None and name.strip() and name.strip() != named.name:
            self.store.rename_set(named.set_id, name)

    def duplicate_shown(self) -> None:
        if self.store.set_id is not None:
            self.store.duplicate_set(self.store.set_id)

    def remove_shown(self) -> None:
        if self.store.set_id is not None:
            self.store.remove_set(self.store.set_id)

    def step(self, offset: int) -> None:
        """Show the next (+1) or previous (-1) set, wrapping."""
        ids = self.store.workspace.ids
        if ids:
            current = ids.index(self.store.set_id) if self.store.set_id in ids else 0
            self.store.select_set(ids[(current + offset) % len(ids)])
