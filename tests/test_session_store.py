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


def test_each_set_keeps_its_own_alphas_layers_and_row(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    first = store.add_set(style_set(3), "A")
    store.set_alpha(1, 1.5)
    store.set_layers(2, LayerRange(2, 6))
    store.select(2)
    second = store.add_set(style_set(4), "B")
    assert store.alpha(1) == 0.0 and store.layers(2) == LayerRange(0, 14)
    store.set_alpha(0, -1.0)
    store.select_set(first)
    assert store.alpha(1) == 1.5 and store.layers(2) == LayerRange(2, 6) and store.selected == 2
    assert [(e.set_name, e.direction_index, e.alpha) for e in store.active_edits()] == [
        ("A", 1, 1.5), ("B", 0, -1.0)]
    rendered = store.render_workspace()
    assert rendered.edit_of(second, 0).layers == LayerRange(0, 14)  # the default, explicit
    assert store.edits() == (Edit(1, 1.5, LayerRange(0, 14)),)  # the shown set's only


def test_removing_a_set_and_undo_and_a_drag_in_another_set(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    a = store.add_set(style_set(3), "A")
    store.set_label(0, "smile")
    b = store.add_set(style_set(3), "B")
    for alpha in (0.5, 1.0):  # one drag in B
        store.set_alpha(0, alpha)
    store.remove_set(a)
    assert store.workspace.ids == (b,) and store.alpha(0) == 1.0
    store.undo_stack.undo()
    assert store.workspace.ids == (a, b) and store.workspace.get(a).name == "A"
    assert store.workspace.get(a).directions.directions[0].label == "smile"
    store.undo_stack.undo()  # the whole drag, one step
    assert store.workspace.edit_of(b, 0) is None


def test_a_model_of_another_size_drops_only_the_sets_that_cannot_apply(qtbot):
    store = SessionStore()
    store.set_model("m", STYLE)
    store.add_set(style_set(3), "w set")
    z_set = DirectionSet("sefa", "z", "abc", {}, (Direction(np.eye(1, 512)[0], 1.0),))
    store.add_set(z_set, "z set")
    assert len(store.workspace) == 2
    store.set_model("m2", ModelInfo("t", "f", 64, 512, 512, 8, "def"))
    assert [s.name for s in store.workspace.sets] == ["w set"]
    assert store.direction_set.space == "w" and len(store) == 3
