"""Run guiapp-cli on hostile inputs in subprocesses under a memory and time limit, and
classify what happened.

Two ways to run:

- :func:`run_cli` starts one real ``python -m guiapp.cli ARGS`` process (about 2 s of
  start-up for torch): the end-to-end contract (exit 2, one stderr line, no traceback).
- :func:`run_batch` runs many cases in one process (:mod:`tests.fuzz.run_cases` calls
  ``guiapp.cli.main(argv)`` in-process for each, with stdout and stderr captured), so a
  campaign of hundreds of files pays the start-up once. A case that kills the process
  (signal, timeout, memory) is recorded as such and the batch restarts after it.

Outcome classes (:data:`CLASSES`): ``ok`` (exit 0 for a case that should work),
``refused`` (exit 2, one line naming the file),
``unclear`` (exit 2, but not one line naming the file), ``crash`` (killed by a signal),
``hang`` (ran past the timeout), ``memory`` (hit the memory limit), ``traceback``
(an exception escaped, or a traceback was printed), ``wrong_result`` (exit 0 where a
refusal was expected), ``destroyed`` (a protected file changed), ``code_ran`` (the
sentinel file appeared).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import selectors
import signal as signals
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MEM_BYTES = 3 * 1024**3 // 2
"""Address space a child may use beyond what importing torch and guiapp maps (about 0.8 GiB
with a CPU torch, far more with a CUDA build; measured once, see :func:`import_footprint`)."""
DEFAULT_TIMEOUT_S = 60.0
CLASSES = (
    "ok",
    "refused",
    "unclear",
    "crash",
    "hang",
    "memory",
    "traceback",
    "wrong_result",
    "destroyed",
    "code_ran",
)
_MEMORY_WORDS = ("MemoryError", "can't allocate memory", "bad_alloc", "Cannot allocate memory",
                 "out of memory")


@dataclass(frozen=True)
class Outcome:
    """What one run did. ``signal`` is set when a signal ended it; ``returncode`` is None
    then, and also when it timed out."""

    returncode: int | None
    stdout: str
    stderr: str
    signal: int | None = None
    timed_out: bool = False
    elapsed_s: float = 0.0
    exception: str | None = None
    """In-process runs only: the type name of an exception that escaped ``cli.main``."""


@functools.cache
def import_footprint() -> int:
    """Peak address space (bytes) of a Python that imported torch and guiapp's loaders."""
    code = ("import torch, guiapp.cli, guiapp.core.models.registry\n"
            "print([l for l in open('/proc/self/status') if l.startswith('VmPeak')][0])")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=child_env(), cwd=tempfile.gettempdir(), timeout=120).stdout
        return int(out.split()[1]) * 1024
    except (OSError, IndexError, ValueError, subprocess.TimeoutExpired):
        return 2 * 1024**3


def limit_memory(mem_bytes: int) -> Any:
    """A ``preexec_fn`` that caps the child's address space at ``mem_bytes`` beyond the
    :func:`import_footprint` (computed here, in the parent)."""
    total = import_footprint() + mem_bytes

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (total, total))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def child_env(extra: dict[str, str] | None = None, pythonpath: str | None = None) -> dict:
    """The environment for a child: offscreen Qt, few threads, the tree under test first
    (then this checkout, for ``tests.fuzz``). Children run in a scratch folder, so that
    ``-m`` does not put the current folder's guiapp in front."""
    env = dict(os.environ)
    env.update({"QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1"})
    roots = [pythonpath or str(REPO), str(REPO), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in roots if p))
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str | os.PathLike],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    mem_bytes: int = DEFAULT_MEM_BYTES,
    cwd: str | os.PathLike | None = None,
    env: dict[str, str] | None = None,
    pythonpath: str | None = None,
) -> Outcome:
    """Run ``python -m guiapp.cli ARGS`` in a fresh process with a memory and time limit.

    ``env`` adds variables; ``pythonpath`` puts another tree first (for "before" runs).
    """
    cmd = [sys.executable, "-m", "guiapp.cli", *map(os.fspath, args)]
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd if cwd is not None else tempfile.gettempdir(),
        env=child_env(env, pythonpath),
        preexec_fn=limit_memory(mem_bytes),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        return Outcome(None, _text(out), _text(err), None, True, time.monotonic() - start)
    code = proc.returncode
    sig = -code if code < 0 else None
    return Outcome(None if sig else code, _text(out), _text(err), sig, False,
                   time.monotonic() - start)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signals.SIGKILL)


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")


@dataclass
class Case:
    """One in-process case: ``argv`` for ``guiapp.cli.main``, and what must not change.

    ``protected`` files must be byte-identical afterwards; ``sentinel`` must not appear.
    ``expect_refusal`` False means exit 0 is the right answer (a valid control file).
    ``names`` are the strings one of which the refusal must contain (default: the base
    name of the last argument).
    """

    id: str
    argv: list[str]
    expect_refusal: bool | None = True
    protected: list[str] = field(default_factory=list)
    sentinel: str | None = None
    names: list[str] | None = None
    family: str = ""

    def wanted_names(self) -> list[str]:
        if self.names is not None:
            return self.names
        return [os.path.basename(self.argv[-1])] if self.argv else []


