"""The marimo side of Anchor: the server for the organizer app and the workbench (`serve`) and
the offline report exporter (`export_report`). This package may import marimo; `anchor_core`
never does (the `anchor` command runs these modules in their own process).

The notebooks themselves stay in the checkout's `notebooks/` folder, found from here.
"""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def notebooks_dir() -> Path:
    """The checkout's notebooks folder; a clear error when Anchor was not installed from one."""
    if not (NOTEBOOKS / "report.py").is_file():
        raise SystemExit(f"anchor: error: the notebooks folder was not found at {NOTEBOOKS}; run Anchor from its"
                         " checkout (pip install -e .)")
    return NOTEBOOKS
