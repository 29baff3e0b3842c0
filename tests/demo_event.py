"""Build the demo event in a fresh home with sync taken from the ground truth and a
hand-written timeline, so render and reel tests do not depend on the analysers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl

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


def event_shift(truth: dict[str, Any]) -> float:
    """Event time minus reference time: event time 0 is the earliest footage (the crowd phone
    starts before the wide reference), so the truth's reference times move by this much."""
    return -min(0.0, *(a["offset_s"] for a in truth["angles"].values()))


def write_timeline(cat: Catalog, event_id: str, videos: dict[str, str], truth: dict[str, Any]) -> str:
    """The hand-written edit (SEGMENTS etc. are in reference time) on the event clock: the
    footage before the reference starts is the crowd phone's."""
    tid = new_id("tl")
    k = event_shift(truth)
    segments = ([(0.0, k, "crowd")] if k else []) + [(a + k, b + k, n) for a, b, n in SEGMENTS]
    ms = lambda t: int(round(t * 1000))  # noqa: E731
    with cat.transaction() as cur:
        cur.execute("INSERT INTO timelines (id, event_id, strategy, inputs_hash, duration_ms) VALUES (?,?,?,?,?)",
                    [tid, event_id, "hand", "test", ms(truth["event_duration_s"] + k)])
        for i, (a, b, name) in enumerate(segments):
            cur.execute("INSERT INTO timeline_segments VALUES (?,?,?,?,?,?,?)",
                        [tid, i, ms(a), ms(b), videos[name], name, 1.0])
        for i, (s, d, f) in enumerate(ZOOMS):
            cur.execute("INSERT INTO timeline_zooms VALUES (?,?,?,?,?,?)", [tid, i, ms(s + k), ms(d), f, videos["wide"]])
        for i, (s, d, sc) in enumerate(AD_SLOTS):
            cur.execute("INSERT INTO timeline_ad_slots VALUES (?,?,?,?,?)", [tid, i, ms(s + k), ms(d), sc])
        for i, (s, title) in enumerate(CHAPTERS):
            cur.execute("INSERT INTO timeline_chapters VALUES (?,?,?,?,?)",
                        [tid, i, ms(s + k) if s else 0, title, "highlight"])
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


BURST_ACTION = {"closeup": 9.5, "wide": 8.0, "crowd": 6.0}


def truth_features(truth, videos) -> pl.DataFrame:
    """A feature table made from the ground truth (what a perfect analyser would say): the
    closeup sees a burst most intensely, the crowd phone least."""
    rows = []
    for name, vid in videos.items():
        a = truth["angles"][name]
        for k in range(int(a["duration_s"] // 2)):
            t = a["offset_s"] + 2 * k + 1
            burst = any(s <= t <= e for s, e in truth["action_bursts"])
            idle = any(s <= t <= e for s, e in truth["idle"])
            speech = any(s <= t <= e for s, e in truth["speech"])
            events = (["cheer"] if burst else []) + (["speech"] if speech else [])
            rows.append({
                "video_id": vid, "t_ms": 2000 * k, "action_intensity": BURST_ACTION[a["angle_type"]] if burst else (0.5 if idle else 4.0),
                "scene_cut": False, "scene_type": "fast action" if burst else "static", "faces": 0,
                "speech": 0.8 if speech else 0.0, "crowd_energy": 0.9 if burst else 0.2, "audio_events": events,
                "visual_complexity": 0.5, "key_moment": burst,
                "description": ("fast action crowd cheering" if burst else "calm play") + (" commentary" if speech else ""),
            })
    return pl.DataFrame(rows)
