"""Every menu entry of the window, as one table: menu, text, what it calls, shortcut, tip.

A row names its slot by an attribute path on the window host (``"files.save_session"``
calls ``host.files.save_session()``), resolved when the entry is triggered, so the table
imports none of the behaviour it lists and a new entry is one row: put it where it should
appear; a separator goes between rows of one menu whose ``group`` differs.
``QAction.triggered`` carries a ``checked`` flag; a slot is called with ``args`` only (or
with the flag alone, for ``kind="toggle"``), so the flag never lands in a parameter
(``save_image(scale=False)`` once saved a 0x0 image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtGui import QKeySequence

StandardKey = QKeySequence.StandardKey
MENUS = ("&File", "&Edit", "&View")
"""The menu bar, in order; a row's ``menu`` is one of these without the ``&``."""


@dataclass(frozen=True)
class ActionRow:
    """One menu entry. ``kind``: ``"call"`` runs ``slot(*args)``; ``"toggle"`` is a
    checkable entry (initially ``checked``) whose slot receives the new state; ``"undo"``
    and ``"redo"`` are the store's undo stack's own actions (their text follows the step)."""

    menu: str
    text: str
    slot: str = ""
    shortcut: StandardKey | str | None = None
    tip: str = ""
    group: str = ""
    args: tuple[Any, ...] = ()
    kind: Literal["call", "toggle", "undo", "redo"] = "call"
    checked: bool = False


ACTIONS: tuple[ActionRow, ...] = (
    ActionRow("File", "&Open model…", "open_model_dialog", StandardKey.Open, group="model"),
    ActionRow("File", "Open p&hoto…", "photos.open_photo", "Ctrl+Shift+P",  # hook: photos
              group="model", tip="Reproduce a photo with the generator and edit it like a seed"),
    ActionRow("File", "Open &session…", "files.open_session", "Ctrl+Shift+O", group="session"),
    ActionRow("File", "Save s&ession…", "files.save_session", StandardKey.Save,
              group="session"),
    ActionRow("File", "&Import directions…", "files.import_directions", "Ctrl+I",
              group="directions"),
    ActionRow("File", "&Export directions…", "files.export_directions", "Ctrl+E",
              group="directions"),
    ActionRow("File", "Save &image…", "files.save_image", "Ctrl+Shift+S", group="save",
              args=(1,)),
    ActionRow("File", "Save image &upscaled ×4…", "files.save_image", group="save", args=(4,)),
    ActionRow("File", "Save s&trip…", "files.save_strip", "Ctrl+T", group="save"),
    ActionRow("File", "Save &grid…", "files.save_grid", "Ctrl+G",
              "The first 10 directions across the strip's alphas", group="save"),
    ActionRow("File", "Save &animation…", "exports.save_animation", group="save",  # hook: export
              tip="The walk along the selected direction, or a morph to another seed, "
                  "as a video"),
    ActionRow("File", "E&xport seeds…", "exports.export_seeds", group="save",  # hook: export
              tip="The current edits over a list of seeds: a folder of PNGs or one grid"),
    ActionRow("File", "&Quit", "close", StandardKey.Quit, group="quit"),

    ActionRow("Edit", "&Undo", kind="undo", shortcut=StandardKey.Undo, group="undo"),
    ActionRow("Edit", "&Redo", kind="redo", shortcut=StandardKey.Redo, group="undo"),
    ActionRow("Edit", "Reset &all directions", "store.reset_all", "Ctrl+R", group="reset"),
    ActionRow("Edit", "C&lear all edits", "store.clear_edits", "Ctrl+Shift+R",
              "Every alpha of every set back to 0", group="reset"),
    ActionRow("Edit", "Re&name set…", "sets.rename_shown", "Shift+F2", group="sets"),
    ActionRow("Edit", "&Duplicate set", "sets.duplicate_shown", "Ctrl+D", group="sets",
              tip="A copy of the shown set: its layer ranges, alphas at 0"),
    ActionRow("Edit", "Re&move set", "sets.remove_shown", "Ctrl+Shift+Del", group="sets",
              tip="The shown set and its edits go (Ctrl+Z brings them back)"),

    ActionRow("View", "Ranking &plot", "set_plot_visible", kind="toggle", checked=True),
    ActionRow("View", "&Compare sets", "set_compare_visible", "Ctrl+K", kind="toggle",
              tip="Match the directions of two sets, move labels, measure every set"),
    ActionRow("View", "&Next seed", "step_seed", "Ctrl+Right", args=(1,)),
    ActionRow("View", "&Previous seed", "step_seed", "Ctrl+Left", args=(-1,)),
    ActionRow("View", "Ne&xt set", "sets.step", "Ctrl+PgDown", group="sets", args=(1,)),
    ActionRow("View", "Pre&vious set", "sets.step", "Ctrl+PgUp", group="sets", args=(-1,)),
)
