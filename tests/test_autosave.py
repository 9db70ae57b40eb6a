"""The autosaved last session is never replaced by a poorer one (core rules, then the
window: quitting without answering the restore banner, dismissing it, closing with labels)."""

from __future__ import annotations

import pytest
from window_support import open_window

from guiapp.core.autosave import autosave_session, backup_path
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.session_io import load_session, save_session
from guiapp.core.types import Edit, Session
from guiapp.ui.settings import AppSettings

REF = "builtin:dcgan-digiface"


@pytest.fixture(scope="module")
def labelled() -> Session:
    """A session worth keeping: 6 SeFa directions, all labelled, one moved."""
    ds = run_method(load_model(REF), "sefa", {"k": 6})
    for i in range(len(ds)):
        ds = ds.with_label(i, f"direction {i}")
    return Session(REF, 11, 0.8, "const", ds, (Edit(2, 1.5, None),))


def empty() -> Session:
    return Session(REF, 0, 1.0, "const", None, ())


# -- core -------------------------------------------------------------------------------
def test_a_session_with_directions_is_saved_and_the_old_one_backed_up(tmp_path, labelled):
    path = tmp_path / "last_session.json"
    save_session(path, empty())
    old = path.read_bytes()
    assert autosave_session(path, labelled) == "saved"
    assert load_session(path)[0].direction_set.directions[3].label == "direction 3"
    assert backup_path(path).read_bytes() == old
    assert backup_path(path).name == "last_session.bak.json"


def test_an_empty_session_never_overwrites_one_that_was_not_declined(tmp_path, labelled):
    path = tmp_path / "last_session.json"
    save_session(path, labelled)
    rich = path.read_bytes()
    assert autosave_session(path, empty()) == "kept the previous session"
    assert path.read_bytes() == rich and not backup_path(path).exists()


def test_a_declined_session_is_set_aside_not_lost(tmp_path, labelled):
    path = tmp_path / "last_session.json"
    save_session(path, labelled)
    rich = path.read_bytes()
    autosave_session(path, empty(), declined=True)
    assert not path.exists() and backup_path(path).read_bytes() == rich


def test_nothing_to_save_writes_nothing(tmp_path):
    path = tmp_path / "last_session.json"
    assert autosave_session(path, empty()) == "nothing to save"
    assert not path.exists()


# -- the window ---------------------------------------------------------------------------


def test_quitting_without_answering_the_banner_keeps_the_last_session(qtbot, tmp_path,
                                                                      labelled):
    config = tmp_path / "config"
    settings = AppSettings(config)
    save_session(settings.last_session_path, labelled)
    rich = settings.last_session_path.read_bytes()

    win = open_window(qtbot, config, offer_restore=True)
    assert win.banner.isVisible()
    win.close()  # quit, leaving the banner alone
    assert settings.last_session_path.read_bytes() == rich

    again = open_window(qtbot, config, offer_restore=True)  # still offered, restores all
    assert again.banner.isVisible()
    again.banner._restore.click()
    qtbot.waitUntil(lambda: len(again.store) == 6, timeout=60_000)
    assert again.store.seed == 11 and again.store.label(5) == "direction 5"
    assert again.store.alpha(2) == 1.5
    again.close()


def test_dismissing_the_banner_then_quitting_sets_the_session_aside(qtbot, tmp_path,
                                                                    labelled):
    config = tmp_path / "config"
    settings = AppSettings(config)
    save_session(settings.last_session_path, labelled)
    rich = settings.last_session_path.read_bytes()

    win = open_window(qtbot, config, offer_restore=True)
    win.banner._dismiss.click()
    win.close()
    assert not settings.last_session_path.exists()  # not offered again...
    assert backup_path(settings.last_session_path).read_bytes() == rich  # ...nor lost
    again = open_window(qtbot, config, offer_restore=True)
    assert not again.banner.isVisible()
    again.close()


def test_closing_with_unsaved_labels_autosaves_them_and_backs_up_the_old(qtbot, tmp_path,
                                                                         labelled):
    config = tmp_path / "config"
    settings = AppSettings(config)
    save_session(settings.last_session_path, labelled)
    rich = settings.last_session_path.read_bytes()

    win = open_window(qtbot, config, offer_restore=False)
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        win.run_method("sefa", {"k": 3})
    win.store.set_label(0, "age")
    win.close()
    session, _ = load_session(settings.last_session_path)
    assert [d.label for d in session.direction_set.directions] == ["age", "", ""]
    assert backup_path(settings.last_session_path).read_bytes() == rich
