"""BigGAN-deep (Brock et al., ICLR 2019) as ``pytorch_pretrained_biggan`` publishes it.

``config`` (sizes, checked and inferred), ``network`` (plain torch), ``weights`` (the
reference's state dict checked and spectral-normalised once), ``reader`` (files and
folders, registered with the registry), ``adapter`` (the :class:`GeneratorModel`),
``classes`` (ImageNet names, truncated-normal seeds).
"""
