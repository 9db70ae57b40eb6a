"""Opening and replacing the user's files safely: what a hostile path can break.

Reading: a path must name a regular file of bounded size before anything reads it. A FIFO
would block the reader forever, ``/dev/zero`` never ends, a folder or a symbolic-link loop
deserves its own message rather than "no such file". The check is made on the opened
descriptor (``O_NONBLOCK``, then ``fstat``), so a file swapped for a FIFO after a check
still cannot hang us.

Writing: :func:`atomic_open` writes a temporary file in the target's folder, fsyncs it and
renames it over the target, so a failed save (full disk, killed process) leaves the old
file byte for byte. It refuses to replace anything but a regular file (a symlink, FIFO or
device would be destroyed by the rename, not written through), keeps the old file's
permission bits, gives a new file what the umask gives, and names the file in every error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

MiB = 1 << 20


class FileFormatError(ValueError):
    """A file is missing, unreadable or not in the expected format; one-line message."""


class WriteError(OSError):
    """A save failed; ``str()`` is one line naming the file (no ``[Errno N]`` prefix)."""

    def __str__(self) -> str:
        return str(self.strerror)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def _open_error(path: Path, exc: OSError) -> FileFormatError:
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return FileFormatError(f"{path}: is a broken symbolic link")
        return FileFormatError(f"{path}: no such file")
    if exc.errno == errno.ELOOP:
        return FileFormatError(f"{path}: is a symbolic link loop")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return FileFormatError(f"{path}: permission denied")
    return FileFormatError(f"{path}: cannot open ({exc.strerror or exc})")


@contextlib.contextmanager
def open_regular(path: str | Path, what: str, max_bytes: int) -> Iterator[IO[bytes]]:
    """Open ``path`` for reading only if it is a regular file of at most ``max_bytes``.

    ``what`` names the kind of file in the size message ("session", "direction file").
    Raises FileFormatError with the file's name otherwise.
    """
    path = Path(path)
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _open_error(path, exc) from None
    try:
        st = os.fstat(fd)
        if (kind := _kind(st.st_mode)) is not None:
            raise FileFormatError(f"{path}: is {kind}")
        if st.st_size > max_bytes:
            raise FileFormatError(
                f"{path}: is {st.st_size / MiB:.0f} MiB, more than a {what} can be "
                f"({max_bytes / MiB:.0f} MiB)"
            )
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh


def read_limited(path: str | Path, what: str, max_bytes: int) -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` (see open_regular)."""
    with open_regular(path, what, max_bytes) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise FileFormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # it grew while we read
        raise FileFormatError(f"{path}: is larger than a {what} can be")
    return data


# -- writing ------------------------------------------------------------------------------


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def writable_target(path: str | Path) -> int:
    """The permission bits a save to ``path`` should give the file; refuses a target that a
    rename would destroy rather than write (symlink, FIFO, device, folder).

    Raises WriteError naming the file and saying why.
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return 0o666 & ~_umask()
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise WriteError(
            errno.EEXIST,
            f"cannot write {path}: it is a symbolic link; save to the file it points to "
            "or choose another name",
        )
    if (kind := _kind(st.st_mode)) is not None:
        raise WriteError(errno.EEXIST, f"cannot write {path}: it is {kind}; not replacing it")
    return stat.S_IMODE(st.st_mode)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``.

    Every OSError (full disk, no permission, refused target) comes out as WriteError
    naming ``path``; the old file is left as it was.
    """
    path = Path(path)
    mode = writable_target(path)
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            writable_target(path)  # still not a symlink or FIFO just before the rename
            os.replace(tmp, path)
        except WriteError:
            raise
        except OSError as exc:
            raise WriteError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> None:
    """``write(fh)`` into a temporary file renamed over ``path`` (see atomic_open)."""
    with atomic_open(path) as fh:
        write(fh)
