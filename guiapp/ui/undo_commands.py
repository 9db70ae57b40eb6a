"""The session store's undo steps: one direction's value, or the whole direction set.

Every change the user can lose goes through the store's QUndoStack: a slider, a layer
range or a label (``SetValue``), and a new set replacing the shown one (``ReplaceSet``:
a method's result or an imported file), so Ctrl+Z after a run brings the named set back
with its alphas, layers and selection, and redo shows the new one again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtGui import QUndoCommand

from guiapp.core.types import DirectionSet, LayerRange

if TYPE_CHECKING:
    from guiapp.ui.session_store import SessionStore


@dataclass(frozen=True)
class SetState:
    """Everything the direction list shows: the set (with its labels), each direction's
    alpha and layer range, and the selected row."""

    direction_set: DirectionSet | None
    alphas: tuple[float, ...]
    layers: tuple[LayerRange, ...]
    selected: int

    def has_work(self) -> bool:
        """True when losing this state would lose something the user did: a label typed
        or an alpha moved."""
        ds = self.direction_set
        named = ds is not None and any(d.label for d in ds.directions)
        return named or any(a != 0 for a in self.alphas)


class SetValue(QUndoCommand):
    """Undoable change of one direction's alpha, layers or label."""

    _ids: ClassVar[dict[str, int]] = {"alpha": 1, "layers": 2, "label": 3}

    def __init__(self, store: SessionStore, kind: str, index: int, old: Any, new: Any) -> None:
        super().__init__(f"{kind} of direction {index}")
        self.store, self.kind, self.index, self.old, self.new = store, kind, index, old, new
        self.gesture = store.gesture

    def id(self) -> int:
        return self._ids[self.kind]

    def mergeWith(self, other: QUndoCommand) -> bool:
        mergeable = (isinstance(other, SetValue) and other.kind == self.kind != "label"
                     and other.index == self.index and other.gesture == self.gesture)
        if not mergeable:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.store._apply(self.kind, self.index, self.new)

    def undo(self) -> None:
        self.store._apply(self.kind, self.index, self.old)


class ReplaceSet(QUndoCommand):
    """Undoable swap of the whole shown set: ``old`` comes back on undo, ``new`` on redo."""

    def __init__(self, store: SessionStore, old: SetState, new: SetState, text: str) -> None:
        super().__init__(text)
        self.store, self.old, self.new = store, old, new

    def redo(self) -> None:
        self.store._show_state(self.new)

    def undo(self) -> None:
        self.store._show_state(self.old)
