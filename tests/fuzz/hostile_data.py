"""Contents of hostile direction sets and sessions: name -> (bytes, expectation, must_say).

Each is a valid file from :mod:`tests.fuzz.data_files` with one thing changed. The
expectation is ``refuse`` where guiapp must say no, ``either`` where the change may be
harmless.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from guiapp.core.direction_meta import direction_set_meta
from tests.fuzz import data_files as df

Made = tuple[bytes, str, list[str]]
DEEP = 100_000
HUGE_INT = "9" * 5000  # as JSON text: Python itself will not parse it by default


def _meta(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    meta = direction_set_meta(df.plain_set())
    change(meta)
    return meta


def _set(meta: Any) -> bytes:
    return df.npz(df.set_members(meta=meta))


def _json_with(data: Any, raw: dict[str, str]) -> str:
    """JSON of ``data`` with string placeholders ``"@KEY@"`` replaced by raw JSON text."""
    text = json.dumps(data)
    for key, value in raw.items():
        text = text.replace(f'"@{key}@"', value)
    return text


def direction_sets() -> Iterator[tuple[str, Made]]:
    """Hostile ``.npz`` direction files (the plain SeFa-like set, 4 x 100-D)."""
    plain = df.set_members()
    yield "zip-bomb-vectors", (df.zip_bomb(2_500_000_000), "refuse", [])
    yield "npy-header-40GB", (df.npz({**plain, "vectors": df.npy_header("<f4", (10**5, 10**5))
                                      + bytes(64)}, compress=False), "refuse", [])
    yield "npy-meta-4GB-string", (df.npz({**plain, "meta": df.npy_header("<U1000000000", ())}),
                                  "refuse", [])
    yield "npy-negative-shape", (df.npz({**plain, "vectors": df.npy_header("<f4", (-4, 100))}),
                                 "refuse", [])
    obj = df.npy_header("|O", (4,)) + b"\x80\x04N."
    yield "object-dtype", (df.npz({**plain, "vectors": obj}), "refuse", [])
    rec = np.zeros(4, dtype=[("a", "<f4", (100,))])
    yield "record-dtype", (df.npz({**plain, "vectors": df.npy(rec)}), "refuse", [])
    yield "string-vectors", (df.npz({**plain, "vectors": df.npy(np.full((4, 100), "x"))}),
                             "refuse", [])
    yield "complex-vectors", (df.npz({**plain, "vectors": df.npy(
        df.plain_set().vectors.astype(np.complex64))}), "either", [])
    yield "big-endian-vectors", (df.npz({**plain, "vectors": df.npy(
        df.plain_set().vectors.astype(">f4"))}), "either", [])
    yield "vectors-3d", (df.npz({**plain, "vectors": df.npy(np.zeros((4, 100, 1), "f4"))}),
                         "refuse", [])
    yield "vectors-nan", (df.npz({**plain, "vectors": df.npy(np.full((4, 100), np.nan, "f4"))}),
                          "refuse", [])
    yield "vectors-overflow-f32", (df.npz({**plain, "vectors": df.npy(
        np.full((4, 100), 1e39))}), "refuse", [])
    yield "scores-short", (df.npz({**plain, "scores": df.npy(np.ones(3))}), "refuse", [])
    yield "no-meta", (df.npz({k: v for k, v in plain.items() if k != "meta"}), "refuse", [])
    yield "not-a-zip", (b"PK" + random.Random(1).randbytes(3000), "refuse", [])
    yield "empty-file", (b"", "refuse", [])
    yield "meta-deep-nesting", (_set("[" * DEEP + "]" * DEEP), "refuse", [])
    yield "meta-params-deep", (_set(_json_with(_meta(lambda m: m.update(params="@P@")),
                                               {"P": "[" * 5000 + "]" * 5000})), "refuse", [])
    yield "meta-5000-digit-int", (_set(_json_with(_meta(lambda m: m.update(version="@V@")),
                                                  {"V": HUGE_INT})), "refuse", [])
    for name, version, say in (("string", "2", ["damaged", "not a guiapp"]),
                               ("null", None, ["damaged", "not a guiapp"]),
                               ("float", 1.5, ["damaged", "not a guiapp"]),
                               ("newer", 3, ["newer"])):
        yield f"meta-version-{name}", (_set(_meta(lambda m, v=version: m.update(version=v))),
                                       "refuse", say)
    inf = {"I": "Infinity"}
    yield "unit-scale-infinity", (_set(_json_with(_meta(
        lambda m: m["unit_scales"].__setitem__(0, "@I@")), inf)), "refuse", ["unit scale"])
    yield "unit-scale-1e308", (_set(_meta(lambda m: m["unit_scales"].__setitem__(0, 1e308))),
                               "refuse", ["unit scale"])
    yield "layer-range-infinity", (_set(_json_with(_meta(
        lambda m: m["layer_ranges"].__setitem__(0, [0, "@I@"])), inf)), "refuse", ["layer"])
    yield "layer-range-strings", (_set(_meta(
        lambda m: m["layer_ranges"].__setitem__(0, ["0", "1"]))), "either", [])
    yield "labels-object", (_set(_meta(lambda m: m.update(labels={"a": 1}))), "refuse", [])
    yield "labels-short", (_set(_meta(lambda m: m.update(labels=["a"]))), "refuse", [])
    yield "params-string", (_set(_meta(lambda m: m.update(params="x"))), "refuse", [])
    yield "plot-values-text", (_set(_meta(lambda m: m.update(plot={"values": ["x"]}))),
                               "refuse", [])
    yield "meta-not-object", (_set([1, 2, 3]), "refuse", [])
    yield "space-bad", (_set(_meta(lambda m: m.update(space="q"))), "refuse", [])
    yield from _linear_sets()
    yield from _truncations(df.npz(plain))


def _linear_sets() -> Iterator[tuple[str, Made]]:
    """A LatentCLR linear set whose direction model is described or stored wrongly."""
    ds = df.linear_set()
    base = df.set_members(ds)
    weight = df.npy(ds.conditional.arrays()["weight"])

    def with_spec(**spec: Any) -> bytes:
        meta = direction_set_meta(ds)
        meta["conditional"].update(spec)
        return df.npz({**df.set_members(ds, meta), "model.weight": weight})

    yield "linear-steps-1e9", (with_spec(steps=10**9), "refuse", ["steps"])
    yield "linear-steps-float", (with_spec(steps=1e9), "refuse", ["steps"])
    yield "linear-steps-text", (with_spec(steps="many"), "refuse", ["steps"])
    yield "linear-k-1e12", (with_spec(k=10**12), "refuse", [])
    yield "linear-depth-1e9", (with_spec(depth=10**9), "refuse", [])
    yield "linear-dim-0", (with_spec(dim=0), "refuse", [])
    yield "linear-no-weights", (df.npz(base), "refuse", [])
    nan = df.npy(np.full(ds.conditional.arrays()["weight"].shape, np.nan, np.float32))
    yield "linear-weights-nan", (df.npz({**base, "model.weight": nan}), "refuse", [])
    huge = df.npy_header("<f4", (2, 100, 10**8))
    yield "linear-weights-huge-header", (df.npz({**base, "model.weight": huge}), "refuse", [])


def _truncations(data: bytes) -> Iterator[tuple[str, Made]]:
    """The file cut at each zip structure boundary (headers, data, central directory)."""
    cuts = sorted({8, 30, len(data) // 2, len(data) - 22, len(data) - 1}
                  | {i for i in range(len(data) - 3) if data[i:i + 4] in (b"PK\x03\x04",
                                                                          b"PK\x01\x02")})
    for n in cuts:
        yield f"truncated-at-{n}", (data[:n], "refuse", [])


def safetensors_sets(valid: bytes) -> Iterator[tuple[str, Made]]:
    """Hostile safetensors direction files."""
    (size,) = struct.unpack("<Q", valid[:8])
    header = json.loads(valid[8:8 + size])

    def with_header(h: dict[str, Any], body: bytes | None = None) -> bytes:
        text = json.dumps(h).encode()
        return struct.pack("<Q", len(text)) + text + (valid[8 + size:] if body is None else body)

    yield "st-header-length-2^60", (struct.pack("<Q", 1 << 60) + valid[8:], "refuse", [])
    yield "st-truncated", (valid[: len(valid) // 2], "refuse", [])
    meta = dict(header["__metadata__"])
    meta["guiapp.directions"] = "[" * DEEP + "]" * DEEP
    yield "st-meta-deep", (with_header({**header, "__metadata__": meta}), "refuse", [])
    bf16 = {**header, "vectors": {**header["vectors"], "dtype": "BF16",
                                  "shape": [4, 200]}}
    yield "st-bf16-vectors", (with_header(bf16), "either", [])
    overlap = {**header, "scores": {**header["scores"], "data_offsets":
                                    header["vectors"]["data_offsets"]}}
    yield "st-overlapping-offsets", (with_header(overlap), "refuse", [])
    big = {**header, "vectors": {**header["vectors"], "shape": [10**6, 10**6]}}
    yield "st-shape-1e12", (with_header(big), "refuse", [])


def _mutate(data: bytes, rng: random.Random, how: int) -> bytes:
    """0: flip 1-8 bits; 1: overwrite 4 bytes with a hostile token; 2: cut the end off."""
    out = bytearray(data)
    if how == 0:
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(out))
            out[pos] ^= 1 << rng.randrange(8)
    elif how == 1:
        pos = rng.randrange(len(out))
        out[pos:pos + 4] = rng.choice([b"\xff\xff\xff\x7f", b"9999", b"\x00\x00\x00\x80",
                                       b"-1,", b"[[[["])
    else:
        out = out[: rng.randrange(len(out))]
    return bytes(out)


def mutations(data: bytes, prefix: str, count: int, seed: int) -> Iterator[tuple[str, Made]]:
    """Bit flips, byte overwrites and cuts of a valid file (deterministic)."""
    rng = random.Random(seed)
    for i in range(count):
        yield f"{prefix}-mutation-{i}", (_mutate(data, rng, i % 3), "either", [])


def member_mutations(members: dict[str, bytes], prefix: str, count: int,
                     seed: int) -> Iterator[tuple[str, Made]]:
    """Mutations inside one member (its ``.npy`` header, data or meta JSON), re-zipped so
    the archive itself is sound: these reach the array and metadata checks."""
    names = sorted(members)
    rng = random.Random(seed)
    for i in range(count):
        member = names[i % len(names)]
        changed = _mutate(members[member], rng, (i // len(names)) % 3)
        yield f"{prefix}-member-{member}-{i}", (df.npz({**members, member: changed}), "either",
                                                [])
