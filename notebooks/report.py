import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Anchor event report")

with app.setup:
    import json

    import marimo as mo
    import polars as pl

    from anchor_core import viz
    from anchor_core.catalog import Catalog
    from anchor_core.nbparams import notebook_params


@app.cell
def params():
    _mode = mo.app_meta().mode
    event_id, settings, _ = notebook_params(_mode, mo.cli_args, mo.query_params)
    return event_id, settings


@app.cell
def catalog_frames(event_id, settings):
    _cat = Catalog(settings.catalog_path)
    try:
        event = _cat.frame("SELECT id, name, event_type, status, created_at FROM events WHERE id = ?", [event_id])
        videos = _cat.frame(
            "SELECT id AS video_id, angle_type, original_name, round(duration_s, 3) AS duration_s, probe,"
            " sync_offset_s, sync_drift_ppm, sync_confidence, sync_status, sync_reason, sync_method"
            " FROM videos WHERE event_id = ? ORDER BY created_at, id", [event_id])
        details = _cat.frame("SELECT video_id, detail FROM sync_details WHERE event_id = ?", [event_id])
        feats = _cat.frame(
            "SELECT f.*, v.sync_offset_s AS off, v.sync_drift_ppm AS drift FROM features f JOIN videos v"
            " ON v.id = f.video_id WHERE v.event_id = ? ORDER BY f.video_id, f.t_ms", [event_id])
        timeline = _cat.frame(
            "SELECT t.*, p.name AS profile_name, p.version AS profile_version, p.body AS profile_body"
            " FROM timelines t LEFT JOIN profiles p ON p.id = t.profile_id WHERE t.event_id = ?"
            " ORDER BY t.created_at DESC LIMIT 1", [event_id])
        tid = timeline["id"][0] if timeline.height else ""
        segments = _cat.frame("SELECT * FROM timeline_segments WHERE timeline_id = ? ORDER BY idx", [tid])
        zooms = _cat.frame("SELECT * FROM timeline_zooms WHERE timeline_id = ? ORDER BY idx", [tid])
        ad_slots = _cat.frame("SELECT * FROM timeline_ad_slots WHERE timeline_id = ? ORDER BY idx", [tid])
        chapters = _cat.frame("SELECT * FROM timeline_chapters WHERE timeline_id = ? ORDER BY idx", [tid])
        usage = _cat.frame(
            "SELECT s.video_id, v.angle_type, count(*) AS segments, sum(s.end_ms - s.start_ms) / 1000.0 AS seconds,"
            " round(100.0 * sum(s.end_ms - s.start_ms) / any_value(t.duration_ms), 1) AS share_pct,"
            " round(avg(s.end_ms - s.start_ms) / 1000.0, 2) AS mean_len_s,"
            " round(min(s.end_ms - s.start_ms) / 1000.0, 2) AS min_len_s,"
            " round(max(s.end_ms - s.start_ms) / 1000.0, 2) AS max_len_s"
            " FROM timeline_segments s JOIN timelines t ON t.id = s.timeline_id JOIN videos v ON v.id = s.video_id"
            " WHERE s.timeline_id = ? GROUP BY s.video_id, v.angle_type ORDER BY seconds DESC", [tid])
        renders = _cat.frame("SELECT id, kind, object_key, duration_s, meta, created_at FROM renders"
                             " WHERE event_id = ? ORDER BY created_at", [event_id])
    finally:
        _cat.close()
    return ad_slots, chapters, details, event, feats, renders, segments, timeline, usage, videos, zooms


@app.cell
def title(event, event_id):
    mo.stop(event.height == 0, mo.md(f"**No event `{event_id}`.** Pass `--event ID` (and `--home DIR`)."))
    _e = event.row(0, named=True)
    mo.md(f"# {_e['name']}\n\n{_e['event_type']} event `{_e['id']}`, status **{_e['status']}**")
    return


@app.cell
def inputs_section(videos):
    _rows = []
    for _r in videos.iter_rows(named=True):
        _p = json.loads(_r["probe"]) if _r["probe"] else {}
        _v, _a = _p.get("video") or {}, _p.get("audio") or {}
        _rows.append({"video_id": _r["video_id"], "angle": _r["angle_type"], "file": _r["original_name"],
                      "duration_s": _r["duration_s"], "size": f"{_v.get('width')}x{_v.get('height')}",
                      "rotation": _v.get("rotation"), "fps": _v.get("real_fps"), "vfr": _v.get("vfr"),
                      "audio": f"{_a.get('sample_rate')} Hz x{_a.get('channels')}" if _a else "none"})
    mo.vstack([mo.md("## Inputs and their probes"), mo.Html(viz.frame_to_html(pl.DataFrame(_rows)))])
    return


