"""Fuzzing harness for hostile and corrupt files (issue 14): generators of mutated files
and a subprocess runner that classifies each outcome under a memory and time budget."""
