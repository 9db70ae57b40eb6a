"""numpy images to Qt images, copied so the array can be freed as soon as the call returns.

The renderer hands the UI (H, W, 3) uint8 arrays; a QImage built on an array's buffer
would read freed memory once the array goes, so every image here owns its pixels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def array_to_qimage(arr: np.ndarray) -> QImage:
    """A deep-copied RGB888 QImage of ``arr``.

    Parameters
    ----------
    arr : (H, W, 3) uint8
        RGB pixels; any strides (a view or slice is fine).

    Raises
    ------
    ValueError
        When ``arr`` is not (H, W, 3) uint8 with H, W > 0.
    """
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 image, got {arr.shape} {arr.dtype}")
    height, width = arr.shape[:2]
    if height == 0 or width == 0:
        raise ValueError(f"image has no pixels: {arr.shape}")
    rows = np.ascontiguousarray(arr)
    view = QImage(rows.data, width, height, rows.strides[0], QImage.Format.Format_RGB888)
    return view.copy()  # owns its buffer; `rows` may go away now


def array_to_pixmap(arr: np.ndarray) -> QPixmap:
    """``array_to_qimage`` as a QPixmap (for painting; needs a QGuiApplication)."""
    return QPixmap.fromImage(array_to_qimage(arr))
