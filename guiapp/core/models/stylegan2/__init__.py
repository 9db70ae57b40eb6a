"""StyleGAN2: layers, network, inference fast paths and the adapter (also the frame
StyleGAN3 builds on)."""
