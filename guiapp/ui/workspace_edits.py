"""The "active edits" summary under the direction list: every edit that moves the image,
of every set (set, direction, label, alpha), so edits of sets not shown stay in sight.
Clicking one shows its set and selects its direction; Clear sets its alpha back to 0 and
Clear all does so for every set (each one undo step in the store)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.workspace import ActiveEdit
from guiapp.ui.session_store import SessionStore
from guiapp.ui.tooltips import set_tip


def edit_text(edit: ActiveEdit) -> str:
    """ "SeFa · coarse layers — 3 smile: +1.50" (the label left out when there is none)."""
    name = f"{edit.direction_index} {edit.label}" if edit.label else f"{edit.direction_index}"
    layers = f" on layers {edit.layers.inclusive_text()}" if edit.layers is not None else ""
    return f"{edit.set_name} — {name}: {edit.alpha:+.2f}{layers}"


class ActiveEdits(QWidget):
    """The list of active edits with Clear and Clear all."""

    def __init__(self, store: SessionStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.title = QLabel("Active edits")
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        set_tip(self.clear_button, "Set the chosen edit's alpha back to 0")
        self.clear_all_button = QToolButton()
        self.clear_all_button.setText("Clear all")
        set_tip(self.clear_all_button, "Every alpha of every set back to 0 (Ctrl+Z undoes it)")
        self.list = QListWidget()
        self.list.setAccessibleName("Active edits")
        set_tip(self.list, "Every edit that moves the image, of every set; click one to "
                             "show it in the list")
        self.list.setMaximumHeight(120)
        header = QHBoxLayout()
        header.setContentsMargins(6, 0, 0, 0)
        header.addWidget(self.title, 1)
        header.addWidget(self.clear_button)
        header.addWidget(self.clear_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.list)

        self.list.itemClicked.connect(self._on_item_clicked)
        self.list.itemActivated.connect(self._on_item_clicked)
        self.clear_button.clicked.connect(self.clear_current)
        self.clear_all_button.clicked.connect(store.clear_edits)
        store.edits_changed.connect(self._on_store_edits_changed)
        store.sets_changed.connect(self._on_store_edits_changed)
        self._on_store_edits_changed()

    def edits(self) -> list[ActiveEdit]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.list.count())]

    def _on_store_edits_changed(self) -> None:
        edits = self.store.active_edits()
        current = self.list.currentRow()
        self.list.clear()
        for edit in edits:
            item = QListWidgetItem(edit_text(edit))
            item.setData(Qt.ItemDataRole.UserRole, edit)
            self.list.addItem(item)
        if 0 <= current < self.list.count():
            self.list.setCurrentRow(current)
        self.title.setText(f"Active edits: {len(edits)}" if edits else "Active edits: none")
        self.clear_button.setEnabled(bool(edits))
        self.clear_all_button.setEnabled(bool(edits))

    def jump_to(self, edit: ActiveEdit) -> None:
        """Show the edit's set and select its direction."""
        self.store.select_set(edit.set_id)
        self.store.select(edit.direction_index)

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        self.jump_to(item.data(Qt.ItemDataRole.UserRole))

    def clear_current(self) -> None:
        item = self.list.currentItem() or (self.list.item(0) if self.list.count() else None)
        if item is not None:
            edit: ActiveEdit = item.data(Qt.ItemDataRole.UserRole)
            self.store.end_gesture()  # its own undo step, not part of a drag before it
            self.store.set_edit(edit.set_id, edit.direction_index, 0.0)
            self.store.end_gesture()
