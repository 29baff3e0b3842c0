"""Executor backends: one module each, defining BACKEND (see anchor_core.registry).
`open(settings, max_workers=N)` returns a concurrent.futures.Executor."""
