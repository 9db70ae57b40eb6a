"""Animation files, chosen by suffix: ``.mp4`` (H.264 through PyAV, whose wheels bundle
libx264; the optional extra ``pip install "guiapp[video]"``), and ``.gif``, ``.webp``,
``.png``/``.apng`` (animated PNG) through Pillow, always available.

Every file is written like the app's other saves (:func:`guiapp.core.safe_files.atomic_open`):
into a temporary file beside the target, renamed over it only when the last frame is in, so
a failed or cancelled export leaves no file and never damages an old one.

Frame sizes (:func:`frame_scale`): frames are resized to ``size`` (the longer side) when one
is given, then an MP4's frames are upscaled by the smallest whole factor that makes both
sides even and the shorter side at least :data:`MIN_VIDEO_SIDE`, with nearest-neighbour
pixels (crisp, no new colours). H.264 in yuv420p needs even sizes (colour is stored at half
resolution), and at 64 px that half-resolution colour would smear a face; the doubled 128-px
frame keeps one colour sample per generator pixel. GIF, WebP and APNG take any size.

GIF counts time in hundredths of a second, so its frame time is rounded to 10 ms (30 fps
plays at 33 fps); the other formats keep the rate asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from PIL import Image

from guiapp.core.safe_files import atomic_open
from guiapp.core.upscale import RESAMPLE

FORMATS = {".mp4": "mp4", ".gif": "gif", ".webp": "webp", ".png": "apng", ".apng": "apng"}
"""Animation formats by file suffix."""
FORMAT_NAMES = {"mp4": "MP4 (H.264)", "gif": "GIF", "webp": "WebP", "apng": "Animated PNG"}
VIDEO_EXTRA = 'pip install "guiapp[video]"'
MIN_VIDEO_SIDE = 128
MAX_SIDE = 4096
MIN_FPS, MAX_FPS = 1.0, 60.0
MAX_PILLOW_BYTES = 1 << 30
"""GIF, WebP and APNG are written from all frames at once: at most 1 GiB of them."""


class VideoUnavailable(ValueError):
    """MP4 asked for without PyAV installed; the message names the extra."""


def animation_format(path: str | Path) -> str:
    """The format ``path``'s suffix names, or ValueError listing the suffixes we write."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: an animation is saved as {', '.join(FORMATS)}, "
                         f"not {suffix or 'a name without a suffix'}")
    return FORMATS[suffix]


def import_av() -> Any:
    """The PyAV module, or VideoUnavailable saying how to install it."""
    try:
        import av
    except ImportError:
        raise VideoUnavailable(
            f"MP4 needs PyAV, which is not installed: {VIDEO_EXTRA} "
            "(GIF, WebP and APNG work without it)") from None
    return av


def check_fps(fps: float) -> float:
    """``fps`` as a float within MIN_FPS..MAX_FPS, or ValueError."""
    value = float(fps)
    if not MIN_FPS <= value <= MAX_FPS:
        raise ValueError(f"frames per second must be {MIN_FPS:g} to {MAX_FPS:g}, not {fps:g}")
    return value


def check_animation_target(path: str | Path, fps: float) -> str:
    """Everything about the output that can be refused before rendering: suffix, fps and,
    for MP4, PyAV. Returns the format."""
    fmt = animation_format(path)
    check_fps(fps)
    if fmt == "mp4":
        import_av()
    return fmt


def check_frame_budget(fmt: str, frames: int, height: int, width: int) -> None:
    """Refuse, before rendering, a GIF, WebP or APNG whose frames would not fit in
    MAX_PILLOW_BYTES (Pillow writes them all at once); MP4 streams and has no such bound."""
    if fmt != "mp4" and frames * height * width * 3 > MAX_PILLOW_BYTES:
        raise ValueError(f"{FORMAT_NAMES[fmt]} animations are built in memory: {frames} "
                         f"frames of {width}x{height} are over {MAX_PILLOW_BYTES >> 20} MiB; "
                         "use fewer frames, a smaller size, or MP4")


def resized_shape(height: int, width: int, size: int | None) -> tuple[int, int]:
    """(H, W) after resizing so the longer side is ``size`` (None: unchanged)."""
    if size is None:
        return height, width
    if not 1 <= size <= MAX_SIDE:
        raise ValueError(f"size must be 1 to {MAX_SIDE} pixels, not {size}")
    longer = max(height, width)
    return max(1, round(height * size / longer)), max(1, round(width * size / longer))


