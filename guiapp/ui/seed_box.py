"""A spin box that holds every valid seed, 0 .. 2**32 - 1.

QSpinBox is a 32-bit signed int and stops at 2**31 - 1, so a stored seed of 3 000 000 000
showed as 2147483647. A QDoubleSpinBox with no decimals holds whole numbers exactly up to
2**53, far past the limit.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from guiapp.core.seeds import SEED_MAX


class SeedBox(QDoubleSpinBox):
    """Whole seeds only; the arrows wrap from the last seed to 0 and back."""

    seed_changed = Signal(object)  # an int: Signal(int) is 32-bit and would overflow

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(0)
        self.setRange(0, SEED_MAX)
        self.setSingleStep(1)
        self.setWrapping(True)
        self.setKeyboardTracking(False)  # one render per typed number, not per digit
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(str(SEED_MAX)) + 40)
        self.valueChanged.connect(lambda value: self.seed_changed.emit(int(value)))

    def seed(self) -> int:
        return int(self.value())

    def set_seed(self, seed: int) -> None:
        """Show ``seed`` without emitting ``seed_changed``."""
        self.blockSignals(True)
        self.setValue(float(seed))
        self.blockSignals(False)

    def textFromValue(self, value: float) -> str:
        return str(int(value))  # digits only: no locale grouping or decimal point
