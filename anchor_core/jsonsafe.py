"""Results as JSON-safe data: frames, dataclasses, numpy scalars, dates and paths.

Commands print it and jobs store it, so one conversion serves both."""

from __future__ import annotations

import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _is_frame(obj: Any) -> bool:
    """A polars DataFrame? Without importing polars: no frame exists before polars was imported."""
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(obj, pl.DataFrame)


def to_jsonable(obj: Any) -> Any:
    if _is_frame(obj):
        return [to_jsonable(r) for r in obj.to_dicts()]
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    return obj
