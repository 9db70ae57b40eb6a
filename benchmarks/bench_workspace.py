"""Workspace speed on the built-in model; prints one JSON object.

- ``combined_vs_single``: an edit combining 10 directions from 3 sets (SeFa, GANSpace and
  LatentCLR-style random directions) against a single edit, both through
  :func:`guiapp.core.render.render_request`, interleaved in the same process (p50 of
  ``--renders`` each). Target: ratio <= 1.10.
- ``compare_table``: :func:`guiapp.core.compare.metrics_table` of 3 sets (plus the random
  baseline it adds), top ``--count`` directions on ``--seeds`` seeds, next to a baseline
  in the same process: :func:`guiapp.core.direction_metrics.measure` run set by set (what a
  table cost before, one base synthesis per set). Target: <= 10 s for 256 seeds on 2 cores.
  ``cpu_seconds`` (process CPU time) shows the work when other processes share the cores;
  ``one_more_set_s``: the table again with a fourth set (the others come from the cache).
  ``--against COMMIT`` also times that commit's :mod:`guiapp.core.compare_effect` (read
  with ``git show``, run in this process on the same model and network) against today's,
  alternately ``--rounds`` times, as ``before_*`` / ``after_*`` medians.

    python -m benchmarks.bench_workspace [--renders 200] [--seeds 256] [--count 10]
        [--against f7731bd --rounds 3] [--skip-renders]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
import types

import numpy as np
import torch

from guiapp.core.compare import metrics_table
from guiapp.core.compare_effect import random_directions
from guiapp.core.direction_metrics import measure
from guiapp.core.methods import run_method
from guiapp.core.models.registry import DEFAULT_MODEL, load_model
from guiapp.core.render import render_request
from guiapp.core.types import RenderRequest
from guiapp.core.workspace import Workspace


def p50_ms(times: list[float]) -> float:
    return round(float(np.percentile(np.array(times) * 1e3, 50)), 3)


def module_at(commit: str, path: str, name: str) -> types.ModuleType:
    """The module ``path`` as it was at ``commit`` (its imports resolve to today's code)."""
    src = subprocess.run(["git", "show", f"{commit}:{path}"], capture_output=True, text=True,
                         check=True).stdout
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(src, f"{commit}:{path}", "exec"), module.__dict__)
    return module


def timed(fn, *args, **kwargs) -> tuple[object, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)


def against(args: argparse.Namespace, model, sets: list) -> dict[str, object]:
    """The table's sets (and the baseline) measured by ``--against``'s compare_effect and by
    today's, alternately ``--rounds`` times with empty caches: medians of wall and CPU."""
    import guiapp.core.compare_effect as today

    old = module_at(args.against, "guiapp/core/compare_effect.py", "compare_effect_before")
    named = [*sets, random_directions(model, args.count)]
    times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for key, module in (("before", old), ("after", today)):
            module._cache.clear()
            times[key].append(timed(module.set_effects, model, named, range(args.seeds),
                                    args.count)[1:])
    med = {k: (float(np.median([t[0] for t in v])), float(np.median([t[1] for t in v])))
           for k, v in times.items()}
    return {"before_commit": args.against, "rounds": args.rounds,
            "before_median_s": round(med["before"][0], 2),
            "before_median_cpu_s": round(med["before"][1], 2),
            "after_median_s": round(med["after"][0], 2),
            "after_median_cpu_s": round(med["after"][1], 2),
            "cpu_speedup_vs_before": round(med["before"][1] / med["after"][1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=256)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--against", default=None, help="a commit to time the table against")
    parser.add_argument("--rounds", type=int, default=1, help="--against: alternate rounds")
    parser.add_argument("--skip-renders", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(DEFAULT_MODEL)
    sets = [("SeFa", run_method(model, "sefa", {"k": 10})),
            ("GANSpace", run_method(model, "ganspace", {"k": 10, "samples": 5000})),
            ("random (LatentCLR stand-in)", random_directions(model, 10, seed=1))]
    ws = Workspace()
    for name, ds in sets:
        ws = ws.add_set(ds, name)[0]
    combined = ws
    for n, (set_id, picks) in enumerate(zip(ws.ids, ((0, 1, 2, 3), (0, 1, 2), (0, 1, 2)),
                                            strict=True)):
        for i in picks:
            combined = combined.set_edit(set_id, i, 0.5 + 0.25 * n)
    single = ws.set_edit(ws.ids[0], 0, 1.0)
    requests = {"single": RenderRequest(seed=3, workspace=single),
                "combined": RenderRequest(seed=3, workspace=combined)}
    times: dict[str, list[float]] = {k: [] for k in requests}
    cpu: dict[str, list[float]] = {k: [] for k in requests}
    with torch.inference_mode():
        for _ in range(0 if args.skip_renders else 10):  # warm-up
            for req in requests.values():
                render_request(model, req)
        for _ in range(1 if args.skip_renders else args.renders):
            for key, req in requests.items():
                t0, c0 = time.perf_counter(), time.process_time()
                render_request(model, req)
                times[key].append(time.perf_counter() - t0)
                cpu[key].append(time.process_time() - c0)
    single_ms, combined_ms = p50_ms(times["single"]), p50_ms(times["combined"])
    single_cpu, combined_cpu = p50_ms(cpu["single"]), p50_ms(cpu["combined"])

    rows, table_s, table_cpu = timed(metrics_table, model, sets, seeds=args.seeds,
                                     count=args.count)
    before: dict[str, object] = {}
    if args.against:
        before = against(args, model, [ds for _, ds in sets])
    t0 = time.perf_counter()
    for _, ds in [*sets, ("random", random_directions(model, args.count))]:
        measure(model, ds, range(args.seeds), count=args.count)
    one_by_one_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    metrics_table(model, [*sets, ("one more", random_directions(model, 10, seed=2))],
                  seeds=args.seeds, count=args.count)
    one_more_s = time.perf_counter() - t0
    print(json.dumps({
        "model": DEFAULT_MODEL, "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "combined_vs_single": {"directions": 10, "sets": 3, "single_p50_ms": single_ms,
                               "combined_p50_ms": combined_ms,
                               "ratio": round(combined_ms / single_ms, 3),
                               "single_cpu_p50_ms": single_cpu,
                               "combined_cpu_p50_ms": combined_cpu,
                               "cpu_ratio": round(combined_cpu / single_cpu, 3)},
        "compare_table": {"sets": len(sets), "rows": len(rows), "seeds": args.seeds,
                          "count": args.count, "seconds": round(table_s, 2),
                          "cpu_seconds": round(table_cpu, 2),
                          "one_more_set_s": round(one_more_s, 2),
                          "baseline_set_by_set_s": round(one_by_one_s, 2),
                          "speedup": round(one_by_one_s / table_s, 2), **before},
    }, indent=1))


if __name__ == "__main__":
    main()
