"""Sync for files and for events: decode, align every angle, solve, report and store."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
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
from .reference import activity, best_connected, can_anchor, reference_issue
from .reference import overlaps as reference_overlaps
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
    sigma, note = _drift_uncertainty(names, reference, edges, pairs)
    out = []
    for i, nm in enumerate(names):
        if i == reference:
            out.append(SyncResult(nm, 0.0, 0.0, 1.0, "synced", method="reference", reference=True,
                                  drift_sigma_ppm=0.0))
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
                                  detail=best.detail if best else {}, drift_sigma_ppm=sigma.get(i),
                                  drift_note=note.get(i, "")))
        else:
            why = reasons[i] or (direct.reason if direct else "") or "it overlaps no other recording"
            if prepared[i] is not None and not why.startswith("no overlap"):
                why = why or "no overlap with any other recording"
            out.append(SyncResult(nm, 0.0, 0.0, 0.0, "unsynced", why,
                                  detail=direct.detail if direct else {}))
    return out


def _drift_uncertainty(names: list[str], reference: int, edges: list[Edge],
                       pairs: dict[tuple[int, int], PairResult]) -> tuple[dict[int, float | None], dict[int, str]]:
    """Each placed angle's drift standard error and note, along the edge that placed it (a
    chain adds its links' variances; one unmeasurable link makes the chain's drift unmeasured)."""
    sigma: dict[int, float | None] = {reference: 0.0}
    note: dict[int, str] = {reference: ""}
    for e in edges:  # in the order they placed their angle
        if e.b in sigma or e.a not in sigma:
            continue
        pr = pairs.get((e.a, e.b))
        s_ab = pr.drift_sigma_ppm if pr else None
        s_a = sigma[e.a]
        sigma[e.b] = None if s_ab is None or s_a is None else float(np.hypot(s_a, s_ab))
        own = pr.drift_note if pr else ""
        note[e.b] = own or (f"through {Path(names[e.a]).name}: {note[e.a]}" if note[e.a] else "")
    return sigma, note


def sync_auto(names: list[str], prepared: list[Prepared | None], reasons: list[str],
              progress: Progress | None = None) -> list[SyncResult]:
    """Sync with the reference chosen by measurement: among the recordings with real sound (not
    silent, not near-silent, sound in most seconds), the one that overlaps the most others for
    the longest. A first alignment from the longest such recording places everything it can
    reach; recordings it cannot reach get their own round (another group may be larger); the
    best-connected member of the largest group is then the clock. Recordings without sound are
    never the reference."""
    n = len(names)
    issues = [reference_issue(p, reasons[i]) for i, p in enumerate(prepared)]
    pool = [i for i in range(n) if issues[i] is None] or [i for i in range(n) if can_anchor(prepared[i])]
    if not pool:
        if n == 1:  # a lone recording is its own clock, sound or not
            return sync_prepared(names, prepared, reasons, 0, progress)
        why = "; ".join(f"{Path(nm).name}: {issues[i]}" for i, nm in enumerate(names))
        return [SyncResult(nm, 0.0, 0.0, 0.0, "unsynced", f"no angle has sound to sync against ({why})")
                for nm in names]
    duration = [p.duration_s if p is not None else 0.0 for p in prepared]
    rounds: list[tuple[int, list[SyncResult], set[int]]] = []
    left, unplaced = set(pool), set(range(n))
    while left:
        r = max(left, key=lambda i: (duration[i], -i))
        masked = [p if i in unplaced else None for i, p in enumerate(prepared)]
        res = sync_prepared(names, masked, reasons, r, progress)
        group = {i for i, x in enumerate(res) if x.status == "synced"}
        rounds.append((r, res, group))
        left -= group | {r}
        unplaced -= group
    starts_ends = [_spans(res, duration) for _, res, _ in rounds]
    scores = [(len(g), float(reference_overlaps(*se)[sorted(g)][:, sorted(g)].sum()) / 2)
              for (_, _, g), se in zip(rounds, starts_ends, strict=True)]
    k = max(range(len(rounds)), key=lambda j: (scores[j][0], scores[j][1], -j))
    first, res, group = rounds[k]
    start, end = starts_ends[k]
    pick, count, total = best_connected(start, end, [i for i in pool if i in group])
    if k != 0 or pick != first:
        res = sync_prepared(names, prepared, reasons, pick, progress)
    act = activity(prepared[pick].fine, rate_hz=prepared[pick].rate)  # type: ignore[union-attr]
    passed = [f"{Path(names[i]).name} ({issues[i]})" for i in range(n) if issues[i] is not None]
    why = (f"chosen automatically: sound in {act.share:.0%} of its seconds, overlaps {count} other"
           f"{'s' if count != 1 else ''} for {total:.0f} s in all"
           + (f"; not eligible: {', '.join(passed)}" if passed else ""))
    ref_result = res[pick]
    res[pick] = replace(ref_result, method="reference (automatic)", detail={**ref_result.detail, "reference_note": why})
    return res


def _spans(results: list[SyncResult], duration: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each placed recording on its round's clock (unplaced: an empty span)."""
    start = np.array([r.offset_s if r.status == "synced" else 0.0 for r in results])
    end = np.array([r.offset_s + d * (1 + r.drift_ppm * 1e-6) if r.status == "synced" else 0.0
                    for r, d in zip(results, duration, strict=True)])
    return start, end


