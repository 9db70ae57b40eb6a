"""DCGAN: network, adapter and the checks of its guiapp safetensors file."""
