"""The class box (conditional generators) and the truncation cutoff box (style-based ones)
in the image view, both ways: store to widget and widget to store."""

from __future__ import annotations

import dataclasses

import pytest

from guiapp.core.models.registry import DEFAULT_MODEL
from guiapp.core.types import ModelInfo, Session
from guiapp.ui.image_view import ImageView
from guiapp.ui.session_store import SessionStore

Z_INFO = ModelInfo(name="m", format="f", resolution=64, z_dim=100, w_dim=None, num_ws=1,
                   model_id="abc")
COND_INFO = ModelInfo(name="c", format="f", resolution=256, z_dim=512, w_dim=512, num_ws=14,
                      model_id="def", c_dim=10)


def _view(qtbot, info: ModelInfo) -> tuple[SessionStore, ImageView]:
    store = SessionStore()
    store.set_model(DEFAULT_MODEL, info)
    view = ImageView(store)
    qtbot.addWidget(view)
    view.show()
    return store, view


def test_single_latent_unconditional_model_hides_both(qtbot):
    store, view = _view(qtbot, Z_INFO)
    assert not view._class.isVisible() and not view._cutoff.isVisible()
    with pytest.raises(ValueError, match="class index"):
        store.set_class_index(1)


def test_class_box_both_ways(qtbot):
    store, view = _view(qtbot, COND_INFO)
    assert view._class.isVisible() and view._class.maximum() == 9
    with qtbot.waitSignal(store.image_inputs_changed):
        view._class.setValue(7)
    assert store.class_index == 7
    store.set_class_index(3)
    assert view._class.value() == 3
    assert store.to_session().class_index == 3
    store.set_model(DEFAULT_MODEL, Z_INFO)  # a model without classes: back to 0
    assert store.class_index == 0 and not view._class.isVisible()


def test_cutoff_box_both_ways(qtbot):
    store, view = _view(qtbot, COND_INFO)
    assert view._cutoff.isVisible() and view._cutoff.maximum() == 13
    assert view._cutoff.text() == "all layers" and store.truncation_cutoff is None
    view._cutoff.setValue(4)
    assert store.truncation_cutoff == 4 and view._cutoff.text() == "first 4 layers"
    view._cutoff.setValue(0)
    assert store.truncation_cutoff is None
    store.apply_session(Session(DEFAULT_MODEL, truncation=0.5, truncation_cutoff=6,
                                class_index=2))
    assert view._cutoff.value() == 6 and view._class.value() == 2
    assert store.to_session().truncation_cutoff == 6


def test_session_for_another_model_keeps_values_in_range(qtbot):
    store, view = _view(qtbot, dataclasses.replace(COND_INFO, c_dim=3))
    store.apply_session(Session(DEFAULT_MODEL, class_index=8))
    assert store.class_index == 0 and view._class.value() == 0
