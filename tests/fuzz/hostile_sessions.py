"""Contents of hostile session files: name -> (bytes, expectation, must_say).

Most cases change a format-1 session (the reader of old files must stay as careful);
the ``v2-`` ones change a format-2 session of two sets (sets, their ids, edits naming
their set, a latent face)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from guiapp.core.workspace_io import array_to_json
from tests.fuzz import data_files as df
from tests.fuzz.hostile_data import DEEP, HUGE_INT, Made

NOT_NEWER = ["damaged", "not a guiapp"]


def _session(change: Callable[[dict[str, Any]], Any], raw: dict[str, str] | None = None,
             base: dict[str, Any] | None = None) -> bytes:
    data = base or df.session_json()
    change(data)
    text = json.dumps(data)
    for key, value in (raw or {}).items():
        text = text.replace(f'"@{key}@"', value)
    return text.encode()


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d.update({key: value})


def _edit(**change: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d["edits"][0].update(change)


def sessions() -> Iterator[tuple[str, Made]]:
    yield "deep-nesting", (b"[" * DEEP + b"]" * DEEP, "refuse", [])
    yield "deep-extra", (_session(_set("extra", "@X@"), {"X": '{"a":' * 5000 + "1" +
                                                          "}" * 5000}), "refuse", [])
    yield "seed-5000-digits", (_session(_set("seed", "@S@"), {"S": HUGE_INT}), "refuse",
                               ["seed", "digit", "limit"])
    yield "seed-1e999", (_session(_set("seed", "@S@"), {"S": "1e999"}), "refuse", ["seed"])
    yield "seed-negative", (_session(_set("seed", -1)), "refuse", ["seed"])
    yield "seed-2^40", (_session(_set("seed", 2**40)), "refuse", ["seed"])
    yield "seed-text", (_session(_set("seed", "7")), "either", [])
    yield "seed-float", (_session(_set("seed", 1.5)), "either", [])
    yield "truncation-nan", (_session(_set("truncation", "@T@"), {"T": "NaN"}), "refuse",
                             ["truncation", "finite"])
    yield "truncation-1e308", (_session(_set("truncation", 1e308)), "refuse",
                               ["truncation", "finite"])
    yield "truncation-text", (_session(_set("truncation", "0.5")), "either", [])
    for name, version in (("string", "1"), ("null", None), ("bool", True), ("zero", 0)):
        yield f"version-{name}", (_session(_set("version", version)), "refuse", NOT_NEWER)
    yield "version-newer", (_session(_set("version", 3)), "refuse", ["newer"])
    yield "extra-list", (_session(_set("extra", [1])), "refuse", ["extra"])
    yield "extra-text", (_session(_set("extra", "x")), "refuse", ["extra"])
    yield "extra-number", (_session(_set("extra", 5)), "refuse", ["extra"])
    yield "extra-selected-text", (_session(_set("extra", {"selected": "x"})), "either", [])
    yield "edit-alpha-1e308", (_session(_edit(alpha=1e308)), "refuse", ["alpha"])
    yield "edit-alpha-nan", (_session(_edit(alpha="@A@"), {"A": "NaN"}), "refuse", [])
    yield "edit-layers-infinity", (_session(_edit(layers=[0, "@I@"]), {"I": "Infinity"}),
                                   "refuse", ["layer"])
    yield "edit-index-huge", (_session(_edit(index=10**30)), "refuse", [])
    yield "edits-not-list", (_session(_set("edits", "x")), "refuse", [])
    yield "edits-without-set", (_session(_set("direction_set", None)), "refuse", [])
    yield "class-index-negative", (_session(_set("class_index", -3)), "refuse", [])
    yield "cutoff-infinity", (_session(_set("truncation_cutoff", "@C@"), {"C": "Infinity"}),
                              "refuse", [])
    yield "model-ref-number", (_session(_set("model_ref", 5)), "either", [])
    yield "vectors-text", (_session(lambda d: d["direction_set"].update(vectors="abc")),
                           "refuse", [])
    yield "vectors-nested-text", (_session(lambda d: d["direction_set"].update(
        vectors=[["a"] * 100] * 4)), "refuse", [])
    yield "set-meta-version-text", (_session(lambda d: d["direction_set"]["meta"].update(
        version="2")), "refuse", NOT_NEWER)
    yield "unit-scale-infinity", (_session(lambda d: d["direction_set"]["meta"][
        "unit_scales"].__setitem__(0, "@I@"), {"I": "Infinity"}), "refuse", ["unit scale"])
    yield "not-utf8", (b'{"format": "guiapp.session", "\xff\xfe": 1}', "refuse", [])
    yield "not-json", (b"{format: guiapp.session", "refuse", [])
    yield "empty", (b"", "refuse", [])
    yield from _linear_sessions()
    yield from _v2_sessions()


def _linear_sessions() -> Iterator[tuple[str, Made]]:
    yield "linear-steps-1e9", (json.dumps(df.linear_session_json(10**9)).encode(), "refuse",
                               ["steps"])

    def arrays(change: Callable[[dict[str, Any]], Any]) -> bytes:
        data = df.linear_session_json(2)
        change(data["direction_set"]["model_arrays"]["model.weight"])
        return json.dumps(data).encode()

    yield "linear-shape-minus-one", (arrays(lambda a: a.update(shape=[-1])), "refuse", [])
    yield "linear-shape-huge", (arrays(lambda a: a.update(shape=[10**6, 10**6, 10**6])),
                                "refuse", [])
    yield "linear-base64-bad", (arrays(lambda a: a.update(float32_le_base64="!!!")), "refuse",
                                [])
    yield "linear-base64-number", (arrays(lambda a: a.update(float32_le_base64=5)), "refuse",
                                   [])


def _v2(change: Callable[[dict[str, Any]], Any], raw: dict[str, str] | None = None) -> bytes:
    return _session(change, raw, df.session_json_v2())


def _latent(**change: Any) -> Callable[[dict[str, Any]], Any]:
    def apply(d: dict[str, Any]) -> None:
        d["seed"] = None
        d["latent"] = {"space": "z", "source": "me.png", "sha256": "",
                       **array_to_json(np.zeros(100, np.float32)), **change}
    return apply


def _v2_sessions() -> Iterator[tuple[str, Made]]:
    first = lambda key, value: lambda d: d["sets"][0].update({key: value})  # noqa: E731
    yield "v2-valid-latent", (_v2(_latent()), "ok", [])
    yield "v2-version-newer", (_v2(_set("version", 3)), "refuse", ["newer"])
    yield "v2-sets-not-list", (_v2(_set("sets", {"a": 1})), "refuse", ["sets"])
    yield "v2-sets-1e6", (_v2(_set("sets", [{}] * 1_000_001)), "refuse", ["sets"])
    yield "v2-set-id-zero", (_v2(first("id", 0)), "refuse", ["id"])
    yield "v2-set-id-huge", (_v2(first("id", 10**30)), "refuse", ["id"])
    yield "v2-set-id-text", (_v2(first("id", "1")), "refuse", ["id"])
    yield "v2-set-ids-twice", (_v2(lambda d: d["sets"][1].update(id=d["sets"][0]["id"])),
                               "refuse", ["id"])
    yield "v2-set-name-number", (_v2(first("name", 5)), "refuse", ["name"])
    yield "v2-set-name-huge", (_v2(first("name", "x" * 100_000)), "refuse", ["name"])
    yield "v2-set-no-directions", (_v2(lambda d: d["sets"][0].pop("direction_set")),
                                   "refuse", ["direction_set"])
    yield "v2-set-vectors-text", (_v2(lambda d: d["sets"][0]["direction_set"].update(
        vectors="abc")), "refuse", [])
    yield "v2-edit-unknown-set", (_v2(_edit(set=77)), "refuse", ["set"])
    yield "v2-edit-set-text", (_v2(_edit(set="1")), "refuse", ["set"])
    yield "v2-edit-no-set", (_v2(lambda d: d["edits"][0].pop("set")), "refuse", ["set"])
    yield "v2-edit-index-out-of-set", (_v2(_edit(index=4)), "refuse", [])
    yield "v2-edit-twice", (_v2(lambda d: d["edits"].append(dict(d["edits"][0]))), "refuse",
                            ["two edits"])
    yield "v2-selected-unknown", (_v2(_set("selected_set", 9)), "refuse", ["selected"])
    yield "v2-selected-text", (_v2(_set("selected_set", "1")), "refuse", ["selected"])
    yield "v2-next-id-reused", (_v2(_set("next_set_id", 1)), "refuse", ["next set id"])
    yield "v2-latent-space", (_v2(_latent(space="q")), "refuse", ["latent"])
    yield "v2-latent-nan", (_v2(_latent(**array_to_json(np.full(100, np.nan, np.float32)))),
                            "refuse", ["finite"])
    yield "v2-latent-shape-huge", (_v2(_latent(shape=[10**6, 10**6])), "refuse", ["latent"])
    yield "v2-latent-base64-bad", (_v2(_latent(float32_le_base64="!!")), "refuse", [])
    yield "v2-latent-short", (_v2(_latent(**array_to_json(np.zeros(3, np.float32)))),
                              "refuse", ["shape"])
    yield "v2-latent-w-on-z-model", (_v2(_latent(space="w")), "refuse", ["w space"])
    yield "v2-latent-not-object", (_v2(_set("latent", [1, 2])), "refuse", ["latent"])
