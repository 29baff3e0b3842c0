"""Build the demo event in a fresh home with sync taken from the ground truth and a
hand-written timeline, so render and reel tests do not depend on the analysers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from anchor_core.catalog import Catalog
from anchor_core.catalog.ids import new_id
from anchor_core.config import load_settings
from anchor_core.demo.pipeline import build_demo_event
from anchor_core.store import LocalStore

# (start, end, angle) in event time; whistles at 60.5 and 112 fall under the wide angle,
# 27.5 under the closeup, 94 under the crowd phone.
SEGMENTS = [(0, 14, "wide"), (14, 30, "closeup"), (30, 42, "wide"), (42, 56, "closeup"), (56, 80, "wide"),
            (80, 98, "crowd"), (98, 106, "closeup"), (106, 120, "wide")]
ZOOMS = [(33.0, 3.0, 1.5)]
AD_SLOTS = [(47.0, 4.0, 82.0)]
CHAPTERS = [(0, "Kickoff"), (62, "Second spell")]


def write_truth_sync(cat: Catalog, videos: dict[str, str], truth: dict[str, Any]) -> None:
    with cat.transaction() as cur:
        for name, vid in videos.items():
            a = truth["angles"][name]
            cur.execute(
                "UPDATE videos SET sync_offset_s=?, sync_drift_ppm=?, sync_confidence=1, sync_status='synced',"
                " sync_method='truth' WHERE id=?", [a["offset_s"], a["drift_ppm"], vid])


def write_timeline(cat: Catalog, event_id: str, videos: dict[str, str], duration_s: float) -> str:
    tid = new_id("tl")
    with cat.transaction() as cur:
        cur.execute("INSERT INTO timelines (id, event_id, strategy, inputs_hash, duration_ms) VALUES (?,?,?,?,?)",
                    [tid, event_id, "hand", "test", int(duration_s * 1000)])
        for i, (a, b, name) in enumerate(SEGMENTS):
            cur.execute("INSERT INTO timeline_segments VALUES (?,?,?,?,?,?,?)",
                        [tid, i, int(a * 1000), int(b * 1000), videos[name], name, 1.0])
        for i, (s, d, f) in enumerate(ZOOMS):
            cur.execute("INSERT INTO timeline_zooms VALUES (?,?,?,?,?,?)",
                        [tid, i, int(s * 1000), int(d * 1000), f, videos["wide"]])
        for i, (s, d, sc) in enumerate(AD_SLOTS):
            cur.execute("INSERT INTO timeline_ad_slots VALUES (?,?,?,?,?)", [tid, i, int(s * 1000), int(d * 1000), sc])
        for i, (s, title) in enumerate(CHAPTERS):
            cur.execute("INSERT INTO timeline_chapters VALUES (?,?,?,?,?)", [tid, i, int(s * 1000), title, "highlight"])
    return tid


def demo_home(media: Path, home: Path) -> tuple[Any, Catalog, LocalStore, Any]:
    shutil.copytree(media, home / "demo-media")
    settings = load_settings(home, env={"ANCHOR_WORKERS": "2"})
    cat = Catalog(settings.catalog_path)
    store = LocalStore(settings.store_root)
    result = build_demo_event(cat, store, settings)
    return settings, cat, store, result


def insert_features(cat: Catalog, feats: Any) -> None:
    """Put a feature table (polars, contract columns in order) into the catalog."""
    with cat.transaction() as cur:
        cur.register("incoming_features", feats.to_arrow())
        cur.execute("INSERT INTO features SELECT * FROM incoming_features")
        cur.unregister("incoming_features")
