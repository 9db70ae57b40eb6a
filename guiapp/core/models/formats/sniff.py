"""What a path is, before any reader runs: a regular file (not a FIFO, device or symlink
loop), a folder, and, from its first bytes (never its name), which container it holds."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from guiapp.core.errors import ModelLoadError


def printable(text: str) -> str:
    """``text`` as it can be printed: bytes that are not UTF-8 become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shown_name(path: Path | str) -> str:
    """The file's name as it can be printed."""
    return printable(Path(path).name)


def check_regular_file(path: Path, ref: str, allow_folder: bool = False) -> None:
    """Refuse a missing path, a folder (unless ``allow_folder``), a FIFO, a device or a
    symlink loop before opening it (opening a FIFO would wait for a writer; a device never
    ends)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ModelLoadError(f"{ref}: is a symbolic link to a missing file") from None
        raise ModelLoadError(f"{ref}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ModelLoadError(f"{ref}: is a loop of symbolic links, not a file") from None
        raise ModelLoadError(f"{ref}: cannot be opened ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        if allow_folder:
            return
        raise ModelLoadError(f"{ref}: is a folder, not a file; give a model file")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise ModelLoadError(f"{ref}: is {kind}, not a model file; guiapp reads regular files only")


def sniff_format(path: Path) -> str:
    """``"safetensors"``, ``"zip"`` (torch.save), ``"pickle"`` or ``"unknown"``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return "unknown"
        head = fh.read(16)
        size = os.fstat(fh.fileno()).st_size
    if len(head) >= 10:
        header_len = int.from_bytes(head[:8], "little")
        if 2 <= header_len <= size - 8 and head[8:9] == b"{":
            return "safetensors"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    return "unknown"
