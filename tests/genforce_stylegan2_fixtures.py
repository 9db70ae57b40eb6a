"""genforce StyleGAN2 state dicts written from our random StyleGAN2 generators.

The TF variables of the generator (:mod:`tf_fixtures`) are relabelled as genforce's
``converters/stylegan2_converter.py`` does: its ``pth_to_tf_var_mapping`` names, dense and
style weights permuted (1, 0), convolutions (3, 2, 0, 1), the rest as stored; its
resampling kernel buffer is in the state dict too.
"""

from __future__ import annotations

import numpy as np
import torch
from tf_fixtures import mapping_variables, synthesis_variables


def genforce_state_dict(net) -> dict[str, torch.Tensor]:
    """The ``generator_smooth`` state dict genforce's converter writes for ``net``."""
    tf = {f"mapping/{k}": v for k, v in mapping_variables(net)}
    tf |= {f"synthesis/{k}": v for k, v in synthesis_variables(net)}
    tf["dlatent_avg"] = net.mapping.w_avg.numpy()
    names = {"truncation.w_avg": "dlatent_avg",
             "synthesis.early_layer.const": "synthesis/4x4/Const/const"}
    for i in range(net.cfg.mapping_layers):
        names[f"mapping.dense{i}.weight"] = f"mapping/Dense{i}/weight"
        names[f"mapping.dense{i}.bias"] = f"mapping/Dense{i}/bias"
    blocks = int(np.log2(net.cfg.img_resolution)) - 1
    for b in range(blocks):
        r = 4 * 2**b
        layers = [(0, "4x4/Conv")] if b == 0 else [(2 * b - 1, f"{r}x{r}/Conv0_up"),
                                                 (2 * b, f"{r}x{r}/Conv1")]
        for i, scope in layers:
            for ours, theirs in (("weight", "weight"), ("bias", "bias"),
                                 ("style.weight", "mod_weight"), ("style.bias", "mod_bias"),
                                 ("noise_strength", "noise_strength")):
                names[f"synthesis.layer{i}.{ours}"] = f"synthesis/{scope}/{theirs}"
            names[f"synthesis.layer{i}.noise"] = f"synthesis/noise{i}"
        for ours, theirs in (("weight", "weight"), ("bias", "bias"),
                             ("style.weight", "mod_weight"), ("style.bias", "mod_bias")):
            names[f"synthesis.output{b}.{ours}"] = f"synthesis/{r}x{r}/ToRGB/{theirs}"
    sd = {}
    for pth, tf_name in names.items():
        var = torch.from_numpy(np.array(tf[tf_name], dtype=np.float32))
        if "weight" in tf_name:
            var = var.permute(1, 0) if ("Dense" in tf_name or "mod_weight" in tf_name) \
                else var.permute(3, 2, 0, 1)
        sd[pth] = var.contiguous()
    # genforce's resampling kernels are buffers in the state dict too
    kernel = torch.tensor([1.0, 3, 3, 1])
    sd["synthesis.upsample.kernel"] = (kernel[:, None] * kernel[None]) / 16
    return sd
