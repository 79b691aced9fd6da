"""Benchmarks: ``python -m bench`` (``make bench``) prints every ratio against its target."""
