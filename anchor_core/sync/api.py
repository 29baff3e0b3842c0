"""Sync for files and for events: decode, align every angle, solve, report and store."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from ..catalog import Catalog
from ..catalog import videos as videos_repo
from ..errors import MediaError, NotFoundError, ValidationError
from ..executor import SerialExecutor
from ..media import decode_audio, probe
from ..store import ObjectStore
from .model import EventAngles, SyncResult
from .pair import FINE_RATE, PairResult, Prepared, align_pair, prepare
from .solve import Edge, solve_offsets
from .store import load_event_angles, save_sync

Progress = Callable[[float, float, str], None]


def load_audio(path: str, ffmpeg: str | None = None) -> tuple[np.ndarray | None, str]:
    """Mono samples at the fine rate, or None and why (no audio track, unreadable)."""
    try:
        info = probe(path, scan_packets=False, ffmpeg=ffmpeg)
    except MediaError as exc:
        return None, f"cannot read the file: {str(exc).splitlines()[0]}"
    if info.audio is None:
        return None, "the file has no audio track"
    try:
        return decode_audio(path, FINE_RATE, expected_duration_s=info.duration_s, ffmpeg=ffmpeg), ""
    except MediaError as exc:
        return None, f"cannot decode the audio: {str(exc).splitlines()[0]}"


def _prepare_task(job: tuple[str, str | None]) -> tuple[Prepared | None, str]:
    path, ffmpeg = job
    samples, why = load_audio(path, ffmpeg)
    return (prepare(samples), "") if samples is not None else (None, why)


def sync_prepared(names: list[str], prepared: list[Prepared | None], reasons: list[str], reference: int,
                  progress: Progress | None = None) -> list[SyncResult]:
    """Align every recording: first against the reference, then the rest through whatever
    already overlaps, then one least-squares solution over all the pairs measured."""
    report = progress or (lambda d, t, m: None)
    n = len(names)
    ref = prepared[reference]
    if ref is None:
        return [SyncResult(nm, 0.0, 0.0, 0.0, "unsynced", f"the reference cannot be used: {reasons[reference]}",
                           reference=(i == reference)) for i, nm in enumerate(names)]
    edges: list[Edge] = []
    pairs: dict[tuple[int, int], PairResult] = {}
    cache: dict = {}
    for i in range(n):
        if i == reference or prepared[i] is None:
            continue
        r = align_pair(ref, prepared[i], ref_cache=cache)  # type: ignore[arg-type]
        pairs[(reference, i)] = r
        if r.status == "synced":
            edges.append(Edge(reference, i, r.offset_s, r.drift_ppm, r.confidence))
        report(i + 1, n, f"{Path(names[i]).name}: {r.status}")
    # Chains: an angle that does not overlap the reference may overlap another angle.
    for _ in range(n):
        _, _, placed = solve_offsets(n, reference, edges)
        todo = [i for i in range(n) if not placed[i] and prepared[i] is not None]
        if not todo:
            break
        progress_made = False
        for i in todo:
            for j in range(n):
                if j == i or not placed[j] or prepared[j] is None or (j, i) in pairs:
                    continue
                r = align_pair(prepared[j], prepared[i])  # type: ignore[arg-type]
                pairs[(j, i)] = r
                if r.status == "synced":
                    edges.append(Edge(j, i, r.offset_s, r.drift_ppm, r.confidence))
                    progress_made = True
                    break
        if not progress_made:
            break
    offset, drift, placed = solve_offsets(n, reference, edges)
    out = []
    for i, nm in enumerate(names):
        if i == reference:
            out.append(SyncResult(nm, 0.0, 0.0, 1.0, "synced", method="reference", reference=True))
            continue
        direct = pairs.get((reference, i))
        if placed[i]:
            via = [e for e in edges if e.b == i]
            conf = max(e.weight for e in via) if via else 0.0
            chained = not (direct and direct.status == "synced")
            best = direct if direct and direct.status == "synced" else next(
                (pairs[(e.a, i)] for e in via if (e.a, i) in pairs), None)
            method = (best.method if best else "") + (" (placed through another angle)" if chained else "")
            out.append(SyncResult(nm, float(offset[i]), float(drift[i]), float(conf), "synced", method=method,
                                  detail=best.detail if best else {}))
        else:
            why = reasons[i] or (direct.reason if direct else "") or "it overlaps no other recording"
            if prepared[i] is not None and not why.startswith("no overlap"):
                why = why or "no overlap with any other recording"
            out.append(SyncResult(nm, 0.0, 0.0, 0.0, "unsynced", why,
                                  detail=direct.detail if direct else {}))
    return out


def sync_files(paths: list[str], reference: int | None = 0, *, executor: Executor | None = None,
               progress: Progress | None = None, ffmpeg: str | None = None) -> list[SyncResult]:
    """Sync files; the reference is the first file, or the longest when reference is None."""
    executor = executor or SerialExecutor()
    loaded = list(executor.map(_prepare_task, [(p, ffmpeg) for p in paths]))
    prepared = [p for p, _ in loaded]
    reasons = [w for _, w in loaded]
    if reference is None:
        lengths = [p.duration_s if p is not None else -1.0 for p in prepared]
        reference = int(np.argmax(lengths))
    return sync_prepared(list(paths), prepared, reasons, reference, progress)


def sync_event(cat: Catalog, store: ObjectStore, event_id: str, *, reference_video_id: str | None = None,
               executor: Executor | None = None, progress: Progress | None = None,
               ffmpeg: str | None = None) -> list[tuple[str, SyncResult]]:
    """Sync every angle of an event (reference: the named angle, else the longest) and store it."""
    videos = videos_repo.list_videos(cat, event_id)
    if not videos:
        raise NotFoundError(f"event {event_id} has no angles to sync; ingest footage first")
    ids = [v.id for v in videos]
    if reference_video_id is not None and reference_video_id not in ids:
        raise ValidationError(f"reference {reference_video_id!r} is not an angle of event {event_id}")
    paths = [str(store.path_for(v.object_key)) for v in videos]
    executor = executor or SerialExecutor()
    loaded = list(executor.map(_prepare_task, [(p, ffmpeg) for p in paths]))
    prepared = [p for p, _ in loaded]
    reasons = [w for _, w in loaded]
    if reference_video_id is not None:
        ref = ids.index(reference_video_id)
    else:
        usable = [(v.duration_s if prepared[i] is not None else -1.0) for i, v in enumerate(videos)]
        ref = int(np.argmax(usable))
    results = sync_prepared([v.original_name or v.id for v in videos], prepared, reasons, ref, progress)
    save_sync(cat, event_id, ids, results)
    return list(zip(ids, results, strict=True))


def load_angles(cat: Catalog, event_id: str, *, require_synced: bool = True) -> EventAngles:
    """The event's angles on the event clock. `.synced` is the one rule for what takes part in
    the edit, the sound and the reels; `.unsynced` are left out everywhere (and warned about).

    With `require_synced`, an event with nothing usable raises an error saying what to run."""
    ea = load_event_angles(cat, event_id)
    if not require_synced:
        return ea
    if not ea.angles:
        raise NotFoundError(f"event {event_id} has no footage; ingest some with `anchor ingest {event_id} FILE`")
    if all(a.status == "pending" for a in ea.angles):
        raise NotFoundError(f"event {event_id} has not been synced; run `anchor sync {event_id}` first")
    if not ea.synced:
        raise NotFoundError(f"no angle of event {event_id} is synced; check `anchor sync {event_id}` for the reasons")
    return ea
