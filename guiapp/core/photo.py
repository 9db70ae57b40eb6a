"""Open a user's photo as 8-bit RGB, safely, and crop the square a generator can reproduce.

Pillow reads the header first: the pixel count is checked against :data:`MAX_PIXELS` before
a byte is decoded (a 100 kB PNG can declare 50 000 x 50 000 pixels), and Pillow's own
decompression-bomb check is turned into the same refusal. EXIF orientation is applied
(phones store portraits sideways), 16-bit greyscale is scaled down (Pillow's ``convert``
clips it to white), CMYK, palette and alpha images are converted, transparency laid on white.
Every refusal is a :class:`PhotoError` naming the file in one line.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from guiapp.core.safe_files import FileFormatError, read_limited

MAX_PHOTO_BYTES = 256 << 20
MAX_PIXELS = 64_000_000
"""About 8000 x 8000: far above any camera's photo, far below what would exhaust memory."""
MIN_SIDE = 32


class PhotoError(FileFormatError):
    """A file is not a photo we can use; the message names it, in one line."""


@dataclass(frozen=True)
class Photo:
    """A decoded photo: ``rgb`` (H, W, 3) uint8, upright; its file name and sha256."""

    rgb: np.ndarray
    name: str
    sha256: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.rgb.shape[1], self.rgb.shape[0]


def open_photo(path: str | Path) -> Photo:
    """Read the photo at ``path`` (any format Pillow reads); PhotoError if unusable."""
    path = Path(path)
    try:
        data = read_limited(path, "photo", MAX_PHOTO_BYTES)
    except FileFormatError as exc:
        raise PhotoError(str(exc)) from None
    return photo_from_bytes(data, str(path))


def photo_from_bytes(data: bytes, name: str) -> Photo:
    """Decode ``data`` (an encoded image file) as a :class:`Photo` called ``name``."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise PhotoError(
                        f"{name}: is {width} x {height} pixels, more than a photo can be "
                        f"({MAX_PIXELS // 1_000_000} megapixels)"
                    )
                img.load()
                rgb = to_rgb(ImageOps.exif_transpose(img))
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"{name}: declares more pixels than a photo can have") from None
    except UnidentifiedImageError:
        raise PhotoError(f"{name}: is not an image file Pillow can read") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PhotoError(f"{name}: is a damaged image ({_first_line(exc)})") from None
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise PhotoError(
            f"{name}: is {rgb.shape[1]} x {rgb.shape[0]} pixels, too small "
            f"(at least {MIN_SIDE} x {MIN_SIDE})"
        )
    return Photo(rgb, Path(name).name, digest)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def to_rgb(img: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8 of any Pillow mode: high bit depths scaled, alpha laid on white."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        grey = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or grey.max(initial=0) > 255 else 255.0
        if mode == "F" and grey.max(initial=0) <= 1.0:
            top = 1.0
        grey = np.clip(np.rint(grey * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode in ("P", "LA", "La", "PA"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "RGBa"):
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img.convert("RGBA"))
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))
