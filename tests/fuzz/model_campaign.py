"""The hostile model-file campaign: every case of :mod:`tests.fuzz.model_cases` through
``guiapp-cli info`` (in-process batches under a memory and time limit), counted per outcome.

    python -m tests.fuzz.model_campaign [--pythonpath OTHER_TREE] [--cuts 40] [--flips 40]

``--pythonpath`` runs another checkout's guiapp (e.g. ``git worktree add /tmp/base
18be999`` for the "before" numbers) against the same files. Prints JSON: the case count,
counts per outcome class, per family, and every case that was not refused cleanly.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from tests.fuzz.harness import DEFAULT_MEM_BYTES, classify_case, run_batch, tally
from tests.fuzz.model_cases import build_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pythonpath", default=None, help="checkout whose guiapp to test")
    parser.add_argument("--cuts", type=int, default=40)
    parser.add_argument("--flips", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--mem-gib", type=float, default=DEFAULT_MEM_BYTES / 2**30)
    parser.add_argument("--folder", default=None, help="where to write the files")
    args = parser.parse_args(argv)
    folder = Path(args.folder or tempfile.mkdtemp(prefix="hostile-models-"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    cases = build_cases(folder, cuts=args.cuts, flips=args.flips)
    built = time.monotonic() - start
    results = run_batch(cases, timeout_s=args.timeout, mem_bytes=int(args.mem_gib * 2**30),
                        pythonpath=args.pythonpath)
    classes = {c.id: classify_case(c, results[c.id]) for c in cases}
    per_family: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        per_family[case.family][classes[case.id]] += 1
    bad = {
        c.id: {"class": classes[c.id], "stderr": results[c.id].stderr.strip()[-300:]}
        for c in cases
        if classes[c.id] not in ("refused", "ok")
    }
    report = {
        "tree": args.pythonpath or "this checkout",
        "cases": len(cases),
        "outcomes": tally(classes.values()),
        "families": {k: dict(v) for k, v in sorted(per_family.items())},
        "seconds": {"build": round(built, 1), "run": round(time.monotonic() - start - built, 1)},
        "not_refused_cleanly": bad,
    }
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
