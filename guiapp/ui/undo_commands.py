"""The session store's undo steps: snapshots of the workspace, before and after.

Every change the user can lose goes through the store's QUndoStack as one
``WorkspaceChange``: a slider, a layer range, a label, a set added by a run or an import,
renamed, duplicated or removed, labels transferred. The workspace is frozen plain data,
so a step holds the two workspaces and undo shows the old one (which also selects the
set that changed, so the user sees what came back). Consecutive moves of one slider in
one gesture merge into one step.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from guiapp.core.workspace import Workspace


class ShowsWorkspace(Protocol):
    """What a step needs of the store (kept narrow: the store imports this module)."""

    gesture: int

    def _show(self, workspace: Workspace, kind: str, set_id: int | None,
              index: int) -> None: ...


_IDS = {"alpha": 1, "layers": 2}  # the kinds that merge within a gesture


class WorkspaceChange(QUndoCommand):
    """Undoable swap of the store's workspace. ``kind``: "alpha", "layers", "label" (one
    direction ``index`` of set ``set_id`` changed) or "sets" (anything else)."""

    def __init__(self, store: ShowsWorkspace, old: Workspace, new: Workspace, text: str,
                 kind: str = "sets", set_id: int | None = None, index: int = -1) -> None:
        super().__init__(text)
        self.store, self.old, self.new = store, old, new
        self.kind, self.set_id, self.index = kind, set_id, index
        self.gesture = store.gesture

    def id(self) -> int:
        return _IDS.get(self.kind, -1)

    def mergeWith(self, other: QUndoCommand) -> bool:
        key: Any = (self.kind, self.set_id, self.index, self.gesture)
        if not isinstance(other, WorkspaceChange) or key != (
                other.kind, other.set_id, other.index, other.gesture):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.store._show(self.new, self.kind, self.set_id, self.index)

    def undo(self) -> None:
        self.store._show(self.old, self.kind, self.set_id, self.index)
