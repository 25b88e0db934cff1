"""Benchmarks (`make bench`). Each module `bench/bench_*.py` has a `run()` that prints its own
figures, with ratios against a bare baseline measured in the same run. Needs PostgreSQL."""
