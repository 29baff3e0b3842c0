"""Benchmarks: each `bench_*.py` has `main()` printing its figures and ratios to a baseline
measured in the same run. Run them all with `make bench` (python -m bench) or one with
`python -m bench NAME`."""