def run_batch(
    cases: Sequence[Case],
    *,
    timeout_s: float = 30.0,
    mem_bytes: int = DEFAULT_MEM_BYTES,
    pythonpath: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Outcome]:
    """Run every case through ``guiapp.cli.main`` in as few processes as possible.

    ``timeout_s`` is per case. A case that ends the process (signal, timeout, or a kill for
    memory) gets that outcome; the next process starts with the case after it.
    """
    results: dict[str, Outcome] = {}
    todo = list(cases)
    while todo:
        done = _one_process(todo, timeout_s, mem_bytes, pythonpath, env, results)
        todo = todo[done:]
    return results


def _one_process(
    todo: list[Case], timeout_s: float, mem_bytes: int, pythonpath: str | None,
    env: dict[str, str] | None, results: dict[str, Outcome],
) -> int:
    """Run cases from ``todo[0]`` on in one child; returns how many got an outcome."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump([{"id": c.id, "argv": c.argv} for c in todo], fh)
        spec = fh.name
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fuzz.run_cases", spec],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=tempfile.gettempdir(), env=child_env(env, pythonpath),
        preexec_fn=limit_memory(mem_bytes),
        start_new_session=True,
    )
    done = 0
    buf = b""
    err_chunks: list[bytes] = []
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    started = time.monotonic()
    # The start-up (torch import) gets its own allowance on top of the first case's.
    deadline = started + timeout_s + 60.0
    open_streams = 2
    try:
        while open_streams and done < len(todo):
            now = time.monotonic()
            if now > deadline:
                _kill(proc)
                results[todo[done].id] = Outcome(None, "", _tail(err_chunks), None, True,
                                                 now - started)
                return done + 1
            for key, _ in sel.select(timeout=max(0.05, deadline - now)):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                if key.fileobj is proc.stderr:
                    err_chunks.append(chunk)
                    continue
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    record = json.loads(line)
                    results[record["id"]] = Outcome(
                        record["returncode"], record["stdout"], record["stderr"], None, False,
                        record["elapsed_s"], record.get("exception"),
                    )
                    done += 1
                    deadline = time.monotonic() + timeout_s
        if done < len(todo):  # the child died mid-case
            code = proc.wait()
            sig = -code if code < 0 else None
            stderr = _tail(err_chunks)
            results[todo[done].id] = Outcome(None if sig else code, "", stderr, sig, False,
                                             time.monotonic() - started)
            return done + 1
        return done
    finally:
        sel.close()
        if proc.poll() is None:
            _kill(proc)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        os.unlink(spec)


def _tail(chunks: list[bytes], limit: int = 4000) -> str:
    return _text(b"".join(chunks)[-limit:])


def classify(
    outcome: Outcome,
    *,
    expect_refusal: bool | None = True,
    names: Iterable[str] = (),
    protected: dict[str, bytes] | None = None,
    sentinel: str | os.PathLike | None = None,
) -> str:
    """One of :data:`CLASSES` for ``outcome``.

    ``expect_refusal``: True (a refusal is right), False (exit 0 is right) or None (either,
    e.g. a bit flip inside a weight). ``names``: a refusal must contain one of them (the
    file's name). ``protected``: path -> bytes it must still hold. ``sentinel``: a file a
    hostile payload would create.
    """
    if sentinel is not None and Path(sentinel).exists():
        return "code_ran"
    for path, before in (protected or {}).items():
        try:
            after = Path(path).read_bytes()
        except OSError:
            after = None
        if after != before:
            return "destroyed"
    text = outcome.stderr
    if outcome.timed_out:
        return "hang"
    if any(word in text for word in _MEMORY_WORDS) or outcome.exception == "MemoryError":
        return "memory"
    if outcome.signal is not None:
        return "memory" if outcome.signal == signals.SIGKILL else "crash"
    if outcome.exception or "Traceback (most recent call last)" in text:
        return "traceback"
    if outcome.returncode == 0:
        return "wrong_result" if expect_refusal is True else "ok"
    if outcome.returncode != 2:
        return "traceback"
    lines = [line for line in text.splitlines() if line.strip()]
    wanted = [n for n in names if n]
    if len(lines) != 1 or (wanted and not any(n in lines[0] for n in wanted)):
        return "unclear"
    return "refused" if expect_refusal is not False else "wrong_result"


def classify_case(case: Case, outcome: Outcome, protected: dict[str, bytes] | None = None) -> str:
    """:func:`classify` with the case's own expectations."""
    return classify(outcome, expect_refusal=case.expect_refusal, names=case.wanted_names(),
                    protected=protected, sentinel=case.sentinel)


def snapshot(paths: Iterable[str | os.PathLike]) -> dict[str, bytes]:
    """Path -> current bytes, for ``classify(protected=...)``."""
    return {os.fspath(p): Path(p).read_bytes() for p in paths}


def tally(classes: Iterable[str]) -> dict[str, int]:
    """Counts per class, every class present (zeros included), in :data:`CLASSES` order."""
    counts = Counter(classes)
    return {name: counts.get(name, 0) for name in CLASSES}
