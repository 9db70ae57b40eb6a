"""Child side of :func:`tests.fuzz.harness.run_batch`: run each case through
``guiapp.cli.main(argv)`` in this process and print one JSON line per case.

Usage: ``python -m tests.fuzz.run_cases CASES.json`` (a list of ``{"id", "argv"}``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time


def run_one(argv: list[str]) -> dict:
    """Exit code, captured output and the type of an escaped exception, if any."""
    from guiapp import cli

    # Encoded like a real process's streams: stdout strict UTF-8 (a name that is not UTF-8
    # printed raw fails there, as it would in a terminal), stderr with backslash escapes.
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    start = time.monotonic()
    exception = None
    code: int | None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException as exc:  # recording what escaped is the point
            exception = type(exc).__name__
            print(f"Traceback (most recent call last): {exception}: {str(exc)[:300]}",
                  file=err)
            code = None
    return {"returncode": code, "stdout": _text(out), "stderr": _text(err),
            "elapsed_s": time.monotonic() - start, "exception": exception}


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return raw.decode("utf-8", "replace")[-4000:]


def main(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as fh:
        cases = json.load(fh)
    # Pay the imports before the first case's clock starts.
    import guiapp.cli
    import guiapp.core.models.registry  # noqa: F401

    for case in cases:
        record = run_one(case["argv"])
        record["id"] = case["id"]
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
