"""Shared numerics of the generators: resampling (upfirdn2d), modulated convolution,
filtered leaky ReLU, Winograd."""
