"""The one owner of what the user is looking at: model, seed, truncation, directions, edits.

Widgets read the store and call its setters; the store emits change signals. Slider,
layer-range and label changes go through a QUndoStack (consecutive moves of one slider
merge into one undo step), and so does a new set replacing the shown one
(:meth:`SessionStore.replace_direction_set`), so no run or import loses a named set.
No torch here: the store only holds plain data.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from guiapp.core.seeds import check_seed
from guiapp.core.types import DirectionSet, Edit, LayerRange, ModelInfo, Session
from guiapp.ui.undo_commands import ReplaceSet, SetState, SetValue

DEFAULT_ALPHA_LIMIT = 5.0


class SessionStore(QObject):
    model_changed = Signal()
    directions_changed = Signal()
    direction_changed = Signal(int)
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
        self.truncation = 1.0
        self.truncation_cutoff: int | None = None  # truncate only the first N layers
        self.class_index = 0  # the class a conditional generator draws
        self.noise_mode = "const"
        self.direction_set: DirectionSet | None = None
        self._alphas: list[float] = []
        self._layers: list[LayerRange] = []
        self.selected = -1
        self.undo_stack = QUndoStack(self)
        self.gesture = 0  # slider moves within one gesture (drag) merge into one undo step
        self.dragging = False  # while True, renders are quick previews

    # -- reading ---------------------------------------------------------------------------
    @property
    def num_ws(self) -> int:
        return self.model_info.num_ws if self.model_info else 1

    def __len__(self) -> int:
        return len(self._alphas)

    def alpha(self, index: int) -> float:
        return self._alphas[index]

    def layers(self, index: int) -> LayerRange:
        return self._layers[index]

    def label(self, index: int) -> str:
        assert self.direction_set is not None
        return self.direction_set.directions[index].label

    def default_layers(self, index: int) -> LayerRange:
        assert self.direction_set is not None
        return self._fitting(self.direction_set.directions[index].default_layers)

    def _fitting(self, layers: LayerRange | None) -> LayerRange:
        """``layers`` if this model has them, else all of its layers."""
        fits = layers is not None and layers.stop <= self.num_ws
        return layers if fits else LayerRange.all(self.num_ws)  # type: ignore[return-value]

    def alpha_limit(self, index: int) -> float:
        """Slider range +-limit in the direction's own units."""
        assert self.direction_set is not None
        return float(self.direction_set.params.get("alpha_limit", DEFAULT_ALPHA_LIMIT))

    def unit_text(self, index: int) -> str:
        """What one slider unit means, for tooltips."""
        assert self.direction_set is not None
        d = self.direction_set.directions[index]
        space = self.direction_set.space
        if self.direction_set.method == "ganspace":
            return (f"1 unit = 1 standard deviation of this component "
                    f"(a step of {d.unit_scale:.3g} in {space})")
        return f"1 unit = a step of length {d.unit_scale:.3g} along a unit vector in {space}"

    def edits(self) -> tuple[Edit, ...]:
        """The edits that move the image: every direction with a non-zero alpha."""
        return tuple(Edit(i, a, self._layers[i]) for i, a in enumerate(self._alphas) if a != 0)

    def to_session(self) -> Session:
        self.commit_requested.emit()  # a name typed without Enter is saved too
        edits = tuple(Edit(i, a, self._layers[i]) for i, a in enumerate(self._alphas))
        return Session(self.model_ref or "", self.seed, self.truncation, self.noise_mode,
                       self.direction_set, edits, self.truncation_cutoff, self.class_index)

    # -- model, directions, view -------------------------------------------------------------
    def set_model(self, ref: str, info: ModelInfo) -> None:
        """Switch model; directions that cannot apply to it (other latent size) are dropped."""
        old_num_ws = self.num_ws
        self.model_ref, self.model_info = ref, info
        if self.class_index >= max(info.c_dim, 1):
            self.class_index = 0
        if self.truncation_cutoff is not None and self.truncation_cutoff >= info.num_ws:
            self.truncation_cutoff = None
        ds = self.direction_set
        latent_dim = info.w_dim if info.w_dim is not None else info.z_dim
        space = "z" if info.w_dim is None else "w"
        if ds is not None and (ds.dim != latent_dim or ds.space != space):
            self.set_direction_set(None)
        else:
            if info.num_ws != old_num_ws:
                self.undo_stack.clear()  # stored layer ranges may not fit the new model
            self._layers = [lr if lr.stop <= info.num_ws else LayerRange.all(info.num_ws)
                            for lr in self._layers]
        self.model_changed.emit()
        self.image_inputs_changed.emit()

    def set_direction_set(self, ds: DirectionSet | None,
                          edits: tuple[Edit, ...] = ()) -> None:
        """Show a new set: alphas 0 and default layers, unless ``edits`` restore them.
        Not undoable (it starts a new history): a set that replaces the user's work goes
        through :meth:`replace_direction_set`."""
        self._show_state(self._fresh_state(ds, edits))
        self.undo_stack.clear()

    def replace_direction_set(self, ds: DirectionSet | None, text: str = "new directions",
                              edits: tuple[Edit, ...] = ()) -> None:
        """Show ``ds`` as one undo step: Ctrl+Z brings back the set shown before, with its
        labels, alphas, layer ranges and selection; redo shows ``ds`` again."""
        self.undo_stack.push(ReplaceSet(self, self.state(), self._fresh_state(ds, edits), text))

    def state(self) -> SetState:
        """The shown set with everything the user did to it."""
        return SetState(self.direction_set, tuple(self._alphas), tuple(self._layers),
                        self.selected)

    def has_work(self) -> bool:
        """True when the shown set has a label or a moved alpha (typing included)."""
        self.commit_requested.emit()
        return self.state().has_work()

    def _fresh_state(self, ds: DirectionSet | None, edits: tuple[Edit, ...]) -> SetState:
        k = len(ds) if ds is not None else 0
        alphas = [0.0] * k
        defaults = ds.directions if ds is not None else ()
        layers = [self._fitting(d.default_layers) for d in defaults]
        for e in edits:
            if 0 <= e.direction_index < k:
                alphas[e.direction_index] = e.alpha
                if e.layers is not None and e.layers.stop <= self.num_ws:
                    layers[e.direction_index] = e.layers
        return SetState(ds, tuple(alphas), tuple(layers), 0 if k else -1)

    def _show_state(self, state: SetState) -> None:
        self.set_dragging(False)  # a held slider's row is about to go: no release will come
        self.direction_set = state.direction_set
        self._alphas, self._layers = list(state.alphas), list(state.layers)
        self.selected = state.selected
        self.directions_changed.emit()
        self.selection_changed.emit(self.selected)
        self.image_inputs_changed.emit()

    def set_seed(self, seed: int) -> None:
        seed = check_seed(seed)  # 0 .. SEED_MAX; Next / Previous wrap with step_seed
        if seed != self.seed:
            self.seed = seed
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
            self.selection_changed.emit(index)

    def apply_session(self, session: Session) -> None:
        self.seed, self.truncation = session.seed, session.truncation
        self.truncation_cutoff = session.truncation_cutoff
        classes = self.model_info.c_dim if self.model_info else 0
        self.class_index = session.class_index if session.class_index < max(classes, 1) else 0
        self.noise_mode = session.noise_mode
        self.view_changed.emit()
        self.set_direction_set(session.direction_set, session.edits)

    def set_dragging(self, dragging: bool) -> None:
        """A slider that changes the image was pressed (True) or released (False); the
        window renders quick previews in between and the full image on release."""
        if dragging != self.dragging:
            self.dragging = dragging
            self.dragging_changed.emit(dragging)

    # -- undoable edits ----------------------------------------------------------------------
    def end_gesture(self) -> None:
        """Close the current drag or typing gesture: the next change is a new undo step."""
        self.gesture += 1

    def set_alpha(self, index: int, alpha: float) -> None:
        if alpha != self._alphas[index]:
            self.undo_stack.push(SetValue(self, "alpha", index, self._alphas[index], alpha))

    def set_layers(self, index: int, layers: LayerRange) -> None:
        layers.check(self.num_ws)
        if layers != self._layers[index]:
            self.undo_stack.push(SetValue(self, "layers", index, self._layers[index], layers))

    def set_label(self, index: int, label: str) -> None:
        label = label.strip()
        if label != self.label(index):
            self.undo_stack.push(SetValue(self, "label", index, self.label(index), label))

    def reset(self, index: int) -> None:
        self.undo_stack.beginMacro(f"reset direction {index}")
        self.set_alpha(index, 0.0)
        self.set_layers(index, self.default_layers(index))
        self.undo_stack.endMacro()

    def reset_all(self) -> None:
        self.undo_stack.beginMacro("reset all")
        for i in range(len(self)):
            self.reset(i)
        self.undo_stack.endMacro()

    def _apply(self, kind: str, index: int, value: Any) -> None:
        if kind == "alpha":
            self._alphas[index] = float(value)
        elif kind == "layers":
            self._layers[index] = value
        else:
            assert self.direction_set is not None
            self.direction_set = self.direction_set.with_label(index, value)
        self.direction_changed.emit(index)
        if kind != "label":
            self.image_inputs_changed.emit()

    def labelled_direction_set(self) -> DirectionSet | None:
        """The set as exported: labels typed by the user and the current layer ranges as
        each direction's default."""
        self.commit_requested.emit()
        ds = self.direction_set
        if ds is None:
            return None
        dirs = tuple(replace(d, default_layers=self._layers[i])
                     for i, d in enumerate(ds.directions))
        return replace(ds, directions=dirs)
