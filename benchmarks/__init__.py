"""Benchmarks, separate from the tests: `python -m benchmarks.run` (see README, "Benchmarks")."""
