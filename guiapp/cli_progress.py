"""A self-redrawing text progress bar for the CLI (stderr, ``\\r``, no extra dependency).

It is a :data:`guiapp.core.progress.ProgressFn`: core jobs call it as
``bar(fraction, message)``. It stays invisible for jobs that finish quickly (nothing to
show) and on streams that are not terminals (a log file should not fill with ``\\r``).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """Draw ``[#####.....]  42%  message`` on one line, redrawn in place.

    Parameters
    ----------
    stream
        Where to draw; ``sys.stderr`` at call time when None.
    enabled
        Draw at all; by default only when ``stream`` is a terminal.
    show_after
        Seconds to wait before the first draw, so quick jobs print nothing.
    min_interval
        Seconds between redraws (percent changes always redraw), to keep output light.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        show_after: float = 0.3,
        min_interval: float = 0.1,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self._enabled = enabled
        self._show_after = show_after
        self._min_interval = min_interval
        self._started = time.monotonic()
        self._last_draw = -1.0
        self._last_line = ""
        self._last_percent = -1
        self._width = 0
        self.drawn = False

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if not self.drawn and now - self._started < self._show_after:
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        percent = int(fraction * 100)
        line = self._format(fraction, message)
        if line == self._last_line:
            return
        if percent == self._last_percent and now - self._last_draw < self._min_interval:
            return
        self._draw(line)
        self._last_draw = now
        self._last_percent = percent

    @staticmethod
    def _format(fraction: float, message: str) -> str:
        filled = int(fraction * BAR_WIDTH)  # floor: a full bar means done
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        text = f"[{bar}] {int(fraction * 100):3d}%"
        first_line = message.splitlines()[0] if message else ""
        return f"{text}  {first_line[:60]}" if first_line else text

    def _draw(self, line: str) -> None:
        # Pad with spaces so a shorter line fully covers the previous one.
        padding = " " * max(self._width - len(line), 0)
        self._stream.write("\r" + line + padding)
        self._stream.flush()
        self._width = len(line)
        self._last_line = line
        self.drawn = True

    def close(self) -> None:
        """End the bar's line (only if one was drawn), so later output starts clean."""
        if self.drawn:
            self._stream.write("\n")
            self._stream.flush()
            self.drawn = False
            self._last_line = ""
            self._last_percent = -1
            self._width = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
