"""Settings resolved once at the edge (CLI, notebook) and passed down as plain data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

# Environment variables a backend may read through `Settings.option` (keys, buckets, hosts).
OPTION_PREFIXES = ("ANCHOR_", "TWELVELABS_", "GOOGLE_", "SHOPIFY_")


@dataclass(frozen=True)
class Settings:
    """Where things live and which backends run. No global state: pass this around.

    Backend names are checked when a backend is opened (`anchor_core.registry`), so the error
    can list what is available and what a backend still needs."""

    home: Path
    ffmpeg: str | None = None  # explicit ffmpeg binary; None = the imageio-ffmpeg wheel's
    executor: str = "thread"
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    store_backend: str = "local"
    catalog_backend: str = "duckdb"
    analyzer_backend: str = "local"
    ad_backend: str = "local"
    search_backend: str = "local"
    options: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # backend settings (may hold keys)

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.duckdb"

    @property
    def store_root(self) -> Path:
        return self.home / "store"

    @property
    def tmp_root(self) -> Path:
        return self.home / "tmp"

    def option(self, name: str, default: str | None = None) -> str | None:
        """A backend's own setting (e.g. ANCHOR_S3_BUCKET, TWELVELABS_API_KEY), empty = unset."""
        for k, v in self.options:
            if k == name and v:
                return v
        return default

    def positive_option(self, name: str, default: float) -> float:
        """A backend's numeric setting (timeouts, attempts, sizes): unset = `default`, else > 0."""
        raw = self.option(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not a number") from exc
        if not value > 0:
            raise ConfigError(f"{name} must be above 0 (got {raw})")
        return value

    def with_home(self, home: str | Path) -> Settings:
        return replace(self, home=Path(home))


def load_settings(home: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings from an explicit home, then ANCHOR_* variables, then defaults."""
    env = dict(os.environ) if env is None else env
    home_path = Path(home or env.get("ANCHOR_HOME") or "data").expanduser()
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
        executor=env.get("ANCHOR_EXECUTOR") or "thread",
        workers=workers,
        store_backend=env.get("ANCHOR_STORE") or "local",
        catalog_backend=env.get("ANCHOR_CATALOG") or "duckdb",
        analyzer_backend=env.get("ANCHOR_ANALYZER") or "local",
        ad_backend=env.get("ANCHOR_ADS") or "local",
        search_backend=env.get("ANCHOR_SEARCH") or "local",
        options=tuple(sorted((k, v) for k, v in env.items() if k.startswith(OPTION_PREFIXES))),
    )
