"""Backends by name: one registry per concern, each backend one module, chosen by Settings.

A concern's backends live in one folder (`store/backends/`, `analysis/backends/`, ...); each
module there defines `BACKEND = Backend(...)` and is found by its file name, so adding S3 or a
Dask executor is one new file and no caller changes. Names are listed from the folder without
importing anything, and only the chosen module is imported, so `anchor --help` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .config import Settings
from .errors import ConfigError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .ads import AdGenerator
    from .analysis import Analyzer
    from .catalog import Catalog
    from .reels import MomentSearch
    from .store import ObjectStore

T = TypeVar("T")
_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Backend(Generic[T]):
    """One implementation of a concern. `open(settings, **kwargs)` builds it; `requires` names
    the settings (environment variables) it cannot work without."""

    name: str
    summary: str
    open: Callable[..., T]
    requires: tuple[str, ...] = ()

    def missing(self, settings: Settings) -> list[str]:
        return [r for r in self.requires if not settings.option(r)]


@dataclass(frozen=True)
class Registry(Generic[T]):
    concern: str
    folder: str  # relative to anchor_core, e.g. "store/backends"
    setting: str  # the environment variable that chooses
    attr: str  # the Settings field that holds the choice

    @property
    def package(self) -> str:
        return "anchor_core." + self.folder.replace("/", ".")

    def names(self) -> tuple[str, ...]:
        d = _ROOT / self.folder
        return tuple(sorted(p.stem for p in d.glob("*.py") if not p.stem.startswith("_")))

    def chosen(self, settings: Settings) -> str:
        return str(getattr(settings, self.attr))

    def get(self, name: str) -> Backend[T]:
        if name not in self.names():
            raise ConfigError(f"{self.setting}={name!r}: there is no {self.concern} backend of that name; "
                              f"available: {', '.join(self.names())}")
        module = importlib.import_module(f"{self.package}.{name}")
        backend: Backend[T] = module.BACKEND
        return backend

    def open(self, settings: Settings, name: str | None = None, **kwargs: Any) -> T:
        """The configured backend (or the one named), built; a clear error names what is missing."""
        backend = self.get(name or self.chosen(settings))
        missing = backend.missing(settings)
        if missing:
            raise ConfigError(f"the {self.concern} backend {backend.name!r} needs {', '.join(missing)} to be set; "
                              f"set {'it' if len(missing) == 1 else 'them'} or choose another with {self.setting} "
                              f"(available: {', '.join(self.names())})")
        return backend.open(settings, **kwargs)

    def describe(self, settings: Settings) -> list[dict[str, Any]]:
        """Every backend of the concern: chosen or not, and what it still needs."""
        out = []
        for name in self.names():
            b = self.get(name)
            out.append({"concern": self.concern, "backend": name, "chosen": name == self.chosen(settings),
                        "setting": self.setting, "missing": b.missing(settings), "summary": b.summary})
        return out


STORES: Registry[ObjectStore] = Registry("object store", "store/backends", "ANCHOR_STORE", "store_backend")
CATALOGS: Registry[Catalog] = Registry("catalog", "catalog/backends", "ANCHOR_CATALOG", "catalog_backend")
EXECUTORS: Registry[Executor] = Registry("executor", "executor/backends", "ANCHOR_EXECUTOR", "executor")
ANALYZERS: Registry[Analyzer] = Registry("analyzer", "analysis/backends", "ANCHOR_ANALYZER", "analyzer_backend")
AD_GENERATORS: Registry[AdGenerator] = Registry("ad generator", "ads/backends", "ANCHOR_ADS", "ad_backend")
SEARCHES: Registry[MomentSearch] = Registry("search", "reels/backends", "ANCHOR_SEARCH", "search_backend")

REGISTRIES: tuple[Registry[Any], ...] = (STORES, CATALOGS, EXECUTORS, ANALYZERS, AD_GENERATORS, SEARCHES)
