"""Benchmarks run by hand (not in CI): each writes a JSON of what it measured.

Run as `python -m hsbench.benchmarks.<name>`.
"""