def _prepare_all(paths: list[str], executor: Executor | None, ffmpeg: str | None
                 ) -> tuple[list[Prepared | None], list[str]]:
    executor = executor or SerialExecutor()
    loaded = list(executor.map(_prepare_task, [(p, ffmpeg) for p in paths]))
    return [p for p, _ in loaded], [w for _, w in loaded]


def sync_files(paths: list[str], reference: int | None = 0, *, executor: Executor | None = None,
               progress: Progress | None = None, ffmpeg: str | None = None) -> list[SyncResult]:
    """Sync files; the reference is the file at index `reference` (refused if it has no
    sound), or chosen by measurement (`sync_auto`) when it is None."""
    prepared, reasons = _prepare_all(paths, executor, ffmpeg)
    if reference is None:
        return sync_auto(list(paths), prepared, reasons, progress)
    names = [Path(p).name for p in paths]
    _check_reference(names, [(p, Path(p).name) for p in paths], prepared, reasons, reference,
                     hint="Use --reference auto, or one of")
    return sync_prepared(list(paths), prepared, reasons, reference, progress)


def _check_reference(names: list[str], choices: list[tuple[str, str]], prepared: list[Prepared | None],
                     reasons: list[str], reference: int, *, hint: str) -> None:
    """A recording without sound is never the clock: refuse it, naming the ones with sound."""
    if len(names) < 2 or can_anchor(prepared[reference]):
        return
    usable = [f"{vid} ({nm})" if nm and nm != vid else vid for i, (vid, nm) in enumerate(choices)
              if can_anchor(prepared[i])]
    raise ValidationError(
        f"{names[reference]} cannot be the reference: {reference_issue(prepared[reference], reasons[reference])}. "
        + (f"{hint}: {', '.join(usable)}" if usable else "No recording given has sound."))


def resolve_reference(choices: list[tuple[str, str]], key: str, *, what: str) -> int:
    """Index of the recording `key` names among (id, file name) choices: an id, a file name, or
    a path ending in one. The error lists every choice."""
    listing = ", ".join(f"{vid} ({name})" if name and name != vid else vid for vid, name in choices)
    base = Path(key).name
    rules = (lambda vid, name: key == vid, lambda vid, name: key == name, lambda vid, name: base == name,
             lambda vid, name: base.casefold() == name.casefold())
    for rule in rules:
        hits = [i for i, (vid, name) in enumerate(choices) if rule(vid, name or "\0")]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValidationError(f"reference {key!r} is ambiguous: {len(hits)} angles of {what} are named so "
                                  f"({', '.join(choices[i][0] for i in hits)}); give the video id. "
                                  f"Choices: {listing}")
    raise ValidationError(f"reference {key!r} is not an angle of {what}; give a video id or an ingested file "
                          f"name. Choices: {listing}")


def sync_event(cat: Catalog, store: ObjectStore, event_id: str, *, reference_video_id: str | None = None,
               executor: Executor | None = None, progress: Progress | None = None,
               ffmpeg: str | None = None) -> list[tuple[str, SyncResult]]:
    """Sync every angle of an event and store it. The reference is the angle named by
    `reference_video_id` (a video id or an ingested file name), else chosen by measurement
    (`sync_auto`); an angle without usable sound is refused as the reference."""
    videos = videos_repo.list_videos(cat, event_id)
    if not videos:
        raise NotFoundError(f"event {event_id} has no angles to sync; ingest footage first")
    ids = [v.id for v in videos]
    names = [v.original_name or v.id for v in videos]
    choices = list(zip(ids, [v.original_name or "" for v in videos], strict=True))
    ref = (resolve_reference(choices, reference_video_id, what=f"event {event_id}")
           if reference_video_id is not None else None)
    paths = [str(store.path_for(v.object_key)) for v in videos]
    prepared, reasons = _prepare_all(paths, executor, ffmpeg)
    if ref is None:
        results = sync_auto(names, prepared, reasons, progress)
    else:
        _check_reference(names, choices, prepared, reasons, ref, hint="Angles with sound")
        results = sync_prepared(names, prepared, reasons, ref, progress)
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
