"""Anchor: turn multi-angle footage of one live event into a synced, auto-edited master video."""

__version__ = "0.1.0"
