"""StyleGAN3 (configs T and R): layers, network, CPU fast paths and the adapter."""
