"""A search box for the class of a conditional generator, by name (BigGAN's 1000 ImageNet
classes are unusable as bare numbers): type part of a name, pick it from the completer."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit

from guiapp.ui.tooltips import set_tip


class ClassSearch(QLineEdit):
    """Shows the current class's name; emits :attr:`chosen` with the index of a name picked
    from the completer (or typed, in full or a part only one name contains, and confirmed
    with Enter)."""

    chosen = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self._names: tuple[str, ...] = ()
        self._model = QStringListModel()
        completer = QCompleter(self._model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        completer.activated[str].connect(self._pick)
        self.setCompleter(completer)
        self.setPlaceholderText("search classes by name")
        set_tip(self, "Type part of a class name (e.g. 'retriever') and pick one")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(180)
        self.returnPressed.connect(lambda: self._pick(self.text()))
        self.setVisible(False)

    def set_names(self, names: tuple[str, ...]) -> None:
        """The names of the model's classes in index order; hidden when there are none."""
        self._names = tuple(names)
        self._model.setStringList(list(self._names))
        self.setVisible(bool(self._names))

    def show_index(self, index: int) -> None:
        """Show class ``index``'s name without emitting :attr:`chosen`."""
        text = self._names[index] if 0 <= index < len(self._names) else ""
        if text != self.text():
            self.blockSignals(True)
            self.setText(text)
            self.blockSignals(False)

    def _pick(self, text: str) -> None:
        lowered = [n.lower() for n in self._names]
        key = text.strip().lower()
        matches = [i for i, n in enumerate(lowered) if key and key in n]
        if key in lowered:
            self.chosen.emit(lowered.index(key))
        elif len(matches) == 1:  # Enter on a part that names one class
            self.chosen.emit(matches[0])
