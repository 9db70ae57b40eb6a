"""Choose and cut the square of a photo that the generator will reproduce.

Face models were trained on aligned crops (FFHQ: the face centred, about half the side, a
margin of hair and neck around it; DigiFace-1M: the face filling the frame), so for them
the face found by scikit-image's LBP frontal-face cascade (it ships with scikit-image: no
download) is enlarged to such a crop.
Other models, or a photo without a detectable face, get the largest centred square.
A box is ``(x, y, size)`` in photo pixels, always inside the photo.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

Box = tuple[int, int, int]

FACE_CROPS = {"ffhq": (2.2, 0.12), "tight": (1.4, 0.05)}
"""(crop side over the detector's box side, shift of the centre below the box centre in box
sides). The detector frames eyebrows to mouth; FFHQ's crops keep hair and neck and centre
between the eyes and the mouth; "tight" crops, as DigiFace-1M's (the built-in model's
training set), let the face fill the frame."""
TIGHT_CROP_MODELS = frozenset({"dcgan-digiface"})
DETECT_SIDE = 384
"""Photos are searched at this size at most (the cascade is slow on large images)."""

_detector = None


def centre_box(width: int, height: int) -> Box:
    """The largest square in the middle of a ``width`` x ``height`` photo."""
    side = min(width, height)
    return (width - side) // 2, (height - side) // 2, side


def fit_box(box: Box, width: int, height: int) -> Box:
    """``box`` moved (and shrunk if it must be) to lie inside the photo."""
    x, y, side = box
    side = max(1, min(int(side), width, height))
    x = min(max(int(x), 0), width - side)
    y = min(max(int(y), 0), height - side)
    return x, y, side


def parse_box(text: str) -> Box:
    """``"x,y,size"`` -> (x, y, size); ValueError with the reason."""
    parts = text.split(",")
    if len(parts) != 3:
        raise ValueError(f"a crop is x,y,size (three integers), not {text!r}")
    try:
        x, y, side = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"a crop is x,y,size (three integers), not {text!r}") from None
    if x < 0 or y < 0 or side < 1:
        raise ValueError(f"a crop needs x, y >= 0 and size >= 1, not {text!r}")
    return x, y, side


def check_box(box: Box, width: int, height: int) -> Box:
    """``box`` if it lies inside the photo, else ValueError saying the photo's size."""
    x, y, side = box
    if x + side > width or y + side > height:
        raise ValueError(
            f"the crop {x},{y},{side} reaches outside the {width} x {height} photo"
        )
    return box


def _cascade():
    global _detector
    if _detector is None:
        from skimage import data
        from skimage.feature import Cascade

        _detector = Cascade(data.lbp_frontal_face_cascade_filename())
    return _detector


def detect_faces(rgb: np.ndarray) -> list[Box]:
    """Frontal faces in ``rgb`` (H, W, 3) uint8 as detector boxes, largest first."""
    height, width = rgb.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(width, height))
    img = Image.fromarray(rgb).convert("L")
    if scale < 1.0:
        img = img.resize((max(1, round(width * scale)), max(1, round(height * scale))),
                         Image.Resampling.BOX)
    grey = np.asarray(img, dtype=np.float64) / 255.0
    smallest = max(24, min(grey.shape) // 10)
    found = _cascade().detect_multi_scale(
        img=grey, scale_factor=1.2, step_ratio=1, min_size=(smallest, smallest),
        max_size=(min(grey.shape), min(grey.shape)), min_neighbor_number=3,
    )
    boxes = [
        (round(f["c"] / scale), round(f["r"] / scale), round(max(f["width"], f["height"]) / scale))
        for f in found
    ]
    return sorted(boxes, key=lambda b: -b[2])


def crop_style(model_name: str) -> str:
    """How a face model's training images were cropped: "tight" or "ffhq"."""
    return "tight" if model_name in TIGHT_CROP_MODELS else "ffhq"


def face_box(rgb: np.ndarray, style: str = "ffhq") -> Box | None:
    """The square around the largest face in ``rgb`` cropped in ``style`` (see
    :data:`FACE_CROPS`), or None without a face."""
    faces = detect_faces(rgb)
    if not faces:
        return None
    x, y, side = faces[0]
    scale, shift = FACE_CROPS[style]
    crop = round(side * scale)
    cx = x + side / 2
    cy = y + side / 2 + shift * side
    height, width = rgb.shape[:2]
    return fit_box((round(cx - crop / 2), round(cy - crop / 2), crop), width, height)


def suggest_box(rgb: np.ndarray, faces: bool, style: str = "ffhq") -> tuple[Box, str]:
    """The crop to offer first and how it was found ("face" or "centre")."""
    if faces:
        box = face_box(rgb, style)
        if box is not None:
            return box, "face"
    return centre_box(rgb.shape[1], rgb.shape[0]), "centre"


def crop_square(rgb: np.ndarray, box: Box, size: int) -> np.ndarray:
    """The ``box`` of ``rgb`` resized to ``size`` x ``size`` (Lanczos), (size, size, 3) uint8."""
    x, y, side = check_box(box, rgb.shape[1], rgb.shape[0])
    img = Image.fromarray(rgb[y : y + side, x : x + side])
    if side != size:
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.uint8)
