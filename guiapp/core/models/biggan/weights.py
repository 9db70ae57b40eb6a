"""``pytorch_pretrained_biggan`` state dicts: the names and shapes it has, checked, and
turned into our network's weights with the spectral norm divided out once.

The reference wraps every conv and linear (not the class embedding) in
``torch.nn.utils.spectral_norm``: the file holds ``weight_orig`` (O, ...), ``weight_u`` (O,)
and ``weight_v`` (fan-in,), and in eval mode the weight used is
``weight_orig / (u . (W v))`` with ``W = weight_orig.reshape(O, -1)`` and no power
iteration. That division happens here, in float64, when the file is read.
"""

from __future__ import annotations

import torch

from guiapp.core.errors import ModelLoadError
from guiapp.core.models.biggan.config import BigGANConfig, param_estimate
from guiapp.core.models.formats.limits import check_finite

SN = ("weight_orig", "weight_u", "weight_v")


def _sn(shapes: dict, name: str, shape: tuple[int, ...], bias: bool = False) -> None:
    fan_in = 1
    for n in shape[1:]:
        fan_in *= n
    shapes[f"{name}.weight_orig"] = shape
    shapes[f"{name}.weight_u"] = (shape[0],)
    shapes[f"{name}.weight_v"] = (fan_in,)
    if bias:
        shapes[f"{name}.bias"] = (shape[0],)


