"""``guiapp-cli compare MODEL a.npz b.npz [c.npz ...]``: the metrics table of the sets on
the same seeds (with the random-directions baseline) and the best-matching directions of
each two sets, as text or, with ``--json``, one JSON object.

Modules that import torch are imported inside the command.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

from guiapp.cli_progress import ProgressBar
from guiapp.core.io import load_direction_set

EFFECT_SEEDS_MAX = 16


def _label(ds: Any, index: int) -> str:
    label = ds.directions[index].label
    return f"{index} {label!r}" if label else str(index)


def cmd_compare(args: argparse.Namespace) -> int:
    """Print the metrics table and the matched pairs of every two sets."""
    from guiapp.core.compare import compare_sets, metrics_table
    from guiapp.core.edits import check_compatible
    from guiapp.core.models.registry import load_model
    from guiapp.core.workspace import set_name

    if len(args.files) < 2:
        raise ValueError("compare needs two or more direction files")
    sets = [load_direction_set(f) for f in args.files]
    model = load_model(args.model, args.device)
    names = [f"{Path(f).name} ({set_name(ds.method, ds.params, ds.space, model.num_ws)})"
             for f, ds in zip(args.files, sets, strict=True)]
    for name, ds in zip(names, sets, strict=True):
        if not len(ds):
            raise ValueError(f"{name}: the set has no directions")
        if ds.space != "z" or model.latent_space != "w":  # z sets on w models: by effect
            try:
                check_compatible(ds, model.latent_space, model.latent_dim)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
    result: dict[str, Any] = {"model": args.model, "seeds": args.seeds, "count": args.count,
                              "sets": names, "table": None, "pairs": []}
    with ProgressBar(enabled=None if args.progress else False) as bar:
        if args.table:
            rows = metrics_table(model, list(zip(names, sets, strict=True)), seeds=args.seeds,
                                 count=args.count, progress=bar)
            result["table"] = [{"set": r.name, "distinctness": r.metrics.distinctness,
                                "consistency": r.metrics.consistency,
                                "directions": r.metrics.count, "baseline": r.baseline}
                               for r in rows]
        for (i, a), (j, b) in itertools.combinations(enumerate(sets), 2):
            comp = compare_sets(a, b, model, seeds=min(args.seeds, EFFECT_SEEDS_MAX),
                                count=max(args.count, 1), progress=bar)
            result["pairs"].append({
                "a": names[i], "b": names[j], "by": comp.kind, "seeds": comp.seeds,
                "description": comp.description,
                "matches": [{"a": m.a, "b": m.b, "cos": m.cos, "a_label":
                             a.directions[m.a].label, "b_label": b.directions[m.b].label}
                            for m in comp.pairs[: args.pairs]]})
    print(json.dumps(result, indent=1) if args.json else format_compare(result, sets))
    return 0


def format_compare(result: dict[str, Any], sets: list[Any]) -> str:
    lines = []
    if result["table"] is not None:
        width = max(len(r["set"]) for r in result["table"])
        lines.append(f"top {result['count']} directions on seeds 0-{result['seeds'] - 1}:")
        lines.append(f"{'set':<{width}}  {'distinctness':>12}  {'consistency':>11}")
        for r in result["table"]:
            lines.append(f"{r['set']:<{width}}  {r['distinctness']:>12.3f}  "
                         f"{r['consistency']:>11.3f}")
        lines.append("(distinctness: lower is better; consistency: higher is better)")
    by_name = dict(zip(result["sets"], sets, strict=True))
    for p in result["pairs"]:
        lines += ["", f"{p['a']}  vs  {p['b']}: {p['description']}",
                  f"{'|cos|':>6}  direction of the first  ->  of the second"]
        a, b = by_name[p["a"]], by_name[p["b"]]
        for m in p["matches"]:
            lines.append(f"{m['cos']:>6.3f}  {_label(a, m['a']):<22}  ->  {_label(b, m['b'])}")
    return "\n".join(lines)
