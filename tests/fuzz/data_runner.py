"""Run data-file cases in child processes under a memory and time limit.

A case is a CLI run (``guiapp.cli.main(argv)``, through :func:`tests.fuzz.run_cases.run_one`)
or a session open as the window does it: ``load_workspace_session`` (only FileFormatError is caught
there, anything else would escape into Qt), then a render of what it describes (the
window's render worker shows a render error as a message). Each child runs many cases and
prints one JSON line per case; a case that kills or stalls the child gets that outcome
and the next child starts after it.

Child usage: ``python -m tests.fuzz.data_runner CASES.json``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from typing import Any

from tests.fuzz.harness import REPO, Outcome, child_env, limit_memory

START_UP_S = 60.0


# -- child ---------------------------------------------------------------------------------


def _session_case(path: str) -> int:
    """Open a session the way the window does; 0 when it loaded and rendered."""
    from guiapp.core.io import FileFormatError
    from guiapp.core.models.registry import load_model
    from guiapp.core.render import render_request
    from guiapp.core.session_io import load_workspace_session
    from guiapp.core.types import RenderRequest

    try:
        session, _extra = load_workspace_session(path)
    except FileFormatError as exc:  # the window shows this message and keeps its state
        print(f"guiapp: {exc}", file=sys.stderr)
        return 2
    model = load_model(session.model_ref)
    try:
        render_request(model, RenderRequest(
            seed=session.seed or 0, latent=session.latent, truncation=session.truncation,
            workspace=session.workspace, truncation_cutoff=session.truncation_cutoff,
            class_index=session.class_index))
    except (ValueError, IndexError) as exc:  # the render worker's "failed" message
        print(f"guiapp: {os.path.basename(path)}: cannot render it: {exc}", file=sys.stderr)
        return 2
    return 0


def _run_session(path: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    exception, code = None, None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = _session_case(path)
        except BaseException as exc:  # what escaped is the finding
            exception = type(exc).__name__
            print(f"Traceback (most recent call last): {exception}: {str(exc)[:300]}",
                  file=err)
    return {"returncode": code, "stdout": out.getvalue()[-4000:],
            "stderr": err.getvalue()[-4000:], "elapsed_s": time.monotonic() - start,
            "exception": exception}


def _with_fsize(limit: int | None, run: Any) -> dict[str, Any]:
    """``run()`` with writes capped at ``limit`` bytes (a full disk), then uncapped."""
    if limit is None:
        return run()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        return run()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)


def child_main(spec_path: str) -> int:
    from tests.fuzz.run_cases import run_one

    with open(spec_path, encoding="utf-8") as fh:
        cases = json.load(fh)
    import guiapp.cli
    import guiapp.core.models.registry  # noqa: F401  (imports before the first clock)

    for case in cases:
        if case["kind"] == "session":
            record = _with_fsize(case.get("fsize"), lambda c=case: _run_session(c["path"]))
        else:
            record = _with_fsize(case.get("fsize"), lambda c=case: run_one(c["argv"]))
        record["id"] = case["id"]
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()
    return 0


# -- parent --------------------------------------------------------------------------------


def run_cases(
    specs: Sequence[dict[str, Any]],
    *,
    timeout_s: float = 30.0,
    mem_bytes: int = 2 * 1024**3,
    pythonpath: str | None = None,
) -> dict[str, Outcome]:
    """Outcome of every spec (``{"id", "kind": "cli"|"session", "argv"|"path", "fsize"}``)."""
    results: dict[str, Outcome] = {}
    todo = list(specs)
    while todo:
        todo = todo[_one_child(todo, timeout_s, mem_bytes, pythonpath, results):]
    return results


def _reader(stream: Any, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _one_child(todo: list[dict[str, Any]], timeout_s: float, mem_bytes: int,
               pythonpath: str | None, results: dict[str, Outcome]) -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(todo, fh)
    env = child_env(None, pythonpath)
    # The tree under test comes first; this checkout's tests/fuzz after it. The child runs
    # in a scratch folder so that ``-m`` does not put this checkout's guiapp first.
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(REPO)])
    err_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fuzz.data_runner", fh.name], cwd=tempfile.gettempdir(),
        env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file,
        preexec_fn=limit_memory(mem_bytes), start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    done, wait_s, start = 0, timeout_s + START_UP_S, time.monotonic()
    try:
        while done < len(todo):
            try:
                line = lines.get(timeout=wait_s)
            except queue.Empty:
                results[todo[done]["id"]] = Outcome(None, "", _tail(err_file), None, True,
                                                    time.monotonic() - start)
                return done + 1
            if line is None:  # the child died mid-case
                code = proc.wait()
                sig = -code if code < 0 else None
                results[todo[done]["id"]] = Outcome(None if sig else code, "", _tail(err_file),
                                                    sig, False, time.monotonic() - start)
                return done + 1
            r = json.loads(line)
            results[r["id"]] = Outcome(r["returncode"], r["stdout"], r["stderr"], None, False,
                                       r["elapsed_s"], r.get("exception"))
            done, wait_s = done + 1, timeout_s
        return done
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        err_file.close()
        os.unlink(fh.name)


def _tail(err_file: Any, limit: int = 4000) -> str:
    err_file.seek(0)
    return err_file.read()[-limit:].decode("utf-8", "replace")


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1]))
