"""Benchmark scripts (run as python -m bench.benchmarks.<name>)."""