def frame_scale(height: int, width: int, fmt: str) -> int:
    """The whole factor an encoder needs (see the module docstring): 1 unless ``fmt`` is
    mp4 and a side is odd or the shorter side is below MIN_VIDEO_SIDE."""
    if fmt != "mp4":
        return 1
    k = max(1, -(-MIN_VIDEO_SIDE // min(height, width)))
    while (k * height) % 2 or (k * width) % 2:
        k += 1
    return k


def output_shape(height: int, width: int, fmt: str, size: int | None = None) -> tuple[int, int]:
    """The (H, W) of the frames in the file, for frames rendered at (height, width)."""
    h, w = resized_shape(height, width, size)
    k = frame_scale(h, w, fmt)
    return h * k, w * k


def fit_frame(frame: np.ndarray, fmt: str, size: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 -> the frame as the file stores it (see :func:`output_shape`):
    ``size`` by nearest pixels when it is a whole multiple (or divisor) of the frame,
    else Lanczos; then the encoder's whole factor, nearest."""
    h, w = frame.shape[:2]
    th, tw = resized_shape(h, w, size)
    image = Image.fromarray(frame)
    if (th, tw) != (h, w):
        whole = (th % h == 0 and tw % w == 0) or (h % th == 0 and w % tw == 0)
        image = image.resize((tw, th), RESAMPLE["nearest" if whole else "lanczos"])
    k = frame_scale(th, tw, fmt)
    if k > 1:
        image = image.resize((tw * k, th * k), RESAMPLE["nearest"])
    return np.asarray(image)


class FrameSink(Protocol):
    def write(self, frame: np.ndarray) -> None: ...
    def close(self) -> None: ...


class _Mp4Sink:
    """H.264, yuv420p, through PyAV into an open binary file."""

    def __init__(self, fh: IO[bytes], fps: float) -> None:
        self._av = import_av()
        self._container = self._av.open(fh, "w", format="mp4")
        self._rate = Fraction(fps).limit_denominator(1001)
        self._stream: Any = None

    def write(self, frame: np.ndarray) -> None:
        if self._stream is None:
            self._stream = self._container.add_stream("libx264", rate=self._rate)
            self._stream.height, self._stream.width = frame.shape[:2]
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": "18"}  # visually lossless, small
        video_frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(frame),
                                                       format="rgb24")
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._stream is not None:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        self._container.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._container.close()


class _PillowSink:
    """GIF, WebP or APNG: Pillow writes all frames at once when the sink closes."""

    def __init__(self, fh: IO[bytes], fps: float, fmt: str) -> None:
        self._fh, self._fmt = fh, fmt
        self._duration = 1000.0 / fps
        self._frames: list[Image.Image] = []
        self._bytes = 0

    def write(self, frame: np.ndarray) -> None:
        self._bytes += frame.nbytes
        if self._bytes > MAX_PILLOW_BYTES:
            raise ValueError(f"{FORMAT_NAMES[self._fmt]} animations are built in memory: at "
                             f"most {MAX_PILLOW_BYTES >> 20} MiB of frames; use fewer frames, "
                             "a smaller size, or MP4")
        self._frames.append(Image.fromarray(frame))

    def close(self) -> None:
        first, *rest = self._frames
        options: dict[str, Any] = {"save_all": True, "append_images": rest, "loop": 0}
        if self._fmt == "gif":
            options["duration"] = round(self._duration / 10) * 10  # GIF counts 1/100 s
            options["optimize"] = False
        elif self._fmt == "webp":
            options |= {"duration": round(self._duration), "quality": 90, "method": 4}
        else:
            options["duration"] = self._duration
        first.save(self._fh, format="GIF" if self._fmt == "gif" else
                   "WEBP" if self._fmt == "webp" else "PNG", **options)

    def abort(self) -> None:
        self._frames.clear()


@contextlib.contextmanager
def open_animation(path: str | Path, fps: float, size: int | None = None) -> Iterator[Any]:
    """A writer for ``path`` (format by suffix): ``writer(frames)`` adds (N, H, W, 3) uint8
    frames, fitted by :func:`fit_frame`; the file appears, atomically, when the block ends
    without an exception. Raises VideoUnavailable for MP4 without PyAV."""
    fmt = check_animation_target(path, fps)
    fps = check_fps(fps)
    with atomic_open(path) as fh:
        sink: Any = _Mp4Sink(fh, fps) if fmt == "mp4" else _PillowSink(fh, fps, fmt)
        count = 0

        def write(frames: np.ndarray) -> None:
            nonlocal count
            for frame in frames:
                sink.write(fit_frame(frame, fmt, size))
                count += 1

        try:
            yield write
            if count == 0:
                raise ValueError(f"{path}: an animation needs at least one frame")
            sink.close()
        except BaseException:
            sink.abort()
            raise
