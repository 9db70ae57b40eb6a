"""Generators: one adapter interface, loaders per file format, and the built-in catalog."""
