"""Adapter: a StyleGAN3 generator (Karras et al., NeurIPS 2021, "Alias-Free Generative
Adversarial Networks") behind the :class:`GeneratorModel` interface; files are read by
:mod:`guiapp.core.models.formats.nvidia_stylegan3`.

:class:`StyleGAN3Model` is a :class:`StyleGANModel` (latents, truncation, classes and
``w_avg`` work the same). StyleGAN3 has no noise inputs, so ``noise_mode`` is accepted and
ignored, and no lower-resolution preview exists (the preview is the full image). SeFa reads
the affines of the chosen w indices: index 0 is the input's transform affine (4 rows:
rotation and translation), index ``i + 1`` the style affine of layer ``L{i}``, the last one
ToRGB's. Feature layers: ``input`` and the layers sampled at up to
:data:`MAX_FEATURE_SAMPLING_RATE`.
"""

from __future__ import annotations

from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.layers import FullyConnectedLayer
from guiapp.core.models.stylegan3.network import Generator

MAX_FEATURE_SAMPLING_RATE = 16


class StyleGAN3Model(StyleGANModel):
    """A loaded StyleGAN3 generator on ``device`` (float32, inference only)."""

    net: Generator

    def _feature_layers(self) -> tuple[str, ...]:
        layers = self.net.synthesis.layers()
        small = [
            layer.spec.name
            for layer in layers
            if not layer.is_torgb and layer.spec.out_sampling_rate <= MAX_FEATURE_SAMPLING_RATE
        ]
        return ("input", *small)

    def noise_shapes(self) -> tuple[tuple[int, int], ...]:
        """None: StyleGAN3 has no noise inputs."""
        return ()

    def preview_resolutions(self) -> tuple[int, ...]:
        """Only the full resolution: StyleGAN3 has no per-resolution RGB outputs."""
        return (self.resolution,)

    def style_affines(self) -> list[FullyConnectedLayer]:
        """The affine of each w index: the input's transform, then every layer's style."""
        synth = self.net.synthesis
        return [synth.input.affine] + [layer.affine for layer in synth.layers()]
