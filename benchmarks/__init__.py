"""Benchmark tooling: corpus generator, Hugo twin project, runner (see docs/benchmarks.md)."""
