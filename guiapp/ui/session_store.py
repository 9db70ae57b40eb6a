"""The one owner of what the image depends on: model, face, latent controls, and the
workspace of direction sets with every edit (:class:`guiapp.core.workspace.Workspace`).

Widgets read the store and call its setters; the store emits change signals. The
direction list shows the selected set (``direction_set``, ``alpha(i)``, ... read that set);
edits of the other sets stay applied. Every change to the workspace is one undo step
(:mod:`guiapp.ui.undo_commands`; consecutive moves of one slider merge), so no run,
import or removal loses a named set. No torch here: the store only holds plain data.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from guiapp.core.compare_spaces import compare_only_in  # hook: compare by effect (H3)
from guiapp.core.seeds import check_seed
from guiapp.core.types import (
    DirectionSet,
    Edit,
    LayerRange,
    ModelInfo,
    ProjectedLatent,
    Session,
)
from guiapp.core.workspace import Workspace, WorkspaceSession
from guiapp.ui.undo_commands import WorkspaceChange
from guiapp.ui.workspace_shown import DEFAULT_ALPHA_LIMIT, ShownSet

__all__ = ["DEFAULT_ALPHA_LIMIT", "SessionStore"]


class SessionStore(QObject, ShownSet):
    model_changed = Signal()
    directions_changed = Signal()  # another set is shown (or the shown one was replaced)
    direction_changed = Signal(int)  # a direction of the shown set changed
    sets_changed = Signal()  # the list of sets, their names or the selected set changed
    edits_changed = Signal()  # an edit of any set (or a label an edit shows) changed
    view_changed = Signal()
    selection_changed = Signal(int)
    image_inputs_changed = Signal()
    dragging_changed = Signal(bool)  # a slider that edits the image is held (or let go)
    commit_requested = Signal()  # widgets: hand over what is typed but not yet entered

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model_ref: str | None = None
        self.model_info: ModelInfo | None = None
        self.seed = 0
        self.latent: ProjectedLatent | None = None  # the face, when a latent replaces the seed
        self.truncation = 1.0
        self.truncation_cutoff: int | None = None  # truncate only the first N layers
        self.class_index = 0  # the class a conditional generator draws
        self.noise_mode = "const"
        self.workspace = Workspace()
        self.selected = -1  # the selected direction (row) of the shown set
        self._rows: dict[int, int] = {}  # set id -> its selected row, kept while away
        self.undo_stack = QUndoStack(self)
        self.gesture = 0  # slider moves within one gesture (drag) merge into one undo step
        self.dragging = False  # while True, renders are quick previews

    def to_session(self) -> WorkspaceSession:
        self.commit_requested.emit()  # a name typed without Enter is saved too
        face = self.latent if self.latent is not None else self.seed
        return WorkspaceSession(self.model_ref or "", face, self.truncation,
                                self.noise_mode, self.workspace, self.truncation_cutoff,
                                self.class_index)

    def has_work(self) -> bool:
        """True when some set has a label or a moved alpha (typing included)."""
        self.commit_requested.emit()
        ws = self.workspace
        return bool(ws.active_edits()) or any(
            d.label for s in ws.sets for d in s.directions.directions)

    # -- model, view -------------------------------------------------------------------------
    def set_model(self, ref: str, info: ModelInfo) -> None:
        """Switch model; sets that cannot apply to it (other latent size) are dropped, and
        layer ranges it does not have fall back to the direction's default."""
        old_num_ws = self.num_ws
        self.model_ref, self.model_info = ref, info
        if self.class_index >= max(info.c_dim, 1):
            self.class_index = 0
        if self.truncation_cutoff is not None and self.truncation_cutoff >= info.num_ws:
            self.truncation_cutoff = None
        dim = info.w_dim if info.w_dim is not None else info.z_dim
        space = "z" if info.w_dim is None else "w"
        ws = self.workspace
        for named in ws.sets:
            if named.directions.dim != dim or named.directions.space != space:
                ws = ws.remove_set(named.set_id)
        fitted = tuple(e if e.edit.layers is None or e.edit.layers.stop <= info.num_ws
                       else replace(e, edit=replace(e.edit, layers=None)) for e in ws.edits)
        ws = replace(ws, edits=tuple(e for e in fitted if e.edit.alpha or e.edit.layers))
        if ws != self.workspace or info.num_ws != old_num_ws:
            self.undo_stack.clear()  # stored steps may not fit the new model
            self._show(ws, "sets", None, -1)
        self.model_changed.emit()
        self.image_inputs_changed.emit()

    def set_seed(self, seed: int) -> None:
        seed = check_seed(seed)  # 0 .. SEED_MAX; Next / Previous wrap with step_seed
        if seed != self.seed or self.latent is not None:
            self.seed, self.latent = seed, None
            self.view_changed.emit()
            self.image_inputs_changed.emit()

    def set_latent(self, latent: ProjectedLatent | None) -> None:
        """Edit the face given by ``latent`` (a projected photo) instead of the seed's."""
        if latent is not self.latent:
            self.latent = latent
            self.view_changed.emit()
            self.image_inputs_changed.emit()

    def set_truncation(self, psi: float) -> None:
        if psi != self.truncation:
            self.truncation = float(psi)
            self.view_changed.emit()
            self.image_inputs_changed.emit()

    def set_truncation_cutoff(self, cutoff: int | None) -> None:
        """Truncate only the first ``cutoff`` per-layer latents (None: all of them)."""
        if cutoff is not None and cutoff >= self.num_ws:
            cutoff = None
        if cutoff != self.truncation_cutoff:
            self.truncation_cutoff = cutoff
            self.view_changed.emit()
            self.image_inputs_changed.emit()

    def set_class_index(self, index: int) -> None:
        """The class a conditional generator draws (0 .. c_dim - 1)."""
        classes = self.model_info.c_dim if self.model_info else 0
        if not 0 <= index < max(classes, 1):
            raise ValueError(f"class index must be in 0..{max(classes, 1) - 1}, not {index}")
        if index != self.class_index:
            self.class_index = int(index)
            self.view_changed.emit()
            self.image_inputs_changed.emit()

    def select(self, index: int) -> None:
        if index != self.selected and -1 <= index < len(self):
            self.selected = index
            if self.set_id is not None:
                self._rows[self.set_id] = index
            self.selection_changed.emit(index)

    def set_dragging(self, dragging: bool) -> None:
        """A slider that changes the image was pressed (True) or released (False); the
        window renders quick previews in between and the full image on release."""
        if dragging != self.dragging:
            self.dragging = dragging
            self.dragging_changed.emit(dragging)

    # -- whole workspaces (not undoable: a new history) ----------------------------------------
    def set_workspace(self, ws: Workspace) -> None:
        self._show(ws, "sets", None, -1)
        self.undo_stack.clear()

    def set_direction_set(self, ds: DirectionSet | None, edits: tuple[Edit, ...] = ()) -> None:
        """A workspace of ``ds`` alone, with ``edits`` (a new history)."""
        self.set_workspace(Workspace.single(ds, self._fitting_edits(edits, ds)))

    def apply_session(self, session: WorkspaceSession | Session) -> None:
        """Show ``session`` (a one-set v1 :class:`Session` too); a new undo history."""
        if isinstance(session, Session):
            session = WorkspaceSession.from_session(session)
        if session.seed is not None:
            self.seed = session.seed
        self.latent = session.latent
        self.truncation = session.truncation
        self.truncation_cutoff = session.truncation_cutoff
        classes = self.model_info.c_dim if self.model_info else 0
        self.class_index = session.class_index if session.class_index < max(classes, 1) else 0
        self.noise_mode = session.noise_mode
        self.view_changed.emit()
        self.set_workspace(session.workspace)

    def _fitting_edits(self, edits: tuple[Edit, ...], ds: DirectionSet | None) -> list[Edit]:
        k = len(ds) if ds is not None else 0
        return [Edit(e.direction_index, e.alpha, e.layers if e.layers is not None
                     and e.layers.stop <= self.num_ws else None)
                for e in edits if 0 <= e.direction_index < k and (e.alpha or e.layers)]

    # -- undoable changes --------------------------------------------------------------------
    def _push(self, new: Workspace, text: str, kind: str = "sets", set_id: int | None = None,
              index: int = -1) -> None:
        if new != self.workspace or kind == "sets":
            self.undo_stack.push(WorkspaceChange(self, self.workspace, new, text, kind,
                                                 set_id, index))

    def add_set(self, ds: DirectionSet, name: str | None = None,
                text: str = "new directions") -> int:
        """Add ``ds`` as a new set, shown at once; returns its id (one undo step)."""
        self.commit_requested.emit()
        new, set_id = self.workspace.add_set(ds, name, num_ws=self.num_ws)
        self._push(new, text)
        return set_id

    def select_set(self, set_id: int | None) -> None:
        """Show another set (navigation, not an undo step)."""
        if set_id != self.set_id:
            self.commit_requested.emit()
            self._show(self.workspace.select(set_id), "sets", None, -1)

    def rename_set(self, set_id: int, name: str) -> None:
        self._push(self.workspace.rename_set(set_id, name), f"rename set {set_id}")

    def duplicate_set(self, set_id: int) -> int:
        new, new_id = self.workspace.duplicate_set(set_id)
        self._push(new, f"duplicate set {set_id}")
        return new_id

    def remove_set(self, set_id: int) -> None:
        self.commit_requested.emit()
        self._push(self.workspace.remove_set(set_id), f"remove set {set_id}")

    def replace_set_directions(self, set_id: int, ds: DirectionSet, text: str) -> None:
        """Set ``set_id``'s directions swapped for ``ds`` (labels transferred, ...)."""
        self._push(self.workspace.replace_directions(set_id, ds), text)

    def set_alpha(self, index: int, alpha: float) -> None:
        self.set_edit(self._shown_id(), index, alpha)

    def set_edit(self, set_id: int, index: int, alpha: float) -> None:
        """Direction ``index`` of set ``set_id`` (shown or not) at ``alpha``."""
        if compare_only_in(self.workspace, set_id, self.model_info):  # hook: (H3) moves z
            return
        old = self.workspace.edit_of(set_id, index)
        layers = old.layers if old is not None else None
        new = self.workspace.set_edit(set_id, index, float(alpha), layers)
        self._push(new, f"alpha of direction {index}", "alpha", set_id, index)

    def clear_edits(self) -> None:
        """Every alpha of every set back to 0 (layer ranges stay)."""
        ws = self.workspace
        kept = tuple(replace(e, edit=replace(e.edit, alpha=0.0)) for e in ws.edits
                     if e.edit.layers is not None)
        self._push(replace(ws, edits=kept), "clear every edit")

    def set_layers(self, index: int, layers: LayerRange) -> None:
        layers.check(self.num_ws)
        if layers != self.layers(index) and not compare_only_in(  # hook: compare (H3)
                self.workspace, self._shown_id(), self.model_info):
            sid = self._shown_id()
            keep = None if layers == self.default_layers(index) else layers
            new = self.workspace.set_edit(sid, index, self.alpha(index), keep)
            self._push(new, f"layers of direction {index}", "layers", sid, index)

    def set_label(self, index: int, label: str) -> None:
        label = label.strip()
        if label != self.label(index):
            sid = self._shown_id()
            self._push(self.workspace.with_label(sid, index, label),
                       f"label of direction {index}", "label", sid, index)

    def _shown_id(self) -> int:
        if self.set_id is None:
            raise IndexError("no direction set is shown")
        return self.set_id

    def end_gesture(self) -> None:
        """Close the current drag or typing gesture: the next change is a new undo step."""
        self.gesture += 1

    def reset(self, index: int) -> None:
        self.undo_stack.beginMacro(f"reset direction {index}")
        self.set_alpha(index, 0.0)
        self.set_layers(index, self.default_layers(index))
        self.undo_stack.endMacro()

    def reset_all(self) -> None:
        """The shown set's alphas to 0 and layer ranges to their defaults (one step)."""
        if self.set_id is not None:
            self.end_gesture()
            self._push(self.workspace.clear_edits(self.set_id), "reset all")

    def _show(self, ws: Workspace, kind: str, set_id: int | None, index: int) -> None:
        """Make ``ws`` the workspace and say what changed (undo steps call this)."""
        old, self.workspace = self.workspace, ws
        old_ds, new_ds = old.selected_set, ws.selected_set
        switched = kind == "sets" or old.selected != ws.selected or (
            old_ds is not None and new_ds is not None
            and len(old_ds.directions) != len(new_ds.directions))
        if switched:
            self.set_dragging(False)  # a held slider's row may go: no release will come
            k = len(self)
            row = self._rows.get(ws.selected, 0) if ws.selected is not None else -1
            self.selected = min(row, k - 1) if k else -1
            self.directions_changed.emit()
            self.selection_changed.emit(self.selected)
            self.sets_changed.emit()
        elif set_id == ws.selected and index >= 0:
            self.direction_changed.emit(index)
        self.edits_changed.emit()
        if kind != "label":
            self.image_inputs_changed.emit()

    def labelled_direction_set(self) -> DirectionSet | None:
        """The shown set as exported: labels typed by the user and the current layer
        ranges as each direction's default."""
        self.commit_requested.emit()
        ds = self.direction_set
        if ds is None:
            return None
        dirs = tuple(replace(d, default_layers=self.layers(i))
                     for i, d in enumerate(ds.directions))
        return replace(ds, directions=dirs)
