"""What a direction row's tooltips and placeholders say (plain sentences; the app wraps
long ones, see :mod:`guiapp.ui.tooltips`)."""

from __future__ import annotations

import re

SINGLE_LATENT_TIP = "This model has a single latent: edits apply to all of it"
NAME_TIP = "Name this direction: F2 or double-click, Enter keeps, Esc cancels"
RESET_TIP = "Reset alpha and layers"


def short_note(notes: str) -> str:
    """A note that fits the name field: "near-duplicate of direction 3" shows as
    "≈ direction 3"; the full note is in the field's tooltip."""
    match = re.fullmatch(r"near-duplicate of (direction \d+)", notes)
    return f"≈ {match.group(1)}" if match else notes


def name_placeholder(notes: str) -> str:
    """The empty name field's grey text."""
    return f"{short_note(notes)} (F2)" if notes else "unnamed (F2)"


def note_sentence(notes: str) -> str:
    """``notes`` as a sentence ("Near-duplicate of direction 0."), or ""."""
    return f"{notes[:1].upper()}{notes[1:]}." if notes else ""


def name_tip(notes: str) -> str:
    """The name field's tooltip: the note in full, then how to rename."""
    return f"{note_sentence(notes)} {NAME_TIP}".lstrip()


def layers_tip(last: int) -> str:
    """The layer-range controls' tooltip for a model with layers 0..``last``."""
    if last <= 0:
        return SINGLE_LATENT_TIP
    return (f"Layers this edit changes, first to last inclusive, of this model's 0-{last}."
            " Early layers hold pose and shape, late layers colour and detail.")


def alpha_tip(limit: float, units: str) -> str:
    """The alpha slider's and box's tooltip: the range and what one unit means."""
    return f"Alpha, from -{limit:g} to {limit:g}. {units}."
