"""Opening a user's photo: orientation, bit depths, colour models, and refusals (issue 12)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from guiapp.core.photo import MAX_PIXELS, PhotoError, open_photo, photo_from_bytes
from guiapp.core.photo_crop import (
    centre_box,
    check_box,
    crop_square,
    crop_style,
    detect_faces,
    parse_box,
    suggest_box,
)


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_exif_orientation_is_honoured():
    """A phone portrait stored sideways (EXIF orientation 6) opens upright: the stored
    left half (red) ends up on top after the 90° clockwise turn the tag asks for."""
    stored = np.zeros((40, 64, 3), np.uint8)
    stored[:, :32] = (255, 0, 0)
    stored[:, 32:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = photo_from_bytes(_encode(Image.fromarray(stored), "JPEG", exif=exif, quality=95),
                             "portrait.jpg")
    assert photo.size == (40, 64)
    top, bottom = photo.rgb[:20].reshape(-1, 3).mean(0), photo.rgb[44:].reshape(-1, 3).mean(0)
    assert top[0] > 200 > top[2]
    assert bottom[2] > 200 > bottom[0]


def test_sixteen_bit_grey_is_scaled_not_clipped():
    """16-bit greyscale (mid-grey 32768) becomes 8-bit mid-grey, not white."""
    grey = np.full((48, 48), 32768, np.uint16)
    grey[:, :24] = 65535
    photo = photo_from_bytes(_encode(Image.fromarray(grey), "PNG"), "scan.png")
    assert photo.rgb.dtype == np.uint8 and photo.rgb.shape == (48, 48, 3)
    assert abs(int(photo.rgb[0, 40, 0]) - 128) <= 1
    assert photo.rgb[0, 0].tolist() == [255, 255, 255]


def test_cmyk_palette_and_transparency_become_rgb():
    red = np.zeros((40, 40, 3), np.uint8)
    red[..., 0] = 230
    cmyk = photo_from_bytes(_encode(Image.fromarray(red).convert("CMYK"), "JPEG"), "a.jpg")
    assert cmyk.rgb[20, 20, 0] > 200 and cmyk.rgb[20, 20, 1:].max() < 40

    pal = Image.fromarray(red).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    pal.info["transparency"] = int(np.asarray(pal)[0, 0])
    photo = photo_from_bytes(_encode(pal, "PNG", transparency=pal.info["transparency"]),
                             "logo.png")
    assert photo.rgb[0, 0].tolist() == [255, 255, 255]  # transparent: laid on white

    la = Image.fromarray(np.stack([np.full((40, 40), 50, np.uint8),
                                   np.zeros((40, 40), np.uint8)], -1), "LA")
    assert photo_from_bytes(_encode(la, "PNG"), "la.png").rgb[5, 5].tolist() == [255] * 3


def test_refusals_name_the_file_in_one_line(tmp_path: Path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image at all\n")
    small = tmp_path / "icon.png"
    small.write_bytes(_encode(Image.new("RGB", (16, 16)), "PNG"))
    for path, words in ((text, "not an image"), (small, "too small"),
                        (tmp_path / "missing.png", "no such file"), (tmp_path, "folder")):
        with pytest.raises(PhotoError) as info:
            open_photo(path)
        message = str(info.value)
        assert str(path) in message and words in message and "\n" not in message


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height and whose image data is a few bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20_000, 200_000])
def test_a_decompression_bomb_is_refused_before_decoding(side: int):
    """A 100-byte file declaring 400 megapixels or more is refused from its header."""
    with pytest.raises(PhotoError, match="pixels"):
        photo_from_bytes(_png_header_only(side, side), "bomb.png")
    assert side * side > MAX_PIXELS


def test_a_truncated_image_is_a_damaged_image():
    good = _encode(Image.fromarray(data.astronaut()), "JPEG")
    with pytest.raises(PhotoError, match=r"damaged|not an image"):
        photo_from_bytes(good[: len(good) // 3], "cut.jpg")


def test_the_face_is_found_and_framed_like_ffhq():
    """The astronaut's face (scikit-image's public-domain NASA portrait) is detected;
    the suggested crop is a square inside the photo, centred near the face and about
    twice its size; a photo without a face gets the centre square."""
    rgb = data.astronaut()
    faces = detect_faces(rgb)
    assert faces
    fx, fy, fs = faces[0]
    (x, y, side), how = suggest_box(rgb, faces=True)
    assert how == "face"
    assert 1.8 * fs <= side <= 2.6 * fs
    assert x <= fx and y <= fy and x + side >= fx + fs and y + side >= fy + fs
    assert min(x, y) >= 0 and max(x, y) + side <= 512
    (tx, ty, tight), _ = suggest_box(rgb, faces=True, style="tight")
    assert fs <= tight < side and tx <= fx and ty <= fy  # DigiFace-like: the face fills it
    assert crop_style("dcgan-digiface") == "tight" and crop_style("stylegan2-ffhq") == "ffhq"
    coffee = data.coffee()
    assert suggest_box(coffee, faces=True) == (centre_box(600, 400), "centre")
    assert suggest_box(rgb, faces=False) == ((0, 0, 512), "centre")


def test_crop_boxes_are_checked():
    assert parse_box("10,20,128") == (10, 20, 128)
    for bad in ("10,20", "a,b,c", "-1,0,5", "0,0,0"):
        with pytest.raises(ValueError, match=r"x,y,size|size >= 1"):
            parse_box(bad)
    with pytest.raises(ValueError, match="outside the 512 x 512 photo"):
        check_box((400, 0, 200), 512, 512)
    crop = crop_square(data.astronaut(), (100, 0, 256), 64)
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8
