"""How the window is put together: its parts never import the window (they see the narrow
``WindowHost``), the menus come from one table where a new entry is one row, and the class
of a conditional generator travels with the job instead of being set from the GUI thread."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import numpy as np
from window_support import action_name, open_window, settled

import guiapp
from guiapp.ui.action_table import ACTIONS, ActionRow
from guiapp.ui.menus import build_menus

PACKAGE = Path(guiapp.__file__).parent


def _imports(path: Path, *, type_checking: bool) -> set[str]:
    """The guiapp modules ``path`` imports (inside ``if TYPE_CHECKING:`` too, if asked)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("guiapp")}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def test_nothing_but_the_app_imports_the_main_window():
    importers = {name for name, path in _modules().items()
                 if "guiapp.ui.main_window" in _imports(path, type_checking=True)}
    assert importers == {"guiapp.app"}


def test_the_window_parts_import_no_cycle():
    mods = {n: p for n, p in _modules().items() if n.startswith(("guiapp.ui", "guiapp.workers"))}
    graph = {n: _imports(p, type_checking=False) & mods.keys() for n, p in mods.items()}
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join((*path[path.index(node):], node))
        if node not in done:
            for nxt in graph[node]:
                visit(nxt, (*path, node))
            done.add(node)

    for name in graph:
        visit(name, ())


def test_the_action_table_imports_none_of_what_it_lists():
    path = PACKAGE / "ui" / "action_table.py"
    assert _imports(path, type_checking=True) == set()


def test_a_new_menu_entry_is_one_row(qtbot, tmp_path):
    """A row added to the table (as the animation and photo features do) appears in its
    menu, in its group, and calls its slot on the window with its arguments."""
    win = open_window(qtbot, tmp_path)
    bar = win.menuBar()
    bar.clear()
    row = ActionRow("File", "Jump &ahead", "step_seed", "Ctrl+J", "Five seeds on",
                    group="save", args=(5,))
    rows = list(ACTIONS)
    rows.insert(rows.index(next(r for r in rows if r.text == "&Quit")), row)
    actions = build_menus(bar, win, win, rows)
    file_menu = bar.actions()[0].menu()
    names = [a.text().replace("&", "") if not a.isSeparator() else "-"
             for a in file_menu.actions()]
    assert names[-3:] == ["Jump ahead", "-", "Quit"]
    assert names.count("-") == len({r.group for r in ACTIONS if r.menu == "File"}) - 1
    assert actions["Jump ahead"].shortcut().toString() == "Ctrl+J"
    seed = win.store.seed
    actions["Jump ahead"].trigger()
    assert win.store.seed == seed + 5
    assert sorted(action_name(a) for a in actions.values()) == sorted(
        {action_name(a) for a in actions.values()})  # one action per entry


def test_the_class_travels_with_the_job_not_from_the_gui_thread(qtbot, tmp_path, monkeypatch):
    """GANSpace on a conditional generator samples the class chosen in the window, and
    no one sets the model's class from the GUI thread (its renders run alongside)."""
    from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

    from guiapp.core.methods import run_method
    from guiapp.core.models.registry import load_model

    path = write_nvidia_pickle(tmp_path / "cond.pkl",
                               random_generator(tiny_config(c_dim=3), seed=3))
    win = open_window(qtbot, tmp_path / "config")
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_model(str(path))
    qtbot.waitUntil(lambda: settled(win) and not win.runner.is_busy(), timeout=30_000)
    model_type = type(win.loaded.model)
    writers: list[str] = []
    prop = model_type.class_index

    def record(self, value):
        writers.append(threading.current_thread().name)
        prop.fset(self, value)

    monkeypatch.setattr(model_type, "class_index", property(prop.fget, record))
    win.store.set_class_index(2)
    params = {"k": 3, "samples": 2000}
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        win.run_method("ganspace", params)
    assert len(win.store) == 3, win.last_error
    assert threading.main_thread().name not in writers

    expected_model = load_model(str(path))
    expected_model.class_index = 2
    expected = run_method(expected_model, "ganspace", params)
    np.testing.assert_allclose(win.store.direction_set.vectors, expected.vectors, atol=1e-5)
    other_class = load_model(str(path))
    assert not np.allclose(run_method(other_class, "ganspace", params).vectors,
                           expected.vectors, atol=1e-3)
