"""Catalog backends: one module each, defining BACKEND (see anchor_core.registry)."""
