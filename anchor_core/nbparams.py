"""Which event and home a notebook shows, from URL query parameters (served apps) or CLI
arguments (scripts, exports). Takes marimo's accessors as callables, so the library itself
does not import marimo."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .config import Settings, load_settings


def notebook_params(
    mode: str | None, cli_args: Callable[[], Mapping[str, Any]], query_params: Callable[[], Any],
) -> tuple[str, Settings, str | None]:
    """(event id, settings, media URL prefix or None). Under pytest there is no runtime context,
    so neither accessor is called there."""
    cli = {} if mode == "test" else dict(cli_args())
    qp = query_params().to_dict() if mode in ("run", "edit") else {}
    event_id = str(qp.get("event") or cli.get("event") or "")
    settings = load_settings(qp.get("home") or cli.get("home"))
    media_url = "/media/" if mode == "run" else None  # files are served by `anchor serve`
    return event_id, settings, media_url


def bar_progress(bar: Any) -> Callable[[float, float, str], None]:
    """Turn a progress bar with `update(increment=, subtitle=)` (marimo's) into the library's
    progress callback (done, total, message), moving the bar in whole percent."""
    shown = [0]

    def report(done: float, total: float, message: str = "") -> None:
        pct = int(100 * done / max(total, 1e-9))
        if pct > shown[0] or message:
            bar.update(increment=max(0, pct - shown[0]), subtitle=message)
            shown[0] = max(shown[0], pct)

    return report
