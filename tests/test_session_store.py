"""The session store: undo steps per gesture, model switches, sessions in and out."""

from __future__ import annotations

import numpy as np

from guiapp.core.types import Direction, DirectionSet, Edit, LayerRange, ModelInfo
from guiapp.ui.session_store import SessionStore

STYLE = ModelInfo("s", "f", 256, 512, 512, 14, "abc")


def style_set(k: int = 3) -> DirectionSet:
    vecs = np.eye(k, 512, dtype=np.float32)
    return DirectionSet("sefa", "w", "abc", {}, tuple(Direction(v, 1.0) for v in vecs))


def test_one_undo_step_per_gesture(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    store.set_direction_set(style_set())
    for alpha in (0.5, 1.0, 1.5):  # one drag
        store.set_alpha(0, alpha)
    store.end_gesture()
    store.set_alpha(0, 3.0)  # a second drag
    store.undo_stack.undo()
    assert store.alpha(0) == 1.5
    store.undo_stack.undo()
    assert store.alpha(0) == 0.0
    store.undo_stack.redo()
    assert store.alpha(0) == 1.5


def test_model_switch_keeps_fitting_directions_and_drops_others(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    store.set_direction_set(style_set())
    store.set_layers(1, LayerRange(10, 14))
    store.set_model("m2", ModelInfo("t", "f", 64, 512, 512, 8, "def"))
    assert len(store) == 3 and store.layers(1) == LayerRange(0, 8)
    assert not store.undo_stack.canUndo()  # old ranges would not fit 8 layers
    store.set_model("dcgan", ModelInfo("d", "f", 64, 100, None, 1, "x"))
    assert len(store) == 0 and store.direction_set is None


def test_session_out_and_in(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    store.set_direction_set(style_set())
    store.set_alpha(2, -1.0)
    store.set_label(2, "smile")
    store.set_seed(9)
    session = store.to_session()
    other = SessionStore()
    other.set_model("m", STYLE)
    other.apply_session(session)
    assert other.seed == 9 and other.alpha(2) == -1.0 and other.label(2) == "smile"
    assert other.edits() == (Edit(2, -1.0, LayerRange(0, 14)),)


def test_a_new_direction_set_ends_a_drag_whose_row_goes_away(qtbot):
    store = SessionStore()
    store.set_dragging(True)
    with qtbot.waitSignal(store.dragging_changed) as blocker:
        store.set_direction_set(None)
    assert blocker.args == [False] and not store.dragging
