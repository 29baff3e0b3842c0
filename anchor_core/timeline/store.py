"""Timelines in the catalog (tables the notebook and report query with SQL)."""

from __future__ import annotations

import json

from ..catalog import Catalog
from ..catalog.ids import new_id
from ..errors import NotFoundError
from .model import AdSlot, ChapterMark, Segment, Timeline, ZoomMoment


def save_timeline(cat: Catalog, event_id: str, tl: Timeline, profile_id: str | None) -> str:
    tid = new_id("tl")
    meta = dict(tl.meta, profile_name=tl.profile_name, profile_version=tl.profile_version,
                audio_master=tl.audio_master)
    with cat.transaction() as cur:
        cur.execute("INSERT INTO timelines (id, event_id, profile_id, strategy, inputs_hash, beat_synced, duration_ms,"
                    " meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [tid, event_id, profile_id, tl.strategy, tl.inputs_hash, tl.beat_synced, tl.duration_ms,
                     json.dumps(meta)])
        cur.executemany("INSERT INTO timeline_segments VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[tid, i, s.start_ms, s.end_ms, s.video_id, s.angle_type, s.score]
                         for i, s in enumerate(tl.segments)])
        if tl.zooms:
            cur.executemany("INSERT INTO timeline_zooms VALUES (?, ?, ?, ?, ?, ?)",
                            [[tid, i, z.start_ms, z.duration_ms, z.zoom_factor, z.video_id]
                             for i, z in enumerate(tl.zooms)])
        if tl.ad_slots:
            cur.executemany("INSERT INTO timeline_ad_slots VALUES (?, ?, ?, ?, ?)",
                            [[tid, i, a.timestamp_ms, a.duration_ms, a.score] for i, a in enumerate(tl.ad_slots)])
        if tl.chapters:
            cur.executemany("INSERT INTO timeline_chapters VALUES (?, ?, ?, ?, ?)",
                            [[tid, i, c.timestamp_ms, c.title, c.kind] for i, c in enumerate(tl.chapters)])
    return tid


def load_latest_timeline(cat: Catalog, event_id: str) -> Timeline:
    """The event's most recent timeline: what render, ads, export and the notebooks read."""
    return load_timeline(cat, latest_timeline_id(cat, event_id))


def latest_timeline_id(cat: Catalog, event_id: str) -> str:
    rows = cat.frame("SELECT id FROM timelines WHERE event_id = ? ORDER BY created_at DESC, id LIMIT 1", [event_id])
    if rows.height == 0:
        raise NotFoundError(f"event {event_id} has no timeline yet; run `anchor timeline {event_id}` first")
    return str(rows["id"][0])


def load_timeline(cat: Catalog, timeline_id: str) -> Timeline:
    head = cat.frame("SELECT strategy, inputs_hash, beat_synced, duration_ms, meta FROM timelines WHERE id = ?",
                     [timeline_id])
    if head.height == 0:
        raise NotFoundError(f"no timeline {timeline_id!r}")
    strategy, ih, beat, dur, meta_s = head.row(0)
    meta = json.loads(meta_s) if meta_s else {}
    q = "FROM {} WHERE timeline_id = ? ORDER BY idx"
    segs = cat.frame("SELECT start_ms, end_ms, video_id, coalesce(angle_type, ''), coalesce(score, 0) "
                     + q.format("timeline_segments"), [timeline_id])
    zooms = cat.frame("SELECT start_ms, duration_ms, zoom_factor, coalesce(video_id, '') "
                      + q.format("timeline_zooms"), [timeline_id])
    ads = cat.frame("SELECT timestamp_ms, duration_ms, score " + q.format("timeline_ad_slots"), [timeline_id])
    chs = cat.frame("SELECT timestamp_ms, title, kind " + q.format("timeline_chapters"), [timeline_id])
    return Timeline(
        int(dur), tuple(Segment(int(a), int(b), v, t, float(s)) for a, b, v, t, s in segs.iter_rows()),
        tuple(ZoomMoment(int(a), int(d), float(f), v) for a, d, f, v in zooms.iter_rows()),
        tuple(AdSlot(int(a), int(d), float(s)) for a, d, s in ads.iter_rows()),
        tuple(ChapterMark(int(a), t, k) for a, t, k in chs.iter_rows()),
        bool(beat), strategy, str(meta.get("profile_name", "")), int(meta.get("profile_version", 0) or 0), ih, meta,
        audio_master=str(meta.get("audio_master") or ""), timeline_id=timeline_id,
    )
