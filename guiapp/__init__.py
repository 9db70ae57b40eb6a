"""guiapp: discover and use interpretable directions in the latent space of a pretrained GAN."""

__version__ = "0.1.0"
