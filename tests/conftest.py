"""Shared fixtures: paths to ../shared/fixtures, a fresh ANCHOR_HOME, the demo media (made once)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from anchor_core.catalog import Catalog
from anchor_core.config import Settings, load_settings
from anchor_core.store import LocalStore
from tests.s3server import s3_env  # noqa: F401 - a fixture for every module (moto's S3 server)

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ANCHOR_FIXTURES", ROOT.parent / "shared" / "fixtures"))
CACHE = ROOT / "tests" / ".cache"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    assert SHARED.is_dir(), f"shared fixtures not found at {SHARED}"
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "home", env={"ANCHOR_WORKERS": "2"})


@pytest.fixture
def catalog(settings: Settings):
    cat = Catalog(settings.catalog_path)
    yield cat
    cat.close()


@pytest.fixture
def store(settings: Settings) -> LocalStore:
    return LocalStore(settings.store_root)


@pytest.fixture(scope="session")
def demo_media() -> tuple[Path, dict]:
    """The full demo media, generated once per checkout and shared by workers and runs.

    A mkdir lock keeps parallel workers from generating it twice.
    """
    from anchor_core.demo.generate import GENERATOR_VERSION as DEMO_VERSION

    out = CACHE / f"demo-v{DEMO_VERSION}"
    truth = out / "truth.json"
    lock = CACHE / f"demo-v{DEMO_VERSION}.lock"
    CACHE.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + 600
    while not truth.is_file():
        try:
            os.mkdir(lock)
        except FileExistsError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited too long for {lock}; remove it if no test run is active") from None
            time.sleep(1.0)
            continue
        try:
            if not truth.is_file():
                from concurrent.futures import ThreadPoolExecutor

                from anchor_core.demo.generate import generate_demo

                with ThreadPoolExecutor(2) as ex:
                    generate_demo(out, executor=ex)
        finally:
            os.rmdir(lock)
    return out, json.loads(truth.read_text())


RENDER_FMT = None  # set below (import cost kept out of collection of unrelated tests)


def _render_fmt():
    from anchor_core.render import OutputFormat

    return OutputFormat(width=640, height=360, fps=30.0, preset="ultrafast")


RENDER_FMT = _render_fmt()


@pytest.fixture(scope="session")
def rendered_demo(demo_media, tmp_path_factory):
    """The demo event with truth sync, truth features, a hand-written timeline and a rendered master."""
    from anchor_core.catalog.events import advance_event_status
    from anchor_core.render import render_event
    from tests.demo_event import (
        demo_home,
        event_shift,
        insert_features,
        truth_features,
        write_timeline,
        write_truth_sync,
    )

    media, truth = demo_media
    home = tmp_path_factory.mktemp("render-home")
    settings, cat, store, demo = demo_home(media, home)
    write_truth_sync(cat, demo.videos, truth)
    insert_features(cat, truth_features(truth, demo.videos))
    write_timeline(cat, demo.event_id, demo.videos, truth)
    advance_event_status(cat, demo.event_id, "analyzing", "analyzed")
    r = render_event(cat, store, settings, demo.event_id, fmt=RENDER_FMT)
    yield {"truth": truth, "render": r, "cat": cat, "demo": demo, "home": home, "settings": settings, "store": store,
           "shift": event_shift(truth)}
    cat.close()