@app.cell
def sync_section(details, videos):
    _table = videos.select("video_id", "angle_type", "sync_offset_s", "sync_drift_ppm", "sync_confidence",
                           "sync_status", "sync_reason", "sync_method")
    _parts = [mo.md("## Sync quality"), mo.Html(viz.frame_to_html(_table))]
    if details.height:
        _d = [dict(json.loads(r[1]), label=r[0]) for r in details.iter_rows() if r[1]]
        _parts.append(mo.Html(viz.figure_to_html(viz.sync_figure(_d), alt="sync")))
    mo.vstack(_parts)
    return


@app.cell
def features_section(feats, videos):
    mo.stop(feats.height == 0, mo.md("## Features\n\nNot analysed yet."))
    _f = feats.with_columns((pl.col("off").fill_null(0) + pl.col("t_ms") / 1000 * (1 + pl.col("drift").fill_null(0)
                                                                                  * 1e-6)).alias("t_event_s"))
    _angles = videos.select("video_id", "angle_type")
    _summary = feats.group_by("video_id").agg(
        pl.len().alias("windows"), pl.col("action_intensity").mean().round(2).alias("mean_action"),
        pl.col("action_intensity").max().round(2).alias("max_action"), pl.col("scene_cut").sum().alias("cuts"),
        pl.col("speech").mean().round(2).alias("mean_speech"), pl.col("crowd_energy").mean().round(2).alias("mean_crowd"),
        pl.col("key_moment").sum().alias("key_moments")).sort("video_id")
    mo.vstack([mo.md("## Feature overview"), mo.Html(viz.frame_to_html(_summary)),
               mo.Html(viz.figure_to_html(viz.features_figure(_f, _angles, "action_intensity"), alt="action_intensity")),
               mo.Html(viz.figure_to_html(viz.features_figure(_f, _angles, "crowd_energy"), alt="crowd_energy")),
               mo.Html(viz.figure_to_html(viz.features_figure(_f, _angles, "speech"), alt="speech"))])
    return


@app.cell
def timeline_section(ad_slots, chapters, segments, timeline, usage, videos, zooms):
    mo.stop(timeline.height == 0, mo.md("## Timeline\n\nNo timeline built yet."))
    _t = timeline.row(0, named=True)
    _fig = viz.timeline_figure(segments, videos.select("video_id", "angle_type"), zooms=zooms, ad_slots=ad_slots,
                               chapters=chapters, title=f"{_t['strategy']} timeline")
    mo.vstack([
        mo.md(f"## Timeline\n\n{segments.height} segments over {_t['duration_ms'] / 1000:.1f} s, strategy "
              f"**{_t['strategy']}**, beat-synced: {_t['beat_synced']}, inputs hash `{_t['inputs_hash']}`"),
        mo.Html(viz.figure_to_html(_fig, alt="timeline")),
        mo.md("### Angle usage"), mo.Html(viz.frame_to_html(usage)),
        mo.md("### Segments"), mo.Html(viz.frame_to_html(segments.drop("timeline_id"))),
    ])
    return


@app.cell
def profile_section(timeline):
    mo.stop(timeline.height == 0 or timeline["profile_body"][0] is None)
    _t = timeline.row(0, named=True)
    mo.vstack([mo.md(f"## Profile used: {_t['profile_name']} v{_t['profile_version']}"),
               mo.Html(f"<pre>{json.dumps(json.loads(_t['profile_body']), indent=2)}</pre>")])
    return


@app.cell
def slots_section(ad_slots, chapters, renders):
    mo.vstack([
        mo.md("## Ad slots"),
        mo.Html(viz.frame_to_html(ad_slots.drop("timeline_id"))) if ad_slots.height else mo.md("None."),
        mo.md("## Chapters"),
        mo.Html(viz.frame_to_html(chapters.drop("timeline_id"))) if chapters.height else mo.md("None."),
        mo.md("## Renders"),
        mo.Html(viz.frame_to_html(renders)) if renders.height else mo.md("None yet."),
    ])
    return


if __name__ == "__main__":
    app.run()
