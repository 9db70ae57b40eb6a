"""Small form widgets the method pages share: integer, number and choice boxes with tips."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox

from guiapp.ui.seed_box import SeedBox
from guiapp.ui.tooltips import set_tip


def spin(lo: int, hi: int, value: int, tip: str, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSingleStep(step)
    set_tip(box, tip)
    box.setGroupSeparatorShown(True)
    return box


def number(lo: float, hi: float, value: float, decimals: int, step: float,
            tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    set_tip(box, tip)
    return box


def shrinkable(box: QComboBox, chars: int = 8) -> QComboBox:
    """Let ``box`` be narrower than its longest entry (the popup still shows it in full),
    so a form fits a narrow panel with the box's arrow in view."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(chars)
    return box


def choice(items: dict[str, str], current: str, tip: str) -> QComboBox:
    box = shrinkable(QComboBox())
    for key, text in items.items():
        box.addItem(text, key)
    box.setCurrentIndex(list(items).index(current))
    set_tip(box, tip)
    return box


def seed(value: int, tip: str) -> SeedBox:
    """A seed field that holds every seed the core accepts (0 .. ``core.seeds.SEED_MAX``)."""
    box = SeedBox()
    box.set_seed(value)
    set_tip(box, tip)
    return box
