"""Settings resolved once at the edge (CLI, notebook) and passed down as plain data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

EXECUTOR_KINDS = ("thread", "process", "serial")


@dataclass(frozen=True)
class Settings:
    """Where things live and which backends run. No global state: pass this around."""

    home: Path
    ffmpeg: str | None = None  # explicit ffmpeg binary; None = the imageio-ffmpeg wheel's
    executor: str = "thread"
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    store_backend: str = "local"
    analyzer_backend: str = "local"
    ad_backend: str = "local"

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.duckdb"

    @property
    def store_root(self) -> Path:
        return self.home / "store"

    def with_home(self, home: str | Path) -> Settings:
        return replace(self, home=Path(home))


def load_settings(home: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings from an explicit home, then ANCHOR_* variables, then defaults."""
    env = dict(os.environ) if env is None else env
    home_path = Path(home or env.get("ANCHOR_HOME") or "data").expanduser()
    executor = env.get("ANCHOR_EXECUTOR", "thread")
    if executor not in EXECUTOR_KINDS:
        raise ConfigError(f"ANCHOR_EXECUTOR={executor!r} is not one of {', '.join(EXECUTOR_KINDS)}")
    workers_raw = env.get("ANCHOR_WORKERS")
    try:
        workers = int(workers_raw) if workers_raw else max(1, os.cpu_count() or 1)
    except ValueError as exc:
        raise ConfigError(f"ANCHOR_WORKERS={workers_raw!r} is not a whole number") from exc
    if workers < 1:
        raise ConfigError("ANCHOR_WORKERS must be at least 1")
    return Settings(
        home=home_path,
        ffmpeg=env.get("ANCHOR_FFMPEG") or None,
        executor=executor,
        workers=workers,
        store_backend=env.get("ANCHOR_STORE", "local"),
        analyzer_backend=env.get("ANCHOR_ANALYZER", "local"),
        ad_backend=env.get("ANCHOR_ADS", "local"),
    )