def reference_shapes(cfg: BigGANConfig) -> dict[str, tuple[int, ...]]:
    """Every key of the reference's ``BigGAN.state_dict()`` for ``cfg``, with its shape."""
    ch, cond, s = cfg.channel_width, cfg.cond_dim, cfg.n_stats
    shapes: dict[str, tuple[int, ...]] = {"embeddings.weight": (cfg.class_embed_dim,
                                                                cfg.num_classes)}
    _sn(shapes, "generator.gen_z", (256 * ch, cond), bias=True)
    index = 0
    for i, (_, cin, cout) in enumerate(cfg.layers):
        if i == cfg.attention_layer_position:
            c = ch * cin
            p = f"generator.layers.{index}"
            shapes[f"{p}.gamma"] = (1,)
            for name, o, k in (("theta", c // 8, c), ("phi", c // 8, c), ("g", c // 2, c),
                               ("o_conv", c, c // 2)):
                _sn(shapes, f"{p}.snconv1x1_{name}", (o, k, 1, 1))
            index += 1
        p = f"generator.layers.{index}"
        i_c, o_c = ch * cin, ch * cout
        m = i_c // 4
        for k, c in enumerate((i_c, m, m, m)):
            shapes[f"{p}.bn_{k}.running_means"] = (s, c)
            shapes[f"{p}.bn_{k}.running_vars"] = (s, c)
            _sn(shapes, f"{p}.bn_{k}.scale", (c, cond))
            _sn(shapes, f"{p}.bn_{k}.offset", (c, cond))
        for k, (o, i_, kk) in enumerate(((m, i_c, 1), (m, m, 3), (m, m, 3), (o_c, m, 1))):
            _sn(shapes, f"{p}.conv_{k}", (o, i_, kk, kk), bias=True)
        index += 1
    for name, shape in (("running_means", (s, ch)), ("running_vars", (s, ch)),
                        ("weight", (ch,)), ("bias", (ch,))):
        shapes[f"generator.bn.{name}"] = shape
    _sn(shapes, "generator.conv_to_rgb", (ch, ch, 3, 3), bias=True)
    return shapes


def check_state_dict(sd: dict[str, torch.Tensor], cfg: BigGANConfig) -> None:
    """Every reference key with its shape, floating point and finite, nothing unexpected,
    non-negative variances; a declared network no larger than the file's numbers."""
    held = sum(t.numel() for t in sd.values() if isinstance(t, torch.Tensor))
    if param_estimate(cfg) > 2 * held + 10**6:
        raise ModelLoadError(f"the config declares a network of about {param_estimate(cfg)} "
                             f"numbers; the file holds {held}")
    want = reference_shapes(cfg)
    have = {k for k in sd if not k.endswith("num_batches_tracked")}
    missing, extra = sorted(set(want) - have), sorted(have - set(want))
    if missing or extra:
        parts = [f"{label}: {', '.join(str(k)[:60] for k in keys[:3])}"
                 for label, keys in (("missing", missing), ("unexpected", extra)) if keys]
        raise ModelLoadError("the BigGAN weights do not fit the config (" + "; ".join(parts) + ")")
    for key, shape in want.items():
        t = sd[key]
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            raise ModelLoadError(f"BigGAN weight {key!r} is not a floating-point tensor")
        if tuple(t.shape) != shape:
            raise ModelLoadError(f"BigGAN weight {key!r} has shape {tuple(t.shape)}, "
                                 f"the config needs {shape}")
        if key.endswith("running_vars") and bool((t < 0).any()):
            raise ModelLoadError(f"BigGAN weight {key!r} has negative variances")
    check_finite({k: sd[k] for k in want})


def spectral_normalized(sd: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    """``weight_orig / (u . (W v))`` in float64, returned as float32."""
    w = sd[f"{name}.weight_orig"].double()
    u, v = sd[f"{name}.weight_u"].double(), sd[f"{name}.weight_v"].double()
    sigma = float(u @ (w.reshape(w.shape[0], -1) @ v))
    if not sigma > 1e-12 * max(float(w.abs().max()), 1e-30):
        raise ModelLoadError(f"BigGAN weight {name!r}: its spectral-norm vectors give a norm "
                             f"of {sigma:.3g}, not a positive number; the file is damaged")
    return (w / sigma).float()


def network_state(sd: dict[str, torch.Tensor], cfg: BigGANConfig) -> dict[str, torch.Tensor]:
    """The reference's state dict -> :class:`~.network.BigGAN`'s (checked first)."""
    check_state_dict(sd, cfg)
    out: dict[str, torch.Tensor] = {"embeddings.weight": sd["embeddings.weight"].float()}
    out["generator.gen_z.weight"] = spectral_normalized(sd, "generator.gen_z")
    out["generator.gen_z.bias"] = sd["generator.gen_z.bias"].float()
    index = 0
    for i in range(cfg.num_blocks):
        if i == cfg.attention_layer_position:
            p = f"generator.layers.{index}"
            out[f"{p}.gamma"] = sd[f"{p}.gamma"].float()
            for name in ("theta", "phi", "g", "o_conv"):
                out[f"{p}.snconv1x1_{name}.weight"] = spectral_normalized(
                    sd, f"{p}.snconv1x1_{name}")
            index += 1
        p = f"generator.layers.{index}"
        for k in range(4):
            for stat in ("running_means", "running_vars"):
                out[f"{p}.bn_{k}.{stat}"] = sd[f"{p}.bn_{k}.{stat}"].float()
            for part in ("scale", "offset"):
                out[f"{p}.bn_{k}.{part}"] = spectral_normalized(sd, f"{p}.bn_{k}.{part}")
            out[f"{p}.conv_{k}.weight"] = spectral_normalized(sd, f"{p}.conv_{k}")
            out[f"{p}.conv_{k}.bias"] = sd[f"{p}.conv_{k}.bias"].float()
        index += 1
    for ours, theirs in (("bn_means", "running_means"), ("bn_vars", "running_vars"),
                         ("bn_weight", "weight"), ("bn_bias", "bias")):
        out[f"generator.{ours}"] = sd[f"generator.bn.{theirs}"].float()
    # Only the first 3 of conv_to_rgb's channels reach the image (the reference slices them).
    out["generator.conv_to_rgb.weight"] = spectral_normalized(sd, "generator.conv_to_rgb")[:3]
    out["generator.conv_to_rgb.bias"] = sd["generator.conv_to_rgb.bias"].float()[:3]
    return out
