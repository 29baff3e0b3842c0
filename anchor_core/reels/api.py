"""`make_reel`: query + vibe + duration → a short highlight video, stored with its moments.
Moments come only from synced angles; the search backend is the configured one (`ANCHOR_SEARCH`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..analysis import EventFeatures, event_features
from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog.ids import new_id
from ..config import Settings
from ..errors import NotFoundError, ValidationError
from ..executor import make_executor
from ..media import OutputFormat
from ..music import event_music
from ..render import MasterInputs, render_master
from ..store import ObjectStore, output_key
from ..sync import Angle, load_angles
from ..timeline import Segment
from ..workdir import job_dir
from .model import MomentSearch, SearchRequest
from .pick import pick_moments
from .rank import Moment
from .store import record_reel

Progress = Callable[[float, float, str], None]
MUSIC_VOLUME = 0.6


@dataclass(frozen=True)
class ReelResult:
    reel_id: str
    object_key: str
    path: str
    moments: list[Moment]
    duration_s: float


def search_takes_faces(settings: Settings, backend: str | None = None) -> bool:
    """Whether the configured search can look for a person from a photo (an image query)."""
    import inspect

    from ..registry import SEARCHES

    return "face_image" in inspect.signature(SEARCHES.get(backend or SEARCHES.chosen(settings)).open).parameters


def open_search(settings: Settings, backend: str | None = None, *, face: str | None = None) -> MomentSearch:
    """The configured search; `face` (a photo of the person to find) only for backends that take images."""
    from ..registry import SEARCHES

    if not face:
        return SEARCHES.open(settings, backend)
    chosen = SEARCHES.get(backend or SEARCHES.chosen(settings))
    if not search_takes_faces(settings, chosen.name):
        raise ValidationError(f"the {chosen.name!r} search cannot look for a face photo; "
                              "choose one that can (ANCHOR_SEARCH=twelvelabs)")
    return SEARCHES.open(settings, chosen.name, face_image=face)


def plan_reel(feats: EventFeatures, query: str, vibe: str, duration_s: float, *,
              search: MomentSearch | None = None, event_id: str = "", catalog: Catalog | None = None) -> list[Moment]:
    if duration_s < 4:
        raise ValidationError("a reel must be at least 4 s long")
    if feats.empty:
        raise NotFoundError("the event has no analysed windows; run `anchor analyze` first")
    if search is None:
        from .backends.local import LocalSearch

        search = LocalSearch()
    scores = search.score_windows(SearchRequest(event_id, feats, query, vibe, catalog))
    mask = np.isfinite(scores)
    if not mask.any():
        raise NotFoundError(f"nothing in the event matches {query!r}; try other words or an empty query")
    return pick_moments(feats.frame, scores, mask, budget_s=duration_s, window_s=feats.window_s)


def reel_inputs(moments: list[Moment], angles: Mapping[str, Angle], paths: Mapping[str, str],
                music: str | None) -> MasterInputs:
    """Lay the moments end to end; each gets a virtual angle whose clock maps reel time onto
    the moment's footage, so the master renderer can cut and crossfade them unchanged."""
    segs: list[Segment] = []
    virt: dict[str, Angle] = {}
    virt_paths: dict[str, str] = {}
    t_ms = 0
    for k, m in enumerate(moments):
        a = angles[m.video_id]
        vid = f"m{k}"
        d_ms = int(round(m.duration_s * 1000))
        virt[vid] = a.shifted(t_ms / 1000.0 - m.start_s, video_id=vid)
        virt_paths[vid] = paths[m.video_id]
        segs.append(Segment(t_ms, t_ms + d_ms, vid, a.angle_type, m.score))
        t_ms += d_ms
    return MasterInputs(duration_s=t_ms / 1000.0, segments=segs, angles=virt, paths=virt_paths, music_path=music,
                        music_volume=MUSIC_VOLUME, audio_follows_picture=True)


def make_reel(
    cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, *, query: str = "", vibe: str = "high_energy",
    duration_s: float = 30.0, fmt: OutputFormat | None = None, progress: Progress | None = None,
    face: str | None = None,
) -> ReelResult:
    fmt = fmt or OutputFormat()
    events_repo.get_event(cat, event_id)
    angles = load_angles(cat, event_id)
    synced = {a.video_id: a for a in angles.synced}
    moments = plan_reel(event_features(cat, angles.synced), query, vibe, duration_s, search=open_search(settings, face=face),
                        event_id=event_id, catalog=cat)
    music = event_music(cat, event_id)
    used = {m.video_id for m in moments}  # only these files are read (a remote store fetches each one)
    inputs = reel_inputs(moments, synced, {v: str(store.path_for(synced[v].object_key)) for v in used},
                         str(store.path_for(music.object_key)) if music else None)
    reel_id = new_id("reel")
    key = output_key(reel_id, "reel.mp4")
    executor = make_executor(settings)
    try:
        with job_dir(settings.tmp_root, "reel") as tmp:
            out = tmp / "reel.mp4"
            render_master(inputs, out, fmt=fmt, executor=executor, progress=progress, chunk_s=15.0,
                          workers=settings.workers, title=f"Reel: {query or vibe}", ffmpeg=settings.ffmpeg)
            store.put_file(key, out)
    finally:
        executor.shutdown()
    record_reel(cat, reel_id=reel_id, event_id=event_id, query=query, vibe=vibe, duration_s=inputs.duration_s,
                object_key=key, moments=[m.__dict__ for m in moments])
    return ReelResult(reel_id, key, str(store.path_for(key)), moments, inputs.duration_s)
